/** Pure planning and statement classification (no database). */
import { beforeAll, describe, expect, it } from "vitest";
import { classifyStatement } from "../../infra/supabase/migrations/classify";
import { formatRefusal, type Refusal } from "../../infra/supabase/migrations/errors";
import { hasDestructiveHeader, lineCol, type MigrationFile } from "../../infra/supabase/migrations/files";
import { loadSqlParser } from "../../infra/supabase/migrations/parse-gate";
import { planMigrations, type LedgerRow, type PendingMigration } from "../../infra/supabase/migrations/plan";
import { backupBlock, BATCH_LIMITS, buildBatch, caretExcerpt, locateFailure, planBatches } from "../../infra/supabase/migrations/runner";
import { splitStatements } from "../../infra/supabase/migrations/split";

// planMigrations reads pending files with Postgres's parser too (parse-gate.ts), loaded once here.
beforeAll(loadSqlParser);

function file(version: string, sql: string, name = `m${version}`): MigrationFile {
  return { version, name, path: `migrations/db/${version}_${name}.sql`, sql, sha256: "x" };
}
function row(f: MigrationFile): LedgerRow {
  return { version: f.version, name: f.name, statements: splitStatements(f.sql).map((s) => s.text) };
}

describe("classifyStatement", () => {
  it.each([
    ["BEGIN", "transaction-control", "BEGIN"],
    ["begin transaction isolation level serializable", "transaction-control", "BEGIN"],
    ["-- done\ncommit", "transaction-control", "COMMIT"],
    ["END", "transaction-control", "END"],
    ["ROLLBACK", "transaction-control", "ROLLBACK"],
    ["start transaction", "transaction-control", "START TRANSACTION"],
    ["savepoint a", "transaction-control", "SAVEPOINT"],
    ["commit prepared 'x'", "transaction-control", "COMMIT PREPARED"],
    ["prepare transaction 'x'", "transaction-control", "PREPARE TRANSACTION"],
    ["create index concurrently i on t (a)", "non-transactional", "CREATE INDEX CONCURRENTLY"],
    ["CREATE UNIQUE INDEX /* c */ CONCURRENTLY IF NOT EXISTS i ON t (a)", "non-transactional", "CREATE INDEX CONCURRENTLY"],
    ["drop index concurrently i", "non-transactional", "DROP INDEX CONCURRENTLY"],
    ["reindex table concurrently t", "non-transactional", "REINDEX CONCURRENTLY"],
    ["vacuum analyze t", "non-transactional", "VACUUM"],
    ["create database x", "non-transactional", "CREATE DATABASE"],
    ["alter system set work_mem = '1MB'", "non-transactional", "ALTER SYSTEM"],
    ["alter table p detach partition c concurrently", "non-transactional", "ALTER TABLE ... DETACH PARTITION CONCURRENTLY"],
    ["cluster", "non-transactional", "CLUSTER (all tables)"],
    ["copy t from stdin", "non-transactional", "COPY ... STDIN/STDOUT"],
    ["\\i other.sql", "psql-meta-command", "\\i"],
  ])("refuses %j (%s)", (sql, kind, command) => {
    expect(classifyStatement(sql).refusal).toMatchObject({ kind, command });
  });

  it.each([
    "create table t (id int)",
    "prepare q as select 1",
    "create function f() returns void language plpgsql as $$ begin commit; end $$",
    "select 'begin; commit;'",
    "cluster t using i",
    "create index i on t (concurrently)",
    "alter table t alter column a drop default",
    "alter table t alter column a drop not null, drop constraint c",
    "alter table t drop constraint if exists c",
    "drop index if exists idx_conversations_requires_review",
    "drop view v",
    "comment on table t is 'drop table t'",
    "do $$ begin execute 'drop table t'; end $$",
  ])("passes %j", (sql) => {
    const c = classifyStatement(sql);
    expect(c.refusal).toBeUndefined();
    expect(c.destructive).toBeUndefined();
  });

  it.each([
    ["drop table if exists public.a, B, \"Mixed Case\" cascade", "DROP TABLE", [{ schema: "public", name: "a" }, { name: "b" }, { name: "Mixed Case" }], [], false],
    ["truncate only a, public.b restart identity cascade", "TRUNCATE", [{ name: "a" }, { schema: "public", name: "b" }], [], true],
    ["truncate table a", "TRUNCATE", [{ name: "a" }], [], false],
    ["drop schema if exists health_companion cascade", "DROP SCHEMA", [], ["health_companion"], true],
    ["alter table conversations drop column if exists raw_response_url, drop column parse_attempts", "DROP COLUMN", [{ name: "conversations" }], [], false],
    ["alter table if exists only public.t drop c", "DROP COLUMN", [{ schema: "public", name: "t" }], [], false],
    ["alter table t alter column a drop default, drop b", "DROP COLUMN", [{ name: "t" }], [], false],
  ])("sees %j as destructive", (sql, command, tables, schemas, cascade) => {
    expect(classifyStatement(sql).destructive).toMatchObject({ command, tables, schemas, cascade });
  });
});

