/**
 * `rollout watch`: automatic rollback. Every feature standing above its first rung on a rung that
 * declares kill triggers has them evaluated on its app's database; on the first trigger that trips, the
 * feature is killed (to its first rung) in the two ways a kill travels:
 *
 * - **now**, for a live feature: the caller's `kill` writes the first rung's share to the stack's Edge
 *   Config item (this module knows no Vercel: the write is injected), so the kill takes seconds;
 * - **by the stack file**, for every feature: a commit that sets the feature to its first rung, on the
 *   branch `rollout-kill/<stack>/<app>/<feature>`, made on top of the main ref with git plumbing and a
 *   temporary index, so the working tree, the index and the checked-out branch are never touched (the
 *   watcher runs in a checkout of main that other steps may be using). The workflow pushes the branch
 *   and opens the pull request; for a feature that is not live this is the only way the kill reaches
 *   production (env vars: after merge and deploy).
 *
 * Why a trigger never trips on missing data or on an error: a watcher that kills on a broken query or an
 * empty window would roll features back on every outage of the database or of traffic. Both are reported
 * (status `no-data` / `error`) so the alert that prints the report can say the watch is blind.
 *
 * The comparison rule lives in one place: a trigger is judged as an `sql` gate with the same query, op
 * and threshold (`judgeSqlGate`), and the gate's "pass" (`value <op> threshold` holds) is the trigger's
 * "trip". The queries run as gates do (`runSqlGates`): one connection, each query in a read-only
 * transaction with a statement timeout, rolled back.
 *
 * Idempotent: a second run with the same data calls `kill` again (the Edge Config write is a no-op when
 * the item already holds the kill) and leaves a kill branch that already holds the kill as it is. A kill
 * branch left over from an older kill (one that does not hold the kill, or one already merged into main
 * before the feature was re-enabled) is pointed at the new kill commit; the workflow force-pushes it.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { AppDecl, FeatureDecl, KillTriggerDecl, PrometheusCheckDecl, SqlCheckDecl } from "../apps/types";
import type { KillRecord } from "../sdk/live";
import { readPhases, setPhase } from "../stack-file";
import { loadStack, mainRefFor, prometheusInputs, UsageError, type Workspace } from "./commands";
import { databaseUrlEnvName, databaseUrlFor, GATES_DATABASE_URL_PREFIX, runPrometheusCheck, runSqlGates, type SqlGate, type SqlGateOptions } from "./gates";
import { PROMETHEUS_ENV } from "./prometheus";
import { fileAt, git, GitError, repoPath, resolveCommit } from "./history";
import { shareOf } from "./live";
import { judgeSqlGate, type GateResult } from "./moves";

// ---------------------------------------------------------------------------------------------------
// Triggers

/**
 * A kill trigger's result.
 * - `trip`: `value <op> threshold` holds: kill;
 * - `ok`: it does not;
 * - `no-data`: the query returned NULL or no row (too little data to judge): never a trip;
 * - `error`: the query (or the connection) failed: never a trip, reported so the watch is not blind silently.
 */
export interface TriggerResult {
  trigger: string;
  status: "trip" | "ok" | "no-data" | "error";
  /** The query's value; `null` for no data and errors. */
  value: number | null;
  /** One line for people: the comparison, or why there is no value. */
  detail: string;
}

/**
 * The `sql` gate a trigger is judged as: same name, query, op and threshold. A gate passes when
 * `value <op> threshold` holds, which is exactly when the trigger trips, for every op; so the comparison
 * (and its NULL and non-number rules) is written once, in `judgeSqlGate`.
 */
export function triggerGate(trigger: SqlCheckDecl): SqlGate {
  return { kind: "sql", name: trigger.name, query: trigger.query, op: trigger.op, threshold: trigger.threshold, description: trigger.description };
}

/**
 * Translates the result of a trigger's gate (see `triggerGate`): pass → trip, fail → ok, hold → no-data,
 * error (and anything else a runner might return) → error. Never a trip without a number.
 */
