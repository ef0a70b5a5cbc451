/**
 * Moves between rungs and the guards on them. Pure: no git, no database, no clock (the caller passes
 * `now`, when the current rung began, and the gate results).
 *
 * The rules:
 * - **advance**: one rung forward (or a declared shortcut, e.g. `off → 100`), only after the rung being
 *   left has soaked for its `soakHours` and with each of its gates passing (`sql`: the query meets its
 *   threshold; `attest`: a person acknowledged it with a reason). No data is a hold, never a pass.
 * - **rollback**: one rung back, always allowed, at once.
 * - **kill**: to the first rung (`off`, `dry-run`), always allowed, from anywhere, at once.
 * - anything else (skipping rungs forward or back) is refused unless forced with a reason; a forced
 *   move is recorded (`Rollout-Force` trailer) and `verify` accepts it only with that record.
 */
import type { FeatureDecl, GateDecl, RungDecl } from "../apps/types";
import { findRung, ladderOf, rungNames, type Rung } from "./ladder";

export type MoveKind =
  /** from = to */
  | "stay"
  /** one rung forward */
  | "advance"
  /** a declared forward shortcut (`shortcuts` in the feature declaration) */
  | "shortcut"
  /** one rung back (not to the first rung) */
  | "rollback"
  /** to the first rung */
  | "kill"
  /** more than one rung forward, not a shortcut */
  | "skip-forward"
  /** more than one rung back, not to the first rung */
  | "skip-back";

export interface Move {
  /** `<app>/<feature>` */
  key: string;
  from: Rung;
  to: Rung;
  kind: MoveKind;
}

/** An operator mistake about a move (an unknown rung, no next rung): its message says what to do. */
export class MoveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MoveError";
  }
}

function rungOrThrow(feature: FeatureDecl, key: string, name: string): Rung {
  const ladder = ladderOf(feature);
  const rung = findRung(ladder, name);
  if (!rung) throw new MoveError(`${key}: "${name}" is not a rung of its ladder (${rungNames(ladder).join(", ")})`);
  return rung;
}

/** Classifies the change of a feature's rung from `fromName` to `toName`. */
export function classifyMove(feature: FeatureDecl, key: string, fromName: string, toName: string): Move {
  const from = rungOrThrow(feature, key, fromName);
  const to = rungOrThrow(feature, key, toName);
  const kind: MoveKind =
    to.index === from.index
      ? "stay"
      : to.index === 0
        ? "kill"
        : to.index === from.index + 1
          ? "advance"
          : (feature.shortcuts ?? []).some(([a, b]) => a === from.name && b === to.name)
            ? "shortcut"
            : to.index === from.index - 1
              ? "rollback"
              : to.index > from.index
                ? "skip-forward"
                : "skip-back";
  return { key, from, to, kind };
}

/** The target of `advance`, `rollback` or `kill` from a rung; throws `MoveError` when there is none. */
export function targetOf(feature: FeatureDecl, key: string, fromName: string, verb: "advance" | "rollback" | "kill"): string {
  const ladder = ladderOf(feature);
  const from = rungOrThrow(feature, key, fromName);
  const names = rungNames(ladder);
  if (verb === "kill") return names[0];
  if (verb === "advance") {
    if (from.index === names.length - 1) throw new MoveError(`${key} is already at its last rung (${from.name}); nothing to advance to`);
    return names[from.index + 1];
  }
  if (from.index === 0) throw new MoveError(`${key} is already at its first rung (${from.name}); nothing to roll back to`);
  return names[from.index - 1];
}

/** The declaration of a rung (soak, gates). */
export function rungDecl(feature: FeatureDecl, rung: Rung): RungDecl {
  return feature.rungs[rung.index];
}

/** The gates a move must pass: those of the rung being left, for any forward move; none otherwise. */
export function gatesFor(feature: FeatureDecl, move: Move): GateDecl[] {
  return isForward(move) ? (rungDecl(feature, move.from).gates ?? []) : [];
}

/**
 * The gates as a stack sees them: in a stack without Prometheus, a `prometheus` gate is an `attest`
 * gate of the same name, which a person acknowledges after checking the number by hand.
 */
export function gatesForStack(gates: readonly GateDecl[], prometheus: boolean): GateDecl[] {
  if (prometheus) return [...gates];
  return gates.map((g) =>
    g.kind === "prometheus" ? { kind: "attest" as const, name: g.name, description: `${g.description} (no Prometheus in this stack: check ${g.op} ${g.threshold} by hand)` } : g,
  );
}

export function isForward(move: Move): boolean {
  return move.kind === "advance" || move.kind === "shortcut" || move.kind === "skip-forward";
}

