/**
 * The migration runner: applies planned files to a database through an injected `pg.Client`-like
 * client (so a Pulumi dynamic provider can `require()` this module inside its methods and pass its
 * own client). The contract:
 * - ledger `supabase_migrations.schema_migrations(version, name, statements)`, written as the
 *   Supabase CLI writes it, so both tools share one history;
 * - a no-op run is one ledger read; a run with work takes one advisory lock;
 * - each file is one round trip: `RESET ALL`, then the file's statements and its ledger row in one
 *   transaction, sent as one simple-protocol query (the CLI sends one pipeline per file);
 * - a failing file leaves no trace, and the error names file:line:col with the statement and a caret.
 */
import type { ClientBase, QueryResult, QueryResultRow } from "pg";
import { MigrationError, type AppliedFile, type Refusal, type SqlFailure } from "./errors";
import { codeUnitIndex, lineCol, type MigrationFile } from "./files";
import { planMigrations, type LedgerRow, type MigrationPlan, type PendingMigration, type PlanOptions } from "./plan";
import { quoteLiteral, quoteTextArray } from "../../sql/quote";
import { isCommentsAndWhitespace, splitStatements } from "./split";
import { renderName } from "./classify";
import { loadSqlParser } from "./parse-gate";

/** What the runner needs of a client: `pg.Client` (or a `PoolClient`) satisfies it. */
export type MigrationClient = Pick<ClientBase, "query"> & Partial<Pick<ClientBase, "on" | "removeListener">>;

export const LEDGER_TABLE = "supabase_migrations.schema_migrations";
/** Non-exposed schema receiving copies of what destructive statements destroy. */
export const BACKUP_SCHEMA = "migration_backups";
/** Session advisory lock taken by every run that writes (the ASCII bytes of "rollout"). */
export const MIGRATION_LOCK_KEY = "32210658811409780";

/** The CLI's ledger DDL (`pkg/migration/history.go`), run only when the table or a column is missing. */
const CREATE_LEDGER = [
  "SET lock_timeout = '4s'",
  "CREATE SCHEMA IF NOT EXISTS supabase_migrations",
  `CREATE TABLE IF NOT EXISTS ${LEDGER_TABLE} (version text NOT NULL PRIMARY KEY)`,
  `ALTER TABLE ${LEDGER_TABLE} ADD COLUMN IF NOT EXISTS statements text[]`,
  `ALTER TABLE ${LEDGER_TABLE} ADD COLUMN IF NOT EXISTS name text`,
  "RESET lock_timeout",
].join(";\n");

export type MigrationEvent =
  | { kind: "waiting-for-lock" }
  | { kind: "applying"; version: string; name: string; path: string; index: number; total: number }
  | { kind: "applied"; file: AppliedFile; index: number; total: number };

export interface PushOptions {
  /** Plan and report, send nothing that writes. @default false */
  dryRun?: boolean;
  /** Apply out-of-order files too (`supabase db push --include-all`; see `PlanOptions`). @default false */
  includeAll?: boolean;
  /** Called as files start and finish (progress on a slow first run). */
  onProgress?: (event: MigrationEvent) => void;
}

export interface PushResult {
  /** The plan that ran (read again under the lock when there was work). */
  plan: MigrationPlan;
  /** Files applied by this run (none on a dry run). */
  applied: AppliedFile[];
  dryRun: boolean;
  /** Round trips to the server, lock and unlock included. A no-op run is 1. */
  roundTrips: number;
}

type LedgerState = "ok" | "missing" | "no-statements-column";

/** A client that counts its round trips (one `query` call = one round trip). */
class Counted {
  roundTrips = 0;
  constructor(readonly client: MigrationClient) {}
  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>> {
    this.roundTrips++;
    return this.client.query<R>(text, values);
  }
}

/** Reads the ledger. A missing table is an empty ledger, as in the CLI (42P01 swallowed). */
export async function readLedger(client: MigrationClient): Promise<{ state: LedgerState; rows: LedgerRow[] }> {
  return readLedgerCounted(new Counted(client));
}

async function readLedgerCounted(c: Counted): Promise<{ state: LedgerState; rows: LedgerRow[] }> {
  try {
    // As JSON: pg parses it natively, three times faster than its text[] parser on a long ledger.
    // No ORDER BY: the planner orders versions itself.
    const { rows } = await c.query<LedgerRow>(`SELECT version, name, array_to_json(statements) AS statements FROM ${LEDGER_TABLE}`);
    return { state: "ok", rows };
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "42P01" || code === "3F000") return { state: "missing", rows: [] };
    if (code !== "42703") throw e;
  }
  // A table made by an old CLI, before `statements` and `name` existed.
  const { rows } = await c.query<{ version: string }>(`SELECT version FROM ${LEDGER_TABLE}`);
  return { state: "no-statements-column", rows: rows.map((r) => ({ version: r.version, name: null, statements: null })) };
}

