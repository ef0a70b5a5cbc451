/**
 * The base commit's whole tree, checked out beside the working tree: `git worktree add --detach` into a
 * temporary directory, with the current checkout's `node_modules` linked in (the base renders with
 * the installed packages; its own code and stack file are the commit's). Removed afterwards, on error
 * too, and on SIGINT/SIGTERM through `removeActiveWorktrees` (the CLI calls it).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { UsageError } from "../errors";
import { git, GitError, isGitRepo, resolveCommit } from "../rollout/history";

/** A `--base` that is not usable (not a repository, not a commit): a usage mistake. */
export class BaseRefError extends UsageError {
  constructor(message: string) {
    super(message);
    this.name = "BaseRefError";
  }
}

export interface BaseTree {
  /** The commit `ref` resolved to. */
  commit: string;
  /** The project root inside the worktree (the same sub-directory the working tree's root is in). */
  root: string;
}

interface Active {
  repo: string;
  dir: string;
  tmp: string;
}

const active = new Set<Active>();

function removeWorktree(w: Active): void {
  try {
    git(w.repo, ["worktree", "remove", "--force", w.dir]);
  } catch {
    // Already gone or half-made: the directory removal and the prune below finish the job.
  }
  fs.rmSync(w.tmp, { recursive: true, force: true });
  try {
    git(w.repo, ["worktree", "prune"]);
  } catch (e) {
    process.stderr.write(`plan: could not prune git worktrees in ${w.repo}: ${(e as Error).message}\n`);
  }
  active.delete(w);
}

/** Removes every worktree this process made and has not removed yet (for signal handlers). */
export function removeActiveWorktrees(): void {
  for (const w of [...active]) removeWorktree(w);
}

/** Resolves `ref` in the repository holding `root`; throws `BaseRefError` when it names no commit. */
export function resolveBase(root: string, ref: string): string {
  if (!isGitRepo(root)) throw new BaseRefError(`--base ${ref}: ${root} is not in a git repository`);
  const commit = resolveCommit(root, ref);
  if (!commit) throw new BaseRefError(`--base ${ref} does not name a commit here (a shallow clone? fetch the base, e.g. actions/checkout with fetch-depth: 0)`);
  return commit;
}

/**
 * Runs `fn` on the base commit's tree, then removes the worktree whatever happens.
 * @param root the working tree's project root (may be a sub-directory of the repository)
 */
export async function withBaseTree<T>(root: string, ref: string, fn: (tree: BaseTree) => Promise<T>): Promise<T> {
  const commit = resolveBase(root, ref);
  const repo = git(root, ["rev-parse", "--show-toplevel"]).trim();
  const prefix = git(root, ["rev-parse", "--show-prefix"]).trim();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "rollout-plan-base-"));
  const w: Active = { repo, dir: path.join(tmp, "tree"), tmp };
  active.add(w);
  try {
    try {
      git(repo, ["worktree", "add", "--detach", "--quiet", w.dir, commit]);
    } catch (e) {
      throw new GitError(`cannot check out the base ${ref} (${commit.slice(0, 12)}) as a worktree: ${(e as Error).message}`);
    }
    const baseRoot = path.join(w.dir, prefix);
    const modules = path.join(root, "node_modules");
    if (fs.existsSync(modules) && fs.existsSync(baseRoot) && !fs.existsSync(path.join(baseRoot, "node_modules"))) {
      fs.symlinkSync(fs.realpathSync(modules), path.join(baseRoot, "node_modules"), "dir");
    }
    return await fn({ commit, root: baseRoot });
  } finally {
    removeWorktree(w);
  }
}
