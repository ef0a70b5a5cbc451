/**
 * `npm run engine`'s pure parts: the CLI it builds is pinned to the SDK in the lockfile, and the
 * wrapper module says so in a form the check can read. (Building and running the CLI is the engine
 * tier's job: `npm run test:engine`.)
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { main } from "../../infra/cli/engine";
import { cacheDir, ensureEngine, lockfileSdkVersion, PLUGIN_BIN_DIR, PLUGINS, WRAPPER_DIR, wrapperCliVersion } from "../../infra/engine/engine";
import { captureIo } from "../support/io";

const goMod = fs.readFileSync(path.join(WRAPPER_DIR, "go.mod"), "utf8");

describe("the engine's version", () => {
  it("the wrapper module builds pkg/v3 and takes sdk/v3 at the lockfile's @pulumi/pulumi version", () => {
    const version = lockfileSdkVersion();
    expect(version).toMatch(/^3\.\d+\.\d+$/);
    expect(wrapperCliVersion(goMod)).toBe(version);
    expect(goMod).toMatch(new RegExp(`github\\.com/pulumi/pulumi/sdk/v3 v${version.replace(/\./g, "\\.")}\\b`));
    // pkg/v3's own non-local replace, which a requiring module must repeat.
    expect(goMod).toMatch(/^replace github\.com\/atotto\/clipboard => github\.com\/tgummerer\/clipboard v\S+$/m);
  });

  it("reads the pkg/v3 requirement in either go.mod form, and refuses a go.mod without it", () => {
    expect(wrapperCliVersion("module x\n\nrequire github.com/pulumi/pulumi/pkg/v3 v3.1.2\n")).toBe("3.1.2");
    expect(wrapperCliVersion("module x\n\nrequire (\n\tgithub.com/pulumi/pulumi/pkg/v3 v3.4.5 // indirect\n)\n")).toBe("3.4.5");
    expect(() => wrapperCliVersion("module x\n\nrequire github.com/pulumi/pulumi/sdk/v3 v3.1.2\n")).toThrow(/does not require github.com\/pulumi\/pulumi\/pkg\/v3/);
  });

  it("caches builds per version outside the repository, movable by ROLLOUT_ENGINE_CACHE or XDG_CACHE_HOME", () => {
    expect(cacheDir("3.1.0", { ROLLOUT_ENGINE_CACHE: "/c" })).toBe("/c/pulumi-3.1.0");
    expect(cacheDir("3.1.0", { XDG_CACHE_HOME: "/x" })).toBe("/x/rollout-stack/pulumi-3.1.0");
  });

  it.each([
    [["--fast"], 'engine: unknown option "--fast"'],
    [["build"], 'engine: unexpected argument "build"'],
    [["--rebuild=yes"], "engine: --rebuild takes no value"],
  ])("npm run engine refuses %j with exit 2 and a pointer to --help", async (argv, message) => {
    const c = captureIo();
    expect(await main(argv, c.io)).toBe(2);
    expect(c.err).toEqual([message, "run `npm run engine -- --help` for usage"]);
    expect(c.out).toEqual([]);
  });

  it("npm run engine --help prints its usage on stdout and exits 0, building nothing", async () => {
    const c = captureIo();
    expect(await main(["-h"], c.io)).toBe(0);
    expect(c.err).toEqual([]);
    expect(c.out.join("\n")).toMatch(/^usage: npm run engine \[-- --rebuild\]\n/);
    expect(c.out.join("\n")).toContain("ROLLOUT_ENGINE_CACHE");
  });
});

describe("where the engine comes from", () => {
  /** A stand-in `pulumi` that prints `version` for `pulumi version`. */
  function fakePulumi(dir: string, version: string): string {
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, "pulumi");
    fs.writeFileSync(file, `#!/bin/sh\n[ "$1" = version ] && echo v${version}\n`, { mode: 0o755 });
    return file;
  }

  it("a pulumi on PATH of the lockfile's version is used as it is, with no plugins written beside it", async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "rollout-engine-"));
    try {
      const onPath = fakePulumi(path.join(tmp, "usr-bin"), lockfileSdkVersion());
      const engine = await ensureEngine({ env: { PATH: `${path.dirname(onPath)}:/usr/bin:/bin`, ROLLOUT_ENGINE_CACHE: path.join(tmp, "cache") } });
      expect(engine).toMatchObject({ pulumi: onPath, how: "path", binDir: path.dirname(onPath), version: lockfileSdkVersion() });
      expect(fs.readdirSync(path.dirname(onPath))).toEqual(["pulumi"]);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it("another version on PATH is passed over, saying so, for the cached build, which gets the plugins beside it", async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "rollout-engine-"));
    try {
      const version = lockfileSdkVersion();
      const old = fakePulumi(path.join(tmp, "usr-bin"), "3.100.0");
      const cached = fakePulumi(path.join(tmp, "cache", `pulumi-${version}`, "bin"), version);
      const lines: string[] = [];
      const engine = await ensureEngine({ progress: (l) => lines.push(l), env: { PATH: `${path.dirname(old)}:/usr/bin:/bin`, ROLLOUT_ENGINE_CACHE: path.join(tmp, "cache") } });
      expect(engine).toMatchObject({ pulumi: cached, how: "cached", binDir: path.dirname(cached) });
      expect(lines).toEqual([`${old} is pulumi 3.100.0, not ${version}: using a build of ${version}`]);
      for (const name of PLUGINS) {
        const shim = fs.readFileSync(path.join(path.dirname(cached), name), "utf8");
        expect(shim).toContain(`exec "${path.join(PLUGIN_BIN_DIR, name)}" "$@"`);
        expect(fs.statSync(path.join(PLUGIN_BIN_DIR, name)).mode & 0o111).not.toBe(0);
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
