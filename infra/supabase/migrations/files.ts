/**
 * Migration files on disk: `migrations/<database>/<version>_<name>.sql`, the Supabase CLI's layout
 * (`supabase migration new` writes a 14-digit UTC version, `YYYYMMDDHHMMSS`).
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";

/** One migration file. The Migrations resource's inputs are `{version, name, sha256}` of each. */
export interface MigrationFile {
  /** The digits before the first `_` (the CLI accepts any run of digits; we write 14). */
  version: string;
  /** The rest of the file name, without `.sql`. */
  name: string;
  /** Path as given (relative paths stay relative: they appear in messages). */
  path: string;
  sql: string;
  /** sha256 of the file's bytes, hex. */
  sha256: string;
}

/** The CLI's file-name pattern (`pkg/migration/file.go`). */
export const MIGRATION_FILE_PATTERN = /^([0-9]+)_(.*)\.sql$/;

/**
 * The header that allows a file to destroy data (DROP TABLE/COLUMN/SCHEMA, TRUNCATE). It must be a
 * line comment among the file's first lines, before any SQL, optionally followed by a reason:
 * `-- rollout-stack:destructive: drop the raw response columns (seed 004-13)`.
 */
export const DESTRUCTIVE_HEADER = "-- rollout-stack:destructive";

/**
 * Whether `sql` starts (after blank lines and comments) with the header `-- rollout-stack:<name>`,
 * optionally followed by `: <why>`.
 */
export function hasHeader(sql: string, name: string): boolean {
  const header = new RegExp(`^--\\s*rollout-stack:\\s*${name}(?=$|[\\s:])`);
  for (const line of sql.replace(/^\ufeff/, "").split("\n")) {
    const t = line.trim();
    if (t === "") continue;
    if (!t.startsWith("--")) return false;
    if (header.test(t)) return true;
  }
  return false;
}

/** Whether `sql` starts (after blank lines and comments) with the destructive header. */
export function hasDestructiveHeader(sql: string): boolean {
  return hasHeader(sql, "destructive");
}

/**
 * A file of a migrations directory that is not a migration, skipped with a warning as the CLI's
 * `ListLocalMigrations` (`pkg/migration/list.go`) skips it: `name`, its name does not match
 * `<digits>_<name>.sql` (any file, `.sql` or not); `init`, the directory's first entry is a
 * `<14 digits>_init.sql` dated before 20211209000000 (the CLI's `shouldSkip`, kept for projects of
 * old CLI versions).
 */
export interface IgnoredMigration {
  path: string;
  reason: "name" | "init";
}

export interface ReadResult {
  files: MigrationFile[];
  /** Files skipped with a warning (the CLI skips them too), in directory order. */
  ignored: IgnoredMigration[];
}

/** The warning for a skipped file: one wording for `db push`, `npm run local` and `pulumi up`. */
export function formatIgnoredMigration(f: IgnoredMigration): string {
  return f.reason === "init"
    ? `${f.path} is skipped: a first <timestamp>_init.sql dated before 20211209000000 is not applied (as the Supabase CLI skips it; replace "init" with a different file name to apply this migration)`
    : `${f.path} is skipped: its name must match <version>_<name>.sql (as the Supabase CLI skips it)`;
}

/** The CLI's `shouldSkip` (`pkg/migration/list.go`), applied to the directory's first entry only. */
export function shouldSkipInit(name: string): boolean {
  const match = /([0-9]{14})_init\.sql/.exec(name);
  return !!match && Number(match[1]) < 20211209000000;
}

/**
 * Reads the migration files of a directory, sorted by version (text order, as the CLI compares).
 * A missing directory is an error naming it; an empty one yields no files.
 */
export function readMigrationFiles(dir: string): MigrationFile[] {
  return readMigrationDir(dir).files;
}

/**
 * `migrationRefs` of the project-relative `dir` under `root`, plus the files skipped there (paths
 * project-relative, as the stack model and the preview show them).
 */
export function migrationDirRefs(root: string, dir: string): { files: { version: string; name: string; sha256: string }[]; ignored: IgnoredMigration[] } {
  const abs = path.join(root, dir);
  if (!fs.existsSync(abs)) return { files: [], ignored: [] };
  const read = readMigrationDir(abs);
  return {
    files: read.files.map((f) => ({ version: f.version, name: f.name, sha256: f.sha256 })),
    ignored: read.ignored.map((f) => ({ path: path.posix.join(dir, path.basename(f.path)), reason: f.reason })),
  };
}

/** `readMigrationFiles` plus the `.sql` files it ignored. */
export function readMigrationDir(dir: string): ReadResult {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(
      code === "ENOENT" ? `migrations directory ${dir} does not exist; create it or check --dir` : `cannot read migrations directory ${dir}: ${(e as Error).message}`,
    );
  }
  const files: MigrationFile[] = [];
  const ignored: IgnoredMigration[] = [];
  // The CLI reads the directory sorted by name (Go's fs.ReadDir), directories included in the count.
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const [i, entry] of entries.entries()) {
    const file = path.join(dir, entry.name);
    // A symlink counts as what it points to (readFileSync follows it); a dangling one as a file.
    const isDir = entry.isDirectory() || (entry.isSymbolicLink() && (fs.statSync(file, { throwIfNoEntry: false })?.isDirectory() ?? false));
    if (isDir) continue;
    if (i === 0 && shouldSkipInit(entry.name)) {
      ignored.push({ path: file, reason: "init" });
      continue;
    }
    const match = MIGRATION_FILE_PATTERN.exec(entry.name);
    if (!match) {
      ignored.push({ path: file, reason: "name" });
      continue;
    }
    const bytes = fs.readFileSync(file);
    files.push({ version: match[1], name: match[2], path: file, sql: bytes.toString("utf8"), sha256: sha256(bytes) });
  }
  files.sort((a, b) => compareVersions(a.version, b.version) || (a.path < b.path ? -1 : 1));
  return { files, ignored };
}

/** Hex sha256 (one-shot `crypto.hash` where Node has it: much cheaper for small files). */
function sha256(bytes: Buffer): string {
  const oneShot = (crypto as { hash?: (algorithm: string, data: Buffer, encoding: "hex") => string }).hash;
  return oneShot ? oneShot("sha256", bytes, "hex") : crypto.createHash("sha256").update(bytes).digest("hex");
}

/** Text order, as the CLI's `ORDER BY version` and directory listing. */
export function compareVersions(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The UTF-16 index of the `codePoints`-th code point of `text` (Postgres and its parser count characters). */
export function codeUnitIndex(text: string, codePoints: number): number {
  let units = 0;
  let n = 0;
  for (const ch of text) {
    if (n++ >= codePoints) break;
    units += ch.length;
  }
  return units;
}

/** 1-based line and column (in characters) of a UTF-16 index in `text`. */
export function lineCol(text: string, index: number): { line: number; col: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < index && i < text.length; i++) {
    if (text[i] === "\n") {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, col: [...text.slice(lineStart, index)].length + 1 };
}
