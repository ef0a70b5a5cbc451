import { judgePrometheusGate } from "../../infra/rollout/gates";
import { describe, expect, it } from "vitest";
import { CATALOG } from "../../infra/apps";
import type { FeatureDecl, GateDecl } from "../../infra/apps/types";
import { deliveredValues, findRung, LadderDeclarationError, ladderOf, normalizeRungValue, percentValue, type Rung } from "../../infra/rollout/ladder";
import {
  checkMove,
  classifyMove,
  compareValue,
  diffPhases,
  formatDuration,
  gatePassed,
  gatesFor,
  gatesForStack,
  judgeAttestGate,
  judgeSqlGate,
  MoveError,
  soakStatus,
  targetOf,
  type GateResult,
  type GateStatus,
  type MoveKind,
} from "../../infra/rollout/moves";

const NOW = new Date("2026-11-22T12:00:00Z");
const HOUR = 3_600_000;
const MIN = 60_000;

function feature(key: string): FeatureDecl {
  const [app, name] = key.split("/");
  const f = CATALOG.find((a) => a.name === app)?.features.find((x) => x.name === name);
  if (!f) throw new Error(`no feature ${key}`);
  return f;
}

/** Every gate of the rung being left passes (sql: pass; attest: acked). */
function passing(f: FeatureDecl, from: string, to: string): GateResult[] {
  return gatesFor(f, classifyMove(f, "k", from, to)).map((g) =>
    g.kind === "sql"
      ? judgeSqlGate(g, g.op === "<=" || g.op === "<" ? g.threshold - 1 : g.threshold + 1)
      : g.kind === "attest"
        ? judgeAttestGate(g, new Map([[g.name, "checked"]]))
        : judgePrometheusGate(g, { holds: true, value: 0, reason: "ok" }, true),
  );
}

type Soak = "soaked" | "fresh" | "not-on-main";
const since = (soak: Soak, hours: number): Date | undefined =>
  soak === "not-on-main" ? undefined : new Date(NOW.getTime() - (soak === "soaked" ? hours + 1 : hours / 2) * HOUR);

interface Row {
  key: string;
  from: string;
  to: string;
  kind: MoveKind;
  soak: Soak;
  gates: "pass" | "none";
  allowed: boolean;
  problem?: string;
}