describe("hasDestructiveHeader", () => {
  it.each([
    ["-- rollout-stack:destructive\ndrop table t;", true],
    ["\n-- rollout-stack:destructive: seed 004-13 rollback\nalter table t drop c;", true],
    ["-- why: cleanup\n--   rollout-stack:destructive\ndrop table t;", true],
    ["drop table t;\n-- rollout-stack:destructive", false],
    ["-- rollout-stack:destructive-ish\ndrop table t;", false],
    ["-- nothing\ndrop table t;", false],
  ])("%j → %s", (sql, expected) => expect(hasDestructiveHeader(sql)).toBe(expected));
});

describe("planMigrations", () => {
  const a = file("20250101000001", "create table a (id int);");
  const b = file("20250101000002", "create table b (id int);");
  const c = file("20250101000003", "create table c (id int);");

  it("plans the files after the applied ones, in version order", () => {
    const plan = planMigrations([c, a, b], [row(a)]);
    expect(plan.refusals).toEqual([]);
    expect(plan.pending.map((p) => p.file.version)).toEqual([b.version, c.version]);
    expect(plan.entries.map((e) => [e.version, e.status])).toEqual([
      [a.version, "applied"],
      [b.version, "pending"],
      [c.version, "pending"],
    ]);
  });

  it("is a no-op when everything is applied, including rows the CLI wrote with other whitespace", () => {
    const cliRow = { version: a.version, name: a.name, statements: ["create   table a (\n id int\n)"] };
    expect(planMigrations([a, b], [cliRow, row(b)])).toMatchObject({ pending: [], refusals: [] });
  });

  it("accepts rows without statements (old CLI) but marks them unverified", () => {
    const plan = planMigrations([a], [{ version: a.version, name: null, statements: null }]);
    expect(plan.refusals).toEqual([]);
    expect(plan.entries[0].status).toBe("applied-unverified");
  });

  it("refuses drift, a missing file, an out-of-order file and duplicate versions, all at once", () => {
    const edited = file(a.version, "create table a (id bigint);", a.name);
    const late = file("20250101000002", "create table late (id int);", "late");
    const dup = file(c.version, "select 1;", "other");
    const plan = planMigrations([edited, late, c, dup], [row(a), { version: "20250101000009", name: "gone", statements: ["select 1"] }]);
    expect(plan.pending).toEqual([]);
    expect(plan.refusals.map((r) => r.kind).sort()).toEqual(["drift", "duplicate-version", "missing-file", "out-of-order", "out-of-order"]);
    const byKind = Object.fromEntries(plan.refusals.map((r) => [r.kind, r]));
    expect(byKind["missing-file"]).toMatchObject({ version: "20250101000009", name: "gone" });
    expect(byKind["out-of-order"]).toMatchObject({ newestApplied: "20250101000009" });
  });

  it("includeAll applies out-of-order files in version order before the newer ones (supabase/cli internal/migration/up GetPendingMigrations, includeAll)", () => {
    const late = file("20250101000002", "create table late (id int);", "late");
    const newer = file("20250101000009", "create table newer (id int);", "newer");
    const refused = planMigrations([newer, late, c, a], [row(a), row(c)]);
    expect(refused.refusals.map((r) => r.kind)).toEqual(["out-of-order"]);
    const plan = planMigrations([newer, late, c, a], [row(a), row(c)], { includeAll: true });
    expect(plan.refusals).toEqual([]);
    expect(plan.pending.map((p) => p.file.version)).toEqual([late.version, newer.version]);
    expect(plan.entries.map((e) => [e.version, e.status])).toEqual([
      [a.version, "applied"],
      [late.version, "pending"],
      [c.version, "applied"],
      [newer.version, "pending"],
    ]);
  });

  it("includeAll still refuses a missing file, drift and bad statements in the out-of-order file (pkg/migration/apply.go FindPendingMigrations: ErrMissingLocal first)", () => {
    const late = file("20250101000002", "begin;\ncreate table late (id int);", "late");
    const plan = planMigrations([late, c], [row(c), { version: "20250101000001", name: "gone", statements: ["select 1"] }], { includeAll: true });
    expect(plan.pending).toEqual([]);
    expect(plan.refusals.map((r) => r.kind).sort()).toEqual(["missing-file", "transaction-control"]);
  });

  it("locates refused statements of pending files at their line and column", () => {
    const f = file("20250101000004", "create table t (id int);\n\n  BEGIN;\ncreate index concurrently i on t (id);\ndrop table t;\n");
    const plan = planMigrations([f], []);
    expect(plan.refusals).toEqual([
      { kind: "transaction-control", path: f.path, line: 3, col: 3, command: "BEGIN" },
      { kind: "non-transactional", path: f.path, line: 4, col: 1, command: "CREATE INDEX CONCURRENTLY" },
      { kind: "destructive-without-header", path: f.path, line: 5, col: 1, command: "DROP TABLE" },
    ]);
  });

  it("locates refusals in the second statement and later after multi-line statements and comments, the same with CRLF line ends", () => {
    const lf = [
      "create table t (",
      "  id int",
      ");",
      "-- then an index, built without a lock",
      "create index concurrently i on t (id);",
      "-- and a cleanup",
      "  drop table old;",
      "/* a /* nested */ note */ commit;",
      "",
    ].join("\n");
    for (const sql of [lf, lf.replace(/\n/g, "\r\n")]) {
      const f = file("20250101000010", sql);
      const plan = planMigrations([f], []);
      // Each refused statement starts with a comment: the position is its command's, not the statement's.
      expect(plan.refusals).toEqual([
        { kind: "non-transactional", path: f.path, line: 5, col: 1, command: "CREATE INDEX CONCURRENTLY" },
        { kind: "destructive-without-header", path: f.path, line: 7, col: 3, command: "DROP TABLE" },
        { kind: "transaction-control", path: f.path, line: 8, col: 27, command: "COMMIT" },
      ]);
      expect(formatRefusal(plan.refusals[1])).toBe(
        `${f.path}:7:3: DROP TABLE destroys data, and the file does not say it may.\n` +
          "  fix: if it is meant, put `-- rollout-stack:destructive: <why>` on the file's first line; the runner then copies what it destroys into " +
          "the schema migration_backups before running the file",
      );
      expect(formatRefusal(plan.refusals[2])).toBe(
        `${f.path}:8:27: COMMIT at the top level of a migration. Each file runs in one transaction with its ledger row; ` +
          "an inner COMMIT would commit half a file (Supabase CLI #5047).\n  fix: remove the transaction control statements (the whole file is atomic already)",
      );
    }
  });

  it("finds the newest applied version whatever order the ledger's rows come in", () => {
    const d = file("20250101000004", "create table d (id int);");
    // Rows as a database may return them without ORDER BY: the newest is neither first nor last.
    const plan = planMigrations([a, b, c, d], [row(d), row(a), row(b)]);
    expect(plan.refusals).toEqual([{ kind: "out-of-order", version: c.version, path: c.path, newestApplied: d.version }]);
    expect(plan.entries.map((e) => [e.version, e.status])).toEqual([
      [a.version, "applied"],
      [b.version, "applied"],
      [c.version, "out-of-order"],
      [d.version, "applied"],
    ]);
  });

  it("lists a ledger row without a file, and without a name (old CLI), under an empty name", () => {
    const plan = planMigrations([a], [row(a), { version: "20250101000009", name: null, statements: null }]);
    expect(plan.refusals).toEqual([{ kind: "missing-file", version: "20250101000009", name: null }]);
    expect(plan.entries).toEqual([
      { version: a.version, name: a.name, status: "applied", path: a.path },
      { version: "20250101000009", name: "", status: "missing-file" },
    ]);
    expect(formatRefusal(plan.refusals[0])).toBe(
      "version 20250101000009 is recorded as applied in supabase_migrations.schema_migrations, but there is no file for it.\n" +
        "  fix: restore the file (git, or `supabase migration fetch`); or, if it was undone by hand, forget it: npm run db -- repair --reverted 20250101000009",
    );
  });

  it.each([
    ["a statement was removed from the file", "create table a (id int);\n", ["create table a (id int)", "create index on a (id)"]],
    ["a statement was added to the file", "create table a (id int);\ncreate index on a (id);\n", ["create table a (id int)"]],
    ["the second statement was edited, the first not", "create table a (id int);\ncreate index on a (name);\n", ["create table a (id int)", "create index on a (id)"]],
  ])("sees drift when %s after applying", (_label, sql, recorded) => {
    const edited = file(a.version, sql, a.name);
    const plan = planMigrations([edited], [{ version: a.version, name: a.name, statements: recorded }]);
    expect(plan.refusals).toEqual([{ kind: "drift", version: a.version, name: a.name, path: edited.path }]);
    expect(plan.entries).toEqual([{ version: a.version, name: a.name, status: "drift", path: edited.path }]);
  });

  it("does not see drift in a row that recorded an empty statement or doubled semicolons (cut differently)", () => {
    const f = file(a.version, "create table a (id int);\ncreate index on a (id);\n", a.name);
    const rows = [{ version: a.version, name: a.name, statements: ["create table a (id int);;", "", "create index on a (id)"] }];
    expect(planMigrations([f], rows)).toMatchObject({ refusals: [], entries: [{ version: a.version, status: "applied" }] });
  });

  it("lets a file with the destructive header destroy, with the targets for the backup", () => {
    const f = file("20250101000005", "-- rollout-stack:destructive: drop the old table\ndrop table if exists old;\n");
    const plan = planMigrations([f], []);
    expect(plan.refusals).toEqual([]);
    expect(plan.pending[0].destructive).toMatchObject([{ command: "DROP TABLE", tables: [{ name: "old" }] }]);
  });
});

