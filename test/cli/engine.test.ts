/**
 * `npm run engine`'s pure parts: the CLI it builds is pinned to the SDK in the lockfile, and the
 * wrapper module says so in a form the check can read. (Building and running the CLI is the engine
 * tier's job: `npm run test:engine`.)
 */
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { runEngine } from "../../infra/cli/engine";
import { cacheDir, lockfileSdkVersion, WRAPPER_DIR, wrapperCliVersion } from "../../infra/engine/engine";

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

  it("npm run engine refuses an unknown argument with its usage", async () => {
    const lines: string[] = [];
    expect(await runEngine(["--fast"], (l) => lines.push(l))).toBe(2);
    expect(lines.join("\n")).toContain('unknown argument "--fast"');
    expect(lines.join("\n")).toContain("usage: npm run engine");
  });
});