export function triggerResultOf(trigger: KillTriggerDecl, gate: GateResult): TriggerResult {
  const value = typeof gate.value === "number" ? gate.value : null;
  const comparison = `${value} ${trigger.op} ${trigger.threshold}`;
  switch (gate.status) {
    case "pass":
      if (value === null) break;
      return { trigger: trigger.name, status: "trip", value, detail: `${comparison}: trips; ${trigger.description}` };
    case "fail":
      if (value === null) break;
      return { trigger: trigger.name, status: "ok", value, detail: `${comparison} is false: no trip; ${trigger.description}` };
    case "hold":
      return { trigger: trigger.name, status: "no-data", value: null, detail: gate.detail.replace(": hold;", ": never a trip;") };
    case "error":
      return { trigger: trigger.name, status: "error", value: null, detail: gate.detail };
    default:
      break;
  }
  return { trigger: trigger.name, status: "error", value: null, detail: `not evaluated (${gate.status}): ${gate.detail}` };
}

/** A Prometheus trigger's result: the comparison holds → trip; does not → ok; no verdict (no single fresh sample) → no-data, never a trip. */
export function prometheusTriggerResult(trigger: PrometheusCheckDecl, r: { holds: boolean | null; value: number | null; reason: string }): TriggerResult {
  if (r.holds === null || r.value === null) return { trigger: trigger.name, status: "no-data", value: null, detail: `${r.reason}: never a trip; ${trigger.description}` };
  return r.holds
    ? { trigger: trigger.name, status: "trip", value: r.value, detail: `${r.reason}: trips; ${trigger.description}` }
    : { trigger: trigger.name, status: "ok", value: r.value, detail: `${r.reason}: no trip; ${trigger.description}` };
}

/** Judges a trigger's value without a database (the rule `evaluateTriggers` applies to what a query returns). */
export function judgeTrigger(trigger: SqlCheckDecl, value: number | null | undefined): TriggerResult {
  return triggerResultOf(trigger, judgeSqlGate(triggerGate(trigger), value));
}

/** Options of `evaluateTriggers`. */
export interface TriggerOptions extends SqlGateOptions {
  /** Runs the queries (injectable for tests, e.g. `Workspace.runSql`); `timeoutMs` is then the runner's business. @default runSqlGates */
  run?: (url: string, gates: readonly SqlGate[]) => Promise<GateResult[]>;
}

/**
 * Evaluates kill triggers on one database, in declaration order, over one connection: each query
 * read-only with a statement timeout, rolled back (`runSqlGates`). NULL or no row is `no-data`, a failed
 * query or connection is `error`; neither trips. The URL never appears in the results.
 */
export async function evaluateTriggers(databaseUrl: string, triggers: readonly SqlCheckDecl[], options: TriggerOptions = {}): Promise<TriggerResult[]> {
  if (triggers.length === 0) return [];
  const gates = triggers.map(triggerGate);
  const results = options.run ? await options.run(databaseUrl, gates) : await runSqlGates(databaseUrl, gates, { timeoutMs: options.timeoutMs });
  // By position, not by name: two features may declare triggers of the same name.
  return triggers.map((t, i) =>
    results[i] ? triggerResultOf(t, results[i]) : { trigger: t.name, status: "error", value: null, detail: "the runner returned no result for this trigger" },
  );
}

// ---------------------------------------------------------------------------------------------------
// The kill branch

/** The trailer a watch kill commit carries: `Rollout-Kill: <app>/<feature> <trigger>: <value> <op> <threshold>`. */
export const KILL_TRAILER = "Rollout-Kill";

/** Prefix of the kill branches; one branch per stack and feature, so a repeated trip reuses it. */
export const KILL_BRANCH_PREFIX = "rollout-kill";

