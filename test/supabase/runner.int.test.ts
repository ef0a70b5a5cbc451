/**
 * The migration runner against a real, Supabase-bootstrapped Postgres (its own throwaway cluster).
 * Each test gets its own database and migrations directory.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, startLocalPostgres } from "../../infra/supabase/local-postgres";
import {
  MIGRATION_LOCK_KEY,
  MigrationError,
  pushMigrations,
  readMigrationFiles,
  repairMigrations,
  statusMigrations,
  type MigrationEvent,
} from "../../infra/supabase/migrations";
import { BATCH_LIMITS } from "../../infra/supabase/migrations/runner";
import { startTestPostgres, type TestPostgres } from "../support/postgres";

let pg: TestPostgres;
const dirs: string[] = [];
beforeAll(async () => {
  pg = await startTestPostgres();
});
afterAll(async () => {
  await pg?.stop();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** A fresh database (as `postgres`), an admin client on it, and an empty migrations directory. */
async function fixture(): Promise<{ dir: string; client: Client; admin: Client; url: string; write(name: string, sql: string): void; remove(name: string): void }> {
  const db = await pg.createDatabase();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "migrations-"));
  dirs.push(dir);
  return {
    dir,
    url: db.url,
    client: await pg.connect(db.url),
    admin: await pg.connect(db.adminUrl),
    write: (name, sql) => fs.writeFileSync(path.join(dir, name), sql),
    remove: (name) => fs.rmSync(path.join(dir, name)),
  };
}

async function ledger(c: Client): Promise<{ version: string; name: string; statements: string[] }[]> {
  return (await c.query("select version, name, statements from supabase_migrations.schema_migrations order by version")).rows;
}

async function refusalKinds(p: Promise<unknown>): Promise<string[]> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(MigrationError);
  const detail = (e as MigrationError).detail;
  if (detail.kind !== "refused") throw new Error(`expected a refusal, got: ${(e as Error).message}`);
  return detail.refusals.map((r) => r.kind);
}