/** What `status` shows: the plan against the ledger, without taking the lock or writing. */
export async function statusMigrations(
  client: MigrationClient,
  files: readonly MigrationFile[],
  options: PlanOptions = {},
): Promise<{ plan: MigrationPlan; ledger: LedgerState }> {
  await loadSqlParser();
  const { state, rows } = await readLedger(client);
  return { plan: planMigrations(files, rows, options), ledger: state };
}

async function lock(c: Counted, onProgress: (e: MigrationEvent) => void): Promise<void> {
  const { rows } = await c.query<{ locked: boolean }>(`SELECT pg_try_advisory_lock(${MIGRATION_LOCK_KEY}) AS locked`);
  if (rows[0].locked) return;
  onProgress({ kind: "waiting-for-lock" });
  await c.query(`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
}

async function unlock(c: Counted): Promise<void> {
  await c.query(`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY})`);
}

/**
 * Applies the pending files. Throws `MigrationError` on a refusal (nothing sent but reads) or a
 * failing file (`error.applied` lists the files this run applied before it).
 */
export async function pushMigrations(client: MigrationClient, files: readonly MigrationFile[], options: PushOptions = {}): Promise<PushResult> {
  const onProgress = options.onProgress ?? (() => undefined);
  const c = new Counted(client);
  // Postgres's parser reads each pending file as well as the CLI's splitter (parse-gate.ts).
  await loadSqlParser();
  // The no-op path: one read of the ledger, no lock.
  let ledger = await readLedgerCounted(c);
  const planOptions: PlanOptions = { includeAll: !!options.includeAll };
  let plan = planMigrations(files, ledger.rows, planOptions);
  if (plan.refusals.length) throw new MigrationError({ kind: "refused", refusals: plan.refusals });
  if (plan.pending.length === 0 || options.dryRun) {
    return { plan, applied: [], dryRun: !!options.dryRun, roundTrips: c.roundTrips };
  }

  const applied: AppliedFile[] = [];
  await lock(c, onProgress);
  try {
    if (ledger.state !== "ok") await c.query(CREATE_LEDGER);
    // Another run may have applied files between our read and the lock.
    ledger = await readLedgerCounted(c);
    plan = planMigrations(files, ledger.rows, planOptions);
    if (plan.refusals.length) throw new MigrationError({ kind: "refused", refusals: plan.refusals });
    const total = plan.pending.length;
    for (const [i, migration] of plan.pending.entries()) {
      const { file } = migration;
      onProgress({ kind: "applying", version: file.version, name: file.name, path: file.path, index: i + 1, total });
      const done = await applyOne(c, migration, applied, i === total - 1);
      applied.push(done);
      onProgress({ kind: "applied", file: done, index: i + 1, total });
    }
  } finally {
    await unlock(c).catch(() => undefined);
  }
  return { plan, applied, dryRun: false, roundTrips: c.roundTrips };
}

/** One part of a file's batch, located in the batch text (offsets in code points, as Postgres counts). */
export interface BatchPart {
  kind: SqlFailure["phase"] | "reset" | "begin";
  text: string;
  /** Code-point offset of `text` in the batch. */
  start: number;
  /** Whether Postgres answers it with a CommandComplete (comment-only statements vanish). */
  completes: boolean;
  /** Index in `PendingMigration.statements` for `statement` parts. */
  statementIndex?: number;
}

/**
 * The single simple-protocol query that applies a file. Pure, exported for tests.
 *
 * `durable: false` commits without waiting for the WAL flush (`SET LOCAL synchronous_commit = off`):
 * used for every file of a run but the last, whose synchronous commit flushes the WAL up to it, and
 * so every earlier file too (WAL is sequential). Only a server crash in that window (a fraction of a
 * second) could lose the latest files, each together with its ledger row: the database stays
 * consistent and the next run applies them again. It saves one disk flush per file.
 */
export function buildBatch(m: PendingMigration, durable = true): { text: string; parts: BatchPart[] } {
  const parts: BatchPart[] = [];
  // "\n;\n": a newline ends a trailing line comment before the separator.
  const SEP = "\n;\n";
  let text = "";
  let cp = 0;
  const add = (kind: BatchPart["kind"], sql: string, statementIndex?: number) => {
    if (parts.length) {
      text += SEP;
      cp += SEP.length;
    }
    parts.push({ kind, text: sql, start: cp, completes: !isCommentsAndWhitespace(sql), statementIndex });
    text += sql;
    cp += [...sql].length;
  };
  add("reset", "RESET ALL");
  add("begin", "BEGIN");
  if (!durable) add("begin", "SET LOCAL synchronous_commit = off");
  if (m.destructive.length) add("backup", backupBlock(m));
  m.statements.forEach((s, i) => add("statement", s.text, i));
  add("ledger", ledgerInsert(m));
  add("commit", "COMMIT");
  return { text, parts };
}

/** The file's ledger row, as the CLI writes it. */
function ledgerInsert(m: PendingMigration): string {
  return `INSERT INTO ${LEDGER_TABLE} (version, name, statements) VALUES (${quoteLiteral(m.file.version)}, ${quoteLiteral(m.file.name)}, ${quoteTextArray(
    m.statements.map((s) => s.text),
  )})`;
}

/**
 * A DO block copying every table the file's destructive statements would destroy into
 * `migration_backups.<version>_<schema>_<table>` (a new name if taken), with a comment saying what
 * it is. Tables that do not exist (DROP ... IF EXISTS) are skipped.
 */
export function backupBlock(m: PendingMigration): string {
  const tables = m.destructive.flatMap((d) => d.tables.map(renderName));
  const schemas = m.destructive.flatMap((d) => d.schemas);
  const cascade = m.destructive.filter((d) => d.command === "TRUNCATE" && d.cascade).flatMap((d) => d.tables.map(renderName));
  const regclasses = (names: string[]) => `ARRAY[${names.map((n) => `to_regclass(${quoteLiteral(n)})::oid`).join(", ")}]::oid[]`;
  const about = `${m.file.version}_${m.file.name}`;
  let body = `
