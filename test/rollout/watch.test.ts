/**
 * `rollout watch`, the parts that need no database: how a trigger is judged (as an sql gate: pass is a
 * trip, for every op, at, below and above the threshold; no data and errors never trip), which features
 * are watched, the kill branch name and commit message; and `watchStack`'s refusals and unchecked
 * features, with a fake query runner on a temporary git repository. The queries themselves run on a
 * real Postgres in `watch.int.test.ts`.
 */
import { afterEach, describe, expect, it } from "vitest";
import { CATALOG } from "../../infra/apps";
import type { SqlCheckDecl } from "../../infra/apps/types";
import { UsageError, type Workspace } from "../../infra/rollout/commands";
import { judgeSqlGate, type GateResult } from "../../infra/rollout/moves";
import { parseTrailers } from "../../infra/rollout/history";
import {
  evaluateTriggers,
  judgeTrigger,
  KILL_TRAILER,
  killBranchName,
  killCommitMessage,
  triggerGate,
  triggerResultOf,
  tripReason,
  tripText,
  watchedFeatures,
  watchStack,
  type KillNow,
} from "../../infra/rollout/watch";
import { gitFixture, type GitFixture } from "./git-fixture";

const trigger = (op: SqlCheckDecl["op"], threshold = 5, name = `t${op}`): SqlCheckDecl => ({
  kind: "sql",
  name,
  query: "select 1",
  op,
  threshold,
  description: `value ${op} ${threshold}`,
});

describe("judgeTrigger: a trigger trips exactly when its gate would pass", () => {
  // [op, below (4), at (5), above (6)]: what trips.
  const table: [SqlCheckDecl["op"], boolean, boolean, boolean][] = [
    [">", false, false, true],
    [">=", false, true, true],
    ["<", true, false, false],
    ["<=", true, true, false],
    ["=", false, true, false],
  ];
  it.each(table)("%s 5: below %s, at %s, above %s", (op, below, at, above) => {
    const t = trigger(op);
    const statuses = [4, 5, 6].map((v) => judgeTrigger(t, v).status);
    expect(statuses).toEqual([below, at, above].map((trips) => (trips ? "trip" : "ok")));
    // The same rule as the gate's, value for value (one comparison, in judgeSqlGate).
    for (const v of [4, 4.99, 5, 5.01, 6]) {
      expect(judgeTrigger(t, v).status === "trip").toBe(judgeSqlGate(triggerGate(t), v).status === "pass");
    }
  });

  it("fractions just past the threshold: 5.01 > 5 trips, 5 > 5 does not; 94.99 < 95 trips, 95 < 95 does not", () => {
    expect(judgeTrigger(trigger(">"), 5.01)).toEqual({ trigger: "t>", status: "trip", value: 5.01, detail: "5.01 > 5: trips; value > 5" });
    expect(judgeTrigger(trigger(">"), 5)).toEqual({ trigger: "t>", status: "ok", value: 5, detail: "5 > 5 is false: no trip; value > 5" });
    expect(judgeTrigger(trigger("<", 95), 94.99).status).toBe("trip");
    expect(judgeTrigger(trigger("<", 95), 95).status).toBe("ok");
  });

  it("NULL or no row is no data, never a trip, whatever the op", () => {
    for (const op of [">", ">=", "<", "<=", "="] as const) {
      expect(judgeTrigger(trigger(op), null)).toEqual({ trigger: `t${op}`, status: "no-data", value: null, detail: expect.stringContaining("NULL): never a trip") });
      expect(judgeTrigger(trigger(op), undefined)).toMatchObject({ status: "no-data", value: null, detail: expect.stringContaining("no row") });
    }
  });

  it("a value that is not a number is an error, not a trip", () => {
    expect(judgeTrigger(trigger(">"), Number.NaN)).toMatchObject({ status: "error", value: null });
    expect(judgeTrigger(trigger("<"), Number.NEGATIVE_INFINITY)).toMatchObject({ status: "error", value: null });
  });

  it("the gate keeps the trigger's name, query, op, threshold and description", () => {
    const t = trigger(">=", 7, "x");
    expect(triggerGate(t)).toEqual({ kind: "sql", name: "x", query: "select 1", op: ">=", threshold: 7, description: "value >= 7" });
  });

  it("gate results a runner should not return (unchecked, skipped) are errors, never trips", () => {
    const t = trigger(">");
    const r = (status: GateResult["status"], value?: number | null): GateResult => ({ gate: "t>", kind: "sql", status, value, detail: "d" });
    expect(triggerResultOf(t, r("error")).status).toBe("error");
    expect(triggerResultOf(t, r("unchecked")).status).toBe("error");
    expect(triggerResultOf(t, r("skipped", 9)).status).toBe("error");
    expect(triggerResultOf(t, r("pass", null)).status).toBe("error");
  });
});

