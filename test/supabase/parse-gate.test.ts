/**
 * The second reading of pending files by Postgres's own parser (libpg-query): golden cases for each
 * literal form and a seeded property test of random interleavings. No database.
 */
import * as fs from "fs";
import * as path from "path";
import { beforeAll, describe, expect, it } from "vitest";
import { formatRefusal } from "../../infra/supabase/migrations/errors";
import { readMigrationFiles, type MigrationFile } from "../../infra/supabase/migrations/files";
import { loadSqlParser, parseFile } from "../../infra/supabase/migrations/parse-gate";
import { planMigrations } from "../../infra/supabase/migrations/plan";
import { splitStatements } from "../../infra/supabase/migrations/split";
import { prng } from "../support/prng";

beforeAll(loadSqlParser);

function file(sql: string, version = "20250101000001"): MigrationFile {
  return { version, name: "m", path: `migrations/db/${version}_m.sql`, sql, sha256: "x" };
}
const plan = (sql: string) => planMigrations([file(sql)], []);
const kinds = (sql: string) => plan(sql).refusals.map((r) => r.kind);

describe("issue 12 item 15: E'…\\'…' strings", () => {
  it("refuses the hidden COMMIT (the splitter reads one statement where Postgres reads five), naming file and line", () => {
    const sql = "create table a(id int);\nselect E'it\\'s';\ncommit;\ncreate table b(id int);\nselect 1/0;\n";
    // The CLI's split, which the ledger keeps, is fooled: it sees two statements.
    expect(splitStatements(sql)).toHaveLength(2);
    const refusals = plan(sql).refusals;
    expect(refusals).toMatchObject([{ kind: "readings-disagree", path: "migrations/db/20250101000001_m.sql", line: 3, col: 1 }]);
    const text = formatRefusal(refusals[0]);
    expect(text).toContain("migrations/db/20250101000001_m.sql:3:1");
    expect(text).toMatch(/splitter reads 2 statements, Postgres 17's parser .* 5/);
    expect(text).toContain("COMMIT");
    expect(text).toMatch(/\n  fix: /);
  });

  it("refuses the hidden DROP TABLE after a comment with an escaped quote", () => {
    const sql = "comment on table t is E'the victim\\'s table';\ndrop table t;\n";
    expect(kinds(sql)).toEqual(["readings-disagree"]);
    expect(formatRefusal(plan(sql).refusals[0])).toMatch(/:2:1: .*parser's statements from there: DROP TABLE/);
  });
});

describe("golden cases: both readings agree on every literal form", () => {
  it.each([
    ["E'' with a doubled quote", "select E'it''s; commit';\ncreate table a (id int);", 2],
    ["E'' ending in an escaped backslash", "select E'a\\\\';\ncreate table a (id int);", 2],
    ["e'' lower case with \\n", "select e'line\\nnext; drop table t';\nselect 2;", 2],
    ["U&'' with a unicode escape", "select U&'d\\0061t\\+000061; commit';\nselect 2;", 2],
    ["U&'' with UESCAPE", "select U&'d!0061t!+000061;' UESCAPE '!';\nselect 2;", 2],
    ["a tagged dollar quote holding $$ and ;", "create function f() returns text language sql as $body$ select $$; commit; $$ $body$;\nselect 2;", 2],
    ["nested block comments", "/* outer /* inner; commit; */ still comment; */ select 1;\n-- commit;\nselect 2; /* trailing */", 2],
    ["a quoted identifier with ; and ''", 'create table "we;ird""s" (id int);\nselect 1;', 2],
    ["BEGIN ATOMIC bodies", "create function g() returns int language sql begin atomic select 1; select 2; end;\nselect 3;", 2],
    ["non-ASCII text before a statement", "select 'é😀';\ncreate table ü (id int);", 2],
  ])("%s", (_label, sql, statements) => {
    const parsed = parseFile(sql);
    expect("statements" in parsed && parsed.statements.length).toBe(statements);
    expect(plan(sql).refusals).toEqual([]);
    expect(plan(sql).pending[0].statements).toHaveLength(splitStatements(sql).length);
  });

  it.each([
    ["E'' hides a COMMIT", "select E'\\''; commit; select ';'", "readings-disagree"],
    ["E'' with \\\\\\' hides a DROP", "select E'a\\\\\\'b'; drop table t; select 'x'", "readings-disagree"],
    ["a syntax error", "create table a (id int);\nselec 1;", "unparsable"],
  ])("refuses %s", (_label, sql, kind) => {
    expect(kinds(sql)).toContain(kind);
  });

  it("locates a syntax error at its line and column (characters, not bytes)", () => {
    expect(plan("select 'é';\n  selec 1;").refusals).toMatchObject([{ kind: "unparsable", line: 2, col: 3 }]);
  });

  it("locates a refusal in a later statement of a CRLF file, after multi-line statements and comments", () => {
    const path = "migrations/db/20250101000001_m.sql";
    const hint =
      "a backslash-escaped quote in an E'…' string (E'it\\'s') is the usual cause: the Supabase CLI's splitter, whose split the ledger keeps, " +
      "does not know backslash escapes; write the quote doubled instead (E'it''s' or 'it''s')";
    const differ = (what: string) =>
      `the Supabase CLI's splitter reads 2 statements, Postgres 17's parser (libpg-query 17.7.4) 3, and they first differ here ` +
      `(the parser starts a statement here, the splitter does not; the parser's statements from there: ${what}); ${hint}`;
    expect(plan("create table a (\r\n  id int\r\n);\r\n-- seed\r\ninsert into a values (1);\r\n  selec 1;\r\n").refusals).toEqual([
      { kind: "unparsable", path, line: 6, col: 3, message: 'syntax error at or near "selec"' },
    ]);
    expect(plan("create table a (id int);\r\n-- the hint\r\nselect E'it\\'s';\r\n  commit;\r\n").refusals).toEqual([
      { kind: "readings-disagree", path, line: 4, col: 3, reason: differ("COMMIT") },
    ]);
    const refusals = plan("create table a (id int);\r\n/* a note */ comment on table a is E'the victim\\'s table';\r\n\tdrop table a;\r\n").refusals;
    expect(refusals).toEqual([{ kind: "readings-disagree", path, line: 3, col: 2, reason: differ("DROP TABLE") }]);
    expect(formatRefusal(refusals[0]).split("\n")[0]).toBe(
      `${path}:3:2: the file is read two ways, and they disagree: ${differ("DROP TABLE")}. What the checks saw would not be what runs.`,
    );
  });

  it("classifies from the parse tree: ALTER TYPE … ADD VALUE is transactional since Postgres 12, ANALYZE too", () => {
    expect(plan("alter type mood add value 'meh';\nanalyze t;").refusals).toEqual([]);
  });

  it.each([
    ["create database d", "CREATE DATABASE"],
    ["drop database d", "DROP DATABASE"],
    ["create tablespace t location '/tmp/t'", "CREATE TABLESPACE"],
    ["drop tablespace t", "DROP TABLESPACE"],
    ["create subscription s connection 'dbname=x' publication p", "CREATE SUBSCRIPTION"],
    ["drop subscription s", "DROP SUBSCRIPTION"],
    ["alter system set work_mem = '64MB'", "ALTER SYSTEM"],
    ["alter database d set tablespace t", "ALTER DATABASE ... SET TABLESPACE"],
    ["create index concurrently i on t (a)", "CREATE INDEX CONCURRENTLY"],
    ["reindex (concurrently) table t", "REINDEX CONCURRENTLY"],
    ["vacuum t", "VACUUM"],
    ["drop index concurrently i", "DROP INDEX CONCURRENTLY"],
  ])("the parse tree finds %j cannot run in a transaction (%s)", (sql, command) => {
    const parsed = parseFile(`${sql};`);
    expect("statements" in parsed && parsed.statements.map((st) => st.class.refusal)).toEqual([{ kind: "non-transactional", command }]);
  });

  it.each(["create index i on t (a)", "alter database d set work_mem = '64MB'", "reindex table t", "analyze t"])("%j can run in a transaction", (sql) => {
    const parsed = parseFile(`${sql};`);
    expect("statements" in parsed && parsed.statements.map((st) => st.class.refusal)).toEqual([undefined]);
  });

  it("accepts every migration file of this repository", () => {
    const root = path.join(__dirname, "../../migrations");
    for (const dir of fs.readdirSync(root)) {
      const files = readMigrationFiles(path.join(root, dir));
      expect(planMigrations(files, []).refusals, dir).toEqual([]);
    }
  });
});

describe("property: random interleavings of literals, comments and statements", () => {
  // Fragments that are valid inside a SELECT list; `tricky` ones fool the CLI's splitter.
  const literals = [
    { sql: "'a;b'", tricky: false },
    { sql: "'it''s; commit'", tricky: false },
    { sql: "E'x\\\\'", tricky: false },
    { sql: "E'tab\\there; drop table t'", tricky: false },
    { sql: "U&'\\0061;'", tricky: false },
    { sql: "$$; commit; $$", tricky: false },
    { sql: "$q$ $$ ; $q$", tricky: false },
    { sql: '"quoted;id"', tricky: false },
    { sql: "E'it\\'s'", tricky: true },
    { sql: "E'\\''", tricky: true },
  ];
  const comments = ["", " ", "\n", "-- c; commit\n", "/* a; /* b; */ c */ ", "/* ' */ "];
  const dangers = ["commit", "begin", "drop table t", "truncate t", "vacuum", "savepoint s"];

  it("never accepts a file hiding a dangerous statement, and never refuses one without a tricky literal", () => {
    const random = prng(20251212);
    const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)];
    let refusedTricky = 0;
    for (let run = 0; run < 400; run++) {
      const parts: string[] = [];
      let tricky = false;
      let danger = false;
      const n = 1 + Math.floor(random() * 5);
      for (let i = 0; i < n; i++) {
        if (random() < 0.25) {
          parts.push(pick(comments) + pick(dangers));
          danger = true;
        } else {
          const lit = pick(literals);
          tricky ||= lit.tricky;
          parts.push(`${pick(comments)}select ${lit.sql}${pick(comments)}`);
        }
      }
      const sql = parts.join(";\n") + (random() < 0.5 ? ";\n" : "\n");
      const p = plan(sql);
      const refused = p.refusals.length > 0;
      if (danger) expect(refused, sql).toBe(true);
      if (!danger && !tricky) expect(p.refusals, sql).toEqual([]);
      if (!refused) {
        // Accepted: the split the ledger keeps is exactly the parser's statements.
        const parsed = parseFile(sql);
        expect("statements" in parsed && parsed.statements.length, sql).toBe(n);
      }
      if (tricky && danger) refusedTricky++;
    }
    expect(refusedTricky).toBeGreaterThan(10);
  });
});
