/**
 * The migration runner: applies planned files to a database through an injected `pg.Client`-like
 * client (so a Pulumi dynamic provider can `require()` this module inside its methods and pass its
 * own client). The contract:
 * - ledger `supabase_migrations.schema_migrations(version, name, statements)`, written as the
 *   Supabase CLI writes it, so both tools share one history;
 * - a no-op run is one ledger read; a run with work takes one advisory lock (in the same round trip as
 *   the ledger's second read);
 * - each file is its own transaction with its ledger row (Supabase CLI semantics), but many files
 *   travel in one round trip: a batch is one simple-protocol query of `RESET ALL; BEGIN; <file>;
 *   <ledger row>; COMMIT` per file (the CLI sends one pipeline per file). Postgres stops at the first
 *   error, so files before it stay committed and the failing one leaves no trace;
 * - "applied" means durable: a batch's files commit without waiting for the WAL flush except the last,
 *   whose synchronous commit flushes them all (the WAL is sequential); files are reported applied only
 *   after that, and after a failure only once a synchronous barrier commit has flushed the ones before;
 * - the error names file:line:col with the statement and a caret, as with one file per query.
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

/**
 * The ledger as JSON: pg parses it natively, three times faster than its text[] parser on a long
 * ledger. No ORDER BY: the planner orders versions itself.
 */
const LEDGER_READ = `SELECT version, name, array_to_json(statements) AS statements FROM ${LEDGER_TABLE}`;

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
    const { rows } = await c.query<LedgerRow>(LEDGER_READ);
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

/** A batch ends at this many files or bytes (whichever comes first; a bigger file goes alone). */
export const BATCH_LIMITS = Object.freeze({ files: 200, bytes: 4 * 1024 * 1024 });

/**
 * Groups pending files into round trips: consecutive transactional files up to `BATCH_LIMITS`; a file
 * that must run outside a transaction is a step of its own (it ends the batch before it). Pure.
 */
export function planBatches(pending: readonly PendingMigration[], limits: { files: number; bytes: number } = BATCH_LIMITS): PendingMigration[][] {
  const out: PendingMigration[][] = [];
  let current: PendingMigration[] = [];
  let bytes = 0;
  const flush = () => {
    if (current.length) out.push(current);
    current = [];
    bytes = 0;
  };
  for (const m of pending) {
    if (m.noTransaction) {
      flush();
      out.push([m]);
      continue;
    }
    const size = Buffer.byteLength(m.file.sql);
    if (current.length && (current.length >= limits.files || bytes + size > limits.bytes)) flush();
    current.push(m);
    bytes += size;
  }
  flush();
  return out;
}

/** Commits an empty transaction that holds an xid, synchronously: every earlier commit is then flushed. */
const DURABLE_BARRIER = "BEGIN;\nSELECT pg_current_xact_id();\nCOMMIT";

/**
 * Applies the pending files. Throws `MigrationError` on a refusal (nothing sent but reads) or a
 * failing file (`error.applied` lists the files this run applied, durably, before it).
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
  let locked = false;
  try {
    // Another run may have applied files between our read and the lock: read again under it.
    ledger = await lockAndReadLedger(c, ledger.state, onProgress);
    locked = true;
    plan = planMigrations(files, ledger.rows, planOptions);
    if (plan.refusals.length) throw new MigrationError({ kind: "refused", refusals: plan.refusals });
    const total = plan.pending.length;
    const batches = planBatches(plan.pending);
    let index = 0;
    for (const [b, batch] of batches.entries()) {
      const first = index;
      for (const [i, m] of batch.entries()) onProgress({ kind: "applying", version: m.file.version, name: m.file.name, path: m.file.path, index: first + i + 1, total });
      // The last batch releases the lock itself when it succeeds: no round trip of its own.
      const unlockAfter = b === batches.length - 1 && !batch[0].noTransaction;
      let done: AppliedFile[];
      try {
        done = batch[0].noTransaction ? [await applyOutsideTransaction(c, batch[0], applied)] : await applyBatch(c, batch, applied, unlockAfter);
      } catch (e) {
        // The files of the batch before a failing one are applied (durably): report them too.
        if (e instanceof MigrationError) for (const file of e.applied.slice(applied.length)) onProgress({ kind: "applied", file, index: ++index, total });
        throw e;
      }
      if (unlockAfter) locked = false;
      for (const file of done) {
        applied.push(file);
        onProgress({ kind: "applied", file, index: ++index, total });
      }
    }
  } finally {
    if (locked) await unlock(c).catch(() => undefined);
  }
  return { plan, applied, dryRun: false, roundTrips: c.roundTrips };
}

/**
 * Takes the advisory lock and reads the ledger in one round trip (creating the ledger first, under the
 * lock, when it is missing). Waits for the lock when another run holds it, then reads again.
 */