describe("evaluateTriggers with an injected runner", () => {
  it("maps results by position (two triggers may share a name) and reports a missing result as an error", async () => {
    const a = trigger(">", 1, "same");
    const b = trigger("<", 1, "same");
    const c = trigger("=", 1, "third");
    const seen: string[][] = [];
    const run = async (_url: string, gates: readonly { name: string; op: string }[]): Promise<GateResult[]> => {
      seen.push(gates.map((g) => `${g.name} ${g.op}`));
      return [
        { gate: "same", kind: "sql", status: "pass", value: 2, detail: "" },
        { gate: "same", kind: "sql", status: "fail", value: 2, detail: "" },
      ];
    };
    const results = await evaluateTriggers("postgres://unused", [a, b, c], { run });
    expect(seen).toEqual([["same >", "same <", "third ="]]);
    expect(results.map((r) => [r.trigger, r.status])).toEqual([
      ["same", "trip"],
      ["same", "ok"],
      ["third", "error"],
    ]);
  });

  it("no triggers: no query", async () => {
    let calls = 0;
    expect(
      await evaluateTriggers("postgres://unused", [], {
        run: async () => {
          calls++;
          return [];
        },
      }),
    ).toEqual([]);
    expect(calls).toBe(0);
  });
});

describe("kill branch and commit message", () => {
  const trip = { trigger: "error-share-15m", value: 5.01, op: ">" as const, threshold: 5 };

  it("one branch per stack and feature", () => {
    expect(killBranchName("prod", "metadata-context/enhanced-context")).toBe("rollout-kill/prod/metadata-context/enhanced-context");
    expect(killBranchName("staging", "analy-ticket/core")).toBe("rollout-kill/staging/analy-ticket/core");
  });

  it("subject as a kill move, the reason, and the Rollout-Kill trailer", () => {
    expect(tripText(trip)).toBe("error-share-15m: 5.01 > 5");
    expect(tripReason(trip)).toBe("rollout watch: error-share-15m 5.01 > 5");
    expect(killCommitMessage("prod", "metadata-context/enhanced-context", "10", "off", trip)).toBe(
      [
        "rollout(prod): metadata-context/enhanced-context 10 → off (kill)",
        "",
        "rollout watch: error-share-15m 5.01 > 5",
        "",
        "Rollout-Kill: metadata-context/enhanced-context error-share-15m: 5.01 > 5",
      ].join("\n"),
    );
    expect(KILL_TRAILER).toBe("Rollout-Kill");
    // Not mistaken for the trailers verify trusts.
    expect(parseTrailers(killCommitMessage("prod", "a/f", "10", "off", trip))).toEqual({ acks: [], forces: [] });
  });
});

describe("watchedFeatures", () => {
  const phases = (over: Record<string, string>) => ({ apps: CATALOG, phases: over });

  it("only features above their first rung, on a rung with kill triggers", () => {
    const keys = watchedFeatures(
      phases({
        "chat-sessions/early-session-creation": "10", // no triggers on its ladder
        "analy-ticket/core": "100",
        "analy-ticket/connection": "off", // first rung
        "metadata-context/enhanced-context": "50",
        "metadata-context/gpt5-mini": "on", // no triggers
        "conversation-raw-storage/raw-storage": "off", // first rung
      }),
    ).map((w) => `${w.key}@${w.rung}:${w.triggers.map((t) => t.name).join(",")}`);
    expect(keys).toEqual(["analy-ticket/core@100:session-error-rate,data-loss", "metadata-context/enhanced-context@50:error-share-15m,p95-latency-15m"]);
  });

  it("a feature the stack does not list stands on its first rung: not watched", () => {
    expect(watchedFeatures(phases({}))).toEqual([]);
  });
});