/** `prod`, `metadata-context/enhanced-context` → `rollout-kill/prod/metadata-context/enhanced-context`: one per feature, found again by the next run. */
export function killBranchName(stack: string, key: string): string {
  return `${KILL_BRANCH_PREFIX}/${stack}/${key}`;
}

/** What tripped, as the commit, the kill record and the report write it. */
export interface Trip {
  trigger: string;
  value: number;
  op: KillTriggerDecl["op"];
  threshold: number;
}

/** `error-share-15m: 5.01 > 5`: the kill record's `trigger` and the trailer's tail. */
export function tripText(trip: Trip): string {
  return `${trip.trigger}: ${trip.value} ${trip.op} ${trip.threshold}`;
}

/** `rollout watch: error-share-15m 5.01 > 5`: the kill's reason, in the record and the commit body. */
export function tripReason(trip: Trip): string {
  return `rollout watch: ${trip.trigger} ${trip.value} ${trip.op} ${trip.threshold}`;
}

/**
 * The kill commit's message: the subject `performMove` writes for a kill, the reason, and the
 * `Rollout-Kill` trailer (so the pull request and the history say which trigger killed the feature).
 */
export function killCommitMessage(stack: string, key: string, from: string, to: string, trip: Trip): string {
  return [`rollout(${stack}): ${key} ${from} → ${to} (kill)`, "", tripReason(trip), "", `${KILL_TRAILER}: ${key} ${tripText(trip)}`].join("\n");
}

/** The kill branch as written: `created`, moved from a stale kill (`updated`, force-push it), or already holding the kill (`unchanged`). */
export interface KillBranch {
  name: string;
  commit: string;
  status: "created" | "updated" | "unchanged";
}

/** What `writeKillBranch` needs. */
export interface KillBranchRequest {
  stack: string;
  /** `<app>/<feature>` */
  key: string;
  /** The stack file, relative to `root`. */
  rel: string;
  /** The commit the kill goes on top of (main). */
  mainRef: string;
  /** The feature's first rung (the kill target). */
  to: string;
  /** The rung killed from, when main's stack file does not say (it normally does, and wins). */
  from: string;
  trip: Trip;
}

/**
 * Writes the kill commit on `killBranchName(stack, key)` without touching the working tree, the index
 * or HEAD: main's stack file with the feature set to its first rung (`setPhase`, every other byte kept),
 * committed on top of `mainRef` through a temporary index (`read-tree`, `hash-object`, `update-index`,
 * `write-tree`, `commit-tree`, `update-ref`). The branch is `unchanged` when its tip already holds the
 * kill and main has not moved the feature's rung since the branch forked from it; `updated` when it
 * exists but is stale; else `created`. Returns undefined when main already has the feature at its first
 * rung (nothing to kill by file). Throws `GitError` when git fails, `StackFileError` when main's stack
 * file cannot be read; the branch is then as it was (`update-ref` is the last step).
 */
