/**
 * Pure planning: local files + the ledger's rows → what to apply, or every reason to refuse.
 * Mirrors the Supabase CLI's `FindPendingMigrations` (missing files, out-of-order files), adds drift
 * detection (the CLI has none) and per-statement checks of the pending files.
 */
import { classifyStatement, type DestructiveOp } from "./classify";
import type { Refusal } from "./errors";
import { compareVersions, hasDestructiveHeader, lineCol, type MigrationFile } from "./files";
import { firstTokenAt, isCommentsAndWhitespace, normalizeStatements, splitStatements, type SplitStatement } from "./split";
import { checkWithParser, hasNoTransactionHeader, NO_TRANSACTION_HEADER, type SplitReading } from "./parse-gate";

/** A row of `supabase_migrations.schema_migrations` (name/statements are null in old CLI rows). */
export interface LedgerRow {
  version: string;
  name: string | null;
  statements: string[] | null;
}

export interface PendingMigration {
  file: MigrationFile;
  statements: SplitStatement[];
  /** Destructive statements (present only when the file has the destructive header). */
  destructive: DestructiveOp[];
  /**
   * The file has the no-transaction header and its one statement cannot run in a transaction: it is
   * sent alone, outside a transaction, and its ledger row right after it.
   */
  noTransaction?: true;
}

export type EntryStatus =
  /** Applied, and the file matches what was recorded. */
  | "applied"
  /** Applied by a tool that recorded no statements: cannot be checked for edits. */
  | "applied-unverified"
  | "pending"
  | "drift"
  | "missing-file"
  | "out-of-order";

export interface PlanEntry {
  version: string;
  name: string;
  status: EntryStatus;
  path?: string;
}

export interface MigrationPlan {
  /** One entry per version known locally or in the ledger, in version order. */
  entries: PlanEntry[];
  /** Files to apply, in order (empty when refused). */
  pending: PendingMigration[];
  /** Every reason to refuse; empty = the plan may run. */
  refusals: Refusal[];
}

export interface PlanOptions {
  /**
   * Apply new files older than the newest applied version too, instead of refusing them, as
   * `supabase db push --include-all` does (`internal/migration/up` `GetPendingMigrations`): they run
   * in version order, before the newer pending files. @default false
   */
  includeAll?: boolean;
}

/**
 * Plans a push. `files` in any order; `applied` as read from the ledger. Refusals are collected,
 * not thrown: the caller decides (push refuses, status reports).
 */
export function planMigrations(files: readonly MigrationFile[], applied: readonly LedgerRow[], options: PlanOptions = {}): MigrationPlan {
  const refusals: Refusal[] = [];
  const byVersion = new Map<string, MigrationFile[]>();
  for (const f of files) byVersion.set(f.version, [...(byVersion.get(f.version) ?? []), f]);
  for (const [version, same] of byVersion) {
    if (same.length > 1) refusals.push({ kind: "duplicate-version", version, paths: same.map((f) => f.path) });
  }
  const rows = new Map(applied.map((r) => [r.version, r]));
  const newestApplied = [...rows.keys()].sort(compareVersions).at(-1);
  const versions = [...new Set([...byVersion.keys(), ...rows.keys()])].sort(compareVersions);

  const entries: PlanEntry[] = [];
  const pending: PendingMigration[] = [];
  for (const version of versions) {
    const file = byVersion.get(version)?.[0];
    const row = rows.get(version);
    if (row && !file) {
      refusals.push({ kind: "missing-file", version, name: row.name });
      entries.push({ version, name: row.name ?? "", status: "missing-file" });
      continue;
    }
    if (!file) continue;
    if (row) {
      if (row.statements === null) {
        entries.push({ version, name: file.name, status: "applied-unverified", path: file.path });
      } else if (isDrift(file, row.statements)) {
        refusals.push({ kind: "drift", version, name: file.name, path: file.path });
        entries.push({ version, name: file.name, status: "drift", path: file.path });
      } else {
        entries.push({ version, name: file.name, status: "applied", path: file.path });
      }
      continue;
    }
    if (!options.includeAll && newestApplied !== undefined && compareVersions(version, newestApplied) < 0) {
      refusals.push({ kind: "out-of-order", version, path: file.path, newestApplied });
      entries.push({ version, name: file.name, status: "out-of-order", path: file.path });
      continue;
    }
    const { migration, problems } = checkPending(file);
    refusals.push(...problems);
    pending.push(migration);
    entries.push({ version, name: file.name, status: "pending", path: file.path });
  }
  return { entries, pending: refusals.length ? [] : pending, refusals };
}

