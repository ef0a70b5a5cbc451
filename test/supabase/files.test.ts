/**
 * Reading a migrations directory as the Supabase CLI lists it (`pkg/migration/list.go`
 * `ListLocalMigrations`, `shouldSkip`): which files are migrations, and which are skipped with a
 * warning. No database.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterEach, describe, expect, it } from "vitest";
import { formatIgnoredMigration, migrationDirRefs, readMigrationDir } from "../../infra/supabase/migrations/files";

const made: string[] = [];
function dirWith(entries: Record<string, string | null>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "migration-files-"));
  made.push(dir);
  for (const [name, text] of Object.entries(entries)) {
    if (text === null) fs.mkdirSync(path.join(dir, name));
    else fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}
afterEach(() => {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe("readMigrationDir lists files as the CLI does (pkg/migration/list.go ListLocalMigrations)", () => {
  it("skips every file not named <digits>_<name>.sql with a warning, .sql or not; directories silently", () => {
    const dir = dirWith({
      "20250101000001_a.sql": "select 1;",
      "README.md": "notes",
      "notes.sql": "select 2;",
      "20250101000002_b.ts": "x",
      "20250101000003_dir.sql": null,
      subdir: null,
    });
    const { files, ignored } = readMigrationDir(dir);
    expect(files.map((f) => f.version)).toEqual(["20250101000001"]);
    expect(ignored).toEqual([
      { path: path.join(dir, "20250101000002_b.ts"), reason: "name" },
      { path: path.join(dir, "README.md"), reason: "name" },
      { path: path.join(dir, "notes.sql"), reason: "name" },
    ]);
    expect(formatIgnoredMigration(ignored[2])).toBe(
      `${path.join(dir, "notes.sql")} is skipped: its name must match <version>_<name>.sql (as the Supabase CLI skips it)`,
    );
  });

  it("skips a first <14 digits>_init.sql dated before 20211209000000 (shouldSkip; the CLI test 'ignores outdated and invalid files')", () => {
    const dir = dirWith({ "20211208000000_init.sql": "create table old (id int);", "20211208000001_next.sql": "select 1;" });
    const { files, ignored } = readMigrationDir(dir);
    expect(files.map((f) => f.name)).toEqual(["next"]);
    expect(ignored).toEqual([{ path: path.join(dir, "20211208000000_init.sql"), reason: "init" }]);
    expect(formatIgnoredMigration(ignored[0])).toContain('replace "init" with a different file name to apply this migration');
  });

  it("applies an init file dated 20211209000000 or later, or one that is not the directory's first entry (shouldSkip, i == 0)", () => {
    expect(readMigrationDir(dirWith({ "20211209000000_init.sql": "select 1;" })).files.map((f) => f.name)).toEqual(["init"]);
    const second = readMigrationDir(dirWith({ "20200101000000_init.sql": "select 1;", "0_first.sql": "select 1;" }));
    expect(second.files.map((f) => f.version)).toEqual(["0", "20200101000000"]);
    expect(second.ignored).toEqual([]);
  });
});

describe("migrationDirRefs: what the stack model carries for a database's folder", () => {
  it("refs of the migrations and the skipped files, project-relative", () => {
    const root = dirWith({ migrations: null });
    const dir = path.join(root, "migrations");
    fs.mkdirSync(path.join(dir, "db"));
    fs.writeFileSync(path.join(dir, "db", "20250101000001_a.sql"), "select 1;");
    fs.writeFileSync(path.join(dir, "db", "draft.sql"), "select 1;");
    const refs = migrationDirRefs(root, "migrations/db");
    expect(refs.files.map((f) => [f.version, f.name])).toEqual([["20250101000001", "a"]]);
    expect(refs.ignored).toEqual([{ path: "migrations/db/draft.sql", reason: "name" }]);
    expect(migrationDirRefs(root, "migrations/none")).toEqual({ files: [], ignored: [] });
  });
});
