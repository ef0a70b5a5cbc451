/**
 * The Prometheus check's three parts without a Prometheus: templates filled safely, the verdict on
 * every shape of answer, and the client against a local HTTP stand-in (auth headers, error answers,
 * timeouts, an unreachable server), never printing a credential.
 */
import * as http from "http";
import type { AddressInfo } from "net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  displayUrl,
  escapePromString,
  evaluatePromCheck,
  fillPromQL,
  judgeSample,
  prometheusEndpoint,
  PrometheusError,
  queryPrometheus,
  readSample,
  templateProblems,
  type PromVars,
} from "../../infra/rollout/prometheus";

const VARS: PromVars = { feature: "metadata-context/enhanced-context", app: "metadata-context", stack: "prod", window: "15m" };
const vector = (...values: [number, string][]) => ({ status: "success", data: { resultType: "vector", result: values.map((value, i) => ({ metric: { i: String(i) }, value })) } });

describe("templates", () => {
  it("fills variables inside quoted strings, escaped, and the window where a duration goes", () => {
    const q = 'sum(rate(http_requests_total{feature="{{feature}}", app=\'{{app}}\', code=~"5.."}[{{window}}])) / sum(rate(http_requests_total{stack="{{ stack }}"}[{{window}}]))';
    expect(fillPromQL(q, VARS)).toBe(
      'sum(rate(http_requests_total{feature="metadata-context/enhanced-context", app=\'metadata-context\', code=~"5.."}[15m])) / sum(rate(http_requests_total{stack="prod"}[15m]))',
    );
  });

  it("an injected value stays inside its string: quotes, backslashes and newlines are escaped", () => {
    const hostile = { ...VARS, feature: 'x"} or vector(1) or up{a="\\' };
    expect(fillPromQL('errors{feature="{{feature}}"}', hostile)).toBe('errors{feature="x\\"} or vector(1) or up{a=\\"\\\\"}');
    expect(escapePromString("it's \"so\"\n\u0001", "'")).toBe("it\\'s \"so\"\\n\\x01");
    expect(escapePromString("it's \"so\"", '"')).toBe('it\'s \\"so\\"');
  });

  it("refuses a variable outside a string, in a backtick string, an unknown one, and a window in a string", () => {
    expect(templateProblems("errors{feature={{feature}}}")).toEqual(['{{feature}} must stand inside a quoted string (e.g. {feature="{{feature}}"}), where its value is escaped']);
    expect(templateProblems("errors{feature=`{{feature}}`}")).toEqual(['{{feature}} cannot stand in a backtick string (no escapes there); use "…"']);
    expect(templateProblems('errors{x="{{user}}"}')).toEqual(["{{user}} is not a variable; use {{feature}}, {{app}}, {{stack}} or {{window}}"]);
    expect(templateProblems('errors{x="{{window}}"}')).toEqual(["{{window}} must stand outside a string, where a duration goes (e.g. rate(x[{{window}}]))"]);
    expect(templateProblems("  ")).toEqual(["the query is empty"]);
    // Quotes escaped inside a string do not end it; a comment is outside any string.
    expect(templateProblems('x{a="say \\"hi\\" {{app}}"} # {{feature}} in a comment\n')).toEqual([
      "{{feature}} must stand inside a quoted string (e.g. {feature=\"{{feature}}\"}), where its value is escaped",
    ]);
    expect(() => fillPromQL("errors{feature={{feature}}}", VARS)).toThrow(/^PromQL template: \{\{feature\}\} must stand inside/);
  });

  it("escapes for the string's own quote, whatever other quotes stand before it; refuses a regex matcher", () => {
    expect(fillPromQL(`x{a="it's {{app}}"}`, { ...VARS, app: "o'k\"" })).toBe(`x{a="it's o'k\\""}`);
    expect(templateProblems('x{feature=~"{{feature}}"}')).toEqual(["{{feature}} cannot stand in a regex matcher (=~, !~), where its value would be a pattern; match it with = or !="]);
    expect(templateProblems("x{feature!~ '{{feature}}'}")).toHaveLength(1);
  });

  it("refuses a window that is not a duration", () => {
    expect(() => fillPromQL("rate(x[{{window}}])", { ...VARS, window: "5m] or vector(1) #" })).toThrow('window "5m] or vector(1) #" is not a duration');
    expect(fillPromQL("rate(x[{{window}}])", { ...VARS, window: "1h30m" })).toBe("rate(x[1h30m])");
    // As Prometheus parses durations: largest unit first, each once, not zero.
    for (const w of ["1m1h", "1s1s", "0s", "m", ""]) expect(() => fillPromQL("rate(x[{{window}}])", { ...VARS, window: w }), w).toThrow(/is not a duration/);
  });
});

