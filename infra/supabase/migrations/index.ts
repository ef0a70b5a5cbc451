/**
 * The migration engine: pure planning (`planMigrations`) and a runner with an injected client
 * (`pushMigrations`, `statusMigrations`, `repairMigrations`). No Pulumi imports: the Migrations
 * dynamic resource `require()`s this module inside its methods.
 */
export { classifyStatement, tokenize, type DestructiveOp, type QualifiedName, type StatementClass } from "./classify";
export { formatRefusal, formatSqlFailure, MigrationError, type AppliedFile, type Refusal, type SqlFailure } from "./errors";
export {
  compareVersions,
  DESTRUCTIVE_HEADER,
  formatIgnoredMigration,
  hasDestructiveHeader,
  lineCol,
  MIGRATION_FILE_PATTERN,
  readMigrationDir,
  migrationDirRefs,
  readMigrationFiles,
  shouldSkipInit,
  type IgnoredMigration,
  type MigrationFile,
} from "./files";
export { checkPending, planMigrations, type EntryStatus, type LedgerRow, type MigrationPlan, type PendingMigration, type PlanEntry, type PlanOptions } from "./plan";
export { quoteIdent, quoteLiteral, quoteTextArray } from "../../sql/quote";
export {
  BACKUP_SCHEMA,
  LEDGER_TABLE,
  MIGRATION_LOCK_KEY,
  pushMigrations,
  readLedger,
  repairMigrations,
  statusMigrations,
  type MigrationClient,
  type MigrationEvent,
  type PushOptions,
  type PushResult,
  type RepairStatus,
} from "./runner";
export { normalizeStatements, splitStatements, type SplitStatement } from "./split";
