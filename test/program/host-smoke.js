/**
 * Loads the program the way the Pulumi Node host does (`@pulumi/pulumi/cmd/run/run.js`): the project's
 * ts-node, registered with the project's tsconfig, type-checking on, the host's compiler defaults under
 * the tsconfig's own options. Then renders `infra/index.ts` under the mock harness and prints a summary
 * as JSON. Usage: node test/program/host-smoke.js <stack>
 */
const path = require("path");
const root = path.resolve(__dirname, "../..");
const tsutils = require("@pulumi/pulumi/tsutils");
const tsConfigPath = path.join(root, "tsconfig.json");
const compilerOptions = tsutils.loadTypeScriptCompilerOptions(tsConfigPath);
// The host resolves ts-node and typescript from the project first (tsutils.typeScriptRequireStrings).
const { tsnodeRequire, typescriptRequire } = tsutils.typeScriptRequireStrings();
require(tsnodeRequire).register({
  compiler: typescriptRequire,
  transpileOnly: compilerOptions.noCheck,
  project: tsConfigPath,
  skipProject: false,
  compilerOptions: { target: "ES2020", module: "nodenext", moduleResolution: "nodenext", sourceMap: "true", ...compilerOptions },
});

const stack = process.argv[2];
const { renderProgram, requireFresh } = require("../support/pulumi");
const { realStackConfigForHost } = require("./host-config");

renderProgram({ stack, config: realStackConfigForHost(stack), program: () => ({ ...requireFresh(path.join(root, "infra/index.ts")) }) })
  .then((render) => {
    const counts = {};
    for (const r of render.resources) counts[r.type] = (counts[r.type] || 0) + 1;
    const tsNode = require(path.join(path.dirname(require.resolve(tsnodeRequire)), "..", "package.json")).version;
    process.stdout.write(JSON.stringify({ tsNode, typescript: require(typescriptRequire).version, counts, outputs: render.outputs }) + "\n");
  })
  .catch((e) => {
    process.stderr.write(`${e && e.stack ? e.stack : e}\n`);
    process.exitCode = 1;
  });
