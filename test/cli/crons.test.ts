/** `npm run crons` as a user runs it, on temporary app repositories' vercel.json files. */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { main, strictestPlan } from "../../infra/cli/crons";
import { captureIo } from "../support/io";

const ROOT = path.resolve(__dirname, "../..");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "crons-cli-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Runs `npm run crons -- ...` from an app repository directory, as a developer would. */
function npmRun(cwd: string, ...args: string[]) {
  const r = spawnSync("npm", ["--prefix", ROOT, "run", "--silent", "crons", "--", ...args], { cwd, encoding: "utf8", timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.replace(/^npm warn .*\n/gm, "") };
}

const ORIGINAL = `{
  "$schema": "https://openapi.vercel.sh/vercel.json",
  "framework": "nextjs",
  "crons": [{ "path": "/api/old", "schedule": "0 3 * * *" }],
  "headers": [{ "source": "/(.*)", "headers": [{ "key": "X-Frame-Options", "value": "DENY" }] }]
}
`;

describe("npm run crons (as a user runs it)", () => {
  const repo = path.join(tmp, "chat-app");
  fs.mkdirSync(repo);
  const file = path.join(repo, "vercel.json");
  fs.writeFileSync(file, ORIGINAL);

  it("--check fails with a diff when the file's crons differ", () => {
    const r = npmRun(repo, "--app", "chat-sessions", "--check", "vercel.json");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("vercel.json: crons differ from the declaration of chat-sessions (- file, + declared); run `npm run crons -- --app chat-sessions --write vercel.json`");
    expect(r.stderr).toContain('- {"path":"/api/old","schedule":"0 3 * * *"}');
    expect(r.stderr).toContain('+ {"path":"/api/admin/cleanup-sessions","schedule":"0 2 * * *"}');
    expect(fs.readFileSync(file, "utf8")).toBe(ORIGINAL);
  });

  it("--write puts the declared block in, keeping every other key as it was; then --check passes", () => {
    const w = npmRun(repo, "--app", "chat-sessions", "--write", "vercel.json");
    expect(w.code).toBe(0);
    expect(w.stdout).toContain("vercel.json: wrote 1 cron job for chat-sessions (hobby plan: dev)");
    const text = fs.readFileSync(file, "utf8");
    const doc = JSON.parse(text);
    const before = JSON.parse(ORIGINAL);
    expect(Object.keys(doc)).toEqual(Object.keys(before));
    expect(doc.crons).toEqual([{ path: "/api/admin/cleanup-sessions", schedule: "0 2 * * *" }]);
    // The other members' text is untouched.
    expect(text).toContain('  "headers": [{ "source": "/(.*)", "headers": [{ "key": "X-Frame-Options", "value": "DENY" }] }]\n}\n');
    expect(text.startsWith('{\n  "$schema": "https://openapi.vercel.sh/vercel.json",\n  "framework": "nextjs",\n  "crons": [\n')).toBe(true);

    const c = npmRun(repo, "--app", "chat-sessions", "--check", "vercel.json");
    expect(c.code).toBe(0);
    expect(c.stdout).toContain("vercel.json: crons match chat-sessions (1 job)");
  });

  it("exits 2 on a usage error, listing the apps", () => {
    const r = npmRun(repo, "--app", "chat-session", "--check", "vercel.json");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('crons: unknown app "chat-session"');
    expect(r.stderr).toContain("apps: chat-sessions, analy-ticket");
    expect(r.stderr).toContain("run `npm run crons -- --help` for usage");
  });

  it("--help prints the usage on stdout and exits 0", () => {
    const r = npmRun(repo, "--help");
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^usage: npm run crons -- --app <app> \(--write <vercel.json> \| --check <vercel.json>\)/);
  });
});