describe("the no-transaction header", () => {
  const NT = "-- rollout-stack:no-transaction";
  const nt = (sql: string) => file("20250101000011", sql);
  const TWO =
    "the file has the header -- rollout-stack:no-transaction but 2 statements; only a file's single statement may run outside a transaction " +
    "(the others would each commit on their own, and a failure would leave half the file applied)";
  const IN_TX = "the file has the header -- rollout-stack:no-transaction, but its statement can run in a transaction (or is refused anyway)";

  it("lets a file's single non-transactional statement run outside a transaction", () => {
    const f = nt(`${NT}\ncreate index concurrently i on t (id);\n`);
    const plan = planMigrations([f], []);
    expect(plan.refusals).toEqual([]);
    expect(plan.pending).toEqual([{ file: f, statements: [{ text: `${NT}\ncreate index concurrently i on t (id)`, offset: 0 }], destructive: [], noTransaction: true }]);
  });

  it("marks only files with the header as running outside a transaction", () => {
    const plan = planMigrations([file("20250101000012", "create table t (id int);\n")], []);
    expect(plan.pending).toHaveLength(1);
    expect(Object.keys(plan.pending[0]).sort()).toEqual(["destructive", "file", "statements"]);
  });

  it.each([
    ["a comment after the statement", `${NT}\ncreate index concurrently i on t (id);\n-- built without locking writes\n`, 2],
    ["a stray ; after the header (a comment-only piece first)", `${NT}\n;\ncreate index concurrently i on t (id);\n`, 2],
  ])("does not count comment-only pieces as statements: %s", (_label, sql, pieces) => {
    const plan = planMigrations([nt(sql)], []);
    expect(plan.refusals).toEqual([]);
    expect(plan.pending[0].noTransaction).toBe(true);
    expect(plan.pending[0].statements).toHaveLength(pieces);
  });

  it("refuses a second statement at its line and column, and each non-transactional one", () => {
    const f = nt(`${NT}\ncreate index concurrently a on t (x);\n\n  create index concurrently b on t (y);\n`);
    const plan = planMigrations([f], []);
    expect(plan.pending).toEqual([]);
    expect(plan.refusals).toEqual([
      { kind: "non-transactional", path: f.path, line: 2, col: 1, command: "CREATE INDEX CONCURRENTLY" },
      { kind: "non-transactional", path: f.path, line: 4, col: 3, command: "CREATE INDEX CONCURRENTLY" },
      { kind: "no-transaction-misuse", path: f.path, line: 4, col: 3, reason: TWO },
    ]);
    expect(formatRefusal(plan.refusals[2])).toBe(
      `${f.path}:4:3: ${TWO}.\n  fix: put the non-transactional statement alone in its own file with \`${NT}\` ` +
        "on the first line, and everything else in ordinary files; or remove the header",
    );
  });

  it("refuses a header over no statement at all at the file's start", () => {
    const f = nt(`${NT}\n-- nothing yet\n`);
    expect(planMigrations([f], []).refusals).toEqual([{ kind: "no-transaction-misuse", path: f.path, line: 1, col: 1, reason: TWO.replace("but 2", "but 0") }]);
  });

  it("refuses a header over a statement that can run in a transaction, at the statement's first word (past the header)", () => {
    const f = nt(`\n${NT}\n  create index i on t (id);\n`);
    expect(planMigrations([f], []).refusals).toEqual([{ kind: "no-transaction-misuse", path: f.path, line: 3, col: 3, reason: IN_TX }]);
  });

  it("does not let the header excuse transaction control", () => {
    const f = nt(`${NT}\nbegin;\n`);
    expect(planMigrations([f], []).refusals).toEqual([
      { kind: "transaction-control", path: f.path, line: 2, col: 1, command: "BEGIN" },
      { kind: "no-transaction-misuse", path: f.path, line: 2, col: 1, reason: IN_TX },
    ]);
  });

  it("still refuses COPY from stdin (the runner sends no data), without calling the header misused", () => {
    const f = nt(`${NT}\ncopy t (id) from stdin;\n`);
    expect(planMigrations([f], []).refusals).toEqual([{ kind: "non-transactional", path: f.path, line: 2, col: 1, command: "COPY ... STDIN/STDOUT" }]);
  });
});