DECLARE
  src record;
  target text;
  n int;
BEGIN
  CREATE SCHEMA IF NOT EXISTS ${BACKUP_SCHEMA};
  FOR src IN
    WITH RECURSIVE named(oid) AS (
      SELECT unnest(${regclasses(tables)})
    ), cascaded(oid) AS (
      SELECT unnest(${regclasses(cascade)})
      UNION
      SELECT con.conrelid FROM pg_constraint con JOIN cascaded ON con.confrelid = cascaded.oid WHERE con.contype = 'f'
    )
    SELECT c.oid, ns.nspname, c.relname FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p')
      AND (c.oid IN (SELECT oid FROM named) OR c.oid IN (SELECT oid FROM cascaded) OR ns.nspname = ANY (${quoteTextArray(schemas)}))
    ORDER BY ns.nspname, c.relname
  LOOP
    target := left(format('%s_%s_%s', ${quoteLiteral(m.file.version)}, src.nspname, src.relname), 63);
    n := 1;
    WHILE to_regclass(format('%I.%I', ${quoteLiteral(BACKUP_SCHEMA)}, target)) IS NOT NULL LOOP
      n := n + 1;
      target := left(format('%s_%s_%s', ${quoteLiteral(m.file.version)}, src.nspname, src.relname), 60) || '_' || n;
    END LOOP;
    EXECUTE format('CREATE TABLE %I.%I AS TABLE %I.%I', ${quoteLiteral(BACKUP_SCHEMA)}, target, src.nspname, src.relname);
    EXECUTE format('COMMENT ON TABLE %I.%I IS %L', ${quoteLiteral(BACKUP_SCHEMA)}, target,
      format('rollout-stack: copy of %I.%I taken before migration %s', src.nspname, src.relname, ${quoteLiteral(about)}));
    RAISE NOTICE 'rollout-stack backup: %', format('%I.%I', ${quoteLiteral(BACKUP_SCHEMA)}, target);
  END LOOP;
