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

/** Whether `sql` starts (after blank lines and comments) with the destructive header. */
export function hasDestructiveHeader(sql: string): boolean {
  for (const line of sql.replace(/^\ufeff/, "").split("\n")) {
    const t = line.trim();
    if (t === "") continue;
    if (!t.startsWith("--")) return false;
    if (/^--\s*rollout-stack:destructive(?=$|[\s:])/.test(t)) return true;
  }
  return false;
}

export interface ReadResult {
  files: MigrationFile[];
  /** `.sql` files whose names do not match `<digits>_<name>.sql` (the CLI skips them with a warning). */
  ignored: string[];
}

/**
 * Reads the migration files of a directory, sorted by version (text order, as the CLI compares).
 * A missing directory is an error naming it; an empty one yields no files.
 */
export function readMigrationFiles(dir: string): MigrationFile[] {
  return readMigrationDir(dir).files;
}

/**
 * `{version, name, sha256}` of each migration file in `dir` (what the `Migrations` resource and the
 * stack model carry); none when the directory does not exist (a database with no migrations yet).
 */
export function migrationRefs(dir: string): { version: string; name: string; sha256: string }[] {
  if (!fs.existsSync(dir)) return [];
  return readMigrationFiles(dir).map((f) => ({ version: f.version, name: f.name, sha256: f.sha256 }));
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
  const ignored: string[] = [];
  for (const entry of entries) {
    if (!entry.name.endsWith(".sql")) continue;
    const match = MIGRATION_FILE_PATTERN.exec(entry.name);
    const file = path.join(dir, entry.name);
    // A symlink to a file counts as a file (readFileSync follows it).
    if (!match || !(entry.isFile() || (entry.isSymbolicLink() && fs.statSync(file).isFile()))) {
      ignored.push(file);
      continue;
    }
    const bytes = fs.readFileSync(file);
    files.push({ version: match[1], name: match[2], path: file, sql: bytes.toString("utf8"), sha256: sha256(bytes) });
  }
  ignored.sort();
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
