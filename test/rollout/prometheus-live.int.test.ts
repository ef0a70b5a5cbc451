/**
 * `rollout status`/`advance` and `rollout watch` deciding on live numbers from a real Prometheus
 * (test/support/prometheus.ts) scraping the catalog's metrics: seed 001's session error rate and
 * recovery gauges for analy-ticket's gates, seed 002's request counters for metadata-context's kill
 * triggers. The stack declares Prometheus; no database URL is set, so only the metric checks decide.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { performMove, rolloutStatus, type Workspace } from "../../infra/rollout/commands";
import { watchStack, type KillNow } from "../../infra/rollout/watch";
import { startTestPrometheus, type PromAnswer, type TestPrometheus } from "../support/prometheus";
import { gitFixture, type GitFixture } from "./git-fixture";

let prom: TestPrometheus;
beforeAll(async () => {
  prom = await startTestPrometheus();
}, 120_000);
afterAll(async () => {
  await prom?.stop();
});

let repo: GitFixture | undefined;
afterEach(() => repo?.remove());

/** The prod stack with Prometheus declared and analy-ticket's connection group at 10, committed 4 days ago (its 3-day soak done). */
function workspace(): Workspace {
  repo = gitFixture();
  const file = "stacks/Pulumi.prod.yaml";
  repo.write(file, repo.read(file).replace("config:\n", "config:\n  rollout-stack:prometheus: true\n"));
  repo.handEdit("prod", "analy-ticket/connection", '"10"');
  repo.commit("connection at 10", 96);
  return { root: repo.dir, env: { ROLLOUT_PROMETHEUS_URL: prom.url }, now: new Date() };
}

const one = (value: string) => (a: PromAnswer) => a.data?.result.length === 1 && a.data.result[0].value[1] === value;

describe("on live numbers", () => {
  it("advance is allowed while seed 001's error rate and recovery hold, and refused once the error rate passes 1%", async () => {
    const app = { app: "analy-ticket" };
    prom.exporter.set("session_error_rate", app, 0.004);
    prom.exporter.set("connection_recovery_success_rate", app, 0.97);
    await prom.waitForValue('max(max_over_time(session_error_rate{app="analy-ticket"}[5m]))', one("0.004"));
    await prom.waitForValue('min(min_over_time(connection_recovery_success_rate{app="analy-ticket"}[10m]))', one("0.97"));

    const ws = workspace();
    const ok = await performMove(ws, { stack: "prod", verb: "advance", feature: "analy-ticket/connection", dryRun: true, acks: new Map() });
    expect(ok.check.gates.map((g) => [g.gate, g.kind, g.status, g.value])).toEqual([
      ["error-rate", "prometheus", "pass", 0.004],
      ["recovery", "prometheus", "pass", 0.97],
    ]);
    expect(ok.refused).toBe(false);

    prom.exporter.set("session_error_rate", app, 0.02);
    await prom.waitForValue('max(max_over_time(session_error_rate{app="analy-ticket"}[5m]))', one("0.02"));
    const refused = await performMove({ ...ws, now: new Date() }, { stack: "prod", verb: "advance", feature: "analy-ticket/connection", dryRun: true, acks: new Map() });
    expect(refused.refused).toBe(true);
    expect(refused.check.problems.join("\n")).toContain("gate error-rate (prometheus) failed: 0.02 < 0.01 is false");
    const status = await rolloutStatus({ ...ws, now: new Date() }, { stack: "prod", features: ["analy-ticket/connection"] });
    expect(status.rows[0].gates.find((g) => g.gate === "error-rate")).toMatchObject({ status: "fail", value: 0.02 });
  });

  it("watch kills metadata-context when seed 002's error rate passes 5%, and never on no data", async () => {
    const noKill: KillNow = async () => "killed";
    const labels = (outcome: string) => ({ app: "metadata-context", enhanced_context: "true", outcome });
    const rate = 'sum(rate(assistant_requests_total{app="metadata-context", enhanced_context="true", outcome="error"}[15m])) / sum(rate(assistant_requests_total{app="metadata-context", enhanced_context="true"}[15m]))';
    const ws = workspace();

    // No request metrics yet: no data, never a trip.
    const quiet = await watchStack(ws, { stack: "prod", kill: noKill, commit: false });
    const q = quiet.features.find((f) => f.key === "metadata-context/enhanced-context")!;
    expect(q.triggers.map((t) => [t.trigger, t.status])).toEqual([
      ["error-rate-5pct", "no-data"],
      ["p95-over-5s", "no-data"],
    ]);
    expect(quiet.tripped).toBe(0);

    // Counters: 0 then 10 errors of 100 requests: an error rate of 10%.
    prom.exporter.set("assistant_requests_total", labels("error"), 0);
    prom.exporter.set("assistant_requests_total", labels("ok"), 0);
    await prom.waitForValue('sum(assistant_requests_total{app="metadata-context"})', one("0"));
    prom.exporter.set("assistant_requests_total", labels("error"), 10);
    prom.exporter.set("assistant_requests_total", labels("ok"), 90);
    // rate() extrapolates: about 0.1, not always to the last bit.
    await prom.waitForValue(rate, (a) => a.data?.result.length === 1 && Math.abs(Number(a.data.result[0].value[1]) - 0.1) < 1e-9);
    const report = await watchStack({ ...ws, now: new Date() }, { stack: "prod", kill: noKill, commit: false });
    const row = report.features.find((f) => f.key === "metadata-context/enhanced-context")!;
    expect(row.triggers.find((t) => t.trigger === "error-rate-5pct")).toMatchObject({ status: "trip", value: expect.closeTo(0.1, 9) });
    expect(row.tripped).toEqual({ trigger: "error-rate-5pct", value: expect.closeTo(0.1, 9), op: ">", threshold: 0.05 });
    expect(row.kill).toMatchObject({ delivery: "edge-config", result: "killed" });
  });
});
