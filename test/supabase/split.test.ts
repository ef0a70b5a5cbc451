/**
 * Golden cases of the Supabase CLI's statement splitter (`apps/cli-go/pkg/parser/state_test.go`):
 * each case is the list of raw tokens `Split` must return for their concatenation. Plus what the
 * ledger stores (`SplitAndTrim`) and the drift normalization.
 */
import { describe, expect, it } from "vitest";
import { firstTokenAt, isCommentsAndWhitespace, normalizeStatements, splitRaw, splitStatements } from "../../infra/supabase/migrations/split";

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

// Beyond the CLI's golden cases: forms Postgres accepts that the splitter must keep whole.
const more: [string, string[]][] = [
  ["dollar tag with an underscore and a digit", ["SELECT $body_1$ a ; b $body_1$;", " SELECT 2;"]],
  ["dollar tag with U+0080 (every byte ≥ 0x80 is a tag character to Postgres)", ["SELECT $\u0080$ a ; b $\u0080$;", " SELECT 2;"]],
  ["block comment closed right before a * operator", ["SELECT 2 /* two */*3;", " SELECT 4;"]],
  ["empty BEGIN ATOMIC body", ["CREATE FUNCTION f() RETURNS void LANGUAGE sql BEGIN ATOMIC END;", " SELECT 2;"]],
  ...[
    ["a tab", "\t"],
    ["CRLF", "\r\n"],
    ["a form feed", "\f"],
    ["a vertical tab", "\v"],
  ].map(([name, gap]): [string, string[]] => [
    `BEGIN and ATOMIC separated by ${name}`,
    [`CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN${gap}ATOMIC${gap}SELECT 1;${gap}SELECT 2;${gap}END;`, `${gap}SELECT 3;`],
  ]),
];

describe("splitRaw: more forms", () => {
  it.each(more)("%s", (_name, tokens) => checkSplit(tokens));
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

  it("cuts a CRLF file at the same places, without the line ends", () => {
    expect(splitStatements("create table a (id int);\r\n\r\ncreate index on a (id);\r\n")).toEqual([
      { text: "create table a (id int)", offset: 0 },
      { text: "create index on a (id)", offset: 28 },
    ]);
  });

  it("trims every character Go's TrimSpace trims on both sides, with the offset after them", () => {
    expect(splitStatements("\t\v\f\r\n\u0085 select 1 \u0085\f\v\t\r\n;")).toEqual([{ text: "select 1", offset: 7 }]);
    // A whitespace-only piece between two semicolons is no statement.
    expect(splitStatements("select 1;\t\v\f\r\n\u0085;select 2")).toEqual([
      { text: "select 1", offset: 0 },
      { text: "select 2", offset: 16 },
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
  it("keeps one space only between two word characters (letters, digits, _, $, non-ASCII letters)", () => {
    const statements = [
      "SELECT  0 AS zero, 9 AS nine, x AS _x, é AS a, x  ||  y AS Z\n  FROM  t ;;",
      " ; ",
      "create function f()\n  returns int\n  language sql\n  as $$ select 1 $$",
    ];
    expect(normalizeStatements(statements)).toBe("SELECT 0 AS zero,9 AS nine,x AS _x,é AS a,x||y AS Z FROM t;create function f()returns int language sql as $$ select 1 $$");
  });
  it("ignores a byte order mark as whitespace", () => {
    expect(normalizeStatements(["\ufeffcreate table a (id int)"])).toBe("create table a(id int)");
  });
  it("tells apart statements that differ only where whitespace separates two words", () => {
    expect(normalizeStatements(["select a b"])).not.toBe(normalizeStatements(["select ab"]));
    expect(normalizeStatements(["select 1 0"])).not.toBe(normalizeStatements(["select 10"]));
    expect(normalizeStatements(["select x || y"])).toBe(normalizeStatements(["select x||y"]));
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
    ["\r\n\f\v", true],
    ["-- a\r\n\f/* b */\v", true],
  ])("%j → %s", (text, expected) => expect(isCommentsAndWhitespace(text)).toBe(expected));
});

describe("firstTokenAt (where Postgres's scanner finds the next token)", () => {
  it.each([
    ["select 1", 0, 0],
    ["select 1", 6, 7],
    ["  -- c\n\tselect", 0, 8],
    ["\r\n\f\vselect", 0, 4],
    ["/* a /* b */ c */ select 1", 0, 18],
    ["/* a */* 2", 0, 7],
    ["-- only a comment", 0, 17],
    ["/* never closed /* */", 0, 21],
  ])("%j from %i → %i", (text, from, expected) => expect(firstTokenAt(text, from)).toBe(expected));
});