describe("formatRefusal", () => {
  const cases: Refusal[] = [
    { kind: "drift", version: "1", name: "a", path: "m/1_a.sql" },
    { kind: "missing-file", version: "2", name: "b" },
    { kind: "out-of-order", version: "1", path: "m/1_a.sql", newestApplied: "3" },
    { kind: "duplicate-version", version: "1", paths: ["m/1_a.sql", "m/1_b.sql"] },
    { kind: "repair-without-file", version: "7" },
    { kind: "transaction-control", path: "m/1_a.sql", line: 2, col: 1, command: "COMMIT" },
    { kind: "non-transactional", path: "m/1_a.sql", line: 2, col: 1, command: "VACUUM" },
    { kind: "psql-meta-command", path: "m/1_a.sql", line: 2, col: 1, command: "\\i" },
    { kind: "destructive-without-header", path: "m/1_a.sql", line: 2, col: 1, command: "DROP TABLE" },
    { kind: "unparsable", path: "m/1_a.sql", line: 2, col: 1, message: 'syntax error at or near "selec"' },
    { kind: "readings-disagree", path: "m/1_a.sql", line: 2, col: 1, reason: "the splitter reads 1 statement, the parser 2" },
    { kind: "no-transaction-misuse", path: "m/1_a.sql", line: 2, col: 1, reason: "the file has 2 statements" },
  ];
  it.each(cases)("$kind names the file or version and gives a fix", (r) => {
    const text = formatRefusal(r);
    expect(text).toMatch("path" in r ? r.path : r.version);
    expect(text).toMatch(/\n  fix: /);
  });
  it("out-of-order names push --include-all in its fix line (supabase/cli internal/migration/up suggestIgnoreFlag)", () => {
    const text = formatRefusal(cases[2]);
    expect(text.split("\n  fix: ")[1]).toContain("npm run db -- push --include-all");
  });
  it("points at db repair where repair is the way out", () => {
    expect(formatRefusal(cases[0])).toContain("npm run db -- repair --applied 1");
    expect(formatRefusal(cases[1])).toContain("npm run db -- repair --reverted 2");
  });
});

