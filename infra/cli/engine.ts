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
import { command, runAsScript } from "./args";

export const USAGE = `usage: npm run engine [-- --rebuild]

Makes the Pulumi CLI at the lockfile's @pulumi/pulumi version available (a pulumi on PATH of that
version, else a cached build, else a build with Go) and prints where, with the PATH to run it with.

options:
  --rebuild    ignore a pulumi on PATH and a cached build; build again
  -h, --help   this text

environment:
  ROLLOUT_ENGINE_CACHE   where builds are cached (default: $XDG_CACHE_HOME/rollout-stack, else
                         ~/.cache/rollout-stack)

exit codes: 0 ready, 1 failure (Go missing, build failed, version mismatch), 2 usage`;

export const main = command({ name: "engine", usage: USAGE, options: { rebuild: { type: "boolean" } } }, async ({ values }, io) => {
  const out = io.out;
  const rebuild = values.rebuild ?? false;
  try {
    if (rebuild) fs.rmSync(path.join(cacheDir(lockfileSdkVersion()), "bin", "pulumi"), { force: true });
    const started = Date.now();
    const engine = await ensureEngine({ progress: out, ignorePath: rebuild });
    const how = { path: "found on PATH", cached: "cached build", built: `built in ${Math.round((Date.now() - started) / 1000)} s` }[engine.how];
    out(`pulumi ${engine.version} (${how}): ${engine.pulumi}`);
    if (engine.how !== "path") out(`beside it: ${PLUGINS.join(", ")} (run infra/engine/bin/'s: the Node language host stand-in, the SDK's dynamic providers)`);
    out(`run it with:  export PATH="${engine.binDir}${path.delimiter}$PATH"`);
    return 0;
  } catch (e) {
    io.err(`error: ${(e as Error).message}`);
    return 1;
  }
});

if (require.main === module) runAsScript("engine", main);
