/**
 * A temporary git repository holding copies of `stacks/`, for history and CLI tests. Time passes through
 * GIT_COMMITTER_DATE: a commit dated 8 days ago makes a rung look 8 days old, as a merge on main would.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const PROJECT = path.resolve(__dirname, "../..");
const HOUR = 3_600_000;

export interface GitFixture {
  dir: string;
  /** Runs git; throws with stderr on failure; returns stdout. */
  git(args: string[], opts?: { hoursAgo?: number; input?: string }): string;
  /** `git commit -a` with a message, dated `hoursAgo` hours back. Returns the sha. */
  commit(message: string, hoursAgo?: number): string;
  read(rel: string): string;
  write(rel: string, text: string): void;
  /** Replaces one line `    key: ...` in a stack file by hand (as a person would). */
  handEdit(stack: string, key: string, rendered: string): void;
  remove(): void;
}

export function gitFixture(): GitFixture {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rollout-git-"));
  fs.cpSync(path.join(PROJECT, "stacks"), path.join(dir, "stacks"), { recursive: true });
  const env = (hoursAgo = 0) => {
    const date = new Date(Date.now() - hoursAgo * HOUR).toISOString();
    return {
      ...process.env,
      GIT_AUTHOR_NAME: "Rollout Test",
      GIT_AUTHOR_EMAIL: "rollout@example.com",
      GIT_COMMITTER_NAME: "Rollout Test",
      GIT_COMMITTER_EMAIL: "rollout@example.com",
      GIT_AUTHOR_DATE: date,
      GIT_COMMITTER_DATE: date,
    };
  };
  const git = (args: string[], opts: { hoursAgo?: number; input?: string } = {}) => {
    const r = spawnSync("git", args, { cwd: dir, env: env(opts.hoursAgo), input: opts.input, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
    return r.stdout;
  };
  git(["init", "-q", "-b", "main"]);
  git(["config", "commit.gpgsign", "false"]);
  const fixture: GitFixture = {
    dir,
    git,
    commit(message, hoursAgo = 0) {
      git(["add", "-A"], { hoursAgo });
      git(["commit", "-q", "-m", message], { hoursAgo });
      return git(["rev-parse", "HEAD"]).trim();
    },
    read: (rel) => fs.readFileSync(path.join(dir, rel), "utf8"),
    write: (rel, text) => fs.writeFileSync(path.join(dir, rel), text),
    handEdit(stack, key, rendered) {
      const rel = `stacks/Pulumi.${stack}.yaml`;
      const text = fixture.read(rel);
      const line = new RegExp(`^(    ${key.replace(/[/.-]/g, "\\$&")}: ).*$`, "m");
      if (!line.test(text)) throw new Error(`no line for ${key} in ${rel}`);
      fixture.write(rel, text.replace(line, `$1${rendered}`));
    },
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
  return fixture;
}
