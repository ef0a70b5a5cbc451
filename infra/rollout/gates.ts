/**
 * Running gates. `sql` gates run on the app's database, each in its own read-only transaction
 * (`BEGIN READ ONLY`, so an INSERT/UPDATE/DELETE/DDL in a gate query fails) with a statement timeout,
 * then roll back. `attest` gates are judged from acknowledgements (`--ack` on the command line, or
 * `Rollout-Ack` trailers for `verify`).
 *
 * Where the database URL comes from (never from the stack file, whose `<db>.databaseUrl` is encrypted):
 * `--database-url` on the command line, else the environment variable
 * `ROLLOUT_GATES_DATABASE_URL_<DATABASE>` (the database name upper-cased, other characters as `_`,
 * e.g. `ROLLOUT_GATES_DATABASE_URL_CHAT_SESSIONS`), else its old name `ROLLOUT_DATABASE_URL_<DATABASE>`
 * (read until the next release, with a notice). Use a role that can only read: the name says which
 * URL it is, as opposed to the migration owner's (`ROLLOUT_MIGRATIONS_DATABASE_URL`, `npm run db`).
 * The URL never appears in output or errors.
 */
import type { FeatureDecl, GateDecl, PrometheusCheckDecl } from "../apps/types";
import { judgeAttestGate, judgeSqlGate, type GateResult } from "./moves";
import { evaluatePromCheck, PROM_DURATION, PROMETHEUS_ENV, templateProblems, type PrometheusEndpoint, type PromVars } from "./prometheus";

export type SqlGate = Extract<GateDecl, { kind: "sql" }>;

/** Defaults of a Prometheus check's window and freshness. */
export const PROMETHEUS_DEFAULTS = Object.freeze({ window: "15m", freshSeconds: 300 });

/** Where `prometheus` gates and triggers are evaluated, and with what variables. */
export interface PrometheusInputs {
  /** Undefined without a URL: the checks are `unchecked` (never a pass, never a trip). */
  endpoint?: PrometheusEndpoint;
  vars: Omit<PromVars, "window">;
  nowSeconds: number;
}

/** What is wrong with a feature's `prometheus` gates and kill triggers (template, window, freshness, threshold). */
export function prometheusDeclarationProblems(feature: FeatureDecl): string[] {
  const problems: string[] = [];
  for (const rung of feature.rungs) {
    const checks = [...(rung.gates ?? []).map((g) => ["gate", g] as const), ...(rung.killTriggers ?? []).map((t) => ["kill trigger", t] as const)];
    for (const [what, c] of checks) {
      if (c.kind !== "prometheus") continue;
      const at = `${feature.name}: ${what} ${c.name} (rung ${rung.name})`;
      for (const p of templateProblems(c.query)) problems.push(`${at}: ${p}`);
      if (c.window !== undefined && !PROM_DURATION.test(c.window)) problems.push(`${at}: window ${JSON.stringify(c.window)} is not a PromQL duration (e.g. 15m)`);
      if (c.freshSeconds !== undefined && !(Number.isFinite(c.freshSeconds) && c.freshSeconds > 0)) problems.push(`${at}: freshSeconds must be a positive number of seconds`);
      if (!Number.isFinite(c.threshold)) problems.push(`${at}: threshold must be a finite number`);
    }
  }
  return problems;
}

/** The result of a check that had no URL to ask. */
const NO_PROMETHEUS_URL = { holds: null, value: null, reason: `no Prometheus URL (pass --prometheus-url or set ${PROMETHEUS_ENV.url})` };

/**
 * Evaluates one Prometheus check: `holds` is whether `value <op> threshold` holds on exactly one fresh
 * finite sample; `null` (no series, several, NaN, stale, unreachable, no URL) with the reason otherwise.
 */
export async function runPrometheusCheck(check: PrometheusCheckDecl, inputs: PrometheusInputs): Promise<{ holds: boolean | null; value: number | null; reason: string }> {
  if (!inputs.endpoint) return NO_PROMETHEUS_URL;
  const r = await evaluatePromCheck(
    inputs.endpoint,
    { query: check.query, op: check.op, threshold: check.threshold, freshSeconds: check.freshSeconds ?? PROMETHEUS_DEFAULTS.freshSeconds },
    { ...inputs.vars, window: check.window ?? PROMETHEUS_DEFAULTS.window },
    { nowSeconds: inputs.nowSeconds },
  );
  return { holds: r.holds, value: r.value, reason: r.reason };
}

/** A `prometheus` gate's result: the comparison holds → pass, fails → fail; no verdict → hold (`unchecked` without a URL). */
export function judgePrometheusGate(gate: PrometheusCheckDecl, r: { holds: boolean | null; value: number | null; reason: string }, hasEndpoint: boolean): GateResult {
  const base = { gate: gate.name, kind: "prometheus" as const, value: r.value };
  if (r.holds === null) return { ...base, status: hasEndpoint ? "hold" : "unchecked", detail: `${r.reason}: ${hasEndpoint ? "hold" : "not checked"}; ${gate.description}` };
  return { ...base, status: r.holds ? "pass" : "fail", detail: `${r.reason}; ${gate.description}` };
}

/** The prefix of the gates' read-only URL variables; the database name follows. */
export const GATES_DATABASE_URL_PREFIX = "ROLLOUT_GATES_DATABASE_URL_";
/** The prefix's old name, still read for one release. */
export const DEPRECATED_GATES_DATABASE_URL_PREFIX = "ROLLOUT_DATABASE_URL_";

const envSuffix = (database: string) => database.toUpperCase().replace(/[^A-Z0-9]/g, "_");