async function lockAndReadLedger(c: Counted, state: LedgerState, onProgress: (e: MigrationEvent) => void): Promise<{ state: LedgerState; rows: LedgerRow[] }> {
  if (state !== "ok") {
    await lock(c, onProgress);
    await c.query(CREATE_LEDGER);
    return readLedgerCounted(c);
  }
  // A session-level advisory lock is held whatever happens to the statements after it.
  const results = (await c.query(`SELECT pg_try_advisory_lock(${MIGRATION_LOCK_KEY}) AS locked;\n${LEDGER_READ}`)) as unknown as QueryResult[];
  if (results[0].rows[0].locked) return { state: "ok", rows: results[1].rows as LedgerRow[] };
  onProgress({ kind: "waiting-for-lock" });
  await c.query(`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
  return readLedgerCounted(c);
}

/** One part of a batch, located in the batch text (offsets in code points, as Postgres counts). */
export interface BatchPart {
  kind: SqlFailure["phase"] | "reset" | "begin" | "unlock";
  text: string;
  /** Code-point offset of `text` in the batch. */
  start: number;
  /** Whether Postgres answers it with a CommandComplete (comment-only statements vanish). */
  completes: boolean;
  /** Index of its file in the batch. */
  file: number;
  /** Index in `PendingMigration.statements` for `statement` parts. */
  statementIndex?: number;
}

/**
 * The single simple-protocol query that applies a batch of files, each in its own transaction:
 * `RESET ALL; BEGIN; [backup;] <statements>; <ledger row>; COMMIT` per file. Pure, exported for tests.
 *
 * Every file but the batch's last commits without waiting for the WAL flush (`SET LOCAL
 * synchronous_commit = off`); the last one's synchronous commit flushes the WAL up to it, and so every
 * earlier file too. Nothing is reported applied before that flush. With `unlock`, the batch ends by
 * releasing the run's advisory lock (reached only when every file committed).
 */
export function buildBatch(files: readonly PendingMigration[], options: { unlock?: boolean } = {}): { text: string; parts: BatchPart[] } {
  const parts: BatchPart[] = [];
  // "\n;\n": a newline ends a trailing line comment before the separator.
  const SEP = "\n;\n";
  let text = "";
  let cp = 0;
  const add = (file: number, kind: BatchPart["kind"], sql: string, statementIndex?: number) => {
    if (parts.length) {
      text += SEP;
      cp += SEP.length;
    }
    parts.push({ kind, text: sql, start: cp, completes: !isCommentsAndWhitespace(sql), file, statementIndex });
    text += sql;
    cp += [...sql].length;
  };
  files.forEach((m, f) => {
    add(f, "reset", "RESET ALL");
    add(f, "begin", "BEGIN");
    if (f < files.length - 1) add(f, "begin", "SET LOCAL synchronous_commit = off");
    if (m.destructive.length) add(f, "backup", backupBlock(m));
    m.statements.forEach((s, i) => add(f, "statement", s.text, i));
    add(f, "ledger", ledgerInsert(m));
    add(f, "commit", "COMMIT");
  });
  if (options.unlock) add(files.length - 1, "unlock", `SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY})`);
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
    statement: { kind: "statement", text, start: 0, completes: true, file: 0, statementIndex: index },
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
      pgError.severity === undefined && pgError.code === undefined ? connectionFailure(m, error) : locateFailure([m], [q.statement], pgError, 0);
    throw new MigrationError({ kind: "failed", failure: { ...failure, outsideTransaction: true } }, applied);
  }
  await c.query(q.ledger);
  return { version: m.file.version, name: m.file.name, path: m.file.path, ms: Date.now() - started, backups: [] };
}

/**
 * Sends a batch. On success every file is durable (the last commit was synchronous). On an error, the
 * files before the failing one committed: after the rollback, a synchronous barrier commit makes them
 * durable before they are reported (in `error.applied`), and the failure is located and thrown.
 */
async function applyBatch(c: Counted, batch: readonly PendingMigration[], applied: AppliedFile[], unlock: boolean): Promise<AppliedFile[]> {
  const { text, parts } = buildBatch(batch, { unlock });
  const backups: string[][] = batch.map(() => []);
  let completed = 0;
  // A backup's notice comes while its DO block runs, before its CommandComplete: the file of the
  // first part that has not completed yet.
  const fileNow = () => {
    let seen = 0;
    return (parts.find((p) => p.completes && seen++ === completed) ?? parts[parts.length - 1]).file;
  };
  const onNotice = (n: { message?: string }) => {
    const match = /^rollout-stack backup: (.*)$/.exec(n.message ?? "");
    if (match) backups[fileNow()].push(match[1]);
  };
  c.client.on?.("notice", onNotice);
  const started = Date.now();
  let result: { error?: Error; completed: number };
  try {
    result = await sendCounting(c, text, (n) => (completed = n));
  } finally {
    c.client.removeListener?.("notice", onNotice);
  }
  const ms = Date.now() - started;
  const done = (count: number) =>
    batch.slice(0, count).map((m, i) => ({ version: m.file.version, name: m.file.name, path: m.file.path, ms: Math.round(ms / count), backups: backups[i] }));
  if (!result.error) return done(batch.length);

  const pgError = result.error as PgErrorFields;
  if (pgError.severity === undefined && pgError.code === undefined) {
    // The connection failed: which commits were flushed is unknown; report none as applied.
    throw new MigrationError({ kind: "failed", failure: connectionFailure(batch[0], result.error) }, applied);
  }
  const failure = locateFailure(batch, parts, pgError, result.completed);
  const failed = batch.findIndex((m) => m.file.version === failure.version);
  // An error inside BEGIN leaves the session in a failed transaction: roll back, then flush the
  // commits before it (asynchronous ones included) with a synchronous barrier, in one round trip.
  let flushed = true;
  await c.query(`ROLLBACK;\n${DURABLE_BARRIER}`).catch(() => (flushed = false));
  throw new MigrationError({ kind: "failed", failure }, flushed ? [...applied, ...done(failed)] : applied);
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
function sendCounting(c: Counted, text: string, onComplete: (completed: number) => void = () => undefined): Promise<{ error?: Error; completed: number }> {
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
      onComplete(completed);
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
export function locateFailure(files: readonly PendingMigration[], parts: BatchPart[], err: PgErrorFields, completed: number): SqlFailure {
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
  const m = files[part.file];
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
    const phase = part.kind === "reset" || part.kind === "begin" || part.kind === "unlock" ? "statement" : part.kind;
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
