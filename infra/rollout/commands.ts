/**
 * The `rollout` commands as functions: status, moves (advance, rollback, kill, set) and verify. The CLI
 * (`infra/cli/rollout.ts`) only parses arguments and prints; everything it decides is here, on top of
 * the pure modules (`moves`, `../stack-file`) and the two readers of the outside world (`history` for
 * git, `gates` for databases). What a move does to the deployed apps is not decided here: a move returns
 * the config before and after, and the caller asks the stack model (`infra/model`), which knows Vercel.
 *
 * Commits: a move edits the stack file and prints the commit to make (message and trailers); with
 * `commit: true` it makes that commit itself, of the stack file only. The trailers are the record
 * `verify` trusts: `Rollout-Ack` for attest gates, `Rollout-Force` for forced moves.
 *
 * Uncommitted edits: soak is measured only from committed history on the main branch. A rung that is
 * in the working tree but not on main counts as starting now (so it cannot be advanced past while it has
 * a soak). `verify` checks commits only and refuses when the working tree's stack file differs from
 * HEAD, since `pulumi up` would deploy what was not verified.
 */
import * as fs from "fs";
import * as path from "path";
import { CATALOG } from "../apps";
import type { AppDecl, FeatureDecl } from "../apps/types";
import { ConfigError, parseStackConfig, type StackConfig } from "../config";
import { isStackName, listStacks, rawEntriesFromYaml, readPhaseMaps, readPhases, readStackFile, setPhase, stackFileEntries, stackFileRel as relativeStackFile, STACKS_DIR } from "../stack-file";
import { UsageError } from "../errors";
import { exposureOfMove, type Exposure } from "./exposure";
import { databaseUrlEnvName, databaseUrlFor, evaluateGates, GATES_DATABASE_URL_PREFIX, type PrometheusInputs, type SqlGate } from "./gates";
import { prometheusEndpoint, type PrometheusEndpoint } from "./prometheus";
import {
  ackTrailer,
  commitMessages,
  fileAt,
  firstParentVersions,
  forceTrailer,
  git,
  isGitRepo,
  parseTrailers,
  phaseStart,
  resolveCommit,
  type FileVersion,
  type PhaseStart,
} from "./history";
import { findRung, ladderOf, rungNames } from "./ladder";
import { shareOf } from "./live";
import { reachOfMoves, type MoveReach } from "./reach";
import { checkMove, classifyMove, diffPhases, gatesFor, gatesForStack, MoveError, soakStatus, rungDecl, targetOf, type GateResult, type MoveCheck, type MoveKind } from "./moves";

// The CLIs' one usage error (exit code 2), re-exported for callers of these commands.
export { UsageError };

/** Where and when the commands run. */
export interface Workspace {
  /** The project root: holds `stacks/`, and is a git work tree for history and verify. */
  root: string;
  /** Environment (database URLs). */
  env: NodeJS.ProcessEnv;
  now: Date;
  /** Runs sql gates (injectable for tests). @default runSqlGates */
  runSql?: (url: string, gates: readonly SqlGate[]) => Promise<GateResult[]>;
  /** Receives notices, e.g. a database URL read from a deprecated variable (it may repeat them). */
  notice?: (line: string) => void;
  /** `--prometheus-url`; else `ROLLOUT_PROMETHEUS_URL` in `env`. Used by stacks that declare `prometheus`. */
  prometheusUrl?: string;
}

/** `stacks/Pulumi.<stack>.yaml`, relative to the root. */
export function stackFileRel(stack: string): string {
  if (!isStackName(stack)) throw new UsageError(`--stack ${JSON.stringify(stack)} is not a stack name`);
  return relativeStackFile(stack);
}

/** Reads and validates a stack file from the working tree. */
export function loadStack(ws: Workspace, stack: string): { cfg: StackConfig; text: string; file: string; rel: string } {
  const rel = stackFileRel(stack);
  const file = path.join(ws.root, rel);
  const stackFile = readStackFile(file, rel);
  if (!stackFile) {
    throw new ConfigError(stack, [{ key: rel, message: `no stack file; check --stack (stacks: ${listStacks(path.join(ws.root, STACKS_DIR)).join(", ") || "none"})` }]);
  }
  return { cfg: parseStackConfig(stack, stackFileEntries(stackFile)), text: stackFile.text, file, rel };
}