/** `chat-sessions` → `ROLLOUT_GATES_DATABASE_URL_CHAT_SESSIONS`. */
export function databaseUrlEnvName(database: string): string {
  return `${GATES_DATABASE_URL_PREFIX}${envSuffix(database)}`;
}

/** `chat-sessions` → `ROLLOUT_DATABASE_URL_CHAT_SESSIONS`: the old name, read as a fallback. */
export function deprecatedDatabaseUrlEnvName(database: string): string {
  return `${DEPRECATED_GATES_DATABASE_URL_PREFIX}${envSuffix(database)}`;
}

/**
 * The URL for a database: the explicit one, else its environment variable, else the variable's old
 * name (then `onDeprecated` gets a one-line notice naming both variables, never the value), else
 * undefined.
 */
export function databaseUrlFor(
  database: string,
  explicit: string | undefined,
  env: NodeJS.ProcessEnv,
  onDeprecated?: (notice: string) => void,
): string | undefined {
  if (explicit) return explicit;
  const name = databaseUrlEnvName(database);
  if (env[name]) return env[name];
  const old = deprecatedDatabaseUrlEnvName(database);
  if (!env[old]) return undefined;
  onDeprecated?.(`${old} is deprecated; rename it to ${name} (the old name is read until the next release)`);
  return env[old];
}

/** Options of `runSqlGates`. */
export interface SqlGateOptions {
  /**
   * Per-query limit (`statement_timeout`), in ms.
   * @default 10000
   */
  timeoutMs?: number;
}

/** Turns a driver value into a number: numeric/bigint arrive as strings. */
function toNumber(value: unknown): number | null | undefined {
  if (value === null) return null;
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "string" && value.trim() !== "" && !Number.isNaN(Number(value))) return Number(value);
  return Number.NaN;
}

/**
 * Runs `sql` gates on one database, each read-only, and judges them. A connection or query error makes
 * that gate `error` (never a pass), with the SQLSTATE and message but not the URL.
 */
export async function runSqlGates(databaseUrl: string, gates: readonly SqlGate[], options: SqlGateOptions = {}): Promise<GateResult[]> {
  if (gates.length === 0) return [];
  // Required lazily so that the pure users of this module (and the app SDK) never load the driver.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Client } = require("pg") as typeof import("pg");
  const client = new Client({ connectionString: databaseUrl, application_name: "rollout-gates", connectionTimeoutMillis: 10_000 });
  const failAll = (why: string) => gates.map((g): GateResult => ({ gate: g.name, kind: "sql", status: "error", value: null, detail: why }));
  try {
    await client.connect();
  } catch (e) {
    return failAll(`cannot connect to the database: ${describePgError(e)}`);
  }
  try {
    const results: GateResult[] = [];
    for (const gate of gates) {
      try {
        await client.query("begin transaction read only");
        await client.query("select set_config('statement_timeout', $1, true)", [String(options.timeoutMs ?? 10_000)]);
        const res = await client.query({ text: gate.query, rowMode: "array" });
        const row = res.rows[0] as unknown[] | undefined;
        results.push(judgeSqlGate(gate, row === undefined ? undefined : toNumber(row[0])));
      } catch (e) {
        results.push({ gate: gate.name, kind: "sql", status: "error", value: null, detail: `the query failed: ${describePgError(e)}` });
      } finally {
        await client.query("rollback").catch(() => undefined); // the connection may be gone; end() reports nothing more
      }
    }
    return results;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export function describePgError(e: unknown): string {
  const err = e as { code?: string; message?: string };
  const message = String(err.message ?? e);
  return err.code && /^[0-9A-Z]{5}$/.test(err.code) ? `${err.code} ${message}` : message;
}

/** Everything needed to evaluate one feature's gates. */
export interface GateInputs {
  /** Reason per attest gate name. */
  acks: ReadonlyMap<string, string>;
  /** The app's database URL, if known. */
  databaseUrl?: string;
  /** Which env var to name when the URL is missing. */
  databaseUrlEnv?: string;
  /** Runs the sql gates (injectable for tests). @default runSqlGates */
  run?: (url: string, gates: readonly SqlGate[]) => Promise<GateResult[]>;
  /** For `prometheus` gates. Without it they are `unchecked`. */
  prometheus?: PrometheusInputs;
}

/** Evaluates gates in declaration order: attest from acks, sql on the database, prometheus on its URL (or `unchecked`). */
export async function evaluateGates(gates: readonly GateDecl[], inputs: GateInputs): Promise<GateResult[]> {
  const sqlGates = gates.filter((g): g is SqlGate => g.kind === "sql");
  const sqlResults = new Map<string, GateResult>();
  if (sqlGates.length && inputs.databaseUrl) {
    for (const r of await (inputs.run ?? runSqlGates)(inputs.databaseUrl, sqlGates)) sqlResults.set(r.gate, r);
  }
  const promResults = new Map<string, GateResult>();
  for (const g of gates) {
    if (g.kind !== "prometheus") continue;
    const p = inputs.prometheus;
    promResults.set(g.name, judgePrometheusGate(g, p ? await runPrometheusCheck(g, p) : NO_PROMETHEUS_URL, !!p?.endpoint));
  }
  return gates.map((g): GateResult => {
    if (g.kind === "attest") return judgeAttestGate(g, inputs.acks);
    if (g.kind === "prometheus") return promResults.get(g.name)!;
    return (
      sqlResults.get(g.name) ?? {
        gate: g.name,
        kind: "sql",
        status: "unchecked",
        value: null,
        detail: `no database URL (pass --database-url or set ${inputs.databaseUrlEnv ?? `${GATES_DATABASE_URL_PREFIX}<DATABASE>`}); ${g.description}`,
      }
    );
  });
}
