/**
 * The second reading of a migration file, by Postgres's own grammar (libpg-query: the Postgres 17
 * parser compiled to WASM). The ledger keeps the Supabase CLI's split (`split.ts`), but that
 * tokenizer does not know backslash escapes in `E'…'` strings, so `E'it\'s'` makes it read the rest
 * of the file as string content: a `COMMIT` or `DROP TABLE` after it would go unrefused and run.
 * This gate reads each pending file with the real parser and refuses it when the two readings
 * disagree: other statement boundaries, a file Postgres cannot parse, or a transaction control,
 * non-transactional or destructive statement that only the parse tree sees.
 *
 * The parser loads asynchronously (`loadSqlParser`); after that every check is synchronous.
 * No I/O besides loading the WASM, no Pulumi.
 */
import type { Refusal } from "./errors";
import { codeUnitIndex, hasHeader, lineCol, type MigrationFile } from "./files";
import { firstTokenAt, type SplitStatement } from "./split";

/** The parser's version, named in messages (the grammar of Postgres 17). */
export const SQL_PARSER = "Postgres 17's parser (libpg-query 17.7.4)";

/** The header that lets a file's single non-transactional statement run outside a transaction. */
export const NO_TRANSACTION_HEADER = "-- rollout-stack:no-transaction";

/** Whether `sql` starts (after blank lines and comments) with the no-transaction header. */
export function hasNoTransactionHeader(sql: string): boolean {
  return hasHeader(sql, "no-transaction");
}

interface PgQuery {
  loadModule(): Promise<void>;
  parseSync(sql: string): { stmts?: RawStmt[] };
}
interface RawStmt {
  stmt: Record<string, Record<string, unknown>>;
  stmt_location?: number;
  stmt_len?: number;
}

let parser: PgQuery | undefined;
let loading: Promise<void> | undefined;

/** Loads the WASM parser once; every later call resolves at once. */
export function loadSqlParser(): Promise<void> {
  loading ??= (async () => {
    // Required here, not imported: a Pulumi dynamic provider requires this module inside its methods.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const m = require("libpg-query") as PgQuery;
    await m.loadModule();
    parser = m;
  })();
  return loading;
}

function loaded(): PgQuery {
  if (!parser) throw new Error("the SQL parser is not loaded: await loadSqlParser() before planning migrations");
  return parser;
}

/** What the parse tree says a statement is (the same classes as `classify.ts`). */
export interface ParsedClass {
  refusal?: { kind: "transaction-control" | "non-transactional"; command: string };
  destructive?: "DROP TABLE" | "DROP SCHEMA" | "TRUNCATE" | "DROP COLUMN";
}

/** One statement of the parse, located in the file (UTF-16 index of its first token). */
export interface ParsedStatement {
  start: number;
  /** The node type, e.g. `CreateStmt`. */
  type: string;
  class: ParsedClass;
}

const TRANSACTION_KINDS: Record<string, string> = {
  TRANS_STMT_BEGIN: "BEGIN",
  TRANS_STMT_START: "START TRANSACTION",
  TRANS_STMT_COMMIT: "COMMIT",
  TRANS_STMT_ROLLBACK: "ROLLBACK",
  TRANS_STMT_SAVEPOINT: "SAVEPOINT",
  TRANS_STMT_RELEASE: "RELEASE",
  TRANS_STMT_ROLLBACK_TO: "ROLLBACK TO SAVEPOINT",
  TRANS_STMT_PREPARE: "PREPARE TRANSACTION",
  TRANS_STMT_COMMIT_PREPARED: "COMMIT PREPARED",
  TRANS_STMT_ROLLBACK_PREPARED: "ROLLBACK PREPARED",
};