// Every seed ladder: 000's flag (with its off → 100 shortcut) and dry-run → live cleanup; 001's four
// phases and emergency disable; 002's 10 → 50 → 100 with 48 h soak and kill; 003's flag; 004's 10 → 100.
const ROWS: Row[] = [
  // 000 early-session-creation: off → 10 → 50 → 100, or off → 100 at once; 7 d soak at 10 and 50.
  { key: "chat-sessions/early-session-creation", from: "off", to: "10", kind: "advance", soak: "not-on-main", gates: "none", allowed: true },
  { key: "chat-sessions/early-session-creation", from: "off", to: "100", kind: "shortcut", soak: "not-on-main", gates: "none", allowed: true },
  { key: "chat-sessions/early-session-creation", from: "off", to: "50", kind: "skip-forward", soak: "soaked", gates: "none", allowed: false, problem: "off → 50 skips 10; advance one rung at a time (off → 10)" },
  { key: "chat-sessions/early-session-creation", from: "10", to: "50", kind: "advance", soak: "soaked", gates: "pass", allowed: true },
  { key: "chat-sessions/early-session-creation", from: "10", to: "50", kind: "advance", soak: "fresh", gates: "pass", allowed: false, problem: "10 has soaked 3 d 12 h of its 7 d" },
  { key: "chat-sessions/early-session-creation", from: "10", to: "50", kind: "advance", soak: "soaked", gates: "none", allowed: false, problem: "gate draft-conversion-7d (sql) was not checked" },
  { key: "chat-sessions/early-session-creation", from: "10", to: "50", kind: "advance", soak: "not-on-main", gates: "pass", allowed: false, problem: "10 is not on the main branch yet (uncommitted or unmerged), so its 7 d soak has not started" },
  { key: "chat-sessions/early-session-creation", from: "10", to: "100", kind: "skip-forward", soak: "soaked", gates: "pass", allowed: false, problem: "10 → 100 skips 50" },
  { key: "chat-sessions/early-session-creation", from: "50", to: "100", kind: "advance", soak: "soaked", gates: "pass", allowed: true },
  { key: "chat-sessions/early-session-creation", from: "50", to: "10", kind: "rollback", soak: "fresh", gates: "none", allowed: true },
  { key: "chat-sessions/early-session-creation", from: "50", to: "off", kind: "kill", soak: "fresh", gates: "none", allowed: true },
  { key: "chat-sessions/early-session-creation", from: "100", to: "off", kind: "kill", soak: "fresh", gates: "none", allowed: true },
  { key: "chat-sessions/early-session-creation", from: "100", to: "10", kind: "skip-back", soak: "fresh", gates: "none", allowed: false, problem: "goes back more than one rung; roll back one rung (100 → 50) or kill (→ off)" },
  { key: "chat-sessions/early-session-creation", from: "10", to: "10", kind: "stay", soak: "fresh", gates: "none", allowed: true },
  // 000 cleanup: dry-run for 3 d with the "only abandoned drafts" gate, then live.
  { key: "chat-sessions/cleanup", from: "dry-run", to: "live", kind: "advance", soak: "soaked", gates: "pass", allowed: true },
  { key: "chat-sessions/cleanup", from: "dry-run", to: "live", kind: "advance", soak: "fresh", gates: "pass", allowed: false, problem: "dry-run has soaked 1 d 12 h of its 3 d" },
  { key: "chat-sessions/cleanup", from: "live", to: "dry-run", kind: "kill", soak: "fresh", gates: "none", allowed: true },
  // 001 core: 100% at once.
  { key: "analy-ticket/core", from: "off", to: "100", kind: "advance", soak: "not-on-main", gates: "pass", allowed: true },
  { key: "analy-ticket/core", from: "100", to: "off", kind: "kill", soak: "fresh", gates: "none", allowed: true },
  // 001 connection: 10 (3 d) → 50 (1 week) → 100.
  { key: "analy-ticket/connection", from: "10", to: "50", kind: "advance", soak: "soaked", gates: "pass", allowed: true },
  { key: "analy-ticket/connection", from: "50", to: "100", kind: "advance", soak: "fresh", gates: "pass", allowed: false, problem: "50 has soaked 3 d 12 h of its 7 d" },
  { key: "analy-ticket/connection", from: "50", to: "100", kind: "advance", soak: "soaked", gates: "none", allowed: false, problem: "gate recovery (attest) is not acknowledged" },
  { key: "analy-ticket/connection", from: "100", to: "off", kind: "kill", soak: "fresh", gates: "none", allowed: true },
  // 001 state: 5 → 20 → 50 → 100 (3 d, 1 week, 2 weeks).
  { key: "analy-ticket/state", from: "off", to: "5", kind: "advance", soak: "fresh", gates: "none", allowed: true },
  { key: "analy-ticket/state", from: "5", to: "20", kind: "advance", soak: "soaked", gates: "pass", allowed: true },
  { key: "analy-ticket/state", from: "20", to: "50", kind: "advance", soak: "soaked", gates: "pass", allowed: true },
  { key: "analy-ticket/state", from: "50", to: "100", kind: "advance", soak: "fresh", gates: "pass", allowed: false, problem: "50 has soaked 7 d of its 14 d" },
  { key: "analy-ticket/state", from: "5", to: "50", kind: "skip-forward", soak: "soaked", gates: "pass", allowed: false, problem: "5 → 50 skips 20" },
  { key: "analy-ticket/state", from: "50", to: "20", kind: "rollback", soak: "fresh", gates: "none", allowed: true },
  { key: "analy-ticket/state", from: "50", to: "5", kind: "skip-back", soak: "fresh", gates: "none", allowed: false, problem: "goes back more than one rung" },
  // 001 advanced: beta → 25 (beta + 25%) → 100.
  { key: "analy-ticket/advanced", from: "off", to: "beta", kind: "advance", soak: "fresh", gates: "none", allowed: true },
  { key: "analy-ticket/advanced", from: "beta", to: "25", kind: "advance", soak: "soaked", gates: "pass", allowed: true },
  { key: "analy-ticket/advanced", from: "beta", to: "25", kind: "advance", soak: "soaked", gates: "none", allowed: false, problem: "gate cross-tab-sync (attest) is not acknowledged" },
  { key: "analy-ticket/advanced", from: "beta", to: "100", kind: "skip-forward", soak: "soaked", gates: "pass", allowed: false, problem: "beta → 100 skips 25" },
  { key: "analy-ticket/advanced", from: "25", to: "beta", kind: "rollback", soak: "fresh", gates: "none", allowed: true },
  // 001 emergency disable: every phase group straight to off.
  { key: "analy-ticket/advanced", from: "25", to: "off", kind: "kill", soak: "fresh", gates: "none", allowed: true },
  { key: "analy-ticket/state", from: "20", to: "off", kind: "kill", soak: "fresh", gates: "none", allowed: true },
  // 002 enhanced-context: 10 → 50 → 100 with 48 h soak, kill switch.
  { key: "metadata-context/enhanced-context", from: "10", to: "50", kind: "advance", soak: "soaked", gates: "pass", allowed: true },
  { key: "metadata-context/enhanced-context", from: "10", to: "50", kind: "advance", soak: "fresh", gates: "pass", allowed: false, problem: "10 has soaked 1 d of its 2 d" },
  { key: "metadata-context/enhanced-context", from: "50", to: "100", kind: "advance", soak: "soaked", gates: "pass", allowed: true },
  { key: "metadata-context/enhanced-context", from: "50", to: "off", kind: "kill", soak: "fresh", gates: "none", allowed: true },
  { key: "metadata-context/enhanced-context", from: "off", to: "100", kind: "skip-forward", soak: "fresh", gates: "none", allowed: false, problem: "off → 100 skips 10, 50" },
  { key: "metadata-context/gpt5-mini", from: "on", to: "off", kind: "kill", soak: "fresh", gates: "none", allowed: true },
  // 003 multi-thread chat, 004 raw storage (1 h soak at 10%).
  { key: "health-companion/multi-thread-chat", from: "off", to: "on", kind: "advance", soak: "fresh", gates: "pass", allowed: true },
  { key: "conversation-raw-storage/raw-storage", from: "10", to: "100", kind: "advance", soak: "soaked", gates: "pass", allowed: true },
  { key: "conversation-raw-storage/raw-storage", from: "10", to: "100", kind: "advance", soak: "fresh", gates: "pass", allowed: false, problem: "10 has soaked 30 min of its 1 h" },
  { key: "conversation-raw-storage/raw-storage", from: "10", to: "100", kind: "advance", soak: "soaked", gates: "none", allowed: false, problem: "gate parse-success-1h (sql) was not checked" },
];