/** Every feature of the stack's apps, with its stack key `<app>/<feature>`. */
function featuresOf(cfg: StackConfig): { app: AppDecl; feature: FeatureDecl; key: string }[] {
  return cfg.apps.flatMap((app) => app.features.map((feature) => ({ app, feature, key: `${app.name}/${feature.name}` })));
}

/** Resolves `<app>/<feature>`, or a bare feature name that only one managed app has. */
export function resolveFeature(cfg: StackConfig, name: string): { app: AppDecl; feature: FeatureDecl; key: string } {
  const all = featuresOf(cfg);
  const exact = all.find((f) => f.key === name);
  if (exact) return exact;
  const byName = all.filter((f) => f.feature.name === name);
  if (byName.length === 1) return byName[0];
  const known = all.map((f) => f.key).join(", ");
  throw new UsageError(
    byName.length > 1
      ? `"${name}" is a feature of several apps (${byName.map((f) => f.key).join(", ")}); write <app>/<feature>`
      : `"${name}" is not a feature of stack ${cfg.stack} (features: ${known})`,
  );
}

/** The current rung of a feature: the stack's phase, or its first rung when the stack lists none (local). */
function currentRung(cfg: StackConfig, feature: FeatureDecl, key: string): string {
  return cfg.phases[key] ?? feature.rungs[0].name;
}

/**
 * The ref whose first-parent history is "main": explicit, else the first that resolves of
 * `origin/<productionBranch>`, `<productionBranch>`, `HEAD`. Undefined outside a git repository.
 */
export function mainRefFor(ws: Workspace, cfg: StackConfig, explicit?: string): string | undefined {
  if (!isGitRepo(ws.root)) {
    if (explicit) throw new UsageError(`--main ${explicit}: ${ws.root} is not a git repository`);
    return undefined;
  }
  if (explicit) {
    if (!resolveCommit(ws.root, explicit)) throw new UsageError(`--main ${explicit} does not name a commit`);
    return explicit;
  }
  const branch = cfg.vercel.productionBranch;
  return [`origin/${branch}`, branch, "HEAD"].find((ref) => resolveCommit(ws.root, ref));
}

function historyOf(ws: Workspace, ref: string | undefined, rel: string): FileVersion[] {
  return ref ? firstParentVersions(ws.root, ref, rel) : [];
}

async function gateResults(
  ws: Workspace,
  cfg: StackConfig,
  app: AppDecl,
  key: string,
  gates: ReturnType<typeof gatesFor>,
  acks: ReadonlyMap<string, string>,
  databaseUrl?: string,
): Promise<GateResult[]> {
  const db = app.database?.name;
  return evaluateGates(gatesForStack(gates, cfg.prometheus), {
    acks,
    databaseUrl: db ? databaseUrlFor(db, databaseUrl, ws.env, ws.notice) : undefined,
    databaseUrlEnv: db ? databaseUrlEnvName(db) : undefined,
    run: ws.runSql,
    prometheus: prometheusInputs(ws, cfg, key),
  });
}

