/**
 * Metric checks on Prometheus (or anything that speaks its query API: Mimir, Thanos, VictoriaMetrics,
 * Grafana Cloud): a PromQL instant query, filled in from a template, sent to `/api/v1/query`, and the
 * verdict on its answer. Three parts, each usable alone:
 *
 * - templates (`fillPromQL`, `templateProblems`): `{{feature}}`, `{{app}}` and `{{stack}}` may stand
 *   only inside a quoted string (`"…"` or `'…'`), where the value is escaped as PromQL (Go) escapes
 *   strings, so a value can never end the string and add to the query; `{{window}}` stands outside
 *   strings and must be a PromQL duration (`15m`, `1h30m`). Anything else is a declaration error;
 * - the verdict (`readSample`, `judgeSample`): exactly one finite sample, no older than the freshness
 *   window, is compared with the threshold; anything else (no series, several, NaN or ±Inf, a stale
 *   sample, an error answer) is no verdict, with the reason. A gate then holds and a kill trigger does
 *   not trip: no data never passes. Known limit: an instant query's answer carries the evaluation
 *   time, not the samples' (checked against a real Prometheus), so the freshness window catches old
 *   answers (a caching front end, a clock far off) but not a series that stopped updating without a
 *   staleness marker: Prometheus still returns its last sample for 5 minutes (its look-back). A series
 *   that disappears from a scrape, or a target that goes down, is marked stale and gives no data;
 * - the client (`prometheusEndpoint`, `queryPrometheus`): the URL and credentials from the environment
 *   (bearer token, basic auth, extra headers such as `X-Scope-OrgID`, a CA bundle), a POST of the
 *   query with a time limit. Credentials are never part of a message: errors name the URL without its
 *   user info or query string.
 */
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import { compareValue, type Comparison } from "./moves";

export { compareValue, type Comparison };

/** The variables a query template may use. */
export interface PromVars {
  feature: string;
  app: string;
  stack: string;
  /** A PromQL duration, e.g. `15m`: the rung's look-back window. */
  window: string;
}

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;
const STRING_VARS = new Set(["feature", "app", "stack"]);
/** A PromQL duration as Prometheus accepts it: units from largest to smallest, each once (`1h30m`), not zero. */
export const PROM_DURATION = /^(?!(0+[a-z]+)+$)(?=\d)(\d+y)?(\d+w)?(\d+d)?(\d+h)?(\d+m(?!s))?(\d+s)?(\d+ms)?$/;

/** Where a character stands: in a string of that quote (`=~` marks a regex matcher's string), or outside. */
type Context = '"' | "'" | "`" | "=~" | null;

/** Each placeholder of the template with where it stands: inside a string (which quote) or not. */
function placeholders(template: string): { name: string; start: number; end: number; context: Context; quote: string }[] {
  // Where strings are, by PromQL's lexer rules: `"` and `'` strings take backslash escapes, backticks none.
  const contextAt: Context[] = [];
  const quoteAt: string[] = [];
  let context: Context = null;
  let quoteOf = "";
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    contextAt[i] = context;
    quoteAt[i] = context === null ? "" : quoteOf;
    if (context === null) {
      if (c === '"' || c === "'" || c === "`") {
        // The string of a regex matcher (`=~`, `!~`) is a pattern: a value there would match more than itself.
        context = /[=!]~\s*$/.test(template.slice(0, i)) && c !== "`" ? "=~" : c;
        quoteOf = c;
      }
      else if (c === "#") {
        // A comment runs to the end of the line.
        while (i + 1 < template.length && template[i + 1] !== "\n") contextAt[++i] = null;
      }
    } else if (quoteOf !== "`" && c === "\\") {
      contextAt[++i] = context;
    } else if (c === quoteOf) {
      context = null;
    }
  }
  const out: { name: string; start: number; end: number; context: Context; quote: string }[] = [];
  for (const m of template.matchAll(PLACEHOLDER)) out.push({ name: m[1], start: m.index!, end: m.index! + m[0].length, context: contextAt[m.index!] ?? null, quote: quoteAt[m.index!] ?? "" });
  return out;
}

