/**
 * The Prometheus check against a real Prometheus (test/support/prometheus.ts) scraping a live exporter
 * every second: the query filled, sent and judged as a gate does. A pass and a fail on a live value and
 * the flip after the next scrape; every answer that is no verdict (no data, NaN, several series, a
 * series gone stale, an old sample, an error answer); the server down or too slow; injection through a
 * variable (the attack works when concatenated, not when filled); auth through a Mimir-like proxy.
 * One Prometheus for the file; each test uses its own label values.
 */
import * as http from "http";
import type { AddressInfo } from "net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  evaluatePromCheck,
  fillPromQL,
  judgeSample,
  prometheusEndpoint,
  queryPrometheus,
  readSample,
  type Comparison,
  type PrometheusEndpoint,
  type PromVars,
} from "../../infra/rollout/prometheus";
import { startTestPrometheus, type Labels, type PromAnswer, type TestPrometheus } from "../support/prometheus";

const vars = (feature: string, window = "1m"): PromVars => ({ feature, app: "metadata-context", stack: "prod", window });
const labels = (v: PromVars): Labels => ({ feature: v.feature, app: v.app, stack: v.stack });
const now = () => Date.now() / 1000;

/** The error ratio as a gate reads it: the worst value over the rung's window. */
const WORST_ERRORS = 'max_over_time(app_error_ratio{feature="{{feature}}", app="{{app}}", stack="{{stack}}"}[{{window}}])';
/** The error ratio right now. */
const ERRORS_NOW = 'app_error_ratio{feature="{{feature}}", app="{{app}}", stack="{{stack}}"}';
const check = (query: string, op: Comparison = "<", threshold = 0.01) => ({ query, op, threshold, freshSeconds: 120 });

/** Answers with exactly one series whose value is `value` (as Prometheus writes it). */
const one = (value: string) => (a: PromAnswer) => a.data?.result.length === 1 && a.data.result[0].value[1] === value;
const none = (a: PromAnswer) => a.status === "success" && a.data?.result.length === 0;

let prom: TestPrometheus;
let endpoint: PrometheusEndpoint;

beforeAll(async () => {
  prom = await startTestPrometheus();
  endpoint = prometheusEndpoint({ ROLLOUT_PROMETHEUS_URL: prom.url })!;
});
afterAll(() => prom?.stop());

/** One series to export: its value, and that value as Prometheus writes it back. */
interface Series {
  name: string;
  labels: Labels;
  value: number;
  answered: string;
}

/** Exports the series and waits until Prometheus answers each with its value (one scrape, usually). */
async function exportAndWait(...series: Series[]) {
  for (const s of series) prom.exporter.set(s.name, s.labels, s.value);
  const selector = (s: Series) => `${s.name}{${Object.entries(s.labels).map(([k, x]) => `${k}=${JSON.stringify(x)}`).join(",")}}`;
  await Promise.all(series.map((s) => prom.waitForValue(selector(s), one(s.answered))));
}
const errorRatio = (v: PromVars, value: number, extra: Labels = {}): Series => ({ name: "app_error_ratio", labels: { ...labels(v), ...extra }, value, answered: String(value) });

describe("a live value", () => {
  it("passes under the threshold, fails once the exported value crosses it (after the next scrape); the window remembers the worst", async () => {
    const v = vars("metadata-context/live-flip");
    const worst = fillPromQL(WORST_ERRORS, v);
    expect(worst).toBe('max_over_time(app_error_ratio{feature="metadata-context/live-flip", app="metadata-context", stack="prod"}[1m])');

    await exportAndWait(errorRatio(v, 0.002));
    expect(await evaluatePromCheck(endpoint, check(WORST_ERRORS), v, { nowSeconds: now() })).toEqual({ holds: true, value: 0.002, reason: "0.002 < 0.01 is true", query: worst });

    await exportAndWait(errorRatio(v, 0.05));
    expect(await evaluatePromCheck(endpoint, check(WORST_ERRORS), v, { nowSeconds: now() })).toEqual({ holds: false, value: 0.05, reason: "0.05 < 0.01 is false", query: worst });

    // Back under: the value now passes, the worst over the window still fails.
    await exportAndWait(errorRatio(v, 0.003));
    expect(await evaluatePromCheck(endpoint, check(ERRORS_NOW), v, { nowSeconds: now() })).toMatchObject({ holds: true, value: 0.003 });
    expect(await evaluatePromCheck(endpoint, check(WORST_ERRORS), v, { nowSeconds: now() })).toMatchObject({ holds: false, value: 0.05 });
  });
});

