/**
 * Phase history from git, and the rollout trailers of commits.
 *
 * A phase began at the committer time of the first-parent commit on the main branch that set its
 * current rung in the stack file. Why this source:
 * - offline and fork-safe: the history is in every clone, and CI reads it without credentials;
 * - not fakeable by editing a YAML field (a `since:` key would be): on a protected main branch the
 *   first-parent commits are the merge (or squash) commits the forge creates at merge time, so a
 *   contributor cannot backdate them; commits inside a pull request, whose dates anyone can set, are
 *   never read (`--first-parent`);
 * - it measures what production got: a rung counts from when it landed on main, not from when someone
 *   typed it. That is why main must be protected (no force-push, no direct pushes): rewriting main's
 *   history rewrites the soak clock.
 *
 * The pure functions (`phaseStart`, `parseTrailers`, ...) take already-read data; the `git*` functions
 * run `git` (no shell) in a given directory.
 */
import { spawnSync } from "child_process";
import { readPhases } from "../stack-file";

/** git failed (not a repository, unknown ref): the message says which command and why. */
export class GitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GitError";
  }
}

/** Runs git in `cwd` and returns stdout; throws `GitError` with git's message on failure. */
export function git(cwd: string, args: string[], input?: string, env?: NodeJS.ProcessEnv): string {
  const r = spawnSync("git", args, { cwd, input, env, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw new GitError(`git ${args[0]}: ${r.error.message}`);
  if (r.status !== 0) throw new GitError(`git ${args.join(" ")}: ${r.stderr.trim() || `exit ${r.status}`}`);
  return r.stdout;
}

/** The commit a ref names, or undefined when it does not resolve. */
export function resolveCommit(cwd: string, ref: string): string | undefined {
  const r = spawnSync("git", ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`], { cwd, encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** True when `cwd` is inside a git work tree. */
export function isGitRepo(cwd: string): boolean {
  const r = spawnSync("git", ["rev-parse", "--is-inside-work-tree"], { cwd, encoding: "utf8" });
  return r.status === 0 && r.stdout.trim() === "true";
}

/** A path relative to `cwd`, as a path from the repository's top level (what `<rev>:<path>` needs). */
export function repoPath(cwd: string, relative: string): string {
  return git(cwd, ["rev-parse", "--show-prefix"]).trim() + relative.replace(/^\.\//, "");
}

/** One version of a file on a first-parent history. */
export interface FileVersion {
  sha: string;
  /** Committer time. */
  committedAt: Date;
  /** The file's text at that commit; undefined when the commit deleted it. */
  text?: string;
}

/**
 * The versions of `file` (relative to `cwd`) on the first-parent history of `ref`, newest first: one per
 * commit that changed it against its first parent.
 */
export function firstParentVersions(cwd: string, ref: string, file: string): FileVersion[] {
  const path = repoPath(cwd, file);
  const log = git(cwd, ["log", "--first-parent", "--format=%H %ct", ref, "--", path]).trim();
  if (!log) return [];
  const commits = log.split("\n").map((line) => {
    const [sha, ct] = line.split(" ");
    return { sha, committedAt: new Date(Number(ct) * 1000) };
  });
  const texts = readBlobs(cwd, commits.map((c) => `${c.sha}:${path}`));
  return commits.map((c, i) => ({ ...c, text: texts[i] }));
}

/** Reads many `<rev>:<path>` objects with one `git cat-file --batch`; undefined where missing. */
function readBlobs(cwd: string, specs: string[]): (string | undefined)[] {
  const r = spawnSync("git", ["cat-file", "--batch"], { cwd, input: specs.join("\n") + "\n", maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new GitError(`git cat-file --batch: ${r.stderr.toString().trim()}`);
  const out = r.stdout;
  const texts: (string | undefined)[] = [];
  let pos = 0;
  for (let i = 0; i < specs.length; i++) {
    const eol = out.indexOf(0x0a, pos);
    const header = out.subarray(pos, eol).toString("utf8");
    pos = eol + 1;
    if (header.endsWith(" missing") || header.endsWith(" ambiguous")) {
      texts.push(undefined);
      continue;
    }
    const size = Number(header.split(" ")[2]);
    texts.push(out.subarray(pos, pos + size).toString("utf8"));
    pos += size + 1;
  }
  return texts;
}

/** A file's text at a commit, or undefined when it does not exist there. */
export function fileAt(cwd: string, ref: string, file: string): string | undefined {
  return readBlobs(cwd, [`${ref}:${repoPath(cwd, file)}`])[0];
}

/** When the current rung of a feature began: the oldest commit of the newest unbroken run at that rung. */
export interface PhaseStart {
  /** Undefined when the newest version on main does not hold this rung (not merged or uncommitted). */
  since?: Date;
  sha?: string;
}

/**
 * Pure: finds when `key` reached `rung`, from first-parent versions (newest first). Versions whose YAML
 * does not parse end the run (the rung cannot be shown to have held through them).
 */
export function phaseStart(versions: readonly FileVersion[], key: string, rung: string): PhaseStart {
  let start: FileVersion | undefined;
  for (const v of versions) {
    let at: string | undefined;
    try {
      at = v.text === undefined ? undefined : readPhases(v.text)[key];
    } catch {
      at = undefined; // an unparsable version breaks the run: fail-closed
    }
    if (at !== rung) break;
    start = v;
  }
  return start ? { since: start.committedAt, sha: start.sha } : {};
}

/** A commit's full message. */
export interface CommitMessage {
  sha: string;
  message: string;
}

/** Messages of the commits in `base..head` (every commit, merged branches included), newest first. */
export function commitMessages(cwd: string, base: string, head: string): CommitMessage[] {
  const out = git(cwd, ["log", "--format=%H%x1f%B%x1e", `${base}..${head}`]);
  return out
    .split("\x1e")
    .map((chunk) => chunk.replace(/^\n/, ""))
    .filter((chunk) => chunk.includes("\x1f"))
    .map((chunk) => {
      const [sha, message] = chunk.split("\x1f");
      return { sha, message };
    });
}

/** `Rollout-Ack: <app>/<feature> <gate>: <reason>`: a person vouches for an attest gate. */
export interface Ack {
  key: string;
  gate: string;
  reason: string;
  sha?: string;
}

/** `Rollout-Force: <app>/<feature> <from> -> <to>: <reason>`: a move the rules refuse, forced. */
export interface Force {
  key: string;
  from: string;
  to: string;
  reason: string;
  sha?: string;
}

export const ACK_TRAILER = "Rollout-Ack";
export const FORCE_TRAILER = "Rollout-Force";

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

export function ackTrailer(ack: Omit<Ack, "sha">): string {
  return `${ACK_TRAILER}: ${ack.key} ${ack.gate}: ${oneLine(ack.reason)}`;
}

export function forceTrailer(force: Omit<Force, "sha">): string {
  return `${FORCE_TRAILER}: ${force.key} ${force.from} -> ${force.to}: ${oneLine(force.reason)}`;
}

const ACK_LINE = /^Rollout-Ack:[ \t]*(\S+)[ \t]+([a-z0-9][a-z0-9-]*):[ \t]*(\S.*)$/gim;
const FORCE_LINE = /^Rollout-Force:[ \t]*(\S+)[ \t]+(\S+)[ \t]*->[ \t]*(\S+?):[ \t]*(\S.*)$/gim;

/**
 * Pure: the rollout trailers in a commit message. Lines are matched anywhere in the message, not only
 * in the final trailer block, so a squash merge that concatenates the pull request's messages keeps them.
 */
export function parseTrailers(message: string, sha?: string): { acks: Ack[]; forces: Force[] } {
  const acks = [...message.matchAll(ACK_LINE)].map((m) => ({ key: m[1], gate: m[2], reason: m[3].trim(), sha }));
  const forces = [...message.matchAll(FORCE_LINE)].map((m) => ({ key: m[1], from: m[2], to: m[3], reason: m[4].trim(), sha }));
  return { acks, forces };
}