/**
 * A gate's result.
 * - `pass` / `fail`: an `sql` gate's value met / missed its threshold;
 * - `hold`: no data (no row, NULL): not a pass;
 * - `error`: the query failed (not a pass);
 * - `unchecked`: no database to ask (not a pass);
 * - `acked` / `needs-ack`: an `attest` gate with / without a person's acknowledgement;
 * - `skipped`: an `sql` gate deliberately not checked here (`verify --skip-sql-gates` on a pull request
 *   without database access); it counts as passing, so the deploy-time verify must check it.
 */
export type GateStatus = "pass" | "fail" | "hold" | "error" | "unchecked" | "acked" | "needs-ack" | "skipped";

export interface GateResult {
  gate: string;
  kind: GateDecl["kind"];
  status: GateStatus;
  /** One line for people: the value and the comparison, the reason of an ack, or what is missing. */
  detail: string;
  /** An `sql` gate's value (`null` = no data). */
  value?: number | null;
}

export function gatePassed(result: GateResult): boolean {
  return result.status === "pass" || result.status === "acked" || result.status === "skipped";
}

/** Judges an `sql` gate's value: `value <op> threshold` passes; NULL or no row holds. */
export function judgeSqlGate(gate: Extract<GateDecl, { kind: "sql" }>, value: number | null | undefined): GateResult {
  const base = { gate: gate.name, kind: "sql" as const };
  if (value === null || value === undefined) {
    return { ...base, status: "hold", value: null, detail: `no data yet (the query returned ${value === null ? "NULL" : "no row"}): hold; ${gate.description}` };
  }
  if (!Number.isFinite(value)) return { ...base, status: "error", value: null, detail: `the query returned ${value}, not a number` };
  const ok = compareValue(value, gate.op, gate.threshold);
  return { ...base, status: ok ? "pass" : "fail", value, detail: `${value} ${gate.op} ${gate.threshold} is ${ok}; ${gate.description}` };
}

/** A check's comparison (`sql` and `prometheus` gates, kill triggers). */
export type Comparison = Extract<GateDecl, { kind: "sql" }>["op"];

/** `value <op> threshold`. */
export function compareValue(value: number, op: Comparison, threshold: number): boolean {
  switch (op) {
    case ">=":
      return value >= threshold;
    case "<=":
      return value <= threshold;
    case ">":
      return value > threshold;
    case "<":
      return value < threshold;
    case "=":
      return value === threshold;
  }
}

/** Judges an `attest` gate: acknowledged when `acks` has a non-empty reason for it. */
export function judgeAttestGate(gate: Extract<GateDecl, { kind: "attest" }>, acks: ReadonlyMap<string, string>): GateResult {
  const reason = acks.get(gate.name)?.trim();
  return reason
    ? { gate: gate.name, kind: "attest", status: "acked", detail: `acknowledged: ${reason}` }
    : { gate: gate.name, kind: "attest", status: "needs-ack", detail: `needs a person's acknowledgement: ${gate.description}` };
}

export interface SoakStatus {
  requiredHours: number;
  /** When the rung began on the main branch; undefined = not there yet (uncommitted or unmerged). */
  since?: Date;
  /** Time soaked so far, in ms (0 when not on main yet, or when its start is in the future: clock skew). */
  elapsedMs: number;
  /** Time left, in ms (0 when soaked). An unknown start counts from now. */
  leftMs: number;
  ok: boolean;
}

/** How long a rung has soaked. A rung not yet on main counts as starting now (fail-closed). */
export function soakStatus(decl: RungDecl, since: Date | undefined, now: Date): SoakStatus {
  const requiredHours = decl.soakHours ?? 0;
  const requiredMs = requiredHours * 3_600_000;
  const elapsedMs = since ? Math.max(0, now.getTime() - since.getTime()) : 0;
  const leftMs = Math.max(0, requiredMs - elapsedMs);
  return { requiredHours, since, elapsedMs, leftMs, ok: leftMs === 0 };
}

/**
 * `90 min` → "1 h 30 min"; days and hours above a day ("2 d 4 h"). Rounds to the minute: up for time
 * left (never claims less than is left), down for time elapsed.
 */
export function formatDuration(ms: number, round: "up" | "down" = "up"): string {
  const roundTo = (unit: number) => (round === "up" ? Math.ceil(ms / unit) : Math.floor(ms / unit));
  const minutes = roundTo(60_000);
  if (minutes < 60) return `${minutes} min`;
  if (minutes < 24 * 60) return minutes % 60 ? `${Math.floor(minutes / 60)} h ${minutes % 60} min` : `${minutes / 60} h`;
  // Above a day the minutes are dropped, so the hours are rounded the same way (1 d 3 h 44 min left is "1 d 4 h").
  const hours = roundTo(3_600_000);
  return hours % 24 ? `${Math.floor(hours / 24)} d ${hours % 24} h` : `${hours / 24} d`;
}

