/** `.github/scripts/changed-stacks.sh`, run as CI runs it, on a scratch git repository. */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const SCRIPT = path.resolve(__dirname, "../../.github/scripts/changed-stacks.sh");
const ZEROS = "0".repeat(40);

let repo: string;
const commits: Record<string, string> = {};

const gitEnv = { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.com", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.com" };

function git(...args: string[]): string {
  return execFileSync("git", args, { cwd: repo, env: gitEnv, encoding: "utf8" }).trim();
}

function write(file: string, text: string): void {
  fs.mkdirSync(path.dirname(path.join(repo, file)), { recursive: true });
  fs.writeFileSync(path.join(repo, file), text);
}

function commit(label: string, change: () => void): void {
  change();
  git("add", "-A");
  git("commit", "-q", "-m", label);
  commits[label] = git("rev-parse", "HEAD");
}

function run(...args: string[]): { outputs: Record<string, unknown>; stderr: string; status: number | null } {
  const r = spawnSync("bash", [SCRIPT, ...args], { cwd: repo, encoding: "utf8" });
  const outputs: Record<string, unknown> = {};
  for (const line of r.stdout.split("\n").filter(Boolean)) {
    const i = line.indexOf("=");
    const value = line.slice(i + 1);
    outputs[line.slice(0, i)] = value === "true" || value === "false" ? value === "true" : JSON.parse(value);
  }
  return { outputs, stderr: r.stderr, status: r.status };
}

beforeAll(() => {
  repo = fs.mkdtempSync(path.join(os.tmpdir(), "changed-stacks-"));
  git("init", "-q", "-b", "main");
  commit("initial", () => {
    for (const s of ["local", "dev", "staging", "prod"]) write(`stacks/Pulumi.${s}.yaml`, `config: {}\n# ${s}\n`);
    write("infra/index.ts", "export {};\n");
    write("README.md", "# test\n");
  });
  commit("move-prod", () => write("stacks/Pulumi.prod.yaml", "config: {}\n# prod, a phase moved\n"));
  commit("code", () => write("infra/index.ts", "export const x = 1;\n"));
  commit("docs", () => write("README.md", "# test, reworded\n"));
  commit("odd-names", () => {
    write("stacks/Pulumi.Bad_Name.yaml", "config: {}\n");
    write("stacks/notes.md", "not a stack\n");
  });
  commit("drop-staging", () => fs.rmSync(path.join(repo, "stacks/Pulumi.staging.yaml")));
});

afterAll(() => {
  if (repo) fs.rmSync(repo, { recursive: true, force: true });
});

describe("changed-stacks.sh", () => {
  it("selects and verifies the stack whose file changed", () => {
    const { outputs, status } = run(commits.initial, commits["move-prod"]);
    expect(status).toBe(0);
    expect(outputs).toEqual({ verify: ["prod"], stacks: ["prod"], deploy: [], prod: true, bases: { prod: commits.initial } });
  });

  it("selects every stack when code that renders them changed, verifying none", () => {
    const { outputs } = run(commits["move-prod"], commits.code);
    const base = commits["move-prod"];
    expect(outputs).toEqual({
      verify: [],
      stacks: ["dev", "local", "prod", "staging"],
      deploy: ["dev", "staging"],
      prod: true,
      bases: { dev: base, local: base, prod: base, staging: base },
    });
  });

  it("selects nothing for a documentation change", () => {
    expect(run(commits.code, commits.docs).outputs).toEqual({ verify: [], stacks: [], deploy: [], prod: false, bases: {} });
  });

  it("compares each stack with its deployed/<stack> tag when asked, so missed runs are caught up", () => {
    git("tag", "deployed/dev", commits.initial);
    git("tag", "deployed/prod", commits.code);
    try {
      const { outputs } = run("--tag-prefix", "deployed/", commits.code, commits.docs);
      // dev was last deployed before the prod move and the code change; prod and the untagged stacks are current.
      expect(outputs).toEqual({ verify: [], stacks: ["dev"], deploy: ["dev"], prod: false, bases: { dev: commits.initial } });
      const prodBehind = run("--tag-prefix", "deployed/", commits.docs, commits.docs).outputs;
      expect(prodBehind).toMatchObject({ stacks: ["dev"] });
    } finally {
      git("tag", "-d", "deployed/dev", "deployed/prod");
    }
  });

  it("treats an all-zero base (a new branch) as everything to render and nothing to verify", () => {
    const { outputs } = run(ZEROS, commits.code);
    expect(outputs).toMatchObject({ verify: [], stacks: ["dev", "local", "prod", "staging"], deploy: ["dev", "staging"], prod: true });
  });

  it("ignores files that are not stack files or have names a stack cannot have, and deleted stacks", () => {
    const odd = run(commits.docs, commits["odd-names"]);
    expect(odd.outputs).toMatchObject({ verify: [], stacks: [] });
    expect(odd.stderr).toContain("ignoring stacks/Pulumi.Bad_Name.yaml");
    const dropped = run(commits.docs, commits["drop-staging"]);
    expect(dropped.outputs).toMatchObject({ verify: [], stacks: [] });
    expect(run(commits["move-prod"], commits["drop-staging"]).outputs).toMatchObject({ stacks: ["dev", "local", "prod"] });
  });

  it("fails with the fix when the base commit is not in the clone", () => {
    const { status, stderr } = run("1234567890abcdef1234567890abcdef12345678");
    expect(status).toBe(1);
    expect(stderr).toContain("base commit 1234567890abcdef1234567890abcdef12345678 (stack dev) is not in this clone; check out with fetch-depth: 0");
  });
});
