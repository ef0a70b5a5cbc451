/**
 * How our dynamic providers carry their code into the Pulumi host: as a bundle of JavaScript source
 * (our TypeScript modules, transpiled at program time) that a tiny loader evaluates inside the
 * provider process.
 *
 * Why not plain closure serialization (Pulumi capturing the imported functions by value):
 * - the host runs providers with plain `node`, without ts-node: a provider method cannot `require()`
 *   one of our `.ts` files;
 * - closure serialization turns a module-level `Set` or `Map` into a plain object (measured here: the
 *   migration engine then fails with "Method Set.prototype.has called on incompatible receiver");
 * - under vitest, module-scope imports of Node built-ins become values the serializer cannot handle
 *   ("function Hash() { [native code] }"), which would break every mock render of the program.
 * A bundle of source strings has none of these problems: Pulumi serializes strings and one small
 * self-contained function (`loadBundled`), and the bundled code runs exactly as `npm run local`
 * runs it. Relative imports resolve inside the bundle; anything else (`pg`, `fs`) is `require()`d
 * from the project's `node_modules` by the host, as for any dynamic provider.
 *
 * The bundle is deterministic (same sources, same text), so it causes no diffs; module ids are
 * project-relative paths, so no machine path reaches the state.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";

/** Transpiled modules by project-relative path (`infra/supabase/converge.ts` → CommonJS source). */
export interface RuntimeBundle {
  modules: Record<string, string>;
}

const ROOT = path.resolve(__dirname, "../..");

/** Transpiled outputs by source hash, kept across module reloads (tests reset modules per render). */
function transpileCache(): Map<string, string> {
  const g = globalThis as { __rolloutStackTranspiled?: Map<string, string> };
  return (g.__rolloutStackTranspiled ??= new Map());
}

function transpile(id: string, source: string): string {
  const key = createHash("sha256").update(id).update("\0").update(source).digest("hex");
  const cache = transpileCache();
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ts = require("typescript") as typeof import("typescript");
  const out = ts.transpileModule(source, {
    fileName: id,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
      removeComments: true,
      sourceMap: false,
    },
  }).outputText;
  cache.set(key, out);
  return out;
}

/** Relative `require("./x")` specifiers of a transpiled module. */
function relativeRequires(js: string): string[] {
  return [...js.matchAll(/\brequire\(\s*"(\.{1,2}\/[^"]*)"\s*\)/g)].map((m) => m[1]);
}

/** The bundle id a relative specifier resolves to from module `from` (same rule as `loadBundled`). */
function resolveOnDisk(from: string, spec: string): string {
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), spec));
  for (const candidate of [`${base}.ts`, `${base}/index.ts`, base]) {
    if (fs.existsSync(path.join(ROOT, candidate)) && fs.statSync(path.join(ROOT, candidate)).isFile()) return candidate;
  }
  throw new Error(`bundling ${from}: cannot resolve "${spec}" (looked for ${base}.ts and ${base}/index.ts)`);
}

/**
 * Bundles `entries` (project-relative `.ts` paths) and every module they import relatively. Refuses
 * a module that imports `@pulumi/*`: provider code runs outside the Pulumi program.
 */
export function buildBundle(entries: readonly string[]): RuntimeBundle {
  const modules: Record<string, string> = {};
  const queue = [...entries];
  while (queue.length) {
    const id = queue.shift()!;
    if (id in modules) continue;
    const js = transpile(id, fs.readFileSync(path.join(ROOT, id), "utf8"));
    const pulumiImport = /\brequire\(\s*"(@pulumi\/[^"]*)"\s*\)/.exec(js);
    if (pulumiImport) throw new Error(`bundling ${id}: it imports ${pulumiImport[1]}, but provider code runs outside the Pulumi program; move that import out of the provider's modules`);
    modules[id] = js;
    for (const spec of relativeRequires(js)) queue.push(resolveOnDisk(id, spec));
  }
  // Sorted keys: the same sources always serialize to the same text.
  return { modules: Object.fromEntries(Object.keys(modules).sort().map((k) => [k, modules[k]])) };
}

/**
 * Loads module `id` of a bundle and returns its exports. Self-contained (Pulumi serializes it by
 * value into the provider): it uses only `require`, which in the host resolves from the project's
 * `node_modules`, and Node's `vm`.
 */
export function loadBundled(bundle: RuntimeBundle, id: string): any {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const vm = require("vm");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const nodePath = require("path").posix;
  const outerRequire = require;
  const loaded: Record<string, { exports: any }> = {};
  function resolve(from: string, spec: string): string {
    const base = nodePath.normalize(nodePath.join(nodePath.dirname(from), spec));
    for (const candidate of [`${base}.ts`, `${base}/index.ts`, base]) {
      if (Object.prototype.hasOwnProperty.call(bundle.modules, candidate)) return candidate;
    }
    throw new Error(`module ${spec} (from ${from}) is not in the provider's bundle`);
  }
  function load(moduleId: string): any {
    const cached = loaded[moduleId];
    if (cached) return cached.exports;
    const source = bundle.modules[moduleId];
    if (source === undefined) throw new Error(`module ${moduleId} is not in the provider's bundle`);
    const module = { exports: {} as any };
    loaded[moduleId] = module;
    const wrapper = vm.runInThisContext(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: moduleId });
    const localRequire = (spec: string) => (spec.startsWith("./") || spec.startsWith("../") ? load(resolve(moduleId, spec)) : outerRequire(spec));
    wrapper.call(module.exports, module.exports, localRequire, module, moduleId, nodePath.dirname(moduleId));
    return module.exports;
  }
  return load(id);
}