describe("no verdict, with the reason", () => {
  it("no series: a selector matching nothing, and an aggregation of nothing (sum invents no zero)", async () => {
    const v = vars("nobody-exports-this");
    expect(await evaluatePromCheck(endpoint, check(WORST_ERRORS), v, { nowSeconds: now() })).toMatchObject({ holds: null, value: null, reason: "no series (no data)" });
    expect(await evaluatePromCheck(endpoint, check(`sum(${WORST_ERRORS})`), v, { nowSeconds: now() })).toMatchObject({ holds: null, reason: "no series (no data)" });
  });

  it("NaN: exported as NaN, or a ratio of no errors to no requests", async () => {
    const v = vars("nan-value");
    await exportAndWait(errorRatio(v, NaN), { name: "app_errors", labels: labels(v), value: 0, answered: "0" }, { name: "app_requests", labels: labels(v), value: 0, answered: "0" });
    expect(await evaluatePromCheck(endpoint, check(ERRORS_NOW), v, { nowSeconds: now() })).toMatchObject({ holds: null, value: null, reason: "the value is NaN, not a number to judge" });
    const ratio = 'sum(app_errors{feature="{{feature}}"}) / sum(app_requests{feature="{{feature}}"})';
    expect(await evaluatePromCheck(endpoint, check(ratio), v, { nowSeconds: now() })).toMatchObject({ holds: null, reason: "the value is NaN, not a number to judge" });
  });

  it("several series without aggregation: no verdict; with sum(...) a verdict", async () => {
    const v = vars("two-routes");
    await exportAndWait(errorRatio(v, 0.25, { route: "/a" }), errorRatio(v, 0.5, { route: "/b" }));
    expect(await evaluatePromCheck(endpoint, check(WORST_ERRORS), v, { nowSeconds: now() })).toMatchObject({
      holds: null,
      reason: "2 series; the query must return exactly one (aggregate it, e.g. sum(...))",
    });
    expect(await evaluatePromCheck(endpoint, check(`sum(${WORST_ERRORS})`, "<", 1), v, { nowSeconds: now() })).toMatchObject({ holds: true, value: 0.75 });
  });

  it("a series the exporter stops exposing goes stale at the next scrape: no data, no verdict", async () => {
    const v = vars("goes-stale");
    await exportAndWait(errorRatio(v, 0.001));
    expect(await evaluatePromCheck(endpoint, check(ERRORS_NOW), v, { nowSeconds: now() })).toMatchObject({ holds: true, value: 0.001 });

    prom.exporter.remove("app_error_ratio", labels(v));
    const q = fillPromQL(ERRORS_NOW, v);
    await prom.waitForValue(q, none);
    expect(await evaluatePromCheck(endpoint, check(ERRORS_NOW), v, { nowSeconds: now() })).toMatchObject({ holds: null, value: null, reason: "no series (no data)" });
  });

  it("an answer for a time 600 s ago, judged now, is stale data; at now that sample is past Prometheus' lookback: no data", async () => {
    const v = vars("old-sample");
    const t = Math.floor(now()) - 600;
    // An explicit timestamp stores the sample 600 s in the past (the only way to have data from before this Prometheus started).
    prom.exporter.set("app_error_ratio", labels(v), 0.002, { timestampMs: t * 1000 });
    const q = fillPromQL(ERRORS_NOW, v);
    // Past the lookback at now: seen only through a range that reaches back to it.
    await prom.waitForValue(`count_over_time(${q}[15m])`, one("1"));

    const reading = readSample(await queryPrometheus(endpoint, q, { timeSeconds: t }));
    expect(reading).toEqual({ kind: "sample", value: 0.002, at: t });
    const judged = judgeSample(reading, { op: "<", threshold: 0.01, freshSeconds: 120 }, now());
    expect(judged).toMatchObject({ holds: null, value: 0.002, reason: expect.stringMatching(/^the sample is 6\d\d s old, older than the 120 s freshness window \(stale data\)$/) });

    expect(await evaluatePromCheck(endpoint, check(ERRORS_NOW), v, { nowSeconds: now() })).toMatchObject({ holds: null, reason: "no series (no data)" });
    prom.exporter.remove("app_error_ratio", labels(v));
  });

  it("an instant answer carries the evaluation time, not the sample's: a sample's own age shows only through timestamp()", async () => {
    const v = vars("sample-age");
    const t = Math.floor(now()) - 150;
    prom.exporter.set("app_error_ratio", labels(v), 0.002, { timestampMs: t * 1000 });
    const q = fillPromQL(ERRORS_NOW, v);
    await prom.waitForValue(`timestamp(${q})`, one(String(t)));

    const at = Math.floor(now());
    expect(readSample(await queryPrometheus(endpoint, q, { timeSeconds: at }))).toEqual({ kind: "sample", value: 0.002, at });
    expect(readSample(await queryPrometheus(endpoint, `timestamp(${q})`, { timeSeconds: at }))).toEqual({ kind: "sample", value: t, at });
    prom.exporter.remove("app_error_ratio", labels(v));
  });

  it("a query Prometheus refuses, or a range answer, is no verdict with Prometheus' own words", async () => {
    const v = vars("refused");
    const noRange = await evaluatePromCheck(endpoint, check('rate(app_requests{feature="{{feature}}"})'), v, { nowSeconds: now() });
    expect(noRange).toMatchObject({ holds: null, reason: expect.stringMatching(/^Prometheus answered an error: bad_data: .*expected type range vector/) });
    const range = await evaluatePromCheck(endpoint, check('app_requests{feature="{{feature}}"}[{{window}}]'), v, { nowSeconds: now() });
    expect(range).toMatchObject({ holds: null, reason: "the query returned a matrix, not one sample (an instant vector or a scalar)" });
  });
});