describe("a failing file", () => {
  it("keeps the files before it, leaves no trace, points at its line; then the guards hold", async () => {
    const f = await fixture();
    f.write("20250101000001_create_notes.sql", "create table notes (id int primary key, body text);\n");
    f.write("20250101000002_seed_notes.sql", "insert into notes values (1, 'first; with a semicolon');\n");
    f.write(
      "20250101000003_add_tags.sql",
      "create table tags (id int primary key);\ninsert into tags values (1);\n\ninsert into notes (id, body, missing_column)\n  values (2, 'x', 1);\n",
    );

    const error = await pushMigrations(f.client, readMigrationFiles(f.dir)).then(
      () => undefined,
      (e: unknown) => e as MigrationError,
    );
    expect(error).toBeInstanceOf(MigrationError);
    expect(error!.applied.map((a) => a.version)).toEqual(["20250101000001", "20250101000002"]);
    const failure = error!.detail.kind === "failed" ? error!.detail.failure : undefined;
    expect(failure).toMatchObject({ line: 4, col: 30, code: "42703", statementIndex: 3, phase: "statement" });
    expect(error!.message).toContain(`${path.join(f.dir, "20250101000003_add_tags.sql")}:4:30: ERROR 42703: column "missing_column" of relation "notes" does not exist`);
    expect(error!.message).toContain("4 | insert into notes (id, body, missing_column)\n      | " + " ".repeat(29) + "^");
    // No trace of file 3: neither its first table nor its ledger row; files 1–2 are there.
    expect((await f.client.query("select to_regclass('public.tags') as t")).rows[0].t).toBeNull();
    expect((await ledger(f.client)).map((r) => r.version)).toEqual(["20250101000001", "20250101000002"]);
    expect((await f.client.query("select body from notes")).rows).toEqual([{ body: "first; with a semicolon" }]);

    // Fix and rerun: only file 3 is applied.
    f.write("20250101000003_add_tags.sql", "create table tags (id int primary key);\ninsert into tags values (1);\n");
    const rerun = await pushMigrations(f.client, readMigrationFiles(f.dir));
    expect(rerun.applied.map((a) => a.version)).toEqual(["20250101000003"]);
    expect((await f.client.query("select count(*)::int as n from tags")).rows[0].n).toBe(1);

    // A second run is a no-op: one round trip (the ledger read), no lock.
    const noop = await pushMigrations(f.client, readMigrationFiles(f.dir));
    expect(noop).toMatchObject({ applied: [], roundTrips: 1 });

    // Editing an applied file is refused (only whitespace changes are not edits).
    f.write("20250101000001_create_notes.sql", "create table notes (\n  id int primary key,\n  body text\n);\n");
    expect((await pushMigrations(f.client, readMigrationFiles(f.dir))).applied).toEqual([]);
    f.write("20250101000001_create_notes.sql", "create table notes (id bigint primary key, body text);\n");
    expect(await refusalKinds(pushMigrations(f.client, readMigrationFiles(f.dir)))).toEqual(["drift"]);
    f.write("20250101000001_create_notes.sql", "create table notes (id int primary key, body text);\n");

    // An applied version whose file is gone is refused.
    const seed = fs.readFileSync(path.join(f.dir, "20250101000002_seed_notes.sql"), "utf8");
    f.remove("20250101000002_seed_notes.sql");
    expect(await refusalKinds(pushMigrations(f.client, readMigrationFiles(f.dir)))).toEqual(["missing-file"]);
    f.write("20250101000002_seed_notes.sql", seed);

    // A new file older than the newest applied one is refused, and nothing is applied.
    f.write("20250101000000_late_branch.sql", "create table late (id int);\n");
    f.write("20250101000004_after.sql", "create table after_late (id int);\n");
    expect(await refusalKinds(pushMigrations(f.client, readMigrationFiles(f.dir)))).toEqual(["out-of-order"]);
    expect((await f.client.query("select to_regclass('public.after_late') as t")).rows[0].t).toBeNull();

    // status reports the same, and repair is the way out.
    const { plan } = await statusMigrations(f.client, readMigrationFiles(f.dir));
    expect(plan.entries.map((e) => [e.version, e.status])).toEqual([
      ["20250101000000", "out-of-order"],
      ["20250101000001", "applied"],
      ["20250101000002", "applied"],
      ["20250101000003", "applied"],
      ["20250101000004", "pending"],
    ]);
    expect(await repairMigrations(f.client, readMigrationFiles(f.dir), { status: "applied", versions: ["20250101000000"] })).toEqual({
      changed: ["20250101000000"],
      unchanged: [],
    });
    expect((await pushMigrations(f.client, readMigrationFiles(f.dir))).applied.map((a) => a.version)).toEqual(["20250101000004"]);
    // The repaired file was recorded, never run.
    expect((await f.client.query("select to_regclass('public.late') as t")).rows[0].t).toBeNull();
    expect(await refusalKinds(repairMigrations(f.client, readMigrationFiles(f.dir), { status: "applied", versions: ["20250101999999"] }))).toEqual([
      "repair-without-file",
    ]);
    expect(await repairMigrations(f.client, readMigrationFiles(f.dir), { status: "reverted", versions: ["20250101000000", "20250101999999"] })).toEqual({
      changed: ["20250101000000"],
      unchanged: ["20250101999999"],
    });
  });

  it("reports a runtime error without a position at the failing statement", async () => {
    const f = await fixture();
    f.write("20250101000001_div.sql", "create table d (x int);\n-- a comment-only statement follows\n;\nselect 1 / 0;\ninsert into d values (1);\n");
    const e = (await pushMigrations(f.client, readMigrationFiles(f.dir)).catch((err: unknown) => err)) as MigrationError;
    expect(e.detail).toMatchObject({ kind: "failed", failure: { code: "22012", line: 4, col: 1 } });
    expect((await f.client.query("select to_regclass('public.d') as t")).rows[0].t).toBeNull();
  });
});

