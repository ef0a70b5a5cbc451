/**
 * Operator mistakes of the migration engine: refusals (nothing was sent) and SQL failures (a file
 * failed; the files before it stay applied and it left no trace). Each message names the file or
 * version and how to get out. A bug is a plain `Error`.
 */
import { DESTRUCTIVE_HEADER } from "./files";
import { NO_TRANSACTION_HEADER, SQL_PARSER } from "./parse-gate";

export type Refusal =
  | { kind: "drift"; version: string; name: string; path: string }
  | { kind: "missing-file"; version: string; name: string | null }
  | { kind: "out-of-order"; version: string; path: string; newestApplied: string }
  | { kind: "duplicate-version"; version: string; paths: string[] }
  | { kind: "repair-without-file"; version: string }
  | { kind: "transaction-control"; path: string; line: number; col: number; command: string }
  | { kind: "non-transactional"; path: string; line: number; col: number; command: string }
  | { kind: "psql-meta-command"; path: string; line: number; col: number; command: string }
  | { kind: "destructive-without-header"; path: string; line: number; col: number; command: string }
  | { kind: "unparsable"; path: string; line: number; col: number; message: string }
  | { kind: "readings-disagree"; path: string; line: number; col: number; reason: string }
  | { kind: "no-transaction-misuse"; path: string; line: number; col: number; reason: string };

/** How `npm run db` is invoked in fix hints. */
const DB = "npm run db --";

/** One refusal as a message: what is wrong, then how to get out. */
export function formatRefusal(r: Refusal): string {
  switch (r.kind) {
    case "drift":
      return (
        `${r.path}: version ${r.version} is applied, but the file differs from the statements recorded when it was applied (edited after applying?).\n` +
        `  fix: restore the file as applied (git log -p -- ${r.path}) and put the change in a new migration; ` +
        `or, if the database already matches the edited file, record it: ${DB} repair --applied ${r.version}`
      );
    case "missing-file":
      return (
        `version ${r.version}${r.name ? ` (${r.name})` : ""} is recorded as applied in supabase_migrations.schema_migrations, but there is no file for it.\n` +
        `  fix: restore the file (git, or \`supabase migration fetch\`); or, if it was undone by hand, forget it: ${DB} repair --reverted ${r.version}`
      );
    case "out-of-order":
      return (
        `${r.path}: new file is older than the newest applied version ${r.newestApplied} (a branch merged late?).\n` +
        `  fix: rename it to a version after ${r.newestApplied} (a new 14-digit UTC timestamp); ` +
        `or, if its changes are already in the database, record it: ${DB} repair --applied ${r.version}; ` +
        `or apply it anyway, as \`supabase db push --include-all\` does: ${DB} push --include-all ` +
        `(pulumi up: set rollout-stack:databases.<database>.includeAll: true)`
      );
    case "duplicate-version":
      return `version ${r.version} is used by several files: ${r.paths.join(", ")}.\n  fix: give each file its own version (rename one to a new timestamp)`;
    case "repair-without-file":
      return (
        `repair --applied ${r.version}: no local file has version ${r.version}; repair records a file's statements, so the file must exist.\n` +
        `  fix: check the version against the file names (the digits before the first _), or add the file first`
      );
    case "transaction-control":
      return (
        `${r.path}:${r.line}:${r.col}: ${r.command} at the top level of a migration. Each file runs in one transaction with its ledger row; ` +
        `an inner COMMIT would commit half a file (Supabase CLI #5047).\n  fix: remove the transaction control statements (the whole file is atomic already)`
      );
    case "non-transactional":
      return (
        `${r.path}:${r.line}:${r.col}: ${r.command} cannot run inside a transaction, and each file runs in one.\n` +
        `  fix: drop CONCURRENTLY (the table is locked while the index builds), or run the command outside migrations ` +
        `(psql, the SQL editor) and keep the migration transactional`
      );
    case "psql-meta-command":
      return `${r.path}:${r.line}:${r.col}: ${r.command} is a psql meta-command, not SQL.\n  fix: write plain SQL (the Supabase CLI does not interpret meta-commands either)`;
    case "destructive-without-header":
      return (
        `${r.path}:${r.line}:${r.col}: ${r.command} destroys data, and the file does not say it may.\n` +
        `  fix: if it is meant, put \`${DESTRUCTIVE_HEADER}: <why>\` on the file's first line; the runner then copies what it destroys into ` +
        `the schema migration_backups before running the file`
      );
    case "unparsable":
      return (
        `${r.path}:${r.line}:${r.col}: ${SQL_PARSER} cannot read the file: ${r.message}. Each pending file is read by Postgres's grammar ` +
        `as well as by the Supabase CLI's splitter, so that what runs is what was checked.\n  fix: correct the SQL at that position`
      );
    case "readings-disagree":
      return (
        `${r.path}:${r.line}:${r.col}: the file is read two ways, and they disagree: ${r.reason}. What the checks saw would not be what runs.\n` +
        `  fix: write the statement so both read it alike (quotes doubled, not backslash-escaped); the README lists the forms`
      );
    case "no-transaction-misuse":
      return (
        `${r.path}:${r.line}:${r.col}: ${r.reason}.\n  fix: put the non-transactional statement alone in its own file with \`${NO_TRANSACTION_HEADER}\` ` +
        `on the first line, and everything else in ordinary files; or remove the header`
      );
  }
}