describe("the verdict", () => {
  const check = { op: "<" as const, threshold: 0.01, freshSeconds: 120 };
  const now = 1_800_000_000;

  it("one fresh finite sample is compared: pass or fail", () => {
    expect(judgeSample(readSample(vector([now - 5, "0.004"])), check, now)).toEqual({ holds: true, value: 0.004, reason: "0.004 < 0.01 is true" });
    expect(judgeSample(readSample(vector([now, "0.02"])), check, now)).toEqual({ holds: false, value: 0.02, reason: "0.02 < 0.01 is false" });
    // A scalar answer is one sample too.
    expect(readSample({ status: "success", data: { resultType: "scalar", result: [now, "3"] } })).toEqual({ kind: "sample", value: 3, at: now });
  });

  it("no series, several series, NaN, ±Inf, stale data, an error answer, a range result: no verdict, with the reason", () => {
    const none = (body: unknown) => judgeSample(readSample(body), check, now);
    expect(none(vector())).toEqual({ holds: null, value: null, reason: "no series (no data)" });
    expect(none(vector([now, "1"], [now, "2"])).reason).toBe("2 series; the query must return exactly one (aggregate it, e.g. sum(...))");
    expect(none(vector([now, "NaN"])).reason).toBe("the value is NaN, not a number to judge");
    expect(none(vector([now, "+Inf"])).reason).toBe("the value is +Inf, not a number to judge");
    expect(none(vector([now, "-Inf"])).holds).toBeNull();
    expect(none(vector([now - 600, "0"]))).toEqual({ holds: null, value: 0, reason: "the sample is 600 s old, older than the 120 s freshness window (stale data)" });
    expect(none({ status: "error", errorType: "bad_data", error: "parse error at char 5" }).reason).toBe("Prometheus answered an error: bad_data: parse error at char 5");
    expect(none({ status: "success", data: { resultType: "matrix", result: [] } }).reason).toBe("the query returned a matrix, not one sample (an instant vector or a scalar)");
    expect(none("<html>").reason).toBe("the answer is not a query result");
    expect(none({ status: "success", data: { resultType: "vector", result: [{ value: ["x", "1"] }] } }).reason).toBe("the answer's sample is malformed");
  });

  it("every comparison", () => {
    const at = (op: ">=" | "<=" | ">" | "<" | "=", v: string) => judgeSample(readSample(vector([now, v])), { op, threshold: 1, freshSeconds: 60 }, now).holds;
    expect([at(">=", "1"), at(">=", "0.9"), at("<=", "1"), at("<=", "1.1"), at(">", "1"), at(">", "1.1"), at("<", "1"), at("<", "0.9"), at("=", "1"), at("=", "1.0001")]).toEqual([
      true, false, true, false, false, true, false, true, true, false,
    ]);
  });
});

describe("the endpoint from the environment", () => {
  it("takes a bearer token, or basic auth, extra headers; strips credentials from the URL", () => {
    expect(prometheusEndpoint({})).toBeUndefined();
    expect(prometheusEndpoint({ ROLLOUT_PROMETHEUS_URL: "https://prom.example.com/prometheus/?x=1", ROLLOUT_PROMETHEUS_TOKEN: "tok-123" })).toEqual({
      url: "https://prom.example.com/prometheus",
      headers: { Authorization: "Bearer tok-123" },
    });
    const basic = prometheusEndpoint({ ROLLOUT_PROMETHEUS_URL: "https://1234:glc_secret@prometheus-prod.grafana.net/api/prom", ROLLOUT_PROMETHEUS_HEADERS: '{"X-Scope-OrgID":"tenant-1"}' })!;
    expect(basic.url).toBe("https://prometheus-prod.grafana.net/api/prom");
    expect(basic.headers).toEqual({ "X-Scope-OrgID": "tenant-1", Authorization: `Basic ${Buffer.from("1234:glc_secret").toString("base64")}` });
    expect(prometheusEndpoint({ ROLLOUT_PROMETHEUS_URL: "http://x:9090", ROLLOUT_PROMETHEUS_USER: "u", ROLLOUT_PROMETHEUS_PASSWORD: "p" })!.headers.Authorization).toBe(`Basic ${Buffer.from("u:p").toString("base64")}`);
    // --prometheus-url wins over the variable.
    expect(prometheusEndpoint({ ROLLOUT_PROMETHEUS_URL: "http://a:9090" }, "http://b:9090")!.url).toBe("http://b:9090");
  });

  it("names the variable of a bad setting, never its value", () => {
    expect(() => prometheusEndpoint({ ROLLOUT_PROMETHEUS_URL: "not a url secret-xyz" })).toThrow(/^ROLLOUT_PROMETHEUS_URL is not a URL$/);
    expect(() => prometheusEndpoint({ ROLLOUT_PROMETHEUS_URL: "ftp://x" })).toThrow("ROLLOUT_PROMETHEUS_URL: use an http or https URL");
    expect(() => prometheusEndpoint({ ROLLOUT_PROMETHEUS_URL: "http://x", ROLLOUT_PROMETHEUS_HEADERS: "X-Scope-OrgID: t" })).toThrow(/^ROLLOUT_PROMETHEUS_HEADERS must be a JSON object/);
    expect(() => prometheusEndpoint({ ROLLOUT_PROMETHEUS_URL: "http://x", ROLLOUT_PROMETHEUS_CA_FILE: "/nonexistent/ca.pem" })).toThrow("ROLLOUT_PROMETHEUS_CA_FILE: cannot read /nonexistent/ca.pem (ENOENT)");
    expect(displayUrl("https://user:pass@host:9090/p/?token=x")).toBe("https://host:9090/p");
  });
});

