/**
 * Who a move reaches: for a phase move from one share to another, how many IDs of the app's population
 * gain the feature, lose it, and hold it afterwards, counted in SQL with the same bucketing as the app
 * (`rollout.in_rollout`), so the numbers are the users the move really reaches. No ID leaves the
 * database: one aggregate query per move, in a read-only transaction with a statement timeout.
 *
 * Without a database URL the count is not guessed: the offline form says how far the share moves
 * ("+40 points of users") and how to get the counts. Small counts are shown as "fewer than 10".
 *
 * The population query comes from the app's declaration (`AppDecl.population`): trusted code, never a
 * stack file. A query that writes fails (read-only transaction); one that errs or times out is
 * reported with its SQLSTATE, never the URL.
 */
import type { PopulationDecl } from "../apps/types";
import { parseShare } from "../sdk/bucketing";
import { exposureCountSql } from "./bucketing-sql";
import { databaseUrlEnvName, databaseUrlFor, describePgError } from "./gates";

export interface ExposureCounts {
  /** IDs the population query returned. */
  population: number;
  /** In the feature at the `from` share. */
  before: number;
  /** In the feature at the `to` share. */
  after: number;
  gained: number;
  lost: number;
}

/** A count, or why there is none. */
export type Exposure =
  | { kind: "counts"; counts: ExposureCounts; population: string }
  | { kind: "offline"; text: string }
  | { kind: "error"; text: string };

/** Below this, counts are shown as "fewer than 10" (a handful of users is identifiable). */
export const SMALL_COUNT = 10;

/**
 * The aggregate over the population (`$1` feature, `$2` the share before, `$3` the share after): each
 * ID hashed once (`exposureCountSql`, measured at about 2.5 s for a million IDs). The declared query is
 * wrapped so its two columns are `id` and `cohorts` whatever it names them, and a NULL cohorts is none.
 */
export function exposureSql(population: PopulationDecl): string {
  return exposureCountSql(`select p0.id::text as id, coalesce(p0.cohorts, '{}'::text[]) as cohorts
from (
${population.query}
) as p0(id, cohorts)`);
}

/** Runs the count on one database (read-only, statement timeout). Throws an `Error` whose message has the SQLSTATE, never the URL. */
export async function countExposure(
  databaseUrl: string,
  population: PopulationDecl,
  move: { feature: string; from: string; to: string },
  options: { timeoutMs?: number } = {},
): Promise<ExposureCounts> {
  // Required lazily, as the gates do: the pure users of this module never load the driver.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Client } = require("pg") as typeof import("pg");
  const client = new Client({ connectionString: databaseUrl, application_name: "rollout-exposure", connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
  } catch (e) {
    throw new Error(`cannot connect to the database: ${describePgError(e)}`);
  }
  try {
    await client.query("begin transaction read only");
    await client.query("select set_config('statement_timeout', $1, true)", [String(options.timeoutMs ?? 30_000)]);
    const res = await client.query(exposureSql(population), [move.feature, move.from, move.to]);
    const row = res.rows[0] as Record<"population" | "after" | "gained" | "lost", string>;
    const [total, after, gained, lost] = [row.population, row.after, row.gained, row.lost].map(Number);
    return { population: total, before: after - gained + lost, after, gained, lost };
  } catch (e) {
    throw new Error(`the population query failed: ${describePgError(e)}`);
  } finally {
    await client.query("rollback").catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}

/** `4812` → "4,812"; under `SMALL_COUNT` → "fewer than 10" (zero included: it says nothing about the few). */
export function formatCount(n: number): string {
  return n < SMALL_COUNT ? `fewer than ${SMALL_COUNT}` : n.toLocaleString("en-US");
}

/** A signed count: "+4,812", "−312", or "fewer than 10" (no sign: it may be none). */
function signed(n: number, sign: "+" | "−"): string {
  return n < SMALL_COUNT ? formatCount(n) : `${sign}${formatCount(n)}`;
}

/** "+4,812 gain it, fewer than 10 lose it; 6,010 of 12,030 users with a session in the last 7 days have it after the move". */
export function describeCounts(e: Extract<Exposure, { kind: "counts" }>): string {
  const c = e.counts;
  return `${signed(c.gained, "+")} gain it, ${signed(c.lost, "−")} lose it; ${formatCount(c.after)} of ${formatCount(c.population)} ${e.population} have it after the move`;
}

/** An exposure in one line, whatever its kind. */
export function describeExposure(e: Exposure): string {
  if (e.kind === "counts") return describeCounts(e);
  return e.kind === "offline" ? e.text : `not counted: ${e.text}`;
}

/** Where a move's population is counted: the app's database and its declared query. */
export interface PopulationSource {
  database: string;
  population: PopulationDecl;
}

/** Where counts are made: the URL (explicit, else the database's gates variable). */
export interface ExposureOptions {
  /** `--database-url`: used for every database (callers refuse it when moves span several). */
  databaseUrl?: string;
  env: NodeJS.ProcessEnv;
  /** Receives a notice when a URL is read from a deprecated variable. */
  notice?: (line: string) => void;
}

/**
 * Who one move reaches (`from`/`to` are shares, `feature` the bucketing key `<app>/<feature>`): counted
 * on the source's database, or the offline form naming the variable to set. A failed count is an
 * `error` exposure, never a throw: a move or a plan is never blocked by its count.
 */
export async function exposureOfMove(source: PopulationSource, move: { feature: string; from: string; to: string }, options: ExposureOptions): Promise<Exposure> {
  const url = databaseUrlFor(source.database, options.databaseUrl, options.env, options.notice);
  if (!url) return { kind: "offline", text: offlineExposure(move.from, move.to, `run with --database-url or ${databaseUrlEnvName(source.database)} for counts`) };
  try {
    const counts = await countExposure(url, source.population, move);
    return { kind: "counts", counts, population: source.population.description };
  } catch (e) {
    return { kind: "error", text: (e as Error).message };
  }
}

/**
 * The offline form: how far the share moves, in points of the population that is not in a named
 * cohort, and how to get counts. Cohorts are named, not counted: "+beta".
 */
export function offlineExposure(from: string, to: string, how: string): string {
  const a = parseShare(from);
  const b = parseShare(to);
  const pct = (s: typeof a) => (s.percent >= 100 ? 100 : s.percent);
  const points = pct(b) - pct(a);
  // At 100 everyone is in: cohorts on either side add nobody.
  const added = pct(a) >= 100 ? [] : b.cohorts.filter((c) => !a.cohorts.includes(c));
  const removed = pct(b) >= 100 ? [] : a.cohorts.filter((c) => !b.cohorts.includes(c));
  const parts: string[] = [];
  if (points !== 0) parts.push(`${points > 0 ? "+" : "−"}${Math.abs(points)} points of users`);
  for (const c of added) parts.push(`+the ${c} cohort`);
  for (const c of removed) parts.push(`−the ${c} cohort`);
  return `${parts.join(", ") || "no change in who has it"}; ${how}`;
}