// Every call happens inside the tests (not in the describe body), so a mutation run sees each row's test
// exercise the code it checks.
describe.each(ROWS)("$key: $from → $to ($soak, gates $gates)", (row) => {
  const f = feature(row.key);
  const soakHours = f.rungs.find((r) => r.name === row.from)?.soakHours ?? 0;

  it(`is a ${row.kind}, ${row.allowed ? "allowed" : "refused"}`, () => {
    const move = classifyMove(f, row.key, row.from, row.to);
    const check = checkMove(f, move, { now: NOW, since: since(row.soak, soakHours), gates: row.gates === "pass" ? passing(f, row.from, row.to) : [] });
    expect(move.kind).toBe(row.kind);
    expect(check.allowed, check.problems.join("\n")).toBe(row.allowed);
    expect(check.forced).toBe(false);
    if (row.problem) expect(check.problems.join("\n")).toContain(row.problem);
    else expect(check.problems).toEqual([]);
  });

  if (!row.allowed) {
    it("is allowed when forced with a reason, and marked forced", () => {
      const move = classifyMove(f, row.key, row.from, row.to);
      const forced = checkMove(f, move, { now: NOW, since: since(row.soak, soakHours), gates: [], force: "incident 42: ship the fix" });
      expect(forced.allowed).toBe(true);
      expect(forced.forced).toBe(true);
      expect(checkMove(f, move, { now: NOW, gates: [], force: "   " }).allowed).toBe(false);
    });
  }
});

describe("kill and rollback never wait", () => {
  it.each(CATALOG.flatMap((a) => a.features.map((f) => [`${a.name}/${f.name}`, f] as const)))("%s: a kill from every rung is allowed at once", (key, f) => {
    for (const rung of f.rungs.slice(1)) {
      const move = classifyMove(f, key, rung.name, f.rungs[0].name);
      expect(move.kind).toBe("kill");
      expect(checkMove(f, move, { now: NOW }).allowed).toBe(true);
      expect(gatesFor(f, move)).toEqual([]);
    }
  });
});

describe("targetOf", () => {
  const f = feature("metadata-context/enhanced-context");
  it.each([
    ["10", "advance", "50"],
    ["10", "rollback", "off"],
    ["50", "kill", "off"],
    ["off", "kill", "off"],
  ] as const)("%s %s → %s", (from, verb, to) => {
    expect(targetOf(f, "m/e", from, verb)).toBe(to);
  });
  it("refuses past the ends, naming the rung", () => {
    expect(() => targetOf(f, "m/e", "100", "advance")).toThrow("m/e is already at its last rung (100); nothing to advance to");
    expect(() => targetOf(f, "m/e", "off", "rollback")).toThrow("m/e is already at its first rung (off); nothing to roll back to");
    expect(() => classifyMove(f, "m/e", "10", "75")).toThrow(MoveError);
    expect(() => classifyMove(f, "m/e", "10", "75")).toThrow('m/e: "75" is not a rung of its ladder (off, 10, 50, 100)');
  });
  it("its refusal reads as a MoveError where the error's name is shown (String(e), the first line of a stack trace)", () => {
    let error: unknown;
    try {
      targetOf(f, "m/e", "100", "advance");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MoveError);
    expect(String(error)).toBe("MoveError: m/e is already at its last rung (100); nothing to advance to");
    expect((error as Error).stack?.split("\n")[0]).toBe("MoveError: m/e is already at its last rung (100); nothing to advance to");
  });
});

