/**
 * The Pulumi CLI at the version of `@pulumi/pulumi` in the lockfile, for `npm run engine` and the
 * engine test tier. In order:
 * 1. a `pulumi` on PATH whose `pulumi version` is that version (a user's install, with Pulumi's own
 *    language host beside it);
 * 2. the cached build `~/.cache/rollout-stack/pulumi-<version>/bin/pulumi` (`$XDG_CACHE_HOME` or
 *    `ROLLOUT_ENGINE_CACHE` move it), when it reports that version;
 * 3. otherwise `go build` of `github.com/pulumi/pulumi/pkg/v3/cmd/pulumi` from the wrapper module in
 *    this folder (go.mod pins pkg/v3 and sdk/v3 at the same release and repeats pkg's non-local
 *    replace), stamped with the version as Pulumi's releases are, into that cache.
 * A build gets two plugins beside it, as Pulumi's releases do (so the CLI takes them as bundled, not
 * from PATH): `pulumi-language-nodejs` and `pulumi-resource-pulumi-nodejs`, small scripts that run
 * `infra/engine/bin/`'s of the clone that last ran this (the Node language host stand-in of
 * language-host.ts, and the SDK's dynamic-provider plugin). A user's own `pulumi` brings Pulumi's.
 *
 * Nothing here downloads anything but Go modules through the module proxy (GOPROXY).
 */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.resolve(__dirname, "../..");
/** The wrapper module `go build` runs in. */
export const WRAPPER_DIR = __dirname;
/** Language host stand-in and dynamic-provider plugin script. */
export const PLUGIN_BIN_DIR = path.join(__dirname, "bin");
const CLI_PACKAGE = "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi";
const VERSION_SYMBOL = "github.com/pulumi/pulumi/sdk/v3/go/common/version.Version";

export interface Engine {
  /** The `pulumi` binary. */
  pulumi: string;
  version: string;
  how: "path" | "cached" | "built";
  /** The directory to put first on PATH when running it (the CLI and its plugins). */
  binDir: string;
}

/** `@pulumi/pulumi`'s version in package-lock.json: the CLI must match the SDK the program runs. */
export function lockfileSdkVersion(root = ROOT): string {
  const lock = JSON.parse(fs.readFileSync(path.join(root, "package-lock.json"), "utf8")) as { packages?: Record<string, { version?: string }> };
  const version = lock.packages?.["node_modules/@pulumi/pulumi"]?.version;
  if (!version) throw new Error("package-lock.json has no node_modules/@pulumi/pulumi entry");
  return version;
}

/** The version of `github.com/pulumi/pulumi/pkg/v3` the wrapper's go.mod requires (without the `v`). */
export function wrapperCliVersion(goMod = fs.readFileSync(path.join(WRAPPER_DIR, "go.mod"), "utf8")): string {
  const m = /^\s*(?:require\s+)?github\.com\/pulumi\/pulumi\/pkg\/v3 v(\S+)/m.exec(goMod);
  if (!m) throw new Error(`${path.join(WRAPPER_DIR, "go.mod")} does not require github.com/pulumi/pulumi/pkg/v3`);
  return m[1];
}

export function cacheDir(version: string, env: NodeJS.ProcessEnv = process.env): string {
  const base = env.ROLLOUT_ENGINE_CACHE || path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "rollout-stack");
  return path.join(base, `pulumi-${version}`);
}

