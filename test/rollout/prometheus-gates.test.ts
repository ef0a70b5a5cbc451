/**
 * `prometheus` gates and kill triggers in the rollout commands, against a local stand-in of the query
 * API (the real Prometheus is in `prometheus.int.test.ts`): a stack that declares Prometheus decides
 * `advance` and `watch` on the numbers; one that does not turns the gates into attest gates and does not
 * evaluate the triggers; no data never passes and never trips.
 */
import * as http from "http";
import type { AddressInfo } from "net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CATALOG } from "../../infra/apps";
import { prometheusDeclarationProblems } from "../../infra/rollout/gates";
import { performMove, rolloutStatus, type Workspace } from "../../infra/rollout/commands";
import { watchStack, type KillNow } from "../../infra/rollout/watch";
import { gitFixture, type GitFixture } from "./git-fixture";

const NOW = new Date("2026-05-04T10:00:00Z");
const KEY = "metadata-context/enhanced-context";

/** Answers each query by the metric it names: value per metric, or no series. */
let values: Record<string, string | undefined> = {};
const queries: string[] = [];
let server: http.Server;
let url: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const query = new URLSearchParams(body).get("query") ?? "";
      queries.push(query);
      const metric = Object.keys(values).find((m) => query.includes(m));
      const v = metric === undefined ? undefined : values[metric];
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ status: "success", data: { resultType: "vector", result: v === undefined ? [] : [{ metric: {}, value: [NOW.getTime() / 1000, v] }] } }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

let repo: GitFixture | undefined;
afterEach(() => repo?.remove());

/** The prod stack in a git fixture, its rung of enhanced-context committed 3 days ago (soak done), with or without Prometheus. */
function stack(prometheus: boolean, env: NodeJS.ProcessEnv = {}): Workspace {
  repo = gitFixture();
  if (prometheus) repo.write("stacks/Pulumi.prod.yaml", repo.read("stacks/Pulumi.prod.yaml").replace("config:\n", "config:\n  rollout-stack:prometheus: true\n"));
  repo.commit("stacks", 72);
  return { root: repo.dir, env, now: NOW };
}

describe("a stack with Prometheus", () => {
  it("status and advance decide on the numbers: pass, fail, and no data holds", async () => {
    const ws = stack(true, { ROLLOUT_PROMETHEUS_URL: url, ROLLOUT_GATES_DATABASE_URL_METADATA_CONTEXT: "" });
    values = { assistant_requests_total: "0.004", assistant_request_duration_seconds_bucket: "1.2" };
    const status = await rolloutStatus(ws, { stack: "prod", features: [KEY] });
    const gates = status.rows[0].gates;
    expect(gates.filter((g) => g.kind === "prometheus").map((g) => [g.gate, g.status, g.value])).toEqual([
      ["error-rate", "pass", 0.004],
      ["response-time", "pass", 1.2],
    ]);
    expect(gates[0].detail).toBe("0.004 < 0.01 is true; error rate of enhanced-context requests < 1% (seed 002: > 5% is a rollback)");
    // The variables were filled in: the app's label, the default 15-minute window.
    expect(queries.at(-2)).toContain('app="metadata-context", enhanced_context="true", outcome="error"}[15m]');

    values = { assistant_requests_total: "0.02", assistant_request_duration_seconds_bucket: "1.2" };
    const refused = await performMove(ws, { stack: "prod", verb: "advance", feature: KEY, dryRun: true, force: false, acks: new Map() });
    expect(refused.refused).toBe(true);
    expect(refused.check.problems).toContain(
      `${KEY}: gate error-rate (prometheus) failed: 0.02 < 0.01 is false; error rate of enhanced-context requests < 1% (seed 002: > 5% is a rollback)`,
    );

    values = { assistant_request_duration_seconds_bucket: "1.2" }; // the error series is gone
    const held = await rolloutStatus(ws, { stack: "prod", features: [KEY] });
    expect(held.rows[0].gates.find((g) => g.gate === "error-rate")).toMatchObject({ status: "hold", value: null, detail: expect.stringMatching(/^no series \(no data\): hold;/) });
    expect(held.rows[0].ready).toBe(false);
  });

  it("without a URL the gates are unchecked (never a pass), naming the variable", async () => {
    const ws = stack(true, {});
    const status = await rolloutStatus(ws, { stack: "prod", features: [KEY] });
    expect(status.rows[0].gates.find((g) => g.gate === "error-rate")).toMatchObject({
      status: "unchecked",
      detail: expect.stringMatching(/^no Prometheus URL \(pass --prometheus-url or set ROLLOUT_PROMETHEUS_URL\): not checked;/),
    });
  });

  it("watch trips on a metric trigger, and never on no data", async () => {
    const noKill: KillNow = async () => "killed";
    const ws = stack(true, { ROLLOUT_PROMETHEUS_URL: url });
    values = { assistant_requests_total: "0.08", assistant_request_duration_seconds_bucket: "1.1" };
    const report = await watchStack(ws, { stack: "prod", kill: noKill, commit: false });
    const row = report.features.find((f) => f.key === KEY)!;
    // No database URL: the SQL triggers are unchecked, the metric ones still run.
    expect(row.unchecked).toContain("set ROLLOUT_GATES_DATABASE_URL_METADATA_CONTEXT");
    expect(row.triggers.map((t) => [t.trigger, t.status, t.value])).toEqual([
      ["error-rate-5pct", "trip", 0.08],
      ["p95-over-5s", "ok", 1.1],
    ]);
    expect(row.tripped).toEqual({ trigger: "error-rate-5pct", value: 0.08, op: ">", threshold: 0.05 });

    values = {};
    const quiet = await watchStack(ws, { stack: "prod", kill: noKill, commit: false });
    const q = quiet.features.find((f) => f.key === KEY)!;
    expect(q.triggers.map((t) => t.status)).toEqual(["no-data", "no-data"]);
    expect(q.tripped).toBeUndefined();
    expect(quiet.tripped).toBe(0);
  });
});

