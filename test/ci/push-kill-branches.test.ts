/**
 * `.github/scripts/push-kill-branches.sh`, run as the watch workflow runs it: on a scratch clone with a
 * bare `origin`, and a fake `gh` that remembers the pull requests it opened.
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const SCRIPT = path.resolve(__dirname, "../../.github/scripts/push-kill-branches.sh");
const env = { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.com", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.com" };

let tmp: string;
let work: string;
let origin: string;
let bin: string;

const git = (cwd: string, ...args: string[]) => execFileSync("git", args, { cwd, env, encoding: "utf8" }).trim();

/** A fake `gh`: `pr list` prints how many PRs are open for --head; `pr create` records one. */
const FAKE_GH = `#!/usr/bin/env bash
state="$(dirname "$0")/prs"
touch "$state"
{ printf '%s' "$*" | tr '\n' ' '; echo; } >> "$(dirname "$0")/calls"
head=""; prev=""
for a in "$@"; do [[ "$prev" == "--head" ]] && head="$a"; prev="$a"; done
if [[ "$1 $2" == "pr list" ]]; then grep -cxF "$head" "$state" || true; exit 0; fi
if [[ "$1 $2" == "pr create" ]]; then echo "$head" >> "$state"; echo "https://github.com/acme/infra/pull/1"; exit 0; fi
exit 1
`;

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "kill-branches-"));
  origin = path.join(tmp, "origin.git");
  work = path.join(tmp, "work");
  bin = path.join(tmp, "bin");
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, "gh"), FAKE_GH, { mode: 0o755 });
  git(tmp, "init", "-q", "--bare", "-b", "main", origin);
  git(tmp, "clone", "-q", origin, work);
  fs.writeFileSync(path.join(work, "a.txt"), "main\n");
  git(work, "add", "-A");
  git(work, "commit", "-q", "-m", "main");
  git(work, "push", "-q", "origin", "HEAD:main");
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

function killBranch(name: string): string {
  const tree = git(work, "rev-parse", "HEAD^{tree}");
  const commit = git(work, "commit-tree", tree, "-p", "HEAD", "-m", `kill on ${name}`);
  git(work, "update-ref", `refs/heads/${name}`, commit);
  return commit;
}

function report(features: unknown[]): string {
  const file = path.join(tmp, "watch.json");
  fs.writeFileSync(file, JSON.stringify({ stack: "prod", now: "2026-11-29T10:00:00.000Z", features, tripped: features.length }));
  return file;
}

function run(file: string): { status: number | null; out: string } {
  const r = spawnSync("bash", [SCRIPT, file], { cwd: work, env: { ...env, PATH: `${bin}:${process.env.PATH}` }, encoding: "utf8" });
  return { status: r.status, out: r.stdout + r.stderr };
}

const calls = () => (fs.existsSync(path.join(bin, "calls")) ? fs.readFileSync(path.join(bin, "calls"), "utf8").trim().split("\n") : []);

describe("push-kill-branches.sh", () => {
  it("pushes a new kill branch and opens one pull request naming the trip; a rerun opens none", () => {
    const name = "rollout-kill/prod/metadata-context/enhanced-context";
    const commit = killBranch(name);
    const file = report([
      {
        key: "metadata-context/enhanced-context",
        branch: { name, commit, status: "created" },
        tripped: { trigger: "error-share-15m", value: 7.5, op: ">", threshold: 5 },
        kill: { delivery: "edge-config" },
      },
    ]);
    const first = run(file);
    expect(first.status, first.out).toBe(0);
    expect(git(work, "ls-remote", "origin", `refs/heads/${name}`).split("\t")[0]).toBe(commit);
    const creates = calls().filter((c) => c.startsWith("pr create"));
    expect(creates).toHaveLength(1);
    expect(creates[0]).toContain("--title rollout(prod): kill metadata-context/enhanced-context (error-share-15m: 7.5 > 5)");
    expect(creates[0]).toContain("switched off in Edge Config at once");

    const again = run(report([{ key: "metadata-context/enhanced-context", branch: { name, commit, status: "unchanged" }, tripped: { trigger: "error-share-15m", value: 8, op: ">", threshold: 5 }, kill: { delivery: "edge-config" } }]));
    expect(again.status, again.out).toBe(0);
    expect(again.out).toContain(`unchanged ${name}`);
    expect(again.out).toContain(`pull request already open for ${name}`);
    expect(calls().filter((c) => c.startsWith("pr create"))).toHaveLength(1);
  });

  it("moves a stale branch (force) and says an env kill waits for merge and deploy", () => {
    const name = "rollout-kill/prod/analy-ticket/state";
    killBranch(name);
    git(work, "push", "-q", "origin", `refs/heads/${name}:refs/heads/${name}`);
    fs.writeFileSync(path.join(work, "a.txt"), "main 2\n");
    git(work, "commit", "-q", "-am", "main moved");
    const moved = killBranch(name);
    const r = run(report([{ key: "analy-ticket/state", branch: { name, commit: moved, status: "updated" }, tripped: { trigger: "data-loss", value: 1, op: ">", threshold: 0 }, kill: { delivery: "env" } }]));
    expect(r.status, r.out).toBe(0);
    expect(git(work, "ls-remote", "origin", `refs/heads/${name}`).split("\t")[0]).toBe(moved);
    expect(calls().find((c) => c.startsWith("pr create"))).toContain("delivered by env vars only: the kill takes effect when this is merged and deployed");
  });

  it("does nothing without kill branches", () => {
    const r = run(report([{ key: "x/y", triggers: [] }]));
    expect(r).toEqual({ status: 0, out: "no kill branches\n" });
    expect(calls()).toEqual([]);
  });
});