describe("watchStack with a fake runner (git, no database)", () => {
  let repo: GitFixture | undefined;
  afterEach(() => repo?.remove());

  const NOW = new Date("2026-05-04T10:00:00Z");
  const setup = (env: NodeJS.ProcessEnv, runSql?: Workspace["runSql"]) => {
    repo = gitFixture();
    repo.commit("stacks");
    const ws: Workspace = { root: repo.dir, env, now: NOW, runSql };
    return ws;
  };
  const noKill: KillNow = async () => {
    throw new Error("kill must not be called");
  };

  it("a feature without a database URL is unchecked (the variable to set), never a trip", async () => {
    let calls = 0;
    const ws = setup({}, async () => {
      calls++;
      return [];
    });
    const report = await watchStack(ws, { stack: "prod", kill: noKill });
    expect(report).toMatchObject({ stack: "prod", now: NOW.toISOString(), mainRef: "main", tripped: 0 });
    expect(report.features).toEqual([
      { key: "analy-ticket/core", rung: "100", live: false, triggers: [], unchecked: expect.stringContaining("set ROLLOUT_GATES_DATABASE_URL_ANALY_TICKET") },
      {
        key: "metadata-context/enhanced-context",
        rung: "10",
        live: true,
        triggers: [],
        unchecked: expect.stringContaining("set ROLLOUT_GATES_DATABASE_URL_METADATA_CONTEXT"),
      },
    ]);
    expect(calls).toBe(0);
    expect(repo!.git(["branch", "--list", "rollout-kill/*"])).toBe("");
  });

  it("--database-url for watched features on two databases is refused", async () => {
    const ws = setup({});
    await expect(watchStack(ws, { stack: "prod", kill: noKill, databaseUrl: "postgres://x" })).rejects.toThrow(UsageError);
    await expect(watchStack(ws, { stack: "prod", kill: noKill, databaseUrl: "postgres://x" })).rejects.toThrow(/one database.*analy-ticket, metadata-context/);
  });

  it("--database-url with one watched database is used for it", async () => {
    const urls: string[] = [];
    const ws = setup({}, async (url, gates) => {
      urls.push(url);
      return gates.map((g): GateResult => ({ gate: g.name, kind: "sql", status: "fail", value: 0, detail: "" }));
    });
    repo!.handEdit("prod", "analy-ticket/core", '"off"');
    repo!.commit("core off");
    const report = await watchStack(ws, { stack: "prod", kill: noKill, databaseUrl: "postgres://only" });
    expect(report.features.map((f) => [f.key, f.triggers.map((t) => t.status)])).toEqual([["metadata-context/enhanced-context", ["ok", "ok"]]]);
    expect(urls).toEqual(["postgres://only"]);
  });

  it("outside a git repository: refused when writing branches; with commit: false the kill still runs", async () => {
    const ws = setup({ ROLLOUT_GATES_DATABASE_URL_METADATA_CONTEXT: "postgres://m" }, async (_url, gates) =>
      gates.map((g, i): GateResult => ({ gate: g.name, kind: "sql", status: i === 0 ? "pass" : "fail", value: i === 0 ? 9 : 1, detail: "" })),
    );
    repo!.git(["update-ref", "-d", "HEAD"]); // an unborn branch: no main to commit on
    await expect(watchStack(ws, { stack: "prod", kill: noKill })).rejects.toThrow(UsageError);
    const calls: unknown[] = [];
    const report = await watchStack(ws, {
      stack: "prod",
      commit: false,
      by: "alice",
      kill: async (req) => {
        calls.push(req);
        return "done";
      },
    });
    expect(calls).toEqual([
      {
        stack: "prod",
        feature: "metadata-context/enhanced-context",
        live: true,
        record: { share: "0", from: "10", by: "alice", at: NOW.toISOString(), reason: "rollout watch: error-share-15m 9 > 5", trigger: "error-share-15m: 9 > 5" },
      },
    ]);
    const row = report.features.find((f) => f.key === "metadata-context/enhanced-context")!;
    expect(row).toMatchObject({ tripped: { trigger: "error-share-15m", value: 9, op: ">", threshold: 5 }, kill: { delivery: "edge-config", result: "done" } });
    expect(row.branch).toBeUndefined();
    expect(row.notes).toContain("the kill branch was not written (commit: false)");
    expect(report.mainRef).toBeUndefined();
  });
});