describe("a stack without Prometheus", () => {
  it("the metric gates are attest gates a person acknowledges; the metric triggers are not evaluated", async () => {
    const ws = stack(false, { ROLLOUT_PROMETHEUS_URL: url });
    const before = queries.length;
    const status = await rolloutStatus(ws, { stack: "prod", features: [KEY] });
    expect(status.rows[0].gates.slice(0, 2).map((g) => [g.gate, g.kind, g.status])).toEqual([
      ["error-rate", "attest", "needs-ack"],
      ["response-time", "attest", "needs-ack"],
    ]);
    expect(status.rows[0].gates[0].detail).toContain("(no Prometheus in this stack: check < 0.01 by hand)");
    const acked = await performMove(ws, {
      stack: "prod",
      verb: "advance",
      feature: KEY,
      dryRun: true,
      acks: new Map([
        ["error-rate", "0.4% on the dashboard"],
        ["response-time", "p95 1.3 s"],
      ]),
    });
    expect(acked.check.gates.slice(0, 2).map((g) => g.status)).toEqual(["acked", "acked"]);
    const report = await watchStack(ws, { stack: "prod", kill: async () => "x", commit: false });
    expect(report.features.find((f) => f.key === KEY)!.triggers).toEqual([]);
    expect(queries.length).toBe(before);
  });
});

describe("declarations", () => {
  it("the catalog's metric checks are well formed; a bad one is named", () => {
    expect(CATALOG.flatMap((a) => a.features.flatMap(prometheusDeclarationProblems))).toEqual([]);
    const bad = {
      name: "f",
      description: "",
      delivery: [],
      rungs: [
        { name: "off" },
        { name: "10", gates: [{ kind: "prometheus" as const, name: "g", query: "x{f={{feature}}}", op: "<" as const, threshold: 1, window: "soon", description: "" }] },
      ],
    };
    expect(prometheusDeclarationProblems(bad)).toEqual([
      'f: gate g (rung 10): {{feature}} must stand inside a quoted string (e.g. {feature="{{feature}}"}), where its value is escaped',
      'f: gate g (rung 10): window "soon" is not a PromQL duration (e.g. 15m)',
    ]);
  });
});