describe("the client, against a local stand-in", () => {
  let server: http.Server;
  let base: string;
  const seen: { headers: http.IncomingHttpHeaders; body: string; url: string }[] = [];
  let answer: (res: http.ServerResponse) => void = () => undefined;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        seen.push({ headers: req.headers, body, url: req.url ?? "" });
        answer(res);
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const json = (status: number, body: unknown) => (res: http.ServerResponse) => {
    res.writeHead(status, { "Content-Type": "application/json" });
    res.end(JSON.stringify(body));
  };

  it("POSTs the filled query and the time to /api/v1/query with the credentials, and judges the answer", async () => {
    const now = 1_800_000_000;
    answer = json(200, vector([now, "0.002"]));
    const endpoint = prometheusEndpoint({ ROLLOUT_PROMETHEUS_URL: `${base}/prom/`, ROLLOUT_PROMETHEUS_TOKEN: "tok-123", ROLLOUT_PROMETHEUS_HEADERS: '{"X-Scope-OrgID":"t1"}' })!;
    const r = await evaluatePromCheck(endpoint, { query: 'err{feature="{{feature}}"}', op: "<", threshold: 0.01, freshSeconds: 60 }, VARS, { nowSeconds: now });
    expect(r).toEqual({ holds: true, value: 0.002, reason: "0.002 < 0.01 is true", query: 'err{feature="metadata-context/enhanced-context"}' });
    const req = seen.at(-1)!;
    expect(req.url).toBe("/prom/api/v1/query");
    expect(Object.fromEntries(new URLSearchParams(req.body))).toEqual({ query: 'err{feature="metadata-context/enhanced-context"}', time: String(now) });
    expect(req.headers.authorization).toBe("Bearer tok-123");
    expect(req.headers["x-scope-orgid"]).toBe("t1");
  });

  it("an error answer (422 with JSON) is read as such; a non-JSON answer, a timeout and a refused connection are errors without credentials", async () => {
    const endpoint = prometheusEndpoint({ ROLLOUT_PROMETHEUS_URL: `http://user:pw-secret@127.0.0.1:${new URL(base).port}` })!;
    answer = json(422, { status: "error", errorType: "execution", error: "many-to-many matching not allowed" });
    expect(readSample(await queryPrometheus(endpoint, "x")).kind).toBe("none");

    answer = (res) => {
      res.writeHead(502);
      res.end("<html>bad gateway</html>");
    };
    const e1 = await queryPrometheus(endpoint, "x").catch((e: unknown) => e as Error);
    expect(e1).toBeInstanceOf(PrometheusError);
    expect((e1 as Error).message).toBe(`http://127.0.0.1:${new URL(base).port}: HTTP 502: not a query answer ("<html>bad gateway</html>")`);

    // A gateway that echoes the request's credentials in its error page: they are not quoted.
    answer = (res) => {
      res.writeHead(502);
      res.end(`bad gateway for ${seen.at(-1)!.headers.authorization}`);
    };
    const echoed = await queryPrometheus(endpoint, "x").catch((e: unknown) => e as Error);
    expect((echoed as Error).message).toContain("bad gateway for [secret]");
    expect((echoed as Error).message).not.toMatch(/pw-secret|dXNlcjpwdy1zZWNyZXQ/);

    answer = () => undefined; // never answers
    const e2 = await queryPrometheus(endpoint, "x", { timeoutMs: 200 }).catch((e: unknown) => e as Error);
    expect((e2 as Error).message).toBe(`http://127.0.0.1:${new URL(base).port}: no answer within 200 ms`);

    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const down = await evaluatePromCheck({ url: `http://127.0.0.1:${port}`, headers: { Authorization: "Bearer tok-zzz" } }, { query: "up", op: ">", threshold: 0, freshSeconds: 60 }, VARS, {
      nowSeconds: 0,
    });
    expect(down).toMatchObject({ holds: null, value: null, reason: `http://127.0.0.1:${port}: cannot query: ECONNREFUSED` });
    for (const m of [(e1 as Error).message, (e2 as Error).message, down.reason]) {
      expect(m).not.toMatch(/pw-secret|tok-zzz|user:/);
    }
  });

  it("a template the declaration should have refused is a reason, not a query sent", async () => {
    const before = seen.length;
    const r = await evaluatePromCheck({ url: base, headers: {} }, { query: "err{feature={{feature}}}", op: "<", threshold: 1, freshSeconds: 60 }, VARS, { nowSeconds: 0 });
    expect(r.holds).toBeNull();
    expect(r.reason).toMatch(/^PromQL template: /);
    expect(seen.length).toBe(before);
  });
});
