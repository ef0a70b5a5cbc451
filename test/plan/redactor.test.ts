/** The plan's redactor reads the head stack file as the stack reads it: leniently, and only a regular file within the size limit. */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { planRedactor } from "../../infra/plan";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "plan-redactor-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A project root with `Pulumi.yaml` and `stacks/Pulumi.dev.yaml` made by `write`. */
function project(write: (stackFile: string) => void): string {
  const root = fs.mkdtempSync(path.join(tmp, "root-"));
  fs.writeFileSync(path.join(root, "Pulumi.yaml"), "name: demo\nruntime: nodejs\nstackConfigDir: stacks\n");
  fs.mkdirSync(path.join(root, "stacks"));
  write(path.join(root, "stacks", "Pulumi.dev.yaml"));
  return root;
}

describe("planRedactor", () => {
  it("redacts a plaintext secret of a head stack file that is not valid YAML", () => {
    const root = project((f) => fs.writeFileSync(f, "config:\n  chat-sessions:app.SUPABASE_SERVICE_ROLE_KEY: plain-service-role-123\n  x: [unclosed\n"));
    const redact = planRedactor({ root, stack: "dev", env: {} });
    expect(redact("key plain-service-role-123 leaked")).toBe("key [secret] leaked");
  });

  it("a head stack file that is a device (a link to /dev/zero) is not read: the redactor still covers the environment", () => {
    const root = project((f) => fs.symlinkSync("/dev/zero", f));
    // In a child with a time limit: reading the device never ends, and no test timeout interrupts a
    // synchronous read, so a regression fails here instead of hanging the suite.
    const script = `process.stdout.write(require(${JSON.stringify(path.resolve(__dirname, "../../infra/plan/index.ts"))}).planRedactor(${JSON.stringify({ root, stack: "dev", env: { VERCEL_TOKEN: "env-token-abcdef" } })})("env-token-abcdef"))`;
    const child = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", script], { cwd: path.resolve(__dirname, "../.."), encoding: "utf8", timeout: 30_000 });
    expect(child.signal, child.stderr).toBeNull();
    expect(child.stdout).toBe("[secret]");
  });

  it("a missing head stack file contributes nothing, and is not an error", () => {
    const root = project(() => undefined);
    expect(planRedactor({ root, stack: "dev", env: {} })("nothing-secret-here")).toBe("nothing-secret-here");
  });
});