/** What is wrong with a query template (empty: fine). For declaration checks. */
export function templateProblems(template: string): string[] {
  const problems: string[] = [];
  if (!template.trim()) problems.push("the query is empty");
  for (const p of placeholders(template)) {
    const at = `{{${p.name}}}`;
    if (p.name === "window") {
      if (p.context !== null) problems.push(`${at} must stand outside a string, where a duration goes (e.g. rate(x[{{window}}]))`);
    } else if (STRING_VARS.has(p.name)) {
      if (p.context === null) problems.push(`${at} must stand inside a quoted string (e.g. {feature="${at}"}), where its value is escaped`);
      if (p.context === "`") problems.push(`${at} cannot stand in a backtick string (no escapes there); use "…"`);
      if (p.context === "=~") problems.push(`${at} cannot stand in a regex matcher (=~, !~), where its value would be a pattern; match it with = or !=`);
    } else {
      problems.push(`${at} is not a variable; use {{feature}}, {{app}}, {{stack}} or {{window}}`);
    }
  }
  return problems;
}

/** A value as the inside of a PromQL string quoted with `quote` (Go's escapes). */
export function escapePromString(value: string, quote: '"' | "'"): string {
  return value.replace(/[\\"'\u0000-\u001f\u007f]/g, (c) => {
    if (c === "\\") return "\\\\";
    if (c === '"' || c === "'") return c === quote ? `\\${c}` : c;
    const named: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };
    return named[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`;
  });
}

/** The query with its variables filled in. Throws on a template `templateProblems` refuses or a bad window. */
export function fillPromQL(template: string, vars: PromVars): string {
  const problems = templateProblems(template);
  if (problems.length) throw new Error(`PromQL template: ${problems.join("; ")}`);
  if (!PROM_DURATION.test(vars.window)) throw new Error(`PromQL template: window ${JSON.stringify(vars.window)} is not a duration (e.g. 15m)`);
  let out = "";
  let last = 0;
  for (const p of placeholders(template)) {
    const value = vars[p.name as keyof PromVars];
    out += template.slice(last, p.start) + (p.name === "window" ? value : escapePromString(value, p.quote as '"' | "'"));
    last = p.end;
  }
  return out + template.slice(last);
}

// ---------------------------------------------------------------------------------------------------
// The verdict

/** One sample of an instant query's answer, or why there is none to judge. */
export type SampleReading = { kind: "sample"; value: number; at: number } | { kind: "none"; reason: string };

/** A sample value as Prometheus writes it: a string, `NaN`, `+Inf`, `-Inf` included. */
function sampleValue(raw: unknown): number {
  if (raw === "+Inf" || raw === "Inf") return Infinity;
  if (raw === "-Inf") return -Infinity;
  return typeof raw === "string" && raw.trim() !== "" ? Number(raw) : NaN;
}

/** Reads an `/api/v1/query` answer: exactly one sample (a one-series vector, or a scalar), else why not. */
export function readSample(body: unknown): SampleReading {
  const b = body as { status?: unknown; errorType?: unknown; error?: unknown; data?: { resultType?: unknown; result?: unknown } } | null;
  if (!b || typeof b !== "object") return { kind: "none", reason: "the answer is not a query result" };
  if (b.status !== "success") return { kind: "none", reason: `Prometheus answered an error: ${String(b.errorType ?? "error")}: ${String(b.error ?? "(no message)")}` };
  const type = b.data?.resultType;
  const result = b.data?.result;
  let point: unknown;
  if (type === "scalar") point = result;
  else if (type === "vector" && Array.isArray(result)) {
    if (result.length === 0) return { kind: "none", reason: "no series (no data)" };
    if (result.length > 1) return { kind: "none", reason: `${result.length} series; the query must return exactly one (aggregate it, e.g. sum(...))` };
    point = (result[0] as { value?: unknown }).value;
  } else return { kind: "none", reason: `the query returned a ${String(type)}, not one sample (an instant vector or a scalar)` };
  if (!Array.isArray(point) || point.length !== 2 || typeof point[0] !== "number") return { kind: "none", reason: "the answer's sample is malformed" };
  const value = sampleValue(point[1]);
  if (!Number.isFinite(value)) return { kind: "none", reason: `the value is ${String(point[1])}, not a number to judge` };
  return { kind: "sample", value, at: point[0] };
}

/** The verdict on a reading: `holds` when `value <op> threshold`; `null` when there is nothing to judge (with the reason). */
export function judgeSample(
  reading: SampleReading,
  check: { op: Comparison; threshold: number; freshSeconds: number },
  nowSeconds: number,
): { holds: boolean | null; value: number | null; reason: string } {
  if (reading.kind === "none") return { holds: null, value: null, reason: reading.reason };
  const age = nowSeconds - reading.at;
  if (age > check.freshSeconds) {
    return { holds: null, value: reading.value, reason: `the sample is ${Math.round(age)} s old, older than the ${check.freshSeconds} s freshness window (stale data)` };
  }
  const holds = compareValue(reading.value, check.op, check.threshold);
  return { holds, value: reading.value, reason: `${reading.value} ${check.op} ${check.threshold} is ${holds}` };
}

// ---------------------------------------------------------------------------------------------------
// The client

/** Where and how to ask: the base URL (without credentials), headers (auth included), a CA bundle. */
export interface PrometheusEndpoint {
  url: string;
  headers: Record<string, string>;
  ca?: string;
}

export const PROMETHEUS_ENV = {
  url: "ROLLOUT_PROMETHEUS_URL",
  token: "ROLLOUT_PROMETHEUS_TOKEN",
  user: "ROLLOUT_PROMETHEUS_USER",
  password: "ROLLOUT_PROMETHEUS_PASSWORD",
  headers: "ROLLOUT_PROMETHEUS_HEADERS",
  caFile: "ROLLOUT_PROMETHEUS_CA_FILE",
} as const;

/** The URL without user info, query or fragment: safe to print. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname.replace(/\/$/, "")}`;
  } catch {
    return "(not a URL)";
  }
}

/**
 * The endpoint from `--prometheus-url` or `ROLLOUT_PROMETHEUS_URL`, with credentials from the
 * environment: a bearer token, or basic auth (user and password, or the URL's user info), extra
 * headers as a JSON object (`{"X-Scope-OrgID": "tenant-1"}`), a CA bundle file. Undefined without a
 * URL. Throws on a malformed setting, naming the variable, never its value.
 */
export function prometheusEndpoint(env: NodeJS.ProcessEnv, explicitUrl?: string): PrometheusEndpoint | undefined {
  const raw = explicitUrl || env[PROMETHEUS_ENV.url];
  if (!raw) return undefined;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new Error(`${explicitUrl ? "--prometheus-url" : PROMETHEUS_ENV.url} is not a URL`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error(`${explicitUrl ? "--prometheus-url" : PROMETHEUS_ENV.url}: use an http or https URL`);
  const headers: Record<string, string> = {};
  const extra = env[PROMETHEUS_ENV.headers];
  if (extra) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(extra);
    } catch {
      throw new Error(`${PROMETHEUS_ENV.headers} must be a JSON object of header names to values, e.g. {"X-Scope-OrgID": "tenant-1"}`);
    }
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed) || !Object.values(parsed).every((v) => typeof v === "string")) {
      throw new Error(`${PROMETHEUS_ENV.headers} must be a JSON object of header names to string values`);
    }
    Object.assign(headers, parsed);
  }
  const user = env[PROMETHEUS_ENV.user] ?? decodeURIComponent(u.username);
  const password = env[PROMETHEUS_ENV.password] ?? decodeURIComponent(u.password);
  if (env[PROMETHEUS_ENV.token]) headers.Authorization = `Bearer ${env[PROMETHEUS_ENV.token]}`;
  else if (user) headers.Authorization = `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
  const caFile = env[PROMETHEUS_ENV.caFile];
  let ca: string | undefined;
  if (caFile) {
    try {
      ca = fs.readFileSync(caFile, "utf8");
    } catch (e) {
      throw new Error(`${PROMETHEUS_ENV.caFile}: cannot read ${caFile} (${(e as NodeJS.ErrnoException).code ?? "error"})`);
    }
  }
  u.username = "";
  u.password = "";
  u.search = "";
  u.hash = "";
  return { url: u.toString().replace(/\/$/, ""), headers, ...(ca ? { ca } : {}) };
}

/** A query that got no answer to judge: unreachable, timed out, not JSON. The message holds no credential. */
export class PrometheusError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PrometheusError";
  }
}

/**
 * POSTs an instant query (`/api/v1/query`, form-encoded `query` and `time`) and returns the parsed
 * JSON answer, error answers (4xx/5xx with a JSON body) included. Throws `PrometheusError` when there is
 * no JSON answer within `timeoutMs` (default 10 s).
 */
export function queryPrometheus(endpoint: PrometheusEndpoint, query: string, options: { timeSeconds?: number; timeoutMs?: number } = {}): Promise<unknown> {
  const target = new URL(`${endpoint.url}/api/v1/query`);
  const where = displayUrl(endpoint.url);
  const form = new URLSearchParams({ query, ...(options.timeSeconds !== undefined ? { time: String(options.timeSeconds) } : {}) }).toString();
  const timeoutMs = options.timeoutMs ?? 10_000;
  const transport = target.protocol === "https:" ? https : http;
  // A gateway's error page may echo the request: never let a credential through in a message.
  const secrets = Object.values(endpoint.headers).flatMap((v) => {
    const [scheme, value = ""] = v.split(/ (.*)/s);
    const decoded = scheme === "Basic" ? Buffer.from(value, "base64").toString("utf8").split(":") : [];
    return [v, value, ...decoded].filter((x) => x.length >= 4);
  });
  const redact = (text: string) => secrets.reduce((t, x) => t.split(x).join("[secret]"), text);
  return new Promise((resolve, reject) => {
    const fail = (message: string) => reject(new PrometheusError(redact(`${where}: ${message}`)));
    const req = transport.request(
      target,
      {
        method: "POST",
        headers: { ...endpoint.headers, "Content-Type": "application/x-www-form-urlencoded", "Content-Length": Buffer.byteLength(form), Accept: "application/json" },
        ...(endpoint.ca ? { ca: endpoint.ca } : {}),
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          if (text.length < 4_000_000) text += chunk;
        });
        res.on("end", () => {
          try {
            resolve(JSON.parse(text));
          } catch {
            fail(`HTTP ${res.statusCode}: not a query answer (${JSON.stringify(text.slice(0, 120))})`);
          }
        });
        res.on("error", (e) => fail(`the answer broke off: ${e.message}`));
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      fail(`no answer within ${timeoutMs} ms`);
    }, timeoutMs);
    req.on("close", () => clearTimeout(timer));
    req.on("error", (e: NodeJS.ErrnoException) => fail(`cannot query: ${e.code ?? e.message}`));
    req.end(form);
  });
}

/**
 * Fills, sends and judges one check. Never throws: an unreachable or failing backend is a reading
 * with its reason (no verdict).
 */
export async function evaluatePromCheck(
  endpoint: PrometheusEndpoint,
  check: { query: string; op: Comparison; threshold: number; freshSeconds: number },
  vars: PromVars,
  options: { nowSeconds: number; timeoutMs?: number },
): Promise<{ holds: boolean | null; value: number | null; reason: string; query: string }> {
  let query: string;
  try {
    query = fillPromQL(check.query, vars);
  } catch (e) {
    return { holds: null, value: null, reason: (e as Error).message, query: check.query };
  }
  let reading: SampleReading;
  try {
    reading = readSample(await queryPrometheus(endpoint, query, { timeSeconds: options.nowSeconds, timeoutMs: options.timeoutMs }));
  } catch (e) {
    reading = { kind: "none", reason: (e as Error).message };
  }
  return { ...judgeSample(reading, check, options.nowSeconds), query };
}