/** Where the stack's `prometheus` checks of a feature run: the endpoint from `--prometheus-url` or the environment, and the variables. */
export function prometheusInputs(ws: Workspace, cfg: StackConfig, key: string): PrometheusInputs {
  let endpoint: PrometheusEndpoint | undefined;
  try {
    endpoint = cfg.prometheus ? prometheusEndpoint(ws.env, ws.prometheusUrl) : undefined;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  return {
    endpoint,
    vars: { feature: key, app: key.split("/")[0], stack: cfg.stack },
    nowSeconds: ws.now.getTime() / 1000,
  };
}

/**
 * Who a move from `from` to `to` reaches, when the app declares its population: counted on the app's
 * database (the gates' URL), or the offline form without a URL. Undefined without a population.
 */
async function exposureOf(ws: Workspace, app: AppDecl, feature: FeatureDecl, key: string, from: string, to: string, databaseUrl?: string): Promise<Exposure | undefined> {
  if (!app.population || !app.database) return undefined;
  const move = { feature: key, from: shareOf(feature, from), to: shareOf(feature, to) };
  return exposureOfMove({ database: app.database.name, population: app.population }, move, { databaseUrl, env: ws.env, notice: ws.notice });
}

// ---------------------------------------------------------------------------------------------------
// exposure (the pull request's trusted count)

export interface ExposureReport {
  format: "rollout-stack.exposure/v1";
  stack: string;
  base: { ref: string; commit: string };
  head: { ref: string; commit: string };
  /** The commit of the code that ran (whose catalog gave the population queries and ladders). */
  code: string | null;
  moves: MoveReach[];
}

/**
 * Who the phase moves between two commits' stack files reach, for a pull request: both stack files
 * are read from git as data (`git show`), and the population queries and ladders are this checkout's
 * own catalog. Run it from a checkout of trusted code (the pull request's base) with the head commit
 * fetched: nothing of the head is executed, so a job holding a database URL runs no SQL the pull
 * request wrote.
 */
export async function exposureReport(ws: Workspace, options: { stack: string; base: string; head: string; databaseUrl?: string }): Promise<ExposureReport> {
  const rel = stackFileRel(options.stack);
  if (!isGitRepo(ws.root)) throw new UsageError(`${ws.root} is not a git repository`);
  const side = (flag: string, ref: string) => {
    const commit = resolveCommit(ws.root, ref);
    if (!commit) throw new UsageError(`--${flag} ${ref} does not name a commit (fetched?)`);
    const text = fileAt(ws.root, commit, rel);
    return { ref, commit, maps: text === undefined ? null : readPhaseMaps(text, `${rel}@${ref}`) };
  };
  const base = side("base", options.base);
  const head = side("head", options.head);
  if (!head.maps) throw new UsageError(`${rel} is not in --head ${options.head}`);
  const apps = new Map(CATALOG.map((app) => [app.name, app]));
  const moves = await reachOfMoves(
    diffPhases(base.maps, head.maps),
    {
      feature: (key) => apps.get(key.split("/")[0])?.features.find((f) => f.name === key.split("/")[1]),
      population: (name) => {
        const app = apps.get(name);
        return app?.population && app.database ? { database: app.database.name, population: app.population } : undefined;
      },
    },
    { databaseUrl: options.databaseUrl, env: ws.env, notice: ws.notice },
  );
  return {
    format: "rollout-stack.exposure/v1",
    stack: options.stack,
    base: { ref: base.ref, commit: base.commit },
    head: { ref: head.ref, commit: head.commit },
    code: resolveCommit(ws.root, "HEAD") ?? null,
    moves,
  };
}

// ---------------------------------------------------------------------------------------------------
// status

export interface StatusRow {
  key: string;
  rung: string;
  rungs: string[];
  /** ISO time the rung began on main; undefined when it is not on main (uncommitted or unmerged). */
  since?: string;
  sinceCommit?: string;
  soakHours: number;
  soakLeftMs: number;
  /** The next rung `advance` would move to; undefined at the last rung. */
  next?: string;
  /** Gates of the current rung (what advancing needs). */
  gates: GateResult[];
  /** `advance` would be allowed now (attest gates count as unacknowledged: status takes no --ack). */
  ready: boolean;
  blockers: string[];
  /** Who advancing to `next` would reach (apps that declare a population). */
  exposure?: Exposure;
}

export interface StatusReport {
  stack: string;
  mainRef?: string;
  now: string;
  rows: StatusRow[];
}

/** Every managed feature (or the named ones): rung, since, soak left, next rung, gate results. */
export async function rolloutStatus(
  ws: Workspace,
  options: { stack: string; features?: string[]; mainRef?: string; databaseUrl?: string },
): Promise<StatusReport> {
  const { cfg, rel } = loadStack(ws, options.stack);
  const mainRef = mainRefFor(ws, cfg, options.mainRef);
  const versions = historyOf(ws, mainRef, rel);
  const selected = options.features?.length
    ? options.features.map((f) => resolveFeature(cfg, f))
    : featuresOf(cfg);
  if (options.databaseUrl && new Set(selected.map((s) => s.app.database?.name)).size > 1) {
    throw new UsageError(`--database-url applies to one database: name features of one app, or set ${GATES_DATABASE_URL_PREFIX}<DATABASE> for each`);
  }
  const rows: StatusRow[] = [];
  for (const { app, feature, key } of selected) {
    const rung = currentRung(cfg, feature, key);
    const start = phaseStart(versions, key, rung);
    const names = rungNames(ladderOf(feature));
    const from = findRung(ladderOf(feature), rung)!;
    const soak = soakStatus(rungDecl(feature, from), start.since, ws.now);
    const next = names[from.index + 1];
    let gates: GateResult[] = [];
    let blockers: string[] = [];
    if (next) {
      const move = classifyMove(feature, key, rung, next);
      gates = await gateResults(ws, cfg, app, key, gatesFor(feature, move), new Map(), options.databaseUrl);
      blockers = checkMove(feature, move, { now: ws.now, since: start.since, gates, prometheus: cfg.prometheus }).problems;
    }
    const exposure = next ? await exposureOf(ws, app, feature, key, rung, next, options.databaseUrl) : undefined;
    rows.push({
      ...(exposure ? { exposure } : {}),
      key,
      rung,
      rungs: names,
      since: start.since?.toISOString(),
      sinceCommit: start.sha,
      soakHours: soak.requiredHours,
      soakLeftMs: soak.leftMs,
      next,
      gates,
      ready: !!next && blockers.length === 0,
      blockers,
    });
  }
  return { stack: options.stack, mainRef, now: ws.now.toISOString(), rows };
}

// ---------------------------------------------------------------------------------------------------
// moves

export type Verb = "advance" | "rollback" | "kill" | "set";

export interface MoveRequest {
  stack: string;
  verb: Verb;
  /** `<app>/<feature>` or a unique feature name. */
  feature: string;
  /** The target rung, for `set`. */
  to?: string;
  /** Why (recorded in the commit message); required with `force`. */
  reason?: string;
  /** `--ack gate=reason`, per attest gate of the rung being left. */
  acks?: ReadonlyMap<string, string>;
  force?: boolean;
  databaseUrl?: string;
  mainRef?: string;
  /** Check and print, but do not write the file. */
  dryRun?: boolean;
  /** Commit the stack file with the message and trailers. */
  commit?: boolean;
}

export interface MoveOutcome {
  key: string;
  from: string;
  to: string;
  kind: MoveKind;
  check: MoveCheck;
  /** The app and feature moved, and the stack config before and after the move (for its effect: `moveEffectLines`). */
  app: string;
  feature: string;
  before: StackConfig;
  after: StackConfig;
  /** The move was refused (nothing written). */
  refused: boolean;
  /** Nothing to do (already there). */
  noop: boolean;
  written: boolean;
  file: string;
  commitMessage: string;
  /** The shell command that makes the commit (printed when not committing). */
  commitCommand: string;
  committed?: string;
  /** When the current rung began on main (for messages). */
  start: PhaseStart;
  /** Who the move reaches (apps that declare a population; never counted for a kill, which must not wait). */
  exposure?: Exposure;
}

/** Checks a move, and unless refused (or a dry run) writes it to the stack file (and commits it). */
export async function performMove(ws: Workspace, req: MoveRequest): Promise<MoveOutcome> {
  if (req.force && !req.reason?.trim()) throw new UsageError("--force needs --reason \"<why>\": a forced move is recorded with its reason");
  const { cfg, text, file, rel } = loadStack(ws, req.stack);
  const { app, feature, key } = resolveFeature(cfg, req.feature);
  const from = currentRung(cfg, feature, key);
  let to: string;
  if (req.verb === "set") {
    if (!req.to) throw new UsageError(`set needs a rung: rollout set ${key} <rung> (rungs: ${rungNames(ladderOf(feature)).join(", ")})`);
    if (!findRung(ladderOf(feature), req.to)) throw new UsageError(`${key}: "${req.to}" is not a rung of its ladder (${rungNames(ladderOf(feature)).join(", ")})`);
    to = req.to;
  } else {
    to = targetOf(feature, key, from, req.verb);
  }
  const move = classifyMove(feature, key, from, to);
  const gates = gatesFor(feature, move);
  const acks = req.acks ?? new Map<string, string>();
  const known = new Set(gatesForStack(feature.rungs[move.from.index].gates ?? [], cfg.prometheus).filter((g) => g.kind === "attest").map((g) => g.name));
  for (const name of acks.keys()) {
    if (!known.has(name)) {
      throw new UsageError(
        `--ack ${name}: not an attest gate of ${key} at ${from} (attest gates: ${[...known].join(", ") || "none"})`,
      );
    }
  }
  const mainRef = mainRefFor(ws, cfg, req.mainRef);
  const start = phaseStart(historyOf(ws, mainRef, rel), key, from);
  const results = await gateResults(ws, cfg, app, key, gates, acks, req.databaseUrl);
  const check = checkMove(feature, move, { now: ws.now, since: start.since, gates: results, force: req.force ? req.reason : undefined, prometheus: cfg.prometheus });
  const message = commitMessageFor(req.stack, move.kind, key, from, to, req.reason, check, acks);
  const outcome: MoveOutcome = {
    key,
    from,
    to,
    kind: move.kind,
    check,
    app: app.name,
    feature: feature.name,
    before: cfg,
    after: { ...cfg, phases: { ...cfg.phases, [key]: to } },
    refused: !check.allowed,
    noop: move.kind === "stay",
    written: false,
    file: rel,
    commitMessage: message,
    commitCommand: `git commit -F - -- ${rel} <<'MSG'\n${message}\nMSG`,
    start,
  };
  if (!outcome.refused && !outcome.noop && move.kind !== "kill") {
    const exposure = await exposureOf(ws, app, feature, key, from, to, req.databaseUrl);
    if (exposure) outcome.exposure = exposure;
  }
  if (outcome.refused || outcome.noop || req.dryRun) return outcome;

  if (req.commit) {
    if (!isGitRepo(ws.root)) throw new UsageError(`--commit: ${ws.root} is not a git repository`);
    const committedText = resolveCommit(ws.root, "HEAD") ? fileAt(ws.root, "HEAD", rel) : undefined;
    if (committedText !== undefined && committedText !== text) {
      throw new MoveError(`${rel} has uncommitted changes; commit or discard them first, or run without --commit and commit by hand`);
    }
  }
  const updated = setPhase(text, key, to, rel);
  const check2 = parseStackConfig(req.stack, rawEntriesFromYaml(updated, rel));
  if (check2.phases[key] !== to && cfg.mode === "cloud") throw new Error(`bug: ${rel} does not read back ${key}: ${to}`);
  fs.writeFileSync(file, updated);
  outcome.written = true;
  if (req.commit) {
    git(ws.root, ["add", "--", rel]);
    git(ws.root, ["commit", "-q", "-F", "-", "--", rel], message + "\n");
    outcome.committed = git(ws.root, ["rev-parse", "HEAD"]).trim();
  }
  return outcome;
}

/** The commit message of a move: subject, the reason, and the trailers `verify` reads. */
export function commitMessageFor(
  stack: string,
  kind: MoveKind,
  key: string,
  from: string,
  to: string,
  reason: string | undefined,
  check: MoveCheck,
  acks: ReadonlyMap<string, string>,
): string {
  const label = kind === "kill" ? " (kill)" : kind === "rollback" ? " (rollback)" : check.forced ? " (forced)" : "";
  const lines = [`rollout(${stack}): ${key} ${from} → ${to}${label}`];
  if (reason?.trim()) lines.push("", reason.trim());
  const trailers: string[] = [];
  for (const g of check.gates) {
    if (g.kind === "attest" && acks.get(g.gate)?.trim()) trailers.push(ackTrailer({ key, gate: g.gate, reason: acks.get(g.gate)! }));
  }
  if (check.forced) trailers.push(forceTrailer({ key, from, to, reason: reason ?? "" }));
  if (trailers.length) lines.push("", ...trailers);
  return lines.join("\n");
}

// ---------------------------------------------------------------------------------------------------
// verify

export type FindingStatus = "ok" | "forced" | "refused" | "removed";

export interface VerifyFinding {
  key: string;
  /** Undefined for a feature new in HEAD (treated as coming from its first rung). */
  from?: string;
  to?: string;
  kind?: MoveKind;
  status: FindingStatus;
  problems: string[];
  gates: GateResult[];
  forceReason?: string;
}

export interface VerifyReport {
  stack: string;
  base: string;
  head: string;
  ok: boolean;
  /** Problems with the comparison itself (uncommitted edits, an invalid stack file). */
  problems: string[];
  findings: VerifyFinding[];
}

/**
 * Checks the stack file's change between `base` and `head` against the rules: each changed phase must be
 * an allowed move (soak measured on base's first-parent history, gates passing: sql on the database, attest
 * through `Rollout-Ack` trailers in `base..head`), or carry a matching `Rollout-Force` trailer.
 */
export async function verifyStack(
  ws: Workspace,
  options: {
    stack: string;
    base: string;
    head?: string;
    /**
     * Let sql gates that have no database URL pass as `skipped` (a pull request check without database
     * access, forks included). The deploy-time verify must run without it, with the URLs set.
     * @default false
     */
    skipSqlGates?: boolean;
  },
): Promise<VerifyReport> {
  const rel = stackFileRel(options.stack);
  if (!isGitRepo(ws.root)) throw new UsageError(`verify: ${ws.root} is not a git repository`);
  const headRef = options.head ?? "HEAD";
  const base = resolveCommit(ws.root, options.base);
  if (!base) throw new UsageError(`--base ${options.base} does not name a commit (fetch it first, e.g. git fetch origin main)`);
  const head = resolveCommit(ws.root, headRef);
  if (!head) throw new UsageError(`${headRef} does not name a commit`);
  const report: VerifyReport = { stack: options.stack, base, head, ok: false, problems: [], findings: [] };

  const headText = fileAt(ws.root, head, rel);
  if (headText === undefined) {
    report.problems.push(`${rel} does not exist at ${headRef}`);
    return report;
  }
  if (headRef === "HEAD") {
    const working = fs.existsSync(path.join(ws.root, rel)) ? fs.readFileSync(path.join(ws.root, rel), "utf8") : undefined;
    if (working !== headText) {
      report.problems.push(`${rel} has uncommitted changes: pulumi up would deploy what verify did not check; commit them (or discard them) and run verify again`);
    }
  }
  let cfg: StackConfig;
  try {
    cfg = parseStackConfig(options.stack, rawEntriesFromYaml(headText, `${rel}@${headRef}`));
  } catch (e) {
    if (e instanceof ConfigError) {
      report.problems.push(e.message);
      return report;
    }
    throw e;
  }
  const baseText = fileAt(ws.root, base, rel);
  let basePhases: Record<string, string> = {};
  try {
    basePhases = baseText === undefined ? {} : readPhases(baseText, `${rel}@${options.base}`);
  } catch (e) {
    report.problems.push(`${rel} at ${options.base} cannot be read (${(e as Error).message}); verify against another base`);
  }
  const versions = firstParentVersions(ws.root, base, rel);
  const acks = new Map<string, Map<string, string>>();
  const forces: ReturnType<typeof parseTrailers>["forces"] = [];
  for (const c of commitMessages(ws.root, base, head)) {
    const t = parseTrailers(c.message, c.sha);
    for (const a of t.acks) {
      if (!acks.has(a.key)) acks.set(a.key, new Map());
      if (!acks.get(a.key)!.has(a.gate)) acks.get(a.key)!.set(a.gate, a.reason);
    }
    forces.push(...t.forces);
  }

  for (const app of cfg.apps) {
    for (const feature of app.features) {
      const key = `${app.name}/${feature.name}`;
      const to = currentRung(cfg, feature, key);
      const declaredFrom = basePhases[key];
      const from = declaredFrom ?? feature.rungs[0].name;
      if (declaredFrom !== undefined && !findRung(ladderOf(feature), declaredFrom)) {
        const force = forces.find((f) => f.key === key && f.from === declaredFrom && f.to === to);
        report.findings.push({
          key,
          from: declaredFrom,
          to,
          status: force ? "forced" : "refused",
          gates: [],
          forceReason: force?.reason,
          problems: [`${key}: the base rung "${declaredFrom}" is no longer a rung of its ladder (${rungNames(ladderOf(feature)).join(", ")}); force the move with a reason`],
        });
        continue;
      }
      if (from === to && declaredFrom !== undefined) continue;
      const move = classifyMove(feature, key, from, to);
      if (move.kind === "stay") continue;
      const start = declaredFrom === undefined ? {} : phaseStart(versions, key, from);
      const results = (await gateResults(ws, cfg, app, key, gatesFor(feature, move), acks.get(key) ?? new Map())).map((r): GateResult =>
        options.skipSqlGates && r.status === "unchecked"
          ? { ...r, status: "skipped", detail: `skipped (--skip-sql-gates): checked by the deploy-time verify; ${r.detail}` }
          : r,
      );
      const force = forces.find((f) => f.key === key && f.from === from && f.to === to);
      const check = checkMove(feature, move, { now: ws.now, since: start.since, gates: results, force: force?.reason, prometheus: cfg.prometheus });
      report.findings.push({
        key,
        from: declaredFrom,
        to,
        kind: move.kind,
        status: check.problems.length === 0 ? "ok" : check.forced ? "forced" : "refused",
        problems: check.problems,
        gates: check.gates,
        forceReason: check.forced ? force?.reason : undefined,
      });
    }
  }
  for (const key of Object.keys(basePhases)) {
    if (!(key in cfg.phases) && !featuresOf(cfg).some((f) => f.key === key)) {
      report.findings.push({ key, from: basePhases[key], status: "removed", problems: [], gates: [] });
    }
  }
  report.ok = report.problems.length === 0 && report.findings.every((f) => f.status !== "refused");
  return report;
}