/** A local HTTP server in front of the test Prometheus: `handle` answers a request itself, or says "forward". */
async function startProxy(handle: (req: http.IncomingMessage, res: http.ServerResponse) => "forward" | void) {
  const requests: http.IncomingHttpHeaders[] = [];
  const target = new URL(prom.url);
  const server = http.createServer((req, res) => {
    requests.push(req.headers);
    if (handle(req, res) !== "forward") return;
    const upstream = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

describe("the server", () => {
  it("down (a stopped Prometheus): no verdict, 'cannot query: ECONNREFUSED', no credential in the reason", async () => {
    const gone = await startTestPrometheus({ waitForScrape: false });
    await gone.stop();
    const down = prometheusEndpoint({ ROLLOUT_PROMETHEUS_URL: gone.url, ROLLOUT_PROMETHEUS_TOKEN: "tok-down-secret" })!;
    const r = await evaluatePromCheck(down, check(WORST_ERRORS), vars("down"), { nowSeconds: now() });
    expect(r).toMatchObject({ holds: null, value: null, reason: `${gone.url}: cannot query: ECONNREFUSED` });
    expect(r.reason).not.toContain("tok-down-secret");
  });

  it("slow (a proxy that never answers): no verdict, 'no answer within N ms'", async () => {
    const proxy = await startProxy(() => undefined);
    try {
      const slow = prometheusEndpoint({ ROLLOUT_PROMETHEUS_URL: proxy.url })!;
      const r = await evaluatePromCheck(slow, check(WORST_ERRORS), vars("slow"), { nowSeconds: now(), timeoutMs: 500 });
      expect(r).toMatchObject({ holds: null, value: null, reason: `${proxy.url}: no answer within 500 ms` });
    } finally {
      await proxy.close();
    }
  });
});

describe("injection through a variable", () => {
  /** Success ratio at or above 0.99 passes: a `vector(1)` smuggled in would pass the gate. */
  const SUCCESS = 'app_success_ratio{feature="{{feature}}", stack="{{stack}}"}';
  const SUCCESS_SQ = "app_success_ratio{feature='{{feature}}', stack='{{stack}}'}";
  const gate = (query: string) => check(query, ">=", 0.99);
  const concat = (template: string, v: PromVars) => template.replace("{{feature}}", v.feature).replace("{{stack}}", v.stack);
  /** Escaping quotes but not backslashes: beaten by a backslash before the quote. */
  const quotesOnly = (template: string, v: PromVars) => concat(template, { ...v, feature: v.feature.replace(/"/g, '\\"') });
  const ATTACKS = [
    { template: SUCCESS, feature: 'x"} or vector(1) or up{a="', naive: concat },
    { template: SUCCESS, feature: 'x"} or vector(1) #', naive: concat },
    { template: SUCCESS, feature: 'x"}\nor vector(1) #\t\u0001', naive: concat },
    { template: SUCCESS, feature: 'x\\"} or vector(1) #', naive: quotesOnly },
    { template: SUCCESS_SQ, feature: "x'} or vector(1) #", naive: concat },
  ];

  it("built by concatenation the attack passes the gate on vector(1); filled, real Prometheus finds no such series", async () => {
    for (const a of ATTACKS) {
      const v = vars(a.feature);
      const naive = a.naive(a.template, v);
      const attacked = judgeSample(readSample(await queryPrometheus(endpoint, naive)), gate(a.template), now());
      expect(attacked, naive).toMatchObject({ holds: true, value: 1 });

      const filled = await evaluatePromCheck(endpoint, gate(a.template), v, { nowSeconds: now() });
      expect(filled, filled.query).toMatchObject({ holds: null, value: null, reason: "no series (no data)" });
    }
  });

  it("filled, the hostile value is one label value: Prometheus reads it back exactly and judges that series", async () => {
    for (const [i, a] of ATTACKS.entries()) {
      const v = vars(a.feature);
      prom.exporter.set("app_success_ratio", { feature: a.feature, stack: v.stack }, 0.5 + i / 100);
    }
    await prom.waitForValue("count(app_success_ratio)", one(String(ATTACKS.length)));
    for (const [i, a] of ATTACKS.entries()) {
      const v = vars(a.feature);
      const answer = (await queryPrometheus(endpoint, fillPromQL(a.template, v))) as PromAnswer;
      expect(answer.data?.result.map((s) => s.metric.feature)).toEqual([a.feature]);
      expect(await evaluatePromCheck(endpoint, gate(a.template), v, { nowSeconds: now() })).toMatchObject({ holds: false, value: 0.5 + i / 100 });
      prom.exporter.remove("app_success_ratio", { feature: a.feature, stack: v.stack });
    }
  });

  it("a window carrying an injection is refused before anything is sent (concatenated, it would pass)", async () => {
    const template = 'min_over_time(app_success_ratio{feature="{{feature}}"}[{{window}}])';
    const v = vars("window-attack", "1m]) or vector(1) #");
    const naive = template.replace("{{feature}}", v.feature).replace("{{window}}", v.window);
    expect(judgeSample(readSample(await queryPrometheus(endpoint, naive)), gate(template), now())).toMatchObject({ holds: true, value: 1 });

    const proxy = await startProxy(() => "forward");
    try {
      const r = await evaluatePromCheck(prometheusEndpoint({ ROLLOUT_PROMETHEUS_URL: proxy.url })!, gate(template), v, { nowSeconds: now() });
      expect(r).toMatchObject({ holds: null, value: null, reason: 'PromQL template: window "1m]) or vector(1) #" is not a duration (e.g. 15m)' });
      expect(proxy.requests).toHaveLength(0);
    } finally {
      await proxy.close();
    }
  });
});

describe("auth through a Mimir-like proxy", () => {
  const TOKEN = "glc_tok-3f9a1c-secret";
  const BASIC = { user: "123456", password: "glc_pw-77e2-secret" };
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  let jsonErrors = false;

  beforeAll(async () => {
    // As Mimir behind an auth gateway: a bearer token (or basic auth) and a tenant, else 401.
    proxy = await startProxy((req, res) => {
      const auth = req.headers.authorization;
      const basic = `Basic ${Buffer.from(`${BASIC.user}:${BASIC.password}`).toString("base64")}`;
      const refuse = (text: string) => {
        if (jsonErrors) res.writeHead(401, { "Content-Type": "application/json" }).end(JSON.stringify({ status: "error", error: `authentication error: ${text}` }));
        else res.writeHead(401, { "Content-Type": "text/plain" }).end(text);
      };
      if (auth !== `Bearer ${TOKEN}` && auth !== basic) return refuse("invalid credentials");
      if (req.headers["x-scope-orgid"] !== "tenant-1") return refuse("no org id");
      return "forward";
    });
  });
  afterAll(() => proxy?.close());

  it("with ROLLOUT_PROMETHEUS_TOKEN (or basic auth) and ROLLOUT_PROMETHEUS_HEADERS: a verdict; without, HTTP 401; never the credential in a reason", async () => {
    const v = vars("behind-auth");
    await exportAndWait(errorRatio(v, 0.004));
    const judge = async (env: NodeJS.ProcessEnv) => evaluatePromCheck(prometheusEndpoint({ ROLLOUT_PROMETHEUS_URL: proxy.url, ...env })!, check(WORST_ERRORS), v, { nowSeconds: now() });
    const tenant = { ROLLOUT_PROMETHEUS_HEADERS: '{"X-Scope-OrgID": "tenant-1"}' };

    expect(await judge({ ROLLOUT_PROMETHEUS_TOKEN: TOKEN, ...tenant })).toMatchObject({ holds: true, value: 0.004 });
    expect(proxy.requests.at(-1)).toMatchObject({ authorization: `Bearer ${TOKEN}`, "x-scope-orgid": "tenant-1" });
    const userInfo = prometheusEndpoint({ ROLLOUT_PROMETHEUS_URL: proxy.url.replace("//", `//${BASIC.user}:${BASIC.password}@`), ...tenant })!;
    expect(await evaluatePromCheck(userInfo, check(WORST_ERRORS), v, { nowSeconds: now() })).toMatchObject({ holds: true, value: 0.004 });

    const refused = [
      await judge({}),
      await judge({ ROLLOUT_PROMETHEUS_TOKEN: TOKEN }),
      await judge({ ROLLOUT_PROMETHEUS_TOKEN: `${TOKEN}-wrong`, ...tenant }),
      await judge({ ROLLOUT_PROMETHEUS_USER: BASIC.user, ROLLOUT_PROMETHEUS_PASSWORD: `${BASIC.password}-wrong`, ...tenant }),
    ];
    expect(refused.map((r) => r.reason)).toEqual([
      `${proxy.url}: HTTP 401: not a query answer ("invalid credentials")`,
      `${proxy.url}: HTTP 401: not a query answer ("no org id")`,
      `${proxy.url}: HTTP 401: not a query answer ("invalid credentials")`,
      `${proxy.url}: HTTP 401: not a query answer ("invalid credentials")`,
    ]);
    // A 401 with a JSON body reads as Prometheus' error answers do.
    jsonErrors = true;
    refused.push(await judge({ ROLLOUT_PROMETHEUS_TOKEN: `${TOKEN}-wrong`, ...tenant }));
    jsonErrors = false;
    expect(refused.at(-1)!.reason).toBe("Prometheus answered an error: error: authentication error: invalid credentials");

    for (const r of refused) {
      expect(r).toMatchObject({ holds: null, value: null });
      expect(r.reason).not.toMatch(/glc_|secret|Bearer|Basic/);
    }
  });
});