/** `pulumi version` of a binary, without the leading `v`; undefined when it does not run. */
export function cliVersion(pulumi: string): string | undefined {
  const r = spawnSync(pulumi, ["version"], { encoding: "utf8", env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" }, timeout: 30_000 });
  if (r.status !== 0) return undefined;
  return r.stdout.trim().replace(/^v/, "");
}

function onPath(name: string, envPath = process.env.PATH ?? ""): string | undefined {
  for (const dir of envPath.split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

export interface EnsureOptions {
  /** Progress lines (the first build takes minutes). */
  progress?: (line: string) => void;
  /** Skip a `pulumi` found on PATH (to test the cached build). */
  ignorePath?: boolean;
  env?: NodeJS.ProcessEnv;
}

/** Finds or builds the CLI; see the module comment for the order. */
export async function ensureEngine(options: EnsureOptions = {}): Promise<Engine> {
  const progress = options.progress ?? (() => undefined);
  const env = options.env ?? process.env;
  const version = lockfileSdkVersion();
  const pinned = wrapperCliVersion();
  if (pinned !== version) {
    throw new Error(
      `infra/engine/go.mod builds pulumi ${pinned} but the lockfile has @pulumi/pulumi ${version}; ` +
        `set both github.com/pulumi/pulumi/pkg/v3 and sdk/v3 to v${version} in infra/engine/go.mod and run \`go mod tidy\` there`,
    );
  }
  if (!options.ignorePath) {
    const found = onPath("pulumi", env.PATH);
    if (found) {
      const v = cliVersion(found);
      if (v === version) return { pulumi: found, version, how: "path", binDir: path.dirname(found) };
      progress(`${found} is pulumi ${v ?? "(does not run)"}, not ${version}: using a build of ${version}`);
    }
  }

  const target = path.join(cacheDir(version, env), "bin", "pulumi");
  let how: Engine["how"] = "cached";
  if (!fs.existsSync(target) || cliVersion(target) !== version) {
    await goBuild(target, version, progress, env);
    const built = cliVersion(target);
    if (built !== version) throw new Error(`the build at ${target} reports version ${built ?? "(does not run)"}, expected ${version}`);
    how = "built";
  }
  installPluginShims(path.dirname(target));
  return { pulumi: target, version, how, binDir: path.dirname(target) };
}

/** The plugins a build needs beside it; each script runs this clone's copy in infra/engine/bin/. */
export const PLUGINS = ["pulumi-language-nodejs", "pulumi-resource-pulumi-nodejs"];

function installPluginShims(binDir: string): void {
  for (const name of PLUGINS) {
    const file = path.join(binDir, name);
    const text = `#!/bin/sh\n# Written by rollout-stack's npm run engine: the plugin of the clone that ran it last.\nexec "${path.join(PLUGIN_BIN_DIR, name)}" "$@"\n`;
    if (fs.existsSync(file) && fs.readFileSync(file, "utf8") === text) continue;
    // Atomic: a CLI running from this cache may be starting the plugin right now.
    const partial = `${file}.partial-${process.pid}`;
    fs.writeFileSync(partial, text, { mode: 0o755 });
    fs.renameSync(partial, file);
  }
}

/** Runs a command, passing each stdout/stderr line to `line`; rejects with its last lines on failure. */
function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, line: (l: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    const tail: string[] = [];
    let pending = "";
    const take = (b: Buffer) => {
      const lines = (pending + b.toString()).split("\n");
      pending = lines.pop() ?? "";
      for (const l of lines) {
        tail.push(l);
        if (tail.length > 30) tail.shift();
        line(l);
      }
    };
    child.stdout.on("data", take);
    child.stderr.on("data", take);
    child.on("error", (e) =>
      reject(new Error((e as NodeJS.ErrnoException).code === "ENOENT" ? `${cmd} is not installed (the engine is built with Go 1.25 or later)` : e.message)),
    );
    child.on("close", (code) => {
      if (pending) line(pending);
      if (code === 0) resolve();
      else reject(new Error(`${cmd} ${args.join(" ")} failed (exit ${code}):\n${tail.join("\n")}`));
    });
  });
}

async function goBuild(target: string, version: string, progress: (line: string) => void, env: NodeJS.ProcessEnv): Promise<void> {
  progress(`building pulumi ${version} with Go into ${path.dirname(target)} (the first build takes several minutes; later ones reuse Go's build cache)`);
  const goEnv = { ...env, GOFLAGS: [env.GOFLAGS, "-mod=readonly"].filter(Boolean).join(" ") };
  const deps = spawnSync("go", ["list", "-deps", CLI_PACKAGE], { cwd: WRAPPER_DIR, env: goEnv, encoding: "utf8", maxBuffer: 64 << 20 });
  if (deps.error) throw new Error(`go is not installed (the engine is built with Go 1.25 or later): ${deps.error.message}`);
  if (deps.status !== 0) throw new Error(`go list failed in ${WRAPPER_DIR}:\n${deps.stderr.trim()}`);
  const total = deps.stdout.split("\n").filter(Boolean).length;
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const partial = `${target}.partial-${process.pid}`;
  let done = 0;
  let shown = -1;
  const args = ["build", "-v", "-tags", "osusergo,grpcnotrace", "-ldflags", `-X ${VERSION_SYMBOL}=v${version}`, "-o", partial, CLI_PACKAGE];
  try {
    await run("go", args, WRAPPER_DIR, goEnv, (l) => {
      // `go build -v` names each package as it compiles it (cached ones are not named).
      if (!/^[\w.\-/]+$/.test(l.trim())) return progress(l);
      done++;
      const pct = Math.floor((100 * done) / total);
      if (pct >= shown + 5) {
        shown = pct;
        progress(`  compiled ${done} of at most ${total} packages (${l.trim()})`);
      }
    });
    fs.renameSync(partial, target);
  } finally {
    fs.rmSync(partial, { force: true });
  }
}

/** The environment for running the engine: its directory first on PATH. */
export function engineEnv(engine: Engine, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...env, PATH: [engine.binDir, env.PATH ?? ""].join(path.delimiter) };
}