describe("crons main()", () => {
  const io = (cwd: string) => captureIo({ cwd });

  it("checks a missing file as out of date, and --write creates it", async () => {
    const dir = fs.mkdtempSync(path.join(tmp, "new-"));
    const a = io(dir);
    expect(await main(["--app", "chat-sessions", "--check", "vercel.json"], a.io, { root: ROOT })).toBe(1);
    expect(a.err[0]).toBe("vercel.json: missing; run `npm run crons -- --app chat-sessions --write vercel.json`");
    expect(await main(["--app", "chat-sessions", "--write", "vercel.json"], io(dir).io, { root: ROOT })).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(dir, "vercel.json"), "utf8"))).toEqual({ crons: [{ path: "/api/admin/cleanup-sessions", schedule: "0 2 * * *" }] });
    const again = io(dir);
    expect(await main(["--app", "chat-sessions", "--write", "vercel.json"], again.io, { root: ROOT })).toBe(0);
    expect(again.out[0]).toMatch(/already up to date/);
  });

  it("removes a stale crons block from an app that declares none", async () => {
    const dir = fs.mkdtempSync(path.join(tmp, "none-"));
    fs.writeFileSync(path.join(dir, "vercel.json"), '{\n  "crons": [{"path": "/x", "schedule": "0 1 * * *"}],\n  "cleanUrls": true\n}\n');
    const c = io(dir);
    expect(await main(["--app", "analy-ticket", "--check", "vercel.json"], c.io, { root: ROOT })).toBe(1);
    expect(c.err).toContain('- {"path":"/x","schedule":"0 1 * * *"}');
    expect(await main(["--app", "analy-ticket", "--write", "vercel.json"], io(dir).io, { root: ROOT })).toBe(0);
    expect(fs.readFileSync(path.join(dir, "vercel.json"), "utf8")).toBe('{\n  "cleanUrls": true\n}\n');
  });

  it("exits 1 on a file that is not JSON, naming it", async () => {
    const dir = fs.mkdtempSync(path.join(tmp, "bad-"));
    fs.writeFileSync(path.join(dir, "vercel.json"), "{ not json");
    const c = io(dir);
    expect(await main(["--app", "chat-sessions", "--write", "vercel.json"], c.io, { root: ROOT })).toBe(1);
    expect(c.err[0]).toMatch(/^crons: vercel.json is not valid JSON/);
    expect(fs.readFileSync(path.join(dir, "vercel.json"), "utf8")).toBe("{ not json");
  });

  it.each([
    [["--check", "x.json"], "--app is required"],
    [["--app", "chat-sessions"], "give --write PATH or --check PATH"],
    [["--app", "chat-sessions", "--write", "a", "--check", "b"], "give one of --write or --check"],
    [["--app", "chat-sessions", "--check", "x", "--plan", "free"], "--plan free: expected hobby, pro or enterprise"],
    [["--app"], "--app needs a value"],
    [["--app", "chat-sessions", "--write"], "--write needs a value"],
    [["--bogus"], 'unknown option "--bogus"'],
    [["--app", "chat-sessions", "vercel.json"], 'unexpected argument "vercel.json"'],
  ])("exits 2 for %j, with a pointer to --help", async (argv, message) => {
    const c = io(tmp);
    expect(await main(argv, c.io)).toBe(2);
    expect(c.err).toEqual([`crons: ${message}`, "run `npm run crons -- --help` for usage"]);
    expect(c.out).toEqual([]);
  });

  it("exits 1 with the ConfigError when a stack file it reads for the plan is invalid", async () => {
    const root = fs.mkdtempSync(path.join(tmp, "root-"));
    fs.mkdirSync(path.join(root, "stacks"));
    const dev = fs.readFileSync(path.join(ROOT, "stacks/Pulumi.dev.yaml"), "utf8");
    fs.writeFileSync(path.join(root, "stacks/Pulumi.dev.yaml"), dev.replace('chat-sessions/early-session-creation: "100"', 'chat-sessions/early-session-creation: "5O"'));
    const c = io(root);
    expect(await main(["--app", "chat-sessions", "--check", "vercel.json"], c.io, { root })).toBe(1);
    expect(c.err).toEqual([expect.stringMatching(/^crons: stack "dev" has 1 config problem:\n {2}rollout-stack:phases\.chat-sessions\/early-session-creation: "5O" is not a phase/)]);
  });

  it("validates for the strictest plan of the stacks that manage the app", () => {
    expect(strictestPlan("chat-sessions", ROOT)).toEqual({ plan: "hobby", stacks: ["dev"] });
    expect(strictestPlan("not-managed", ROOT)).toEqual({ plan: "pro", stacks: [] });
  });
});