export function writeKillBranch(root: string, req: KillBranchRequest): KillBranch | undefined {
  const name = killBranchName(req.stack, req.key);
  const ref = `refs/heads/${name}`;
  git(root, ["check-ref-format", ref]);
  const main = resolveCommit(root, req.mainRef);
  if (!main) throw new GitError(`${req.mainRef} does not name a commit`);
  const mainText = fileAt(root, main, req.rel);
  if (mainText === undefined) throw new GitError(`${req.rel} does not exist at ${req.mainRef}`);
  const mainPhase = readPhases(mainText, `${req.rel}@${req.mainRef}`)[req.key];
  if (mainPhase === req.to) return undefined;

  const existing = resolveCommit(root, ref);
  if (existing && phaseAt(root, existing, req.rel, req.key) === req.to) {
    // The tip holds the kill. It is still this kill only if main has not moved the feature's line since
    // the branch forked: an older kill that was merged and then re-enabled on main has a merge base at
    // another rung (merging it again would change nothing), so it is stale and replaced.
    const base = spawnSync("git", ["merge-base", existing, main], { cwd: root, encoding: "utf8" });
    if (base.status === 0 && phaseAt(root, base.stdout.trim(), req.rel, req.key) === mainPhase) {
      return { name, commit: existing, status: "unchanged" };
    }
  }
  const head = spawnSync("git", ["symbolic-ref", "-q", "HEAD"], { cwd: root, encoding: "utf8" });
  if (head.status === 0 && head.stdout.trim() === ref) {
    throw new GitError(`${name} is the checked-out branch here; run the watch on a checkout of main`);
  }

  const file = repoPath(root, req.rel);
  const top = git(root, ["rev-parse", "--show-toplevel"]).trim();
  const text = setPhase(mainText, req.key, req.to, `${req.rel}@${req.mainRef}`);
  const message = killCommitMessage(req.stack, req.key, mainPhase ?? req.from, req.to, req.trip);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "rollout-kill-"));
  try {
    const env = gitEnv(top, { ...process.env, GIT_INDEX_FILE: path.join(tmp, "index") });
    const run = (args: string[], input?: string) => git(top, args, input, env).trim();
    run(["read-tree", main]);
    const blob = run(["hash-object", "-w", "--stdin"], text);
    const mode = /^(\d{6}) /.exec(run(["ls-tree", main, "--", file]))?.[1] ?? "100644";
    run(["update-index", "--cacheinfo", `${mode},${blob},${file}`]);
    const tree = run(["write-tree"]);
    const commit = run(["commit-tree", tree, "-p", main, "-F", "-"], message + "\n");
    // The old value guards against a concurrent writer: "" = the branch must not exist yet.
    run(["update-ref", "-m", `rollout watch: kill ${req.key}`, ref, commit, existing ?? ""]);
    return { name, commit, status: existing ? "updated" : "created" };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** A feature's rung in the stack file at a commit; undefined when the file or the line is missing or unreadable. */
function phaseAt(root: string, rev: string, rel: string, key: string): string | undefined {
  const text = fileAt(root, rev, rel);
  try {
    return text === undefined ? undefined : readPhases(text)[key];
  } catch {
    return undefined; // an unreadable version holds no kill: fail towards writing the branch again
  }
}

/** The environment for commit-tree: git's own identity when configured, else "rollout watch" (a CI runner often has none). */
function gitEnv(cwd: string, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const ident = spawnSync("git", ["var", "GIT_COMMITTER_IDENT"], { cwd, env, encoding: "utf8" });
  const author = spawnSync("git", ["var", "GIT_AUTHOR_IDENT"], { cwd, env, encoding: "utf8" });
  if (ident.status === 0 && author.status === 0) return env;
  const fallback = { name: "rollout watch", email: "rollout-watch@localhost" };
  return {
    ...env,
    GIT_AUTHOR_NAME: env.GIT_AUTHOR_NAME || fallback.name,
    GIT_AUTHOR_EMAIL: env.GIT_AUTHOR_EMAIL || fallback.email,
    GIT_COMMITTER_NAME: env.GIT_COMMITTER_NAME || fallback.name,
    GIT_COMMITTER_EMAIL: env.GIT_COMMITTER_EMAIL || fallback.email,
  };
}

// ---------------------------------------------------------------------------------------------------
// watch

/**
 * The instant kill the caller injects (the Edge Config write, `infra/vercel/live-kill.ts`): this layer
 * knows no Vercel. Called for live features only; it should be idempotent (a second call with the same
 * kill writes nothing), since every run that sees the trip calls it again until the kill is deployed.
 * What it returns is put in the report as is (keep it JSON-able); a throw is reported, not raised.
 */
export type KillNow = (req: { stack: string; feature: string; live: true; record: KillRecord }) => Promise<unknown>;

/** Options of `watchStack`. */
export interface WatchOptions {
  stack: string;
  /** One URL for the features' database; refused when the watched features use more than one. */
  databaseUrl?: string;
  /** The ref the kill commits go on top of. @default as `mainRefFor` (origin/<productionBranch>, <productionBranch>, HEAD) */
  mainRef?: string;
  kill: KillNow;
  /** Write the kill branch. @default true */
  commit?: boolean;
  /** Who kills, in the kill record. @default "rollout watch" */
  by?: string;
  /** Per-query limit, in ms. @default 10000 (runSqlGates) */
  timeoutMs?: number;
}

/** One watched feature (above its first rung, on a rung with kill triggers). */
export interface WatchedFeature {
  /** `<app>/<feature>` */
  key: string;
  /** The rung it stands on (stack file in the working tree). */
  rung: string;
  live: boolean;
  /** Every trigger of the rung, in declaration order; empty when `unchecked`. */
  triggers: TriggerResult[];
  /** The first trigger that tripped. */
  tripped?: Trip;
  /**
   * The kill: `edge-config` (live: the injected `kill` was called; `result` is what it returned, `error`
   * why it threw) or `env` (not live: takes effect when the kill branch is merged and deployed).
   */
  kill?: { delivery: "edge-config" | "env"; result?: unknown; error?: string };
  /** The kill branch (absent when not written: `commit: false`, main already killed it, or git failed: see `notes`). */
  branch?: KillBranch;
  /** Why the triggers were not evaluated (no database URL: the variable to set). Never a trip. */
  unchecked?: string;
  /** Lines for people: how the kill travels, why no branch was written. */
  notes?: string[];
}

/** What `rollout watch` prints (JSON) for alerting. */
export interface WatchReport {
  stack: string;
  /** ISO time of the run (`ws.now`). */
  now: string;
  /** The ref kill commits went on top of (when writing branches). */
  mainRef?: string;
  features: WatchedFeature[];
  /** How many features tripped (and were killed). */
  tripped: number;
}

/** The features `watchStack` evaluates: above their first rung, on a rung that declares kill triggers. */
export function watchedFeatures(cfg: { apps: readonly AppDecl[]; phases: Readonly<Record<string, string>>; prometheus?: boolean }): {
  app: AppDecl;
  feature: FeatureDecl;
  key: string;
  rung: string;
  triggers: KillTriggerDecl[];
}[] {
  return cfg.apps.flatMap((app) =>
    app.features.flatMap((feature) => {
      const key = `${app.name}/${feature.name}`;
      const rung = cfg.phases[key] ?? feature.rungs[0].name;
      const index = feature.rungs.findIndex((r) => r.name === rung);
      if (index < 0) throw new Error(`bug: ${key} stands on "${rung}", not a rung of its ladder (the stack config should have refused it)`);
      // A stack without Prometheus does not evaluate its triggers (they are not checks it can make).
      const triggers = (feature.rungs[index].killTriggers ?? []).filter((t) => t.kind === "sql" || cfg.prometheus);
      return index > 0 && triggers.length ? [{ app, feature, key, rung, triggers }] : [];
    }),
  );
}

/**
 * One watch pass over a stack: evaluates the kill triggers of every watched feature and kills each
 * feature whose trigger trips (the instant kill for live features, then the kill branch). Never
 * advances anything; a feature at its first rung is not evaluated. The working tree is only read.
 */
export async function watchStack(ws: Workspace, options: WatchOptions): Promise<WatchReport> {
  const { cfg, rel } = loadStack(ws, options.stack);
  const watched = watchedFeatures(cfg);
  const databases = new Set(watched.map((w) => w.app.database?.name));
  if (options.databaseUrl && databases.size > 1) {
    throw new UsageError(
      `--database-url applies to one database, and the watched features use ${databases.size} (${[...databases].join(", ")}): set ${GATES_DATABASE_URL_PREFIX}<DATABASE> for each`,
    );
  }
  const commit = options.commit ?? true;
  let mainRef: string | undefined;
  if (commit) {
    mainRef = mainRefFor(ws, cfg, options.mainRef);
    if (!mainRef) throw new UsageError(`${ws.root} is not a git repository with a commit: the kill branches cannot be written; run the watch in a checkout of the main branch`);
  }
  const report: WatchReport = { stack: options.stack, now: ws.now.toISOString(), ...(mainRef ? { mainRef } : {}), features: [], tripped: 0 };

  for (const { app, feature, key, rung, triggers: decls } of watched) {
    const row: WatchedFeature = { key, rung, live: !!feature.live, triggers: [] };
    report.features.push(row);
    // SQL triggers on the app's database, Prometheus ones on the stack's Prometheus; a side that cannot
    // be asked is reported unchecked and the other side still runs.
    const sqlDecls = decls.filter((t): t is SqlCheckDecl => t.kind === "sql");
    const promDecls = decls.filter((t): t is PrometheusCheckDecl => t.kind === "prometheus");
    const evaluated: { decl: KillTriggerDecl; result: TriggerResult }[] = [];
    const unchecked: string[] = [];
    if (sqlDecls.length) {
      const db = app.database?.name;
      const url = db ? databaseUrlFor(db, options.databaseUrl, ws.env, ws.notice) : undefined;
      if (!db) unchecked.push(`app ${app.name} declares no database: its kill triggers cannot be evaluated`);
      else if (!url) unchecked.push(`no database URL: set ${databaseUrlEnvName(db)} (a read-only role) to watch ${key}`);
      else (await evaluateTriggers(url, sqlDecls, { timeoutMs: options.timeoutMs, run: ws.runSql })).forEach((result, i) => evaluated.push({ decl: sqlDecls[i], result }));
    }
    if (promDecls.length) {
      const inputs = prometheusInputs(ws, cfg, key);
      if (!inputs.endpoint) unchecked.push(`no Prometheus URL: set ${PROMETHEUS_ENV.url} (or pass --prometheus-url) to watch ${key}'s metric triggers`);
      else for (const t of promDecls) evaluated.push({ decl: t, result: prometheusTriggerResult(t, await runPrometheusCheck(t, inputs)) });
    }
    if (unchecked.length) row.unchecked = unchecked.join("; ");
    // In declaration order, as the report lists them.
    evaluated.sort((a, b) => decls.indexOf(a.decl) - decls.indexOf(b.decl));
    row.triggers = evaluated.map((e) => e.result);
    const hit = evaluated.find((e) => e.result.status === "trip");
    if (!hit) continue;
    const trip: Trip = { trigger: hit.decl.name, value: hit.result.value!, op: hit.decl.op, threshold: hit.decl.threshold };
    row.tripped = trip;
    report.tripped++;
    const first = feature.rungs[0].name;
    const notes: string[] = [];

    if (feature.live) {
      const record: KillRecord = {
        share: shareOf(feature, first),
        from: shareOf(feature, rung),
        by: options.by ?? "rollout watch",
        at: ws.now.toISOString(),
        reason: tripReason(trip),
        trigger: tripText(trip),
      };
      try {
        row.kill = { delivery: "edge-config", result: await options.kill({ stack: options.stack, feature: key, live: true, record }) };
      } catch (e) {
        row.kill = { delivery: "edge-config", error: e instanceof Error ? e.message : String(e) };
        notes.push(`the instant kill failed: ${key} stays at ${rung} in production until the kill branch is merged and deployed`);
      }
    } else {
      row.kill = { delivery: "env" };
      notes.push(`${key} is not live: the kill takes effect when the kill branch is merged and deployed`);
    }

    if (!mainRef) {
      notes.push("the kill branch was not written (commit: false)");
    } else {
      try {
        const branch = writeKillBranch(ws.root, { stack: options.stack, key, rel, mainRef, to: first, from: rung, trip });
        if (branch) row.branch = branch;
        else notes.push(`${mainRef} already has ${key} at ${first}: no kill branch needed (deploy it)`);
      } catch (e) {
        notes.push(`the kill branch could not be written: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    row.notes = notes;
  }
  return report;
}