describe("buildBatch and locateFailure", () => {
  const f = file("20250101000006", "-- lead comment\ncreate table t (id int);\n\ninsert into t\n  values ('é😀', 1);\n-- trailing note\n");
  const g = file("20250101000008", "create table u (id int);\nselect 1 / 0;\n");
  let m: PendingMigration;
  let n: PendingMigration;
  beforeAll(() => {
    [m, n] = planMigrations([f, g], []).pending;
  });

  it("sends RESET ALL, BEGIN, the statements, the ledger row and COMMIT of a file in one query", () => {
    const { text, parts } = buildBatch([m]);
    expect(parts.map((p) => p.kind)).toEqual(["reset", "begin", "statement", "statement", "statement", "ledger", "commit"]);
    expect(text.startsWith("RESET ALL\n;\nBEGIN\n;\n-- lead comment\ncreate table t (id int)\n;\n")).toBe(true);
    expect(text).toContain(
      `INSERT INTO supabase_migrations.schema_migrations (version, name, statements) VALUES ('20250101000006', 'm20250101000006', ARRAY['-- lead comment\ncreate table t (id int)','insert into t\n  values (''é😀'', 1)','-- trailing note']::text[])`,
    );
    expect(parts.find((p) => p.text === "-- trailing note")?.completes).toBe(false);
    // Alone (or last), a file commits synchronously.
    expect(text).not.toContain("synchronous_commit");
  });

  it("batches files, each its own transaction; all but the last commit without waiting for the flush; the last may release the lock", () => {
    const { text, parts } = buildBatch([m, n], { unlock: true });
    expect(parts.map((p) => `${p.file}:${p.kind}`)).toEqual([
      ...["reset", "begin", "begin", "statement", "statement", "statement", "ledger", "commit"].map((k) => `0:${k}`),
      ...["reset", "begin", "statement", "statement", "ledger", "commit", "unlock"].map((k) => `1:${k}`),
    ]);
    expect(parts[2].text).toBe("SET LOCAL synchronous_commit = off");
    expect(text.match(/synchronous_commit/g)).toHaveLength(1);
    expect(text.endsWith("COMMIT\n;\nSELECT pg_advisory_unlock(32210658811409780)")).toBe(true);
    // Errors map to the right file: by the commands completed (RESET, BEGIN, SET, create, insert,
    // ledger, COMMIT of the first; RESET, BEGIN, create of the second) …
    expect(locateFailure([m, n], parts, { message: "x" }, 10)).toMatchObject({ version: "20250101000008", statementIndex: 2, line: 2, col: 1 });
    expect(locateFailure([m, n], parts, { message: "x" }, 4)).toMatchObject({ version: "20250101000006", statementIndex: 2, line: 4 });
    // … or by a position in the whole batch's text.
    const at = [...text.slice(0, text.indexOf("1 / 0"))].length + 3; // the "/", 1-based, in characters
    expect(locateFailure([m, n], parts, { message: "x", position: String(at) }, 0)).toMatchObject({ version: "20250101000008", line: 2, col: 10 });
  });

  it("maps a Postgres position (in characters) back to the file's line and column", () => {
    const { text, parts } = buildBatch([m]);
    const at = [...text].indexOf("1", [...text].indexOf("😀")) + 1; // the `1` after the emoji, 1-based
    const failure = locateFailure([m], parts, { message: "boom", code: "22P02", position: String(at) }, 2);
    expect(failure).toMatchObject({ line: 5, col: 17, statementIndex: 2, phase: "statement", code: "22P02" });
    expect(failure.excerpt).toBe("4 | insert into t\n5 |   values ('é😀', 1)\n  | " + " ".repeat(16) + "^");
  });

  it("without a position, counts completed commands to find the statement", () => {
    const { parts } = buildBatch([m]);
    // RESET, BEGIN and the create table completed: the insert failed.
    expect(locateFailure([m], parts, { message: "x" }, 3)).toMatchObject({ statementIndex: 2, line: 4, col: 1 });
    // Everything but COMMIT completed: a deferred constraint at commit.
    expect(locateFailure([m], parts, { message: "x" }, 5)).toMatchObject({ phase: "commit" });
  });

  it("builds the backup block with quoted names and the schema list", () => {
    const d = planMigrations([file("20250101000007", "-- rollout-stack:destructive\ndrop table \"we'ird\"; drop schema s cascade; truncate a cascade;")], []).pending[0];
    const block = backupBlock(d);
    expect(block).toContain(`to_regclass('"we''ird"')::oid`);
    expect(block).toContain(`ARRAY['s']::text[]`);
    expect(block).toMatch(/^DO \$rollout_backup\$[\s\S]*\$rollout_backup\$$/);
    expect(buildBatch([d]).parts.map((p) => p.kind).slice(0, 3)).toEqual(["reset", "begin", "backup"]);
  });
});