END
`;
  let tag = "$rollout_backup$";
  for (let i = 2; body.includes(tag); i++) tag = `$rollout_backup${i}$`;
  body = `DO ${tag}${body}${tag}`;
  return body;
}

/**
 * The queries that apply a file with the no-transaction header, as newer Supabase CLIs run such a
 * statement (supabase/cli#5156, #6009, #6276): `RESET ALL`, then the statement alone (a query of
 * several statements is an implicit transaction), then the ledger row. A crash between the last two
 * leaves the statement's effect without a row: the README says how `db repair` settles it.
 */
export function noTransactionQueries(m: PendingMigration): { reset: string; statement: BatchPart; ledger: string } {
  const index = m.statements.findIndex((s) => !isCommentsAndWhitespace(s.text));
  const text = m.statements[index].text;
  return {
    reset: "RESET ALL",
    statement: { kind: "statement", text, start: 0, completes: true, statementIndex: index },
    ledger: ledgerInsert(m),
  };
}

async function applyOutsideTransaction(c: Counted, m: PendingMigration, applied: AppliedFile[]): Promise<AppliedFile> {
  const q = noTransactionQueries(m);
  const started = Date.now();
  await c.query(q.reset);
  const { error } = await sendCounting(c, q.statement.text);
  if (error) {
    const pgError = error as PgErrorFields;
    const failure =
      pgError.severity === undefined && pgError.code === undefined ? connectionFailure(m, error) : locateFailure(m, [q.statement], pgError, 0);
    throw new MigrationError({ kind: "failed", failure: { ...failure, outsideTransaction: true } }, applied);
  }
  await c.query(q.ledger);
  return { version: m.file.version, name: m.file.name, path: m.file.path, ms: Date.now() - started, backups: [] };
}

/** Sends one file's batch; on error rolls back, locates the failure and throws. */
async function applyOne(c: Counted, m: PendingMigration, applied: AppliedFile[], durable: boolean): Promise<AppliedFile> {
  if (m.noTransaction) return applyOutsideTransaction(c, m, applied);
  const batch = buildBatch(m, durable);
  const backups: string[] = [];
  const onNotice = (n: { message?: string }) => {
    const match = /^rollout-stack backup: (.*)$/.exec(n.message ?? "");
    if (match) backups.push(match[1]);
  };
  c.client.on?.("notice", onNotice);
  const started = Date.now();
  try {
    const { error, completed } = await sendCounting(c, batch.text);
    if (error) {
      // An error inside BEGIN leaves the session in a failed transaction (or the connection is gone).
      await c.query("ROLLBACK").catch(() => undefined);
      const pgError = error as PgErrorFields;
      if (pgError.severity === undefined && pgError.code === undefined) {
        throw new MigrationError({ kind: "failed", failure: connectionFailure(m, error) }, applied);
      }
      throw new MigrationError({ kind: "failed", failure: locateFailure(m, batch.parts, pgError, completed) }, applied);
    }
  } finally {
    c.client.removeListener?.("notice", onNotice);
  }
  return { version: m.file.version, name: m.file.name, path: m.file.path, ms: Date.now() - started, backups };
}

/** Fields of a Postgres error as `pg` exposes them. */
export interface PgErrorFields {
  message: string;
  severity?: string;
  code?: string;
  detail?: string;
  hint?: string;
  position?: string;
  where?: string;
}

/**
 * Sends a simple query and counts the CommandComplete messages that arrive before an error, which
 * tells which statement failed when Postgres gives no error position (runtime errors).
 */
function sendCounting(c: Counted, text: string): Promise<{ error?: Error; completed: number }> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Query } = require("pg") as typeof import("pg");
  c.roundTrips++;
  return new Promise((resolve) => {
    let completed = 0;
    const query = new Query({ text }, undefined, (err: Error | null | undefined) => resolve({ error: err ?? undefined, completed })) as InstanceType<typeof Query> & {
      handleCommandComplete(msg: unknown, connection: unknown): void;
    };
    const original = query.handleCommandComplete.bind(query);
    query.handleCommandComplete = (msg, connection) => {
      completed++;
      original(msg, connection);
    };
    (c.client.query as (q: unknown) => unknown)(query);
  });
}

function connectionFailure(m: PendingMigration, error: Error): SqlFailure {
  return {
    path: m.file.path,
    version: m.file.version,
    line: 1,
    col: 1,
    statementIndex: 0,
    statement: "",
    phase: "commit",
    message: `${error.message} (the connection failed while the file ran; Postgres rolls back an unfinished transaction, so the file left no trace unless the failure came after COMMIT: check with npm run db -- status)`,
    excerpt: "",
  };
}

/** Maps a Postgres error on a batch to the file, line, column and statement it comes from. */
export function locateFailure(m: PendingMigration, parts: BatchPart[], err: PgErrorFields, completed: number): SqlFailure {
  let part: BatchPart | undefined;
  let within: number | undefined; // code points into part.text
  const position = err.position ? Number(err.position) - 1 : undefined;
  if (position !== undefined && Number.isFinite(position)) {
    part = [...parts].reverse().find((p) => p.start <= position);
    if (part) within = Math.min(position - part.start, [...part.text].length);
  }
  if (!part) {
    // Without a position: the first part that had not completed when the error came.
    let seen = 0;
    part = parts.find((p) => p.completes && seen++ === completed) ?? parts[parts.length - 1];
  }
  const base = {
    path: m.file.path,
    version: m.file.version,
    code: err.code,
    message: err.message,
    detail: err.detail,
    hint: err.hint,
    where: err.where,
  };
  if (part.kind !== "statement" || part.statementIndex === undefined) {
    const phase = part.kind === "reset" || part.kind === "begin" ? "statement" : part.kind;
    return { ...base, line: 1, col: 1, statementIndex: 0, statement: part.text, phase, excerpt: caretExcerpt(part.text, 1, undefined) };
  }
  const stmt = m.statements[part.statementIndex];
  const unitIndex = within === undefined ? 0 : codeUnitIndex(stmt.text, within);
  const { line, col } = lineCol(m.file.sql, stmt.offset + unitIndex);
  const firstLine = lineCol(m.file.sql, stmt.offset).line;
  return {
    ...base,
    line,
    col,
    statementIndex: part.statementIndex + 1,
    statement: stmt.text,
    phase: "statement",
    excerpt: caretExcerpt(stmt.text, firstLine, within === undefined ? undefined : unitIndex),
  };
}


/**
 * The statement's lines around `index` (UTF-16 index in `text`), numbered as in the file, with a
 * caret under the error; without an index, the statement's first lines.
 */
export function caretExcerpt(text: string, firstLine: number, index: number | undefined): string {
  const lines = text.split("\n");
  const width = String(firstLine + lines.length - 1).length;
  const num = (i: number) => String(firstLine + i).padStart(width);
  if (index === undefined) {
    const shown = lines.slice(0, 5).map((l, i) => `${num(i)} | ${l}`);
    if (lines.length > 5) shown.push(`${" ".repeat(width)} | ...`);
    return shown.join("\n");
  }
  const { line, col } = lineCol(text, index);
  const from = Math.max(0, line - 3);
  const out = lines.slice(from, line).map((l, i) => `${num(from + i)} | ${l}`);
  out.push(`${" ".repeat(width)} | ${" ".repeat(col - 1)}^`);
  return out.join("\n");
}

export type RepairStatus = "applied" | "reverted";

/**
 * Writes ledger rows without running any migration SQL, like `supabase migration repair`:
 * `applied` records each local file's statements (upsert), `reverted` deletes the rows.
 */
export async function repairMigrations(
  client: MigrationClient,
  files: readonly MigrationFile[],
  request: { status: RepairStatus; versions: readonly string[] },
): Promise<{ changed: string[]; unchanged: string[] }> {
  if (request.status === "applied") {
    const missing: Refusal[] = request.versions
      .filter((v) => !files.some((f) => f.version === v))
      .map((v) => ({ kind: "repair-without-file", version: v }));
    if (missing.length) {
      throw new MigrationError({ kind: "refused", refusals: missing });
    }
  }
  const c = new Counted(client);
  const changed: string[] = [];
  const unchanged: string[] = [];
  await lock(c, () => undefined);
  try {
    const ledger = await readLedgerCounted(c);
    if (ledger.state !== "ok") await c.query(CREATE_LEDGER);
    for (const version of request.versions) {
      if (request.status === "reverted") {
        const { rowCount } = await c.query(`DELETE FROM ${LEDGER_TABLE} WHERE version = $1`, [version]);
        (rowCount ? changed : unchanged).push(version);
        continue;
      }
      const file = files.find((f) => f.version === version)!;
      const statements = splitStatements(file.sql).map((s) => s.text);
      const { rowCount } = await c.query(
        `INSERT INTO ${LEDGER_TABLE} (version, name, statements) VALUES ($1, $2, $3)
         ON CONFLICT (version) DO UPDATE SET name = EXCLUDED.name, statements = EXCLUDED.statements
         WHERE (${LEDGER_TABLE}.name, ${LEDGER_TABLE}.statements) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.statements)`,
        [file.version, file.name, statements],
      );
      (rowCount ? changed : unchanged).push(version);
    }
  } finally {
    await unlock(c).catch(() => undefined);
  }
  return { changed, unchanged };
}