describe("ledger rows written by the Supabase CLI", () => {
  it("are honoured: no drift for files with comments, dollar-quoted bodies and strings containing semicolons", async () => {
    const f = await fixture();
    const sql = [
      "-- Create the profiles table; one row per user.",
      "create table public.profiles (",
      "  id uuid primary key,",
      "  bio text default 'hello; world'",
      ");",
      "",
      "/* a block comment; with a semicolon */",
      "create function public.touch() returns trigger language plpgsql as $$",
      "begin",
      "  new.bio := new.bio || ';';",
      "  return new;",
      "end;",
      "$$;",
      "",
      "comment on table public.profiles is 'it''s; fine';",
      "-- trailing comment",
      "",
    ].join("\n");
    f.write("20240601120000_profiles.sql", sql);
    // What `supabase db push` would have stored (SplitAndTrim), written by hand, and its DDL.
    const cliStatements = [
      "-- Create the profiles table; one row per user.\ncreate table public.profiles (\n  id uuid primary key,\n  bio text default 'hello; world'\n)",
      "/* a block comment; with a semicolon */\ncreate function public.touch() returns trigger language plpgsql as $$\nbegin\n  new.bio := new.bio || ';';\n  return new;\nend;\n$$",
      "comment on table public.profiles is 'it''s; fine'",
      "-- trailing comment",
    ];
    for (const s of cliStatements) await f.client.query(s);
    await f.client.query(`create schema if not exists supabase_migrations;
      create table if not exists supabase_migrations.schema_migrations (version text not null primary key);
      alter table supabase_migrations.schema_migrations add column if not exists statements text[];
      alter table supabase_migrations.schema_migrations add column if not exists name text`);
    await f.client.query("insert into supabase_migrations.schema_migrations (version, name, statements) values ($1, $2, $3)", [
      "20240601120000",
      "profiles",
      cliStatements,
    ]);
    // A hosted project's extra columns do not disturb us either.
    await f.client.query("alter table supabase_migrations.schema_migrations add column created_by text, add column idempotency_key text, add column rollback text[]");

    f.write("20240602090000_next.sql", "alter table public.profiles add column display_name text;\n");
    const result = await pushMigrations(f.client, readMigrationFiles(f.dir));
    expect(result.plan.entries.map((e) => e.status)).toEqual(["applied", "pending"]);
    expect(result.applied.map((a) => a.version)).toEqual(["20240602090000"]);
    // And the rows we write are what the CLI would write.
    const rows = await ledger(f.client);
    expect(rows[0].statements).toEqual(cliStatements);
    expect(rows[1]).toEqual({ version: "20240602090000", name: "next", statements: ["alter table public.profiles add column display_name text"] });
  });

  it("treats a ledger from an old CLI (version only) as applied and upgrades it when writing", async () => {
    const f = await fixture();
    f.write("20240101000000_a.sql", "create table a (id int);\n");
    f.write("20240102000000_b.sql", "create table b (id int);\n");
    await f.client.query("create table a (id int)");
    await f.client.query(
      "create schema supabase_migrations; create table supabase_migrations.schema_migrations (version text primary key); insert into supabase_migrations.schema_migrations values ('20240101000000')",
    );
    const result = await pushMigrations(f.client, readMigrationFiles(f.dir));
    expect(result.plan.entries.map((e) => e.status)).toEqual(["applied-unverified", "pending"]);
    expect((await ledger(f.client)).map((r) => [r.version, r.name])).toEqual([
      ["20240101000000", null],
      ["20240102000000", "b"],
    ]);
  });
});

