/**
 * Golden cases of the Supabase CLI's statement splitter (`apps/cli-go/pkg/parser/state_test.go`):
 * each case is the list of raw tokens `Split` must return for their concatenation. Plus what the
 * ledger stores (`SplitAndTrim`) and the drift normalization.
 */
import { describe, expect, it } from "vitest";
import { isCommentsAndWhitespace, normalizeStatements, splitRaw, splitStatements } from "../../infra/supabase/migrations/split";

function checkSplit(tokens: string[]) {
  const input = tokens.join("");
  const out = splitRaw(input);
  expect(out.map((t) => t.text)).toEqual(tokens);
  // Offsets point at each token in the input.
  for (const t of out) expect(input.slice(t.offset, t.offset + t.text.length)).toBe(t.text);
}

const atomicNames = ["fn_atomic", "atomic_fn", "my_atomic_thing", "xatomicx", "fn_ATomiC"];
const endInside = ["pending", "pending_change", "append", "legend", "𐐀end", "😀end", "́end", "²end", "pending$$foo$"];
const endStart = ["endpoint", "end_date", "ended_at", "end𐐀", "end😀", "end́", "end²", "end$$foo$"];
const innerEnds = [
  "CASE WHEN true THEN 1 ELSE 0 END",
  "case when true then 1 end",
  "CASE WHEN true THEN 1 END AS ended",
  "CASE WHEN CASE WHEN true THEN true END THEN 1 END",
  "(CASE WHEN (true) THEN 1 END)",
  "coalesce(CASE WHEN length('a') > 0 THEN 1 END, 0)",
  "CASE(1)WHEN 1 THEN 1 END",
  "1 AS case",
  "1 case",
  "1 AS end",
  "1 end",
  "'end'",
];

const golden: [string, string[]][] = [
  ["line comment after separator", ["END;", "-- comment"]],
  ["line comment before separator", ["SELECT --; 1"]],
  ["line comment not started", ["- ;", "END"]],
  ["line comment between lines", ["-- /* \n;", " */ END"]],
  ["block comment contains separator", ["SELECT /* ; */ 1;"]],
  ["nested block comment", ["SELECT /*; /*;*/ ;*/ 1"]],
  ["block comment not started", ["/ * ;", " */ END"]],
  ["separator without spaces", [";", "END;", ";"]],
  ["separator between spaces", ["BEGIN   ;", "  END"]],
  ["backslash-escaped separator", ["\\;;", "\\;"]],
  ["named dollar tag", ["$tag$ any ; string$tag$"]],
  ...["a²", "a😀", "á"].map((tag): [string, string[]] => [`non-ASCII dollar tag ${tag}`, [`$${tag}$ any ; END; string$${tag}$;`, " SELECT 2;"]]),
  ["anonymous dollar tag", ['$$"Dane\'s horse"$$']],
  ["dollar quote not started", ['SELECT "$";', " $$"]],
  ["single quote escapes separator", ["SELECT ';' 1"]],
  ["single quote preserves doubled quote", ["SELECT ';'';' 1"]],
  ["single quote with literal backslash", ["SELECT '\\';", " 1'"]],
  ["double quote escapes separator", ['CREATE POLICY "cats;dogs" on cats_dogs;', " END"]],
  ["double quote preserves single quote", [`CREATE POLICY "cat's and dog's" on cats_dogs;`, " END"]],
  ["double quote preserves doubled quote", ['CREATE POLICY "pet""name" on pets;', " END"]],
  ["parentheses", ['CREATE RULE notify_me AS ON UPDATE TO mytable DO (NOTIFY mytable; SELECT "1");', "SELECT 1"]],
  ["parentheses ignore literals", ["CREATE RULE notify_me AS ON UPDATE TO mytable DO (-- )\nSELECT ')';\n-- )\n)\n"]],
  [
    "BEGIN ATOMIC inline body",
    ["CREATE FUNCTION add(a integer, b integer) RETURNS integer\nLANGUAGE SQL\nIMMUTABLE STRICT PARALLEL SAFE\nRETURNS NULL ON NULL INPUT\nBEGIN ATOMIC\n\tSELECT 'add';\n\tSELECT a + b;\nEND;"],
  ],
  ["BEGIN ATOMIC case-insensitive", ["begin atomic; select 'end'; end"]],
  ["BEGIN ATOMIC ignores literals", ["CREATE FUNCTION test() BEGIN\nATOMIC-- END;\n-- END;\nEND\n;"]],
  ...atomicNames.map((name): [string, string[]] => [
    `atomic inside identifier ${name}`,
    [`CREATE OR REPLACE FUNCTION ${name}()\nRETURNS void LANGUAGE plpgsql AS $$\nBEGIN\n  NULL;\nEND;\n$$;`, "\nSELECT 1;"],
  ]),
  ...endInside.map((name): [string, string[]] => [
    `end inside identifier ${name}`,
    [`CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1 AS ${name}; END;`, " SELECT 2;"],
  ]),
  ...endStart.map((name): [string, string[]] => [
    `identifier starting with end: ${name}`,
    [`CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT ${name}; SELECT 1; END;`, " SELECT 2;"],
  ]),
  ...innerEnds.map((expr): [string, string[]] => [
    `END inside an inner statement: ${expr}`,
    [`CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT ${expr}; SELECT 1; END;`, " SELECT 2;"],
  ]),
  ...["-- note END\n", "/* note; */ ", "\n/* a /* b; */ */ -- c\n"].map((comment): [string, string[]] => [
    `END preceded only by comments ${JSON.stringify(comment)}`,
    [`CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; ${comment}END;`, " SELECT 2;"],
  ]),
  ["non-ASCII begin atomic look-alike", ["BEGIN atomıc;", " SELECT 'end';", " SELECT 2;"]],
  ["END right after a positional parameter", ["CREATE FUNCTION f(int) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT $1;END;", " SELECT 2;"]],
  ...["\u00A0", "\uFEFF", "\u0085"].map((gap): [string, string[]] => [
    `non-SQL whitespace between BEGIN and ATOMIC (U+${gap.charCodeAt(0).toString(16)})`,
    [`BEGIN ${gap} ATOMIC;`, " SELECT 1;", " end;", " SELECT 2;"],
  ]),
  ["nested atomic body inside parentheses", ["DO (BEGIN ATOMIC SELECT 1; END; );", " SELECT 2;"]],
  [
    "END after an overlapping block comment",
    ["CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; /* a /*/ b */ SELECT 2 END; SELECT 3; END;", " SELECT 4;"],
  ],
  [
    "schema-qualified atomic function name",
    ["CREATE OR REPLACE FUNCTION public.atomic_example()\nRETURNS INTEGER\nLANGUAGE plpgsql\nAS $$\nBEGIN\n  RETURN 1;\nEND;\n$$;", "\nGRANT EXECUTE ON FUNCTION public.atomic_example() TO authenticated;"],
  ],
];