describe("planBatches", () => {
  const files = Array.from({ length: 7 }, (_, i) => file(`2025010100000${i}`, `create table t${i} (id int);\n`));
  const pending = () => planMigrations(files, []).pending;

  it("groups consecutive files up to the file and byte limits; a no-transaction file goes alone", () => {
    const p = pending();
    expect(planBatches(p, { files: 3, bytes: 1e6 }).map((b) => b.length)).toEqual([3, 3, 1]);
    // Each file is 27 bytes: two fit in 60.
    expect(planBatches(p, { files: 100, bytes: 60 }).map((b) => b.length)).toEqual([2, 2, 2, 1]);
    // A file bigger than the byte limit is a batch of its own.
    expect(planBatches(p.slice(0, 2), { files: 100, bytes: 10 }).map((b) => b.length)).toEqual([1, 1]);
    const nt = { ...p[3], noTransaction: true as const };
    expect(planBatches([p[0], p[1], nt, p[4]], { files: 100, bytes: 1e6 }).map((b) => b.map((m) => m.file.version.slice(-1)).join(""))).toEqual(["01", "3", "4"]);
    expect(planBatches([], BATCH_LIMITS)).toEqual([]);
  });
});

describe("lineCol and caretExcerpt", () => {
  it("counts characters, not UTF-16 units", () => {
    expect(lineCol("a\n😀b", 5)).toEqual({ line: 2, col: 3 });
  });
  it("shows the first lines of a statement without a position", () => {
    expect(caretExcerpt("a\nb", 7, undefined)).toBe("7 | a\n8 | b");
  });
});
