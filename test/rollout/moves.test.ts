import { judgePrometheusGate } from "../../infra/rollout/gates";
import { describe, expect, it } from "vitest";
import { CATALOG } from "../../infra/apps";
import type { FeatureDecl, GateDecl } from "../../infra/apps/types";
import {
  checkMove,
  classifyMove,
  compareValue,
  formatDuration,
  gatesFor,
  judgeAttestGate,
  judgeSqlGate,
  MoveError,
  soakStatus,
  targetOf,
  type GateResult,
  type MoveKind,
} from "../../infra/rollout/moves";

const NOW = new Date("2026-11-22T12:00:00Z");
const HOUR = 3_600_000;

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

describe.each(ROWS)("$key: $from → $to ($soak, gates $gates)", (row) => {
  const f = feature(row.key);
  const move = classifyMove(f, row.key, row.from, row.to);
  const soakHours = f.rungs.find((r) => r.name === row.from)?.soakHours ?? 0;
  const check = checkMove(f, move, { now: NOW, since: since(row.soak, soakHours), gates: row.gates === "pass" ? passing(f, row.from, row.to) : [] });

  it(`is a ${row.kind}, ${row.allowed ? "allowed" : "refused"}`, () => {
    expect(move.kind).toBe(row.kind);
    expect(check.allowed, check.problems.join("\n")).toBe(row.allowed);
    expect(check.forced).toBe(false);
    if (row.problem) expect(check.problems.join("\n")).toContain(row.problem);
    else expect(check.problems).toEqual([]);
  });

  if (!row.allowed) {
    it("is allowed when forced with a reason, and marked forced", () => {
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
  it("an attest gate needs a non-empty reason", () => {
    const gate = { kind: "attest" as const, name: "upload-success", description: "upload success > 95%" };
    expect(judgeAttestGate(gate, new Map()).status).toBe("needs-ack");
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
});