describe("splitRaw: the Supabase CLI's golden split cases", () => {
  it.each(golden)("%s", (_name, tokens) => checkSplit(tokens));
});

describe("splitStatements: what the ledger stores", () => {
  it("trims trailing semicolons and whitespace, keeps comments, drops empty statements, records offsets", () => {
    const sql = "-- header comment\ncreate table a (id int);\n\n  ;\ninsert into a values (1) ;  \n-- trailing note\n";
    const out = splitStatements(sql);
    expect(out.map((s) => s.text)).toEqual(["-- header comment\ncreate table a (id int)", "insert into a values (1)", "-- trailing note"]);
    for (const s of out) expect(sql.slice(s.offset, s.offset + s.text.length)).toBe(s.text);
  });

  it("keeps dollar-quoted bodies and strings with semicolons in one statement", () => {
    const sql = [
      "create function f() returns text language plpgsql as $body$",
      "begin",
      "  return 'a;b';",
      "end;",
      "$body$;",
      "comment on function f() is 'it returns ''a;b''; really';",
      "select /* ; nested /* ; */ */ 1;",
    ].join("\n");
    expect(splitStatements(sql).map((s) => s.text)).toEqual([
      "create function f() returns text language plpgsql as $body$\nbegin\n  return 'a;b';\nend;\n$body$",
      "comment on function f() is 'it returns ''a;b''; really'",
      "select /* ; nested /* ; */ */ 1",
    ]);
  });

  it("trims what Go's TrimSpace trims (a BOM is not whitespace to Go)", () => {
    expect(splitStatements("\u00a0select 1\u3000;").map((s) => s.text)).toEqual(["select 1"]);
    expect(splitStatements("\ufeffselect 1;").map((s) => s.text)).toEqual(["\ufeffselect 1"]);
  });
});

describe("normalizeStatements (drift comparison)", () => {
  it("ignores whitespace and trailing semicolons, and where the statements were cut", () => {
    const file = splitStatements("create table a (\n  id int\n);\n\ncreate index on a (id);\n").map((s) => s.text);
    expect(normalizeStatements(file)).toBe(normalizeStatements(["create table a ( id int );", "create   index on a (id)"]));
    expect(normalizeStatements(file)).toBe(normalizeStatements(["create table a ( id int ); create index on a (id);"]));
  });
  it("sees a changed token or comment", () => {
    const base = normalizeStatements(["create table a (id int)"]);
    expect(normalizeStatements(["create table a (id bigint)"])).not.toBe(base);
    expect(normalizeStatements(["-- why\ncreate table a (id int)"])).not.toBe(base);
  });
});

describe("isCommentsAndWhitespace", () => {
  it.each([
    ["", true],
    ["  \n\t", true],
    ["-- a\n/* b /* c */ */ ", true],
    ["-- unterminated", true],
    ["/* unterminated", true],
    ["-- a\nselect", false],
    ["x", false],
  ])("%j → %s", (text, expected) => expect(isCommentsAndWhitespace(text)).toBe(expected));
});