/** A failed statement, located in its file. */
export interface SqlFailure {
  path: string;
  version: string;
  /** 1-based position in the file (the statement's start when Postgres gave no position). */
  line: number;
  col: number;
  /** 1-based index of the statement among the file's statements; 0 for the runner's own SQL. */
  statementIndex: number;
  statement: string;
  /** Where in the batch it failed when not in a statement of the file. */
  phase: "statement" | "backup" | "ledger" | "commit";
  code?: string;
  message: string;
  detail?: string;
  hint?: string;
  where?: string;
  /** The statement's lines around the error with a caret under the position, ready to print. */
  excerpt: string;
  /** The file ran outside a transaction (the no-transaction header): a failure may leave something behind. */
  outsideTransaction?: true;
}

export function formatSqlFailure(f: SqlFailure): string {
  const lines = [`${f.path}:${f.line}:${f.col}: ERROR${f.code ? ` ${f.code}` : ""}: ${f.message}`];
  if (f.detail) lines.push(`  detail: ${f.detail}`);
  if (f.hint) lines.push(`  hint: ${f.hint}`);
  if (f.where) lines.push(`  where: ${f.where}`);
  const what =
    f.phase === "statement"
      ? `statement ${f.statementIndex}`
      : f.phase === "backup"
        ? "the backup taken before the file's destructive statements"
        : f.phase === "ledger"
          ? "recording the version in supabase_migrations.schema_migrations"
          : "commit (a deferred constraint?)";
  lines.push(`  in ${what}:`);
  lines.push(f.excerpt.replace(/^/gm, "    "));
  lines.push(
    f.outsideTransaction
      ? `  ${f.path} ran outside a transaction and is not recorded as applied. A failed CREATE INDEX CONCURRENTLY leaves an INVALID index behind: ` +
          `drop it (DROP INDEX CONCURRENTLY) before pushing again. Files before it stay applied.`
      : `  ${f.path} was rolled back: it left no trace. Files before it stay applied; fix it and push again.`,
  );
  return lines.join("\n");
}

export interface AppliedFile {
  version: string;
  name: string;
  path: string;
  /** Its share of its batch's wall time, in milliseconds (a batch's files share one round trip). */
  ms: number;
  /** Backup tables written before its destructive statements (`migration_backups.<table>`). */
  backups: string[];
}

/** An operator mistake: a refusal before anything ran, or a file that failed. */
export class MigrationError extends Error {
  constructor(
    readonly detail: { kind: "refused"; refusals: Refusal[] } | { kind: "failed"; failure: SqlFailure },
    /** Files applied by this run before the failure (they stay applied). */
    readonly applied: AppliedFile[] = [],
  ) {
    super(
      detail.kind === "refused"
        ? `migrations refused (${detail.refusals.length} problem${detail.refusals.length === 1 ? "" : "s"}; nothing was applied):\n` +
            detail.refusals.map((r) => "- " + formatRefusal(r)).join("\n")
        : formatSqlFailure(detail.failure),
    );
    this.name = "MigrationError";
  }
}
