/**
 * `npm run engine`: makes the Pulumi CLI at the lockfile's `@pulumi/pulumi` version available and
 * prints where, with the PATH to run it with (infra/engine/engine.ts says how it is found or built).
 *
 *   npm run engine              find or build it; print where
 *   npm run engine -- --rebuild ignore a pulumi on PATH and a cached build; build again
 *
 * Exit codes: 0 ready, 1 failure (Go missing, build failed, version mismatch), 2 usage error.
 */
import * as fs from "fs";
import * as path from "path";
import { cacheDir, ensureEngine, lockfileSdkVersion, PLUGINS } from "../engine/engine";

export async function runEngine(argv: readonly string[], out: (line: string) => void = console.log): Promise<number> {
  const unknown = argv.filter((a) => a !== "--rebuild");
  if (unknown.length) {
    out(`error: unknown argument "${unknown[0]}"\nusage: npm run engine [-- --rebuild]`);
    return 2;
  }
  try {
    if (argv.includes("--rebuild")) fs.rmSync(path.join(cacheDir(lockfileSdkVersion()), "bin", "pulumi"), { force: true });
    const started = Date.now();
    const engine = await ensureEngine({ progress: out, ignorePath: argv.includes("--rebuild") });
    const how = { path: "found on PATH", cached: "cached build", built: `built in ${Math.round((Date.now() - started) / 1000)} s` }[engine.how];
    out(`pulumi ${engine.version} (${how}): ${engine.pulumi}`);
    if (engine.how !== "path") out(`beside it: ${PLUGINS.join(", ")} (run infra/engine/bin/'s: the Node language host stand-in, the SDK's dynamic providers)`);
    out(`run it with:  export PATH="${engine.binDir}${path.delimiter}$PATH"`);
    return 0;
  } catch (e) {
    out(`error: ${(e as Error).message}`);
    return 1;
  }
}

if (require.main === module) {
  runEngine(process.argv.slice(2)).then((code) => (process.exitCode = code));
}