export interface MoveContext {
  now: Date;
  /** When the current rung began on the main branch (`history.ts`); undefined = not on main yet. */
  since?: Date;
  /** Results for `gatesFor(feature, move)`; a gate without a result counts as unchecked. */
  gates?: readonly GateResult[];
  /** A reason to force a move the rules refuse; recorded with the move. */
  force?: string;
  /** The stack's metrics are in Prometheus (else `prometheus` gates are attest gates: `gatesForStack`). @default false */
  prometheus?: boolean;
}

export interface MoveCheck {
  move: Move;
  /** For forward moves: the soak of the rung being left. */
  soak?: SoakStatus;
  /** For forward moves: every gate of the rung being left, with its result. */
  gates: GateResult[];
  /** Why the rules refuse the move, one complete sentence each (empty when allowed by the rules). */
  problems: string[];
  /** Allowed by the rules, or forced. */
  allowed: boolean;
  /** Refused by the rules but forced with a reason. */
  forced: boolean;
}

/** Checks a move against the rules. */
export function checkMove(feature: FeatureDecl, move: Move, ctx: MoveContext): MoveCheck {
  const { key, from, to } = move;
  const problems: string[] = [];
  const names = ladderOf(feature).rungs.map((r) => r.name);
  if (move.kind === "skip-forward") {
    const skipped = names.slice(from.index + 1, to.index);
    problems.push(`${key}: ${from.name} → ${to.name} skips ${skipped.join(", ")}; advance one rung at a time (${from.name} → ${names[from.index + 1]})`);
  }
  if (move.kind === "skip-back") {
    problems.push(
      `${key}: ${from.name} → ${to.name} goes back more than one rung; roll back one rung (${from.name} → ${names[from.index - 1]}) or kill (→ ${names[0]})`,
    );
  }
  let soak: SoakStatus | undefined;
  const gates: GateResult[] = [];
  if (isForward(move)) {
    soak = soakStatus(rungDecl(feature, from), ctx.since, ctx.now);
    if (!soak.ok) {
      const need = formatDuration(soak.requiredHours * 3_600_000);
      problems.push(
        soak.since
          ? `${key}: ${from.name} has soaked ${formatDuration(soak.elapsedMs, "down")} of its ${need} (since ${soak.since.toISOString()}); ${formatDuration(soak.leftMs)} left, until ${new Date(ctx.now.getTime() + soak.leftMs).toISOString()}`
          : `${key}: ${from.name} is not on the main branch yet (uncommitted or unmerged), so its ${need} soak has not started; it starts when the change lands on main`,
      );
    }
    const results = new Map((ctx.gates ?? []).map((g) => [g.gate, g]));
    for (const gate of gatesForStack(gatesFor(feature, move), !!ctx.prometheus)) {
      const result = results.get(gate.name) ?? {
        gate: gate.name,
        kind: gate.kind,
        status: gate.kind === "attest" ? ("needs-ack" as const) : ("unchecked" as const),
        detail: gate.kind === "attest" ? `needs a person's acknowledgement: ${gate.description}` : `no result; ${gate.description}`,
      };
      gates.push(result);
      if (!gatePassed(result)) problems.push(`${key}: gate ${gate.name} (${gate.kind}) ${gateVerdict(result)}: ${result.detail}`);
    }
  }
  const force = ctx.force?.trim();
  const forced = problems.length > 0 && !!force;
  return { move, soak, gates, problems, allowed: problems.length === 0 || forced, forced };
}

function gateVerdict(result: GateResult): string {
  switch (result.status) {
    case "fail":
      return "failed";
    case "hold":
      return "holds";
    case "error":
      return "errored";
    case "unchecked":
      return "was not checked";
    case "needs-ack":
      return "is not acknowledged";
    default:
      return result.status;
  }
}

/** Which users a phase governs: production deployments (`phases`) or preview ones (`previewPhases`). */
export type PhaseTarget = "production" | "preview";

/** One rung change between two stack files; `null` where the feature is not listed. */
export interface PhaseMove {
  /** `<app>/<feature>` */
  key: string;
  target: PhaseTarget;
  from: string | null;
  to: string | null;
}

/** The rung changes from `before` to `after` (each `{ phases, previewPhases }`), production first, by key. */
export function diffPhases(
  before: { phases: Readonly<Record<string, string>>; previewPhases: Readonly<Record<string, string>> } | null | undefined,
  after: { phases: Readonly<Record<string, string>>; previewPhases: Readonly<Record<string, string>> } | null | undefined,
): PhaseMove[] {
  const out: PhaseMove[] = [];
  for (const target of ["production", "preview"] as const) {
    const field = target === "production" ? "phases" : "previewPhases";
    const a = before?.[field] ?? {};
    const b = after?.[field] ?? {};
    for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      const from = a[key] ?? null;
      const to = b[key] ?? null;
      if (from !== to) out.push({ key, target, from, to });
    }
  }
  return out;
}