describe("gates", () => {
  const sql: Extract<GateDecl, { kind: "sql" }> = { kind: "sql", name: "conv", query: "select 1", op: ">=", threshold: 75, description: "conversion ≥ 75%" };
  it.each([
    [80, "pass"],
    [75, "pass"],
    [74.99, "fail"],
    [null, "hold"],
    [undefined, "hold"],
    [Number.NaN, "error"],
  ] as const)("sql value %s → %s", (value, status) => {
    expect(judgeSqlGate(sql, value).status).toBe(status);
  });
  // Every comparison a gate or kill trigger can declare, just below, at and just above its threshold:
  // a gate that passes on the wrong side lets a bad move through (or blocks a good one).
  it.each([
    [">=", "fail", "pass", "pass"],
    ["<=", "pass", "pass", "fail"],
    [">", "fail", "fail", "pass"],
    ["<", "pass", "fail", "fail"],
    ["=", "fail", "pass", "fail"],
  ] as const)("%s: below, at and above the threshold → %s, %s, %s", (op, below, at, above) => {
    const gate = { ...sql, op, threshold: 10 };
    expect([9.99, 10, 10.01].map((value) => judgeSqlGate(gate, value).status)).toEqual([below, at, above]);
    expect([9.99, 10, 10.01].map((value) => compareValue(value, op, 10))).toEqual([below, at, above].map((s) => s === "pass"));
  });
  it("no data is a hold with a reason, not a pass", () => {
    expect(judgeSqlGate(sql, null).detail).toContain("no data yet (the query returned NULL): hold");
    expect(judgeSqlGate(sql, undefined).detail).toContain("returned no row");
  });
  it("a judged value's detail shows the value, the comparison, its outcome and the gate's description", () => {
    expect(judgeSqlGate(sql, 80)).toEqual({ gate: "conv", kind: "sql", status: "pass", value: 80, detail: "80 >= 75 is true; conversion ≥ 75%" });
    expect(judgeSqlGate(sql, 74.99)).toEqual({ gate: "conv", kind: "sql", status: "fail", value: 74.99, detail: "74.99 >= 75 is false; conversion ≥ 75%" });
  });
  it.each([
    [Number.NaN, "the query returned NaN, not a number"],
    [Number.POSITIVE_INFINITY, "the query returned Infinity, not a number"],
    [Number.NEGATIVE_INFINITY, "the query returned -Infinity, not a number"],
  ])("a value that is not a finite number (%s) is an error saying what the query returned", (value, detail) => {
    expect(judgeSqlGate(sql, value)).toEqual({ gate: "conv", kind: "sql", status: "error", value: null, detail });
  });
  it("an attest gate needs a non-empty reason", () => {
    const gate = { kind: "attest" as const, name: "upload-success", description: "upload success > 95%" };
    expect(judgeAttestGate(gate, new Map())).toEqual({
      gate: "upload-success",
      kind: "attest",
      status: "needs-ack",
      detail: "needs a person's acknowledgement: upload success > 95%",
    });
    expect(judgeAttestGate(gate, new Map([["upload-success", "  "]])).status).toBe("needs-ack");
    expect(judgeAttestGate(gate, new Map([["upload-success", "98.9% (7 d)"]]))).toMatchObject({ status: "acked", detail: "acknowledged: 98.9% (7 d)" });
  });
});

