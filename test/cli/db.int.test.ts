/** `npm run db` run as a user runs it (its own process) against a throwaway Supabase-compatible Postgres. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli";
import { startTestPostgres, type TestPostgres } from "../support/postgres";

let pg: TestPostgres;
let url: string;
let dir: string;

function db(...args: string[]): Promise<{ code: number; output: string }> {
  return runCli("infra/cli/db.ts", args, { ROLLOUT_MIGRATIONS_DATABASE_URL: "", DATABASE_URL: "" });
}

beforeAll(async () => {
  pg = await startTestPostgres();
  url = (await pg.createDatabase("cli")).url;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "db-cli-"));
  fs.writeFileSync(path.join(dir, "20250101000001_notes.sql"), "create table notes (id int primary key);\n");
  fs.writeFileSync(path.join(dir, "20250101000002_more.sql"), "alter table notes add column body text;\n\ninsert into notes (id, bodyy) values (1, 'x');\n");
});
afterAll(async () => {
  await pg?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("npm run db", () => {
  it("push --dry-run lists what it would apply and changes nothing", async () => {
    const r = await db("push", "--database-url", url, "--dir", dir, "--dry-run");
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain("would apply 20250101000001_notes.sql (1 statements)");
    expect(r.output).toContain("would apply 20250101000002_more.sql (2 statements)");
    expect(r.output).not.toContain(url.split("@")[0].split(":").pop()!); // the password
    const status = await db("status", "--database-url", url, "--dir", dir);
    expect(status.output).toContain("no ledger yet");
  });

  it("push applies up to a failing file, exits 1 and points at file:line:col", async () => {
    const r = await db("push", "--database-url", url, "--dir", dir);
    expect(r.code).toBe(1);
    expect(r.output.match(/applied 20250101000001_notes\.sql/g)).toHaveLength(1);
    expect(r.output).toContain(`${path.join(dir, "20250101000002_more.sql")}:3:24: ERROR 42703: column "bodyy" of relation "notes" does not exist`);
    expect(r.output).toMatch(/3 \| insert into notes \(id, bodyy\) values \(1, 'x'\)\n\s+\| {24}\^/);
  });

  it("status shows applied and pending; push after the fix applies the rest; a second push does nothing", async () => {
    const status = await db("status", "--database-url", url, "--dir", dir);
    expect(status.code).toBe(0);
    expect(status.output).toMatch(/20250101000001 {2}notes\s+applied/);
    expect(status.output).toMatch(/20250101000002 {2}more\s+pending/);
    fs.writeFileSync(path.join(dir, "20250101000002_more.sql"), "alter table notes add column body text;\n\ninsert into notes (id, body) values (1, 'x');\n");
    const push = await db("push", "--database-url", url, "--dir", dir);
    expect(push.code, push.output).toBe(0);
    expect(push.output).toContain("applied 1 file");
    const again = await db("push", "--database-url", url, "--dir", dir);
    expect(again.output).toContain("nothing to apply: 2 applied, up to date");
  });

  it("status exits 1 on drift; repair --applied records the edited file; repair --reverted forgets a version", async () => {
    fs.writeFileSync(path.join(dir, "20250101000001_notes.sql"), "create table notes (id bigint primary key);\n");
    const status = await db("status", "--database-url", url, "--dir", dir);
    expect(status.code).toBe(1);
    expect(status.output).toContain("REFUSED: file edited after it was applied");
    expect(status.output).toContain("npm run db -- repair --applied 20250101000001");
    const repair = await db("repair", "--database-url", url, "--dir", dir, "--applied", "20250101000001");
    expect(repair).toMatchObject({ code: 0 });
    expect(repair.output).toContain("recorded as applied: 20250101000001");
    expect((await db("status", "--database-url", url, "--dir", dir)).output).toContain("up to date");
    const revert = await db("repair", "--database-url", url, "--dir", dir, "--reverted", "20250101000002");
    expect(revert.output).toContain("removed from the ledger: 20250101000002");
    expect((await db("status", "--database-url", url, "--dir", dir)).output).toMatch(/20250101000002 {2}more\s+pending/);
  });

  it("push refuses a late file naming --include-all; push --include-all applies it as `supabase db push --include-all` does (internal/migration/up GetPendingMigrations)", async () => {
    const late = fs.mkdtempSync(path.join(os.tmpdir(), "db-cli-late-"));
    const lateUrl = (await pg.createDatabase("late")).url;
    try {
      fs.writeFileSync(path.join(late, "20250101000001_a.sql"), "create table a (id int);\n");
      fs.writeFileSync(path.join(late, "20250101000003_c.sql"), "create table c (id int);\n");
      expect((await db("push", "--database-url", lateUrl, "--dir", late)).code).toBe(0);
      fs.writeFileSync(path.join(late, "20250101000002_b.sql"), "create table b (id int);\n");
      fs.writeFileSync(path.join(late, "20250101000004_d.sql"), "create table d (id int);\n");
      const refused = await db("push", "--database-url", lateUrl, "--dir", late);
      expect(refused.code).toBe(1);
      expect(refused.output).toContain("new file is older than the newest applied version 20250101000003");
      expect(refused.output).toContain("npm run db -- push --include-all");
      const dry = await db("push", "--database-url", lateUrl, "--dir", late, "--include-all", "--dry-run");
      expect(dry.code, dry.output).toBe(0);
      expect(dry.output).toMatch(/would apply 20250101000002_b\.sql.*\n.*would apply 20250101000004_d\.sql/);
      const push = await db("push", "--database-url", lateUrl, "--dir", late, "--include-all");
      expect(push.code, push.output).toBe(0);
      expect(push.output).toMatch(/applied 20250101000002_b\.sql.*\n.*applied 20250101000004_d\.sql/);
      const status = await db("status", "--database-url", lateUrl, "--dir", late);
      expect(status).toMatchObject({ code: 0 });
      expect(status.output).toContain("up to date");
    } finally {
      fs.rmSync(late, { recursive: true, force: true });
    }
  });

  it("push skips, with a warning, files not named <digits>_<name>.sql and a first pre-20211209 <ts>_init.sql (pkg/migration/list.go ListLocalMigrations, shouldSkip)", async () => {
    const odd = fs.mkdtempSync(path.join(os.tmpdir(), "db-cli-odd-"));
    const oddUrl = (await pg.createDatabase("odd")).url;
    try {
      fs.writeFileSync(path.join(odd, "20200101000000_init.sql"), "create table init_table (id int);\n");
      fs.writeFileSync(path.join(odd, "20250101000001_a.sql"), "create table a (id int);\n");
      fs.writeFileSync(path.join(odd, "README.md"), "notes\n");
      fs.writeFileSync(path.join(odd, "draft.sql"), "create table draft (id int);\n");
      const push = await db("push", "--database-url", oddUrl, "--dir", odd);
      expect(push.code, push.output).toBe(0);
      expect(push.output).toContain(`warning: ${path.join(odd, "20200101000000_init.sql")} is skipped: a first <timestamp>_init.sql dated before 20211209000000`);
      expect(push.output).toContain(`warning: ${path.join(odd, "README.md")} is skipped: its name must match <version>_<name>.sql`);
      expect(push.output).toContain(`warning: ${path.join(odd, "draft.sql")} is skipped: its name must match <version>_<name>.sql`);
      expect(push.output).toContain("applied 1 file");
      expect(push.output).not.toContain("init_table");
    } finally {
      fs.rmSync(odd, { recursive: true, force: true });
    }
  });

  it("exits 1 with the reason when the database cannot be reached, without printing the password", async () => {
    const r = await db("status", "--database-url", "postgresql://postgres:wrong-secret@127.0.0.1:1/postgres", "--dir", dir);
    expect(r.code).toBe(1);
    expect(r.output).toContain("error:");
    expect(r.output).not.toContain("wrong-secret");
  });
});