describe("concurrency and crashes", () => {
  it("two runners started at once apply each file exactly once", async () => {
    const f = await fixture();
    await f.client.query("create table applied_log (version text not null)");
    for (let i = 1; i <= 6; i++) {
      const v = `2025020100000${i}`;
      f.write(`${v}_step${i}.sql`, `insert into applied_log values ('${v}');\nselect pg_sleep(0.05);\n`);
    }
    const second = await pg.connect(f.url);
    const files = readMigrationFiles(f.dir);
    const waits: MigrationEvent[] = [];
    const [a, b] = await Promise.all([
      pushMigrations(f.client, files, { onProgress: (e) => e.kind === "waiting-for-lock" && waits.push(e) }),
      pushMigrations(second, files, { onProgress: (e) => e.kind === "waiting-for-lock" && waits.push(e) }),
    ]);
    expect([...a.applied, ...b.applied].map((x) => x.version).sort()).toEqual(files.map((x) => x.version));
    const counts = (await f.client.query("select version, count(*)::int as n from applied_log group by version order by version")).rows;
    expect(counts).toEqual(files.map((x) => ({ version: x.version, n: 1 })));
    expect((await ledger(f.client)).length).toBe(6);
    expect(waits.length).toBeGreaterThan(0);
  });

  it("a runner killed with SIGKILL inside a long migration leaves the database as before that file; the next run completes", async () => {
    const f = await fixture();
    f.write("20250301000001_quick.sql", "create table quick (id int);\n");
    f.write("20250301000002_long.sql", "create table long_one (id int);\ninsert into long_one values (1);\nselect pg_sleep(60);\n");
    const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(__dirname, "fixtures", "push-child.ts"), f.url, f.dir], {
      cwd: path.resolve(__dirname, "../.."),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
    // Wait until the long file is running on the server.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const { rows } = await f.admin.query("select count(*)::int as n from pg_stat_activity where application_name = 'push-child' and query like '%pg_sleep(60)%' and state = 'active'");
      if (rows[0].n > 0) break;
      if (Date.now() > deadline) throw new Error(`the child never reached the long migration:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(output).toContain("applying 20250301000002");
    child.kill("SIGKILL");
    expect(await exited).toBe("SIGKILL");

    // As before that file: quick applied, nothing of long.
    expect((await ledger(f.client)).map((r) => r.version)).toEqual(["20250301000001"]);
    expect((await f.client.query("select to_regclass('public.long_one') as t")).rows[0].t).toBeNull();

    // The next run waits for the dead session's lock to go (the server notices within a second) and completes.
    f.write("20250301000002_long.sql", "create table long_one (id int);\ninsert into long_one values (1);\n");
    const started = Date.now();
    const next = await pushMigrations(f.client, readMigrationFiles(f.dir));
    expect(next.applied.map((a) => a.version)).toEqual(["20250301000002"]);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect((await f.client.query("select count(*)::int as n from long_one")).rows[0].n).toBe(1);
  });
});

describe("permissions and destructive statements", () => {
  it("runs migrations as postgres, not as the superuser, so permission errors show as on Supabase", async () => {
    const f = await fixture();
    f.write("20250401000001_who.sql", "create table who as select current_user::text as role, current_setting('is_superuser') as superuser;\n");
    await pushMigrations(f.client, readMigrationFiles(f.dir));
    expect((await f.client.query("select * from who")).rows).toEqual([{ role: "postgres", superuser: "off" }]);
    expect((await f.client.query("select tableowner from pg_tables where tablename = 'who'")).rows[0].tableowner).toBe("postgres");
    f.write("20250401000002_touch_auth.sql", "alter table auth.users add column nickname text;\n");
    const e = (await pushMigrations(f.client, readMigrationFiles(f.dir)).catch((err: unknown) => err)) as MigrationError;
    expect(e.detail).toMatchObject({ kind: "failed", failure: { code: "42501", line: 1 } });
    expect(e.message).toContain("must be owner of table users");
  });

  it("refuses a destructive file without the header; with it, copies what it destroys first", async () => {
    const f = await fixture();
    f.write("20250501000001_conversations.sql", "create table conversations (id int primary key, raw_response_url text, parse_attempts int);\ninsert into conversations values (1, 'raw/u1/a.json', 2), (2, null, 0);\n");
    f.write("20250501000002_rollback_raw.sql", "alter table conversations drop column raw_response_url, drop column parse_attempts;\n");
    expect(await refusalKinds(pushMigrations(f.client, readMigrationFiles(f.dir)))).toEqual(["destructive-without-header"]);
    expect(await f.client.query("select to_regclass('public.conversations') as t").then((r) => r.rows[0].t)).toBeNull();

    f.write(
      "20250501000002_rollback_raw.sql",
      "-- rollout-stack:destructive: seed 004-13, drop the raw response columns\nalter table conversations drop column raw_response_url, drop column parse_attempts;\n",
    );
    const result = await pushMigrations(f.client, readMigrationFiles(f.dir));
    expect(result.applied[1].backups).toEqual(["migration_backups.\"20250501000002_public_conversations\""]);
    const backup = await f.client.query('select id, raw_response_url, parse_attempts from migration_backups."20250501000002_public_conversations" order by id');
    expect(backup.rows).toEqual([
      { id: 1, raw_response_url: "raw/u1/a.json", parse_attempts: 2 },
      { id: 2, raw_response_url: null, parse_attempts: 0 },
    ]);
    const comment = await f.client.query("select obj_description('migration_backups.\"20250501000002_public_conversations\"'::regclass) as c");
    expect(comment.rows[0].c).toBe("rollout-stack: copy of public.conversations taken before migration 20250501000002_rollback_raw");
    expect((await f.client.query("select column_name from information_schema.columns where table_name = 'conversations' order by 1")).rows).toEqual([{ column_name: "id" }]);
  });

  it("backs up a dropped schema's tables and skips tables that do not exist; a dry run writes nothing", async () => {
    const f = await fixture();
    f.write("20250601000001_schema.sql", "create schema health_companion;\ncreate table health_companion.threads (id int);\ninsert into health_companion.threads values (7);\n");
    await pushMigrations(f.client, readMigrationFiles(f.dir));
    f.write("20250601000002_drop.sql", "-- rollout-stack:destructive: seed 003-09\ndrop table if exists never_existed;\ndrop schema health_companion cascade;\n");
    const dry = await pushMigrations(f.client, readMigrationFiles(f.dir), { dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, applied: [], roundTrips: 1 });
    expect(dry.plan.pending.map((p) => p.destructive.map((d) => d.command))).toEqual([["DROP TABLE", "DROP SCHEMA"]]);
    expect((await ledger(f.client)).length).toBe(1);
    const result = await pushMigrations(f.client, readMigrationFiles(f.dir));
    expect(result.applied[0].backups).toEqual(['migration_backups."20250601000002_health_companion_threads"']);
    expect((await f.client.query('select id from migration_backups."20250601000002_health_companion_threads"')).rows).toEqual([{ id: 7 }]);
  });

  it("refuses transaction control and CONCURRENTLY before sending anything", async () => {
    const f = await fixture();
    f.write("20250701000001_tx.sql", "create table t (id int);\nCOMMIT;\nBEGIN;\ncreate index concurrently t_id on t (id);\n");
    expect(await refusalKinds(pushMigrations(f.client, readMigrationFiles(f.dir)))).toEqual(["transaction-control", "transaction-control", "non-transactional"]);
    expect((await f.client.query("select to_regclass('public.t') as t")).rows[0].t).toBeNull();
    expect((await f.client.query("select to_regclass('supabase_migrations.schema_migrations') as t")).rows[0].t).toBeNull();
  });

  it("refuses the issue-12 file whose E'…\\'…' string hides a COMMIT: nothing runs, no half-applied file", async () => {
    const f = await fixture();
    f.write("20250701000002_hidden_commit.sql", "create table a(id int); select E'it\\'s'; commit; create table b(id int); select 1/0;\n");
    expect(await refusalKinds(pushMigrations(f.client, readMigrationFiles(f.dir)))).toEqual(["readings-disagree"]);
    expect((await f.client.query("select to_regclass('public.a') as t")).rows[0].t).toBeNull();
  });
});

describe("a file with the no-transaction header", () => {
  it("runs its single CREATE INDEX CONCURRENTLY outside a transaction, then its ledger row; mixing is refused", async () => {
    const f = await fixture();
    f.write("20250801000001_t.sql", "create table t (id int);\ninsert into t values (1);\n");
    f.write("20250801000002_t_id.sql", "-- rollout-stack:no-transaction\ncreate index concurrently t_id on t (id);\n");
    const result = await pushMigrations(f.client, readMigrationFiles(f.dir));
    expect(result.applied.map((a) => a.version)).toEqual(["20250801000001", "20250801000002"]);
    const index = await f.client.query("select indisvalid from pg_index where indexrelid = to_regclass('public.t_id')");
    expect(index.rows).toEqual([{ indisvalid: true }]);
    expect((await ledger(f.client)).at(-1)).toEqual({
      version: "20250801000002",
      name: "t_id",
      statements: ["-- rollout-stack:no-transaction\ncreate index concurrently t_id on t (id)"],
    });
    // Applied: a no-op, and no drift.
    expect((await pushMigrations(f.client, readMigrationFiles(f.dir))).applied).toEqual([]);

    // VACUUM the same way.
    f.write("20250801000003_vacuum.sql", "-- rollout-stack: no-transaction\nvacuum t;\n");
    expect((await pushMigrations(f.client, readMigrationFiles(f.dir))).applied.map((a) => a.version)).toEqual(["20250801000003"]);

    // Mixed with another statement: refused, nothing sent.
    f.write("20250801000004_mixed.sql", "-- rollout-stack:no-transaction\ncreate table u (id int);\ncreate index concurrently u_id on u (id);\n");
    expect(await refusalKinds(pushMigrations(f.client, readMigrationFiles(f.dir)))).toEqual(["non-transactional", "no-transaction-misuse"]);
    expect((await f.client.query("select to_regclass('public.u') as t")).rows[0].t).toBeNull();
    f.remove("20250801000004_mixed.sql");

    // A failure outside a transaction says what it may leave behind, and records nothing.
    f.write("20250801000005_dup.sql", "-- rollout-stack:no-transaction\ncreate unique index concurrently t_dup on t ((1));\n");
    await f.client.query("insert into t values (2)");
    const e = (await pushMigrations(f.client, readMigrationFiles(f.dir)).catch((err: unknown) => err)) as MigrationError;
    expect(e).toBeInstanceOf(MigrationError);
    // A runtime error has no position: the statement's start (its header comment) is named.
    expect(e.message).toContain("20250801000005_dup.sql:1:1: ERROR 23505");
    expect(e.message).toContain("ran outside a transaction and is not recorded as applied");
    expect((await ledger(f.client)).map((r) => r.version)).not.toContain("20250801000005");
    const invalid = await f.client.query("select indisvalid from pg_index where indexrelid = to_regclass('public.t_dup')");
    expect(invalid.rows).toEqual([{ indisvalid: false }]);
  });
});

describe("batches: many files per round trip, each its own transaction", () => {
  const writeTables = (f: { write(name: string, sql: string): void }, n: number, from = 1) => {
    for (let i = from; i < from + n; i++) f.write(`2025090100${String(i).padStart(4, "0")}_t${i}.sql`, `create table t_${i} (id int primary key);\ninsert into t_${i} values (${i});\n`);
  };

  it("applies 450 files in batches of 200: the reads plus one round trip per batch, the last batch releasing the lock", async () => {
    const f = await fixture();
    writeTables(f, 450);
    const events: MigrationEvent[] = [];
    const result = await pushMigrations(f.client, readMigrationFiles(f.dir), { onProgress: (e) => events.push(e) });
    expect(result.applied).toHaveLength(450);
    // A new database: ledger read (none), lock, create the ledger, read it; then batches of 200, 200
    // and 50 (the last one unlocks).
    expect(result.roundTrips).toBe(4 + Math.ceil(450 / BATCH_LIMITS.files));
    expect((await ledger(f.client)).length).toBe(450);
    expect((await f.client.query("select count(*)::int as n from pg_tables where tablename like 't\\_%'")).rows[0].n).toBe(450);
    // The lock is released: a new run from another session takes it at once.
    const other = await pg.connect(f.url);
    expect((await other.query(`select pg_try_advisory_lock(${MIGRATION_LOCK_KEY}) as ok`)).rows[0].ok).toBe(true);
    await other.end();
    // "applying" for a batch's files before it is sent, "applied" for them once its last commit is flushed.
    const order = events.map((e) => (e.kind === "applied" ? `+${e.index}` : e.kind === "applying" ? `>${e.index}` : e.kind));
    expect(order.slice(199, 202)).toEqual([">200", "+1", "+2"]);
    expect(order.indexOf(">201")).toBe(order.indexOf("+200") + 1);
    // With a ledger: read, lock and read again in one round trip, one batch.
    writeTables(f, 20, 451);
    const more = await pushMigrations(f.client, readMigrationFiles(f.dir));
    expect(more).toMatchObject({ roundTrips: 3 });
    expect(more.applied).toHaveLength(20);
  });

  it("a failing file in the middle of a batch: the files before are applied (and reported), it and those after leave no trace", async () => {
    const f = await fixture();
    writeTables(f, 3);
    f.write("20250901000004_bad.sql", "create table t_4 (id int);\ninsert into t_4 values ('x');\n");
    writeTables(f, 2, 5);
    const reported: string[] = [];
    const error = (await pushMigrations(f.client, readMigrationFiles(f.dir), { onProgress: (e) => e.kind === "applied" && reported.push(e.file.version) }).catch((e: unknown) => e)) as MigrationError;
    expect(error).toBeInstanceOf(MigrationError);
    expect(error.applied.map((a) => a.version)).toEqual(["20250901000001", "20250901000002", "20250901000003"]);
    expect(reported).toEqual(["20250901000001", "20250901000002", "20250901000003"]);
    expect(error.detail).toMatchObject({ kind: "failed", failure: { version: "20250901000004", line: 2, code: "22P02" } });
    expect(error.message).toContain("20250901000004_bad.sql:2:");
    expect((await ledger(f.client)).map((r) => r.version)).toEqual(["20250901000001", "20250901000002", "20250901000003"]);
    const tables = (await f.client.query("select tablename from pg_tables where tablename like 't\\_%' order by 1")).rows.map((r) => r.tablename);
    expect(tables).toEqual(["t_1", "t_2", "t_3"]);
    // The session is usable and unlocked; fixed, the rest applies.
    f.write("20250901000004_bad.sql", "create table t_4 (id int);\ninsert into t_4 values (4);\n");
    const rest = await pushMigrations(f.client, readMigrationFiles(f.dir));
    expect(rest.applied.map((a) => a.version)).toEqual(["20250901000004", "20250901000005", "20250901000006"]);
  });

  it("after a server crash mid-push, every file reported applied is there, and each file is all or nothing", async () => {
    // Its own durable cluster (fsync and synchronous commit on, as in production), killed outright.
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), "rollout-crash-"));
    fs.chmodSync(parent, 0o777);
    const dir = path.join(parent, "cluster");
    const options = { dir, persistent: true, fast: false, password: "crash-test" };
    let server = await startLocalPostgres(options);
    try {
      const migrations = fs.mkdtempSync(path.join(parent, "m-"));
      dirs.push(migrations);
      for (let i = 1; i <= 600; i++) {
        fs.writeFileSync(path.join(migrations, `2025100100${String(i).padStart(4, "0")}_c${i}.sql`), `create table c_${i} (id int);\ninsert into c_${i} select generate_series(1, 200);\n`);
      }
      const client = await connect(server.url());
      const reported: string[] = [];
      const pid = Number(fs.readFileSync(path.join(dir, "data", "postmaster.pid"), "utf8").split("\n")[0]);
      const push = pushMigrations(client, readMigrationFiles(migrations), {
        onProgress: (e) => {
          if (e.kind !== "applied") return;
          reported.push(e.file.version);
          // The first batch is reported: kill the whole server (postmaster and backends) at once,
          // while the second batch's files commit without waiting for the WAL flush.
          if (e.index === 1) process.kill(-pid, "SIGKILL");
        },
      });
      client.on("error", () => undefined);
      const outcome = await push.then(
        () => "finished",
        (e: unknown) => (e instanceof MigrationError ? "failed" : `other: ${(e as Error).message}`),
      );
      expect(["failed", "other: Connection terminated unexpectedly", "finished"]).toContain(outcome);
      expect(reported.length).toBeGreaterThanOrEqual(BATCH_LIMITS.files);

      // Gone (or a zombie nobody reaps, in a container): its lock file is stale, as after a power cut.
      const alive = () => fs.existsSync(`/proc/${pid}`) && !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"));
      for (const deadline = Date.now() + 30_000; alive() && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 50));
      fs.rmSync(path.join(dir, "data", "postmaster.pid"), { force: true });
      server = await startLocalPostgres(options);
      const after = await connect(server.url());
      try {
        const inLedger = new Set((await after.query("select version from supabase_migrations.schema_migrations")).rows.map((r) => r.version as string));
        expect(reported.filter((v) => !inLedger.has(v))).toEqual([]);
        // All or nothing: a table (with its 200 rows) exactly for the files in the ledger.
        const { rows } = await after.query("select relname from pg_class where relkind = 'r' and relname ~ '^c_[0-9]+$'");
        const tables = new Set(rows.map((r) => Number(String(r.relname).slice(2))));
        const versions = [...inLedger].map((v) => Number(v.slice(-4)));
        expect([...tables].sort((a, b) => a - b)).toEqual(versions.sort((a, b) => a - b));
      } finally {
        await after.end();
      }
    } finally {
      await server.stop().catch(() => undefined);
      fs.rmSync(parent, { recursive: true, force: true });
    }
  }, 180_000);
});