/** Whether a file differs from the statements recorded for it (exact match first: the common case). */
function isDrift(file: MigrationFile, recorded: readonly string[]): boolean {
  const statements = splitStatements(file.sql).map((s) => s.text);
  if (statements.length === recorded.length && statements.every((s, i) => s === recorded[i])) return false;
  return normalizeStatements(statements) !== normalizeStatements(recorded);
}

/**
 * Splits a file to apply and checks each statement, then reads the file a second time with
 * Postgres's parser (`parse-gate.ts`; `loadSqlParser()` must have resolved) and refuses it where the
 * readings disagree.
 */
export function checkPending(file: MigrationFile): { migration: PendingMigration; problems: Refusal[] } {
  const statements = splitStatements(file.sql);
  const header = hasDestructiveHeader(file.sql);
  const noTransaction = hasNoTransactionHeader(file.sql);
  const content = statements.filter((s) => !isCommentsAndWhitespace(s.text));
  const problems: Refusal[] = [];
  const destructive: DestructiveOp[] = [];
  const readings: SplitReading[] = [];
  for (const s of statements) {
    const c = classifyStatement(s.text);
    readings.push({ statement: s, refusalKind: c.refusal?.kind, destructive: !!c.destructive });
    if (c.refusal) {
      // A file's only statement, under the no-transaction header, runs outside a transaction.
      if (noTransaction && content.length === 1 && c.refusal.kind === "non-transactional" && !c.refusal.command.startsWith("COPY")) continue;
      const { line, col } = lineCol(file.sql, s.offset + c.refusal.offset);
      problems.push({ kind: c.refusal.kind, path: file.path, line, col, command: c.refusal.command });
    } else if (c.destructive) {
      if (header) {
        destructive.push(c.destructive);
      } else {
        const { line, col } = lineCol(file.sql, s.offset + c.destructive.offset);
        problems.push({ kind: "destructive-without-header", path: file.path, line, col, command: c.destructive.command });
      }
    }
  }
  problems.push(...checkWithParser(file, readings).refusals);
  if (noTransaction) {
    // At the statement's first word, past the header comment and blank lines, as the other refusals are.
    const at = (s: SplitStatement) => lineCol(file.sql, s.offset + firstTokenAt(s.text, 0));
    if (content.length !== 1) {
      problems.push({
        kind: "no-transaction-misuse",
        path: file.path,
        ...at(content[1] ?? content[0] ?? { offset: 0, text: "" }),
        reason:
          `the file has the header ${NO_TRANSACTION_HEADER} but ${content.length} statements; only a file's single statement may run outside a transaction ` +
          `(the others would each commit on their own, and a failure would leave half the file applied)`,
      });
    } else if (readings.find((r) => r.statement === content[0])?.refusalKind !== "non-transactional") {
      problems.push({
        kind: "no-transaction-misuse",
        path: file.path,
        ...at(content[0]),
        reason: `the file has the header ${NO_TRANSACTION_HEADER}, but its statement can run in a transaction (or is refused anyway)`,
      });
    }
  }
  return { migration: { file, statements, destructive, ...(noTransaction ? { noTransaction: true as const } : {}) }, problems };
}