/** Statements that never run in a transaction block, whatever their options. */
const ALWAYS_NON_TRANSACTIONAL: Record<string, string> = {
  CreatedbStmt: "CREATE DATABASE",
  DropdbStmt: "DROP DATABASE",
  CreateTableSpaceStmt: "CREATE TABLESPACE",
  DropTableSpaceStmt: "DROP TABLESPACE",
  CreateSubscriptionStmt: "CREATE SUBSCRIPTION",
  DropSubscriptionStmt: "DROP SUBSCRIPTION",
  AlterSystemStmt: "ALTER SYSTEM",
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Node = any;

/** The names of a node list's `DefElem`s (REINDEX's and ALTER DATABASE's options). */
function defNames(list: Node[] | undefined): string[] {
  return (list ?? []).map((d: Node) => String(d?.DefElem?.defname ?? "").toLowerCase());
}

/**
 * Classifies one raw statement from its parse tree. The non-transactional list is Postgres's
 * `PreventInTransactionBlock` callers reachable from a migration (ALTER TYPE … ADD VALUE is not one
 * since Postgres 12).
 */
export function classifyParsed(type: string, n: Node): ParsedClass {
  const nonTx = (command: string): ParsedClass => ({ refusal: { kind: "non-transactional", command } });
  if (type in ALWAYS_NON_TRANSACTIONAL) return nonTx(ALWAYS_NON_TRANSACTIONAL[type]);
  switch (type) {
    case "TransactionStmt":
      return { refusal: { kind: "transaction-control", command: TRANSACTION_KINDS[n.kind] ?? String(n.kind) } };
    case "VacuumStmt":
      return n.is_vacuumcmd ? nonTx("VACUUM") : {};
    case "AlterDatabaseStmt":
      return defNames(n.options).includes("tablespace") ? nonTx("ALTER DATABASE ... SET TABLESPACE") : {};
    case "IndexStmt":
      return n.concurrent ? nonTx("CREATE INDEX CONCURRENTLY") : {};
    case "ReindexStmt": {
      if (defNames(n.params).includes("concurrently")) return nonTx("REINDEX CONCURRENTLY");
      if (n.kind === "REINDEX_OBJECT_DATABASE") return nonTx("REINDEX DATABASE");
      if (n.kind === "REINDEX_OBJECT_SYSTEM") return nonTx("REINDEX SYSTEM");
      return {};
    }
    case "ClusterStmt":
      return n.relation ? {} : nonTx("CLUSTER (all tables)");
    case "CopyStmt":
      return !n.filename && !n.is_program ? nonTx("COPY ... STDIN/STDOUT") : {};
    case "DropStmt":
      if (n.concurrent) return nonTx("DROP INDEX CONCURRENTLY");
      if (n.removeType === "OBJECT_TABLE") return { destructive: "DROP TABLE" };
      if (n.removeType === "OBJECT_SCHEMA") return { destructive: "DROP SCHEMA" };
      return {};
    case "TruncateStmt":
      return { destructive: "TRUNCATE" };
    case "AlterTableStmt": {
      const cmds: Node[] = (n.cmds ?? []).map((c: Node) => c?.AlterTableCmd ?? {});
      if (cmds.some((c) => c.subtype === "AT_DetachPartition" && c.def?.PartitionCmd?.concurrent)) {
        return nonTx("ALTER TABLE ... DETACH PARTITION CONCURRENTLY");
      }
      if (n.objtype === "OBJECT_TABLE" && cmds.some((c) => c.subtype === "AT_DropColumn")) return { destructive: "DROP COLUMN" };
      return {};
    }
    default:
      return {};
  }
}

/** UTF-16 index of each UTF-8 byte offset the parser reports (identity for ASCII files). */
function byteToUnit(sql: string): (byte: number) => number {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(sql)) return (b) => b;
  const units: number[] = [];
  let u = 0;
  for (const ch of sql) {
    const bytes = Buffer.byteLength(ch, "utf8");
    for (let k = 0; k < bytes; k++) units.push(u);
    u += ch.length;
  }
  units.push(u);
  return (b) => units[Math.min(b, units.length - 1)];
}


