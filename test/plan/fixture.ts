/**
 * A temporary git repository holding a copy of the project (program, catalog, migrations, stack files)
 * with the real `node_modules` linked in, and the `plan` CLI run in it as a user would: a plain `node`
 * process (`-r ts-node/register/transpile-only`, as `npm run plan` runs it through ts-node).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { gitFixture, PROJECT } from "../rollout/git-fixture";

export { PROJECT };
export const CLI = path.join(PROJECT, "infra/cli/plan.ts");
export const REGISTER = path.join(PROJECT, "node_modules/ts-node/register/transpile-only");
/** What the program needs to render, besides the `stacks/` the git fixture copies; tests and tools stay out. */
const COPIED = ["Pulumi.yaml", "package.json", "tsconfig.json", "infra", "migrations"];

export interface PlanRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The `--json-file` output, parsed, when asked for. */
  json?: any;
}

export interface PlanRepo {
  dir: string;
  git(args: string[]): string;
  /** `git add -A && git commit`; returns the sha. */
  commit(message: string): string;
  read(rel: string): string;
  write(rel: string, text: string): void;
  remove(rel: string): void;
  /** Restores the working tree to `ref` (tracked and untracked files). */
  restore(ref?: string): void;
  /** Runs the CLI in the repository; `json: true` adds `--json-file` and parses it. */
  plan(args: string[], options?: { json?: boolean; env?: Record<string, string> }): PlanRun;
  /** Worktrees git knows of (the main one included). */
  worktrees(): string[];
  cleanup(): void;
}

export function planRepo(): PlanRepo {
  // The rollout tests' repository (git identity, `stacks/`), with the rest of the project added.
  const fixture = gitFixture();
  const { dir } = fixture;
  for (const item of COPIED) fs.cpSync(path.join(PROJECT, item), path.join(dir, item), { recursive: true });
  fs.symlinkSync(path.join(PROJECT, "node_modules"), path.join(dir, "node_modules"), "dir");
  fs.writeFileSync(path.join(dir, ".gitignore"), "node_modules\n");
  const git = (args: string[]) => fixture.git(args);
  const repo: PlanRepo = {
    dir,
    git,
    commit: (message) => fixture.commit(message),
    read: (rel) => fs.readFileSync(path.join(dir, rel), "utf8"),
    write(rel, text) {
      fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      fs.writeFileSync(path.join(dir, rel), text);
    },
    remove: (rel) => fs.rmSync(path.join(dir, rel), { force: true }),
    restore(ref = "HEAD") {
      git(["checkout", "-q", ref, "--", "."]);
      git(["clean", "-q", "-fd"]);
    },
    plan(args, options = {}) {
      const jsonFile = options.json ? path.join(dir, "..", `${path.basename(dir)}-plan.json`) : undefined;
      if (jsonFile) fs.rmSync(jsonFile, { force: true });
      const r = spawnSync(process.execPath, ["-r", REGISTER, CLI, ...args, ...(jsonFile ? ["--json-file", jsonFile] : [])], {
        cwd: dir,
        env: { ...process.env, TS_NODE_PROJECT: path.join(PROJECT, "tsconfig.json"), ...(options.env ?? {}) },
        encoding: "utf8",
        timeout: 240_000,
      });
      const run: PlanRun = { code: r.status, stdout: r.stdout, stderr: r.stderr };
      if (jsonFile && fs.existsSync(jsonFile)) {
        run.json = JSON.parse(fs.readFileSync(jsonFile, "utf8"));
        fs.rmSync(jsonFile, { force: true });
      }
      return run;
    },
    worktrees: () =>
      git(["worktree", "list", "--porcelain"])
        .split("\n")
        .filter((l) => l.startsWith("worktree "))
        .map((l) => l.slice("worktree ".length)),
    cleanup() {
      try {
        git(["worktree", "prune"]);
      } finally {
        fixture.remove();
      }
    },
  };
  return repo;
}