describe("soak", () => {
  it("counts from the phase start; an unknown start counts from now", () => {
    expect(soakStatus({ name: "10", soakHours: 48 }, new Date(NOW.getTime() - 47 * HOUR), NOW)).toMatchObject({ ok: false, leftMs: HOUR });
    expect(soakStatus({ name: "10", soakHours: 48 }, new Date(NOW.getTime() - 48 * HOUR), NOW)).toMatchObject({ ok: true, leftMs: 0 });
    expect(soakStatus({ name: "10", soakHours: 48 }, undefined, NOW)).toMatchObject({ ok: false, leftMs: 48 * HOUR });
    expect(soakStatus({ name: "off" }, undefined, NOW)).toMatchObject({ ok: true, leftMs: 0 });
  });
  it.each([
    [0, "0 min"],
    [59_000, "1 min"],
    [90 * 60_000, "1 h 30 min"],
    [24 * HOUR, "1 d"],
    [50 * HOUR, "2 d 2 h"],
  ])("formats %d ms as %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
  it.each([
    [59 * MIN, "59 min"],
    [60 * MIN, "1 h"],
    [61 * MIN, "1 h 1 min"],
    [2 * HOUR, "2 h"],
    [23 * HOUR + 59 * MIN, "23 h 59 min"],
  ])("formats %d ms as %s: minutes below an hour, whole hours without minutes, hours and minutes below a day", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
  it("rounds time left up to the whole minute (never claims less than is left), including across the hour", () => {
    expect(formatDuration(1)).toBe("1 min");
    expect(formatDuration(MIN + 1)).toBe("2 min");
    expect(formatDuration(HOUR - 1)).toBe("1 h");
    expect(formatDuration(2 * HOUR - MIN + 1)).toBe("2 h");
  });
  it("rounds time elapsed down to the whole minute (never claims more has passed)", () => {
    expect(formatDuration(MIN - 1, "down")).toBe("0 min");
    expect(formatDuration(MIN + 1, "down")).toBe("1 min");
    expect(formatDuration(HOUR - 1, "down")).toBe("59 min");
    expect(formatDuration(2 * HOUR - 1, "down")).toBe("1 h 59 min");
    expect(formatDuration(26 * HOUR + 59 * MIN, "down")).toBe("1 d 2 h");
  });
  it("above a day, rounds the hours the same way: time left up (1 d 3 h 44 min is 1 d 4 h), time elapsed down", () => {
    expect(formatDuration(27 * HOUR + 44 * MIN)).toBe("1 d 4 h");
    expect(formatDuration(27 * HOUR + 44 * MIN, "down")).toBe("1 d 3 h");
    expect(formatDuration(47 * HOUR + 1)).toBe("2 d");
    expect(formatDuration(48 * HOUR - 1, "down")).toBe("1 d 23 h");
    expect(formatDuration(48 * HOUR)).toBe("2 d");
  });
  it("a phase start in the future (clock skew) has soaked nothing, never a negative time", () => {
    const since = new Date(NOW.getTime() + 6 * MIN);
    expect(soakStatus({ name: "10", soakHours: 24 }, since, NOW)).toMatchObject({ elapsedMs: 0, leftMs: 24 * HOUR, ok: false });
  });
});

// A ladder declared here, so every message can be read in full: off → 5 → 10 → 25 → 50 → 100; 10 soaks a
// day behind three gates (sql, attest, prometheus) and may jump to 50 (a declared shortcut).
const CONVERSION: Extract<GateDecl, { kind: "sql" }> = { kind: "sql", name: "conversion", query: "select 80", op: ">=", threshold: 75, description: "conversion ≥ 75%" };
const TICKETS: Extract<GateDecl, { kind: "attest" }> = { kind: "attest", name: "support-tickets", description: "no new support tickets about checkout" };
const ERRORS: Extract<GateDecl, { kind: "prometheus" }> = {
  kind: "prometheus",
  name: "error-rate",
  query: 'sum(rate(http_errors_total{feature="{{feature}}"}[{{window}}]))',
  op: "<",
  threshold: 0.01,
  description: "5xx rate under 1%",
};
const CHECKOUT: FeatureDecl = {
  name: "checkout",
  description: "the new checkout",
  rungs: [{ name: "off" }, { name: "5" }, { name: "10", soakHours: 24, gates: [CONVERSION, TICKETS, ERRORS] }, { name: "25" }, { name: "50" }, { name: "100" }],
  shortcuts: [["10", "50"]],
  delivery: [{ kind: "percent", key: "CHECKOUT_PERCENT" }],
};
const KEY = "shop/checkout";
const SOAKED = new Date(NOW.getTime() - 25 * HOUR);
/** 20 h 15 min 40 s before NOW: 3 h 44 min 20 s of the day's soak left. */
const FRESH = new Date(NOW.getTime() - (20 * HOUR + 15 * MIN + 40_000));
const FRESH_PROBLEM =
  "shop/checkout: 10 has soaked 20 h 15 min of its 1 d (since 2026-11-21T15:44:20.000Z); 3 h 45 min left, until 2026-11-22T15:44:20.000Z";
const NOT_ON_MAIN_PROBLEM =
  "shop/checkout: 10 is not on the main branch yet (uncommitted or unmerged), so its 1 d soak has not started; it starts when the change lands on main";
const ERRORS_AS_ATTEST = {
  kind: "attest" as const,
  name: "error-rate",
  description: "5xx rate under 1% (no Prometheus in this stack: check < 0.01 by hand)",
};
// Results are built inside the tests (functions, not constants), like every call below: a mutation run only
// sees what a test runs.
/** The three gates of rung 10 passing in a stack without Prometheus (the error rate acknowledged by hand). */
const checkoutPassing = (): GateResult[] => [
  judgeSqlGate(CONVERSION, 80),
  judgeAttestGate(TICKETS, new Map([["support-tickets", "none in 24 h"]])),
  judgeAttestGate(ERRORS_AS_ATTEST, new Map([["error-rate", "0.2% on the dashboard"]])),
];
const withResult = (result: GateResult): GateResult[] => checkoutPassing().map((r) => (r.gate === result.gate ? result : r));
const check = (from: string, to: string, ctx: Partial<Parameters<typeof checkMove>[2]> = {}) =>
  checkMove(CHECKOUT, classifyMove(CHECKOUT, KEY, from, to), { now: NOW, since: SOAKED, gates: checkoutPassing(), ...ctx });

describe("classifyMove on a declared ladder", () => {
  it.each([
    ["10", "10", "stay"],
    ["off", "off", "stay"],
    ["5", "10", "advance"],
    ["10", "50", "shortcut"],
    ["25", "10", "rollback"],
    ["50", "off", "kill"],
    ["5", "off", "kill"],
    ["5", "25", "skip-forward"],
    ["50", "10", "skip-back"],
  ] as const)("%s → %s is a %s", (from, to, kind) => {
    const move = classifyMove(CHECKOUT, KEY, from, to);
    expect(move).toMatchObject({ key: KEY, kind, from: { name: from }, to: { name: to } });
  });
  it("staying on a rung needs nothing: no soak, no gates, no problems", () => {
    expect(check("10", "10", { since: FRESH, gates: [] })).toEqual({
      move: classifyMove(CHECKOUT, KEY, "10", "10"),
      soak: undefined,
      gates: [],
      problems: [],
      allowed: true,
      forced: false,
    });
  });
});

describe("checkMove: the soak of the rung being left", () => {
  it("an advance before the soak is over is refused with the time soaked (rounded down), the time left (rounded up) and when it ends", () => {
    const c = check("10", "25", { since: FRESH });
    expect(c.problems).toEqual([FRESH_PROBLEM]);
    expect(c.soak).toEqual({ requiredHours: 24, since: FRESH, elapsedMs: 20 * HOUR + 15 * MIN + 40_000, leftMs: 3 * HOUR + 44 * MIN + 20_000, ok: false });
    expect(c.allowed).toBe(false);
  });
  it("a phase start in the future (clock skew) reads as 0 min soaked, with the whole soak left", () => {
    const since = new Date(NOW.getTime() + 6 * MIN);
    expect(check("10", "25", { since }).problems).toEqual([
      "shop/checkout: 10 has soaked 0 min of its 1 d (since 2026-11-22T12:06:00.000Z); 1 d left, until 2026-11-23T12:00:00.000Z",
    ]);
  });
  it("an advance from a rung not yet on main is refused: its soak has not started", () => {
    const c = check("10", "25", { since: undefined });
    expect(c.problems).toEqual([NOT_ON_MAIN_PROBLEM]);
    expect(c.allowed).toBe(false);
  });
  it("a soaked rung whose gates all pass advances with no problems", () => {
    const c = check("10", "25");
    expect(c.problems).toEqual([]);
    expect(c.gates).toEqual(checkoutPassing());
    expect(c).toMatchObject({ allowed: true, forced: false, soak: { ok: true, leftMs: 0 } });
  });
  it("a move the rules allow is not marked forced, even when a reason is given", () => {
    expect(check("10", "25", { force: "incident 42" })).toMatchObject({ problems: [], allowed: true, forced: false });
    expect(check("50", "off", { force: "incident 42" })).toMatchObject({ problems: [], allowed: true, forced: false });
  });
  it("a declared shortcut waits for the soak and gates of the rung it leaves, like an advance", () => {
    const move = classifyMove(CHECKOUT, KEY, "10", "50");
    expect(move.kind).toBe("shortcut");
    expect(gatesFor(CHECKOUT, move)).toEqual([CONVERSION, TICKETS, ERRORS]);
    expect(check("10", "50", { since: FRESH }).problems).toEqual([FRESH_PROBLEM]);
    expect(check("10", "50", { gates: [] }).problems).toEqual([
      "shop/checkout: gate conversion (sql) was not checked: no result; conversion ≥ 75%",
      "shop/checkout: gate support-tickets (attest) is not acknowledged: needs a person's acknowledgement: no new support tickets about checkout",
      "shop/checkout: gate error-rate (attest) is not acknowledged: needs a person's acknowledgement: 5xx rate under 1% (no Prometheus in this stack: check < 0.01 by hand)",
    ]);
    expect(check("10", "50").allowed).toBe(true);
  });
});

describe("checkMove: skipping rungs", () => {
  it("advancing two rungs is refused and names the skipped rung and the next one", () => {
    const c = check("5", "25");
    expect(c.problems).toEqual(["shop/checkout: 5 → 25 skips 10; advance one rung at a time (5 → 10)"]);
    expect(c.allowed).toBe(false);
  });
  it("a skip of several rungs names each skipped rung, comma-separated, and the soak and gates it would bypass", () => {
    const move = classifyMove(CHECKOUT, KEY, "10", "100");
    expect(move.kind).toBe("skip-forward");
    expect(gatesFor(CHECKOUT, move)).toEqual([CONVERSION, TICKETS, ERRORS]);
    const c = check("10", "100", { since: FRESH, gates: withResult(judgeSqlGate(CONVERSION, 70)) });
    expect(c.problems).toEqual([
      "shop/checkout: 10 → 100 skips 25, 50; advance one rung at a time (10 → 25)",
      FRESH_PROBLEM,
      "shop/checkout: gate conversion (sql) failed: 70 >= 75 is false; conversion ≥ 75%",
    ]);
    expect(c).toMatchObject({ allowed: false, forced: false });
    expect(check("10", "100", { since: FRESH, force: "incident 42: ship the fix" })).toMatchObject({ allowed: true, forced: true });
  });
  it("going back two rungs is refused and offers the one-rung rollback and the kill", () => {
    const c = check("50", "10", { since: FRESH, gates: [] });
    expect(c).toEqual({
      move: classifyMove(CHECKOUT, KEY, "50", "10"),
      soak: undefined,
      gates: [],
      problems: ["shop/checkout: 50 → 10 goes back more than one rung; roll back one rung (50 → 25) or kill (→ off)"],
      allowed: false,
      forced: false,
    });
  });
  it("rollback and kill neither wait for a soak nor check gates", () => {
    for (const [from, to] of [["25", "10"], ["10", "5"], ["100", "off"]] as const) {
      expect(check(from, to, { since: undefined, gates: [] })).toMatchObject({ soak: undefined, gates: [], problems: [], allowed: true });
    }
  });
});

describe("checkMove: gates", () => {
  it.each([
    ["a failed sql gate", () => judgeSqlGate(CONVERSION, 70), "shop/checkout: gate conversion (sql) failed: 70 >= 75 is false; conversion ≥ 75%"],
    [
      "an sql gate without data",
      () => judgeSqlGate(CONVERSION, null),
      "shop/checkout: gate conversion (sql) holds: no data yet (the query returned NULL): hold; conversion ≥ 75%",
    ],
    [
      "an sql gate whose query returned no number",
      () => judgeSqlGate(CONVERSION, Number.NaN),
      "shop/checkout: gate conversion (sql) errored: the query returned NaN, not a number",
    ],
    [
      "an sql gate without a database to ask",
      (): GateResult => ({ gate: "conversion", kind: "sql", status: "unchecked", detail: "no database URL (pass --database-url); conversion ≥ 75%" }),
      "shop/checkout: gate conversion (sql) was not checked: no database URL (pass --database-url); conversion ≥ 75%",
    ],
    [
      "an attest gate nobody acknowledged",
      () => judgeAttestGate(TICKETS, new Map()),
      "shop/checkout: gate support-tickets (attest) is not acknowledged: needs a person's acknowledgement: no new support tickets about checkout",
    ],
  ])("%s refuses the advance with its verdict and detail", (_what, judge, problem) => {
    const result = judge();
    const c = check("10", "25", { gates: withResult(result) });
    expect(c.problems).toEqual([problem]);
    expect(c.gates).toEqual(withResult(result));
    expect(c.allowed).toBe(false);
  });
  it("a gate without a result counts as unchecked (sql) or not acknowledged (attest), each named with its description", () => {
    const c = check("10", "25", { gates: [] });
    expect(c.gates).toEqual([
      { gate: "conversion", kind: "sql", status: "unchecked", detail: "no result; conversion ≥ 75%" },
      { gate: "support-tickets", kind: "attest", status: "needs-ack", detail: "needs a person's acknowledgement: no new support tickets about checkout" },
      { gate: "error-rate", kind: "attest", status: "needs-ack", detail: "needs a person's acknowledgement: 5xx rate under 1% (no Prometheus in this stack: check < 0.01 by hand)" },
    ]);
    expect(c.problems).toEqual([
      "shop/checkout: gate conversion (sql) was not checked: no result; conversion ≥ 75%",
      "shop/checkout: gate support-tickets (attest) is not acknowledged: needs a person's acknowledgement: no new support tickets about checkout",
      "shop/checkout: gate error-rate (attest) is not acknowledged: needs a person's acknowledgement: 5xx rate under 1% (no Prometheus in this stack: check < 0.01 by hand)",
    ]);
  });
  it.each([
    ["passed", () => judgeSqlGate(CONVERSION, 75)],
    ["skipped on a pull request without database access (verify --skip-sql-gates)", (): GateResult => ({ gate: "conversion", kind: "sql", status: "skipped", detail: "skipped" })],
    ["acknowledged", () => judgeAttestGate({ kind: "attest", name: "conversion", description: "conversion ≥ 75%" }, new Map([["conversion", "78% in Metabase"]]))],
  ])("a gate %s lets the advance through", (_what, judge) => {
    expect(check("10", "25", { gates: withResult(judge()) })).toMatchObject({ problems: [], allowed: true });
  });
  it("only pass, acked and skipped count as passing", () => {
    const statuses: GateStatus[] = ["pass", "fail", "hold", "error", "unchecked", "acked", "needs-ack", "skipped"];
    const passed = statuses.filter((status) => gatePassed({ gate: "g", kind: "sql", status, detail: "" }));
    expect(passed).toEqual(["pass", "acked", "skipped"]);
  });
});

describe("gates in a stack without Prometheus", () => {
  it("a prometheus gate becomes an attest gate of the same name, saying what to check by hand; other gates stay", () => {
    expect(gatesForStack([CONVERSION, TICKETS, ERRORS], false)).toEqual([CONVERSION, TICKETS, ERRORS_AS_ATTEST]);
  });
  it("with Prometheus, every gate stays as declared", () => {
    expect(gatesForStack([CONVERSION, TICKETS, ERRORS], true)).toEqual([CONVERSION, TICKETS, ERRORS]);
  });
  it("checkMove asks a person for the number by default, and Prometheus for it when the stack has one", () => {
    const missing = checkoutPassing().filter((r) => r.gate !== "error-rate");
    expect(check("10", "25", { gates: missing }).problems).toEqual([
      "shop/checkout: gate error-rate (attest) is not acknowledged: needs a person's acknowledgement: 5xx rate under 1% (no Prometheus in this stack: check < 0.01 by hand)",
    ]);
    expect(check("10", "25", { gates: missing, prometheus: false }).problems).toEqual(check("10", "25", { gates: missing }).problems);
    expect(check("10", "25", { gates: missing, prometheus: true }).problems).toEqual([
      "shop/checkout: gate error-rate (prometheus) was not checked: no result; 5xx rate under 1%",
    ]);
    const measured = judgePrometheusGate(ERRORS, { holds: true, value: 0.002, reason: "0.002 < 0.01" }, true);
    expect(check("10", "25", { gates: [...missing, measured], prometheus: true })).toMatchObject({ problems: [], allowed: true });
  });
});

describe("diffPhases", () => {
  const before = {
    phases: { "shop/search": "50", "shop/checkout": "10", "shop/cart": "off", "blog/comments": "100" },
    previewPhases: { "shop/checkout": "100", "shop/cart": "50" },
  };
  const after = {
    phases: { "shop/search": "off", "shop/checkout": "25", "shop/cart": "off", "shop/wishlist": "off" },
    previewPhases: { "shop/cart": "50", "shop/search": "100" },
  };
  it("lists production changes, then preview ones, each sorted by key; unchanged keys are left out and an absent feature is null", () => {
    expect(diffPhases(before, after)).toEqual([
      { key: "blog/comments", target: "production", from: "100", to: null },
      { key: "shop/checkout", target: "production", from: "10", to: "25" },
      { key: "shop/search", target: "production", from: "50", to: "off" },
      { key: "shop/wishlist", target: "production", from: null, to: "off" },
      { key: "shop/checkout", target: "preview", from: "100", to: null },
      { key: "shop/search", target: "preview", from: null, to: "100" },
    ]);
  });
  it("a missing stack file on either side is no phases at all", () => {
    expect(diffPhases(null, { phases: { "shop/checkout": "10" }, previewPhases: { "shop/cart": "off" } })).toEqual([
      { key: "shop/checkout", target: "production", from: null, to: "10" },
      { key: "shop/cart", target: "preview", from: null, to: "off" },
    ]);
    expect(diffPhases({ phases: { "shop/checkout": "10" }, previewPhases: {} }, undefined)).toEqual([{ key: "shop/checkout", target: "production", from: "10", to: null }]);
  });
  it("no change is an empty list", () => {
    expect(diffPhases(before, before)).toEqual([]);
    expect(diffPhases(undefined, null)).toEqual([]);
  });
});

describe("ladders", () => {
  const decl = (rungs: string[], extra: Partial<FeatureDecl> = {}): FeatureDecl => ({
    name: "f",
    description: "",
    rungs: rungs.map((name) => ({ name })),
    delivery: [{ kind: "percent", key: "F_PERCENT" }],
    ...extra,
  });

  it("percent rungs without a cohort before them are plain percents, delivered as the number", () => {
    const ladder = ladderOf(decl(["off", "10", "50", "100"]));
    expect(ladder.rungs[1]).toEqual({ name: "10", index: 1, kind: "percent", percent: 10, cohorts: [] });
    expect(ladder.rungs.map(percentValue)).toEqual(["0", "10", "50", "100"]);
  });
  it("cohorts accumulate and join with + in the share; 100 covers everyone", () => {
    const ladder = ladderOf(decl(["off", "beta", "staff", "25", "100"], { cohorts: ["beta", "staff"] }));
    expect(ladder.rungs.map(percentValue)).toEqual(["0", "beta", "beta+staff", "beta+staff+25", "100"]);
  });
  it("a named rung delivers 0 when it is the first rung and 100 otherwise", () => {
    const f = decl(["dry-run", "shadow", "live"]);
    expect(ladderOf(f).rungs.map(percentValue)).toEqual(["0", "100", "100"]);
    expect(["dry-run", "shadow", "live"].map((rung) => deliveredValues(f, rung, "production"))).toEqual([
      { F_PERCENT: "0" },
      { F_PERCENT: "100" },
      { F_PERCENT: "100" },
    ]);
  });
  it.each([
    [["off", "0", "10"], 'f: percent rungs must rise (got 0 after 0)'],
    [["0", "10"], 'f: percent rungs must rise (got 0 after 0)'],
    [["off", "50", "10"], "f: percent rungs must rise (got 10 after 50)"],
    [["off", "Live"], 'f: "Live" is not a valid rung name'],
    [["off", "dry_run"], 'f: "dry_run" is not a valid rung name'],
    [["off", "2x"], 'f: "2x" is not a valid rung name'],
  ])("refuses the ladder %j: %s", (rungs, message) => {
    expect(() => ladderOf(decl(rungs))).toThrow(LadderDeclarationError);
    expect(() => ladderOf(decl(rungs))).toThrow(message);
  });
  it("a phase given as a number (as `pulumi config set --path` writes 10) is the same rung as the string", () => {
    const ladder = ladderOf(decl(["off", "10", "50", "100"]));
    expect(normalizeRungValue(10)).toBe("10");
    expect(normalizeRungValue(0)).toBe("0");
    expect(normalizeRungValue("10")).toBe("10");
    const rung: Rung | undefined = findRung(ladder, normalizeRungValue(10)!);
    expect(rung).toEqual(findRung(ladder, "10"));
    expect(rung?.index).toBe(1);
  });
  it.each([[10.5], [Number.NaN], [true], [null], [undefined], [{ rung: "10" }]])("%j is not a rung name", (value) => {
    expect(normalizeRungValue(value)).toBeUndefined();
  });
});