/** Parses a file: its statements located in it, or the parser's error at a file index. */
export function parseFile(sql: string): { statements: ParsedStatement[] } | { error: string; at: number } {
  let tree: { stmts?: RawStmt[] };
  try {
    tree = loaded().parseSync(sql);
  } catch (e) {
    const details = (e as { sqlDetails?: { cursorPosition?: number } }).sqlDetails;
    const cp = details?.cursorPosition;
    return { error: (e as Error).message, at: cp !== undefined && cp >= 0 ? codeUnitIndex(sql, cp) : 0 };
  }
  const unit = byteToUnit(sql);
  const statements = (tree.stmts ?? []).map((raw) => {
    const [type, node] = Object.entries(raw.stmt)[0];
    return { start: firstTokenAt(sql, unit(raw.stmt_location ?? 0)), type, class: classifyParsed(type, node) };
  });
  return { statements };
}

/** What the splitter and the statement lexer said about one statement, as `plan.ts` found it. */
export interface SplitReading {
  statement: SplitStatement;
  refusalKind?: string;
  destructive: boolean;
}

const LITERAL_HINT =
  "a backslash-escaped quote in an E'…' string (E'it\\'s') is the usual cause: the Supabase CLI's splitter, whose split the ledger keeps, " +
  "does not know backslash escapes; write the quote doubled instead (E'it''s' or 'it''s')";

/**
 * The refusals of the second reading: none when the parse agrees with the split and finds nothing the
 * lexer missed. `readings` are the splitter's statements with the lexer's classes. Also returns the
 * parsed statements (for the no-transaction check).
 */
export function checkWithParser(file: MigrationFile, readings: readonly SplitReading[]): { refusals: Refusal[]; parsed: ParsedStatement[] } {
  const at = (index: number) => lineCol(file.sql, index);
  const parsed = parseFile(file.sql);
  if ("error" in parsed) {
    return { refusals: [{ kind: "unparsable", path: file.path, ...at(parsed.at), message: parsed.error }], parsed: [] };
  }
  const tree = parsed.statements;
  // Statements with content, at their first token; comment-only pieces of the split are no statements.
  const split = readings
    .map((r) => ({ r, start: firstTokenAt(file.sql, r.statement.offset) }))
    .filter(({ r, start }) => start < r.statement.offset + r.statement.text.length);
  const refusals: Refusal[] = [];
  const count = Math.max(split.length, tree.length);
  for (let i = 0; i < count; i++) {
    const s = split[i];
    const p = tree[i];
    if (!s || !p || s.start !== p.start) {
      const where = Math.min(s?.start ?? Infinity, p?.start ?? Infinity);
      const reason =
        `the Supabase CLI's splitter reads ${split.length} statement${split.length === 1 ? "" : "s"}, ${SQL_PARSER} ${tree.length}, ` +
        `and they first differ here (${!p || (s && s.start < p.start) ? "the splitter starts a statement here, the parser does not" : "the parser starts a statement here, the splitter does not"}; ` +
        `the parser's statements from there: ${describe(tree.filter((t) => t.start >= where))})`;
      refusals.push({ kind: "readings-disagree", path: file.path, ...at(where), reason: `${reason}; ${LITERAL_HINT}` });
      return { refusals, parsed: tree };
    }
    const missed =
      p.class.refusal && p.class.refusal.kind !== s.r.refusalKind
        ? `${SQL_PARSER} reads ${p.class.refusal.command} (${p.class.refusal.kind}) here, which the statement lexer did not see`
        : p.class.destructive && !s.r.destructive && !s.r.refusalKind
          ? `${SQL_PARSER} reads ${p.class.destructive} here, which the statement lexer did not see, so no backup would be taken`
          : undefined;
    if (missed) refusals.push({ kind: "readings-disagree", path: file.path, ...at(p.start), reason: missed });
  }
  return { refusals, parsed: tree };
}

function describe(statements: ParsedStatement[]): string {
  if (statements.length === 0) return "none";
  const shown = statements.slice(0, 4).map((s) => s.class.refusal?.command ?? s.class.destructive ?? s.type);
  return shown.join(", ") + (statements.length > 4 ? ", …" : "");
}
