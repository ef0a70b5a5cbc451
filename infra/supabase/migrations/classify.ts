/**
 * What a statement does, as far as the runner needs to know before sending it: transaction control
 * (refused: each file already runs in one transaction), commands that cannot run inside a
 * transaction (refused), and statements that destroy data (allowed only with the destructive
 * header, after a backup).
 *
 * A small lexer reads the statement's top-level words, skipping comments, string literals, dollar
 * quotes and quoted identifiers' contents. It is not a SQL parser: commands hidden in a `DO` block,
 * a function body or dynamic SQL are not seen (the README says so).
 *
 * Pure: no I/O, no Pulumi.
 */
import { firstTokenAt } from "./split";

export interface Token {
  kind: "word" | "ident" | "punct" | "literal";
  /** Words upper-cased; quoted identifiers as written (quotes removed, "" unescaped). */
  value: string;
  /** Parenthesis depth the token sits at (0 = top level). */
  depth: number;
  /** Index of the token in the statement text. */
  offset: number;
}

/** Splits a statement into tokens (comments and whitespace dropped). */
export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let depth = 0;
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i];
    const next = firstTokenAt(sql, i);
    if (next !== i) {
      // Whitespace and comments, as Postgres's scanner skips them.
      i = next;
    } else if (c === "'" || ((c === "E" || c === "e") && sql[i + 1] === "'")) {
      const start = i;
      const escapes = c !== "'";
      i += escapes ? 2 : 1;
      while (i < n) {
        if (escapes && sql[i] === "\\") i += 2;
        else if (sql[i] === "'" && sql[i + 1] === "'") i += 2;
        else if (sql[i] === "'") {
          i++;
          break;
        } else i++;
      }
      tokens.push({ kind: "literal", value: sql.slice(start, i), depth, offset: start });
    } else if (c === '"') {
      const start = i;
      let value = "";
      i++;
      while (i < n) {
        if (sql[i] === '"' && sql[i + 1] === '"') {
          value += '"';
          i += 2;
        } else if (sql[i] === '"') {
          i++;
          break;
        } else value += sql[i++];
      }
      tokens.push({ kind: "ident", value, depth, offset: start });
    } else if (c === "$" && /^\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/.test(sql.slice(i, i + 64))) {
      const tag = /^\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/.exec(sql.slice(i, i + 64))![0];
      const close = sql.indexOf(tag, i + tag.length);
      const end = close < 0 ? n : close + tag.length;
      tokens.push({ kind: "literal", value: sql.slice(i, end), depth, offset: i });
      i = end;
    } else if (/[A-Za-z_\u0080-\uffff]/.test(c)) {
      const start = i;
      while (i < n && /[A-Za-z0-9_$\u0080-\uffff]/.test(sql[i])) i++;
      tokens.push({ kind: "word", value: sql.slice(start, i).toUpperCase(), depth, offset: start });
    } else {
      if (c === ")") depth = Math.max(0, depth - 1);
      tokens.push({ kind: "punct", value: c, depth, offset: i });
      if (c === "(") depth++;
      i++;
    }
  }
  return tokens;
}

/** A table or schema name as Postgres resolves it (unquoted words folded to lower case). */
export interface QualifiedName {
  schema?: string;
  name: string;
}

/** Renders a name for SQL (`to_regclass` input, messages): each part quoted. */
export function renderName(n: QualifiedName): string {
  const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
  return n.schema ? `${q(n.schema)}.${q(n.name)}` : q(n.name);
}

/** A statement that destroys data, and what it destroys. */
export interface DestructiveOp {
  command: "DROP TABLE" | "DROP SCHEMA" | "TRUNCATE" | "DROP COLUMN";
  /** Tables whose data is lost (DROP TABLE, TRUNCATE, and the tables losing columns). */
  tables: QualifiedName[];
  /** Schemas whose tables are lost (DROP SCHEMA). */
  schemas: string[];
  /** TRUNCATE ... CASCADE also empties the tables that reference these. */
  cascade: boolean;
  /** Where the statement's command starts (index in the statement text). */
  offset: number;
}

export type StatementRefusal =
  | { kind: "transaction-control"; command: string; offset: number }
  | { kind: "non-transactional"; command: string; offset: number }
  | { kind: "psql-meta-command"; command: string; offset: number };

export interface StatementClass {
  refusal?: StatementRefusal;
  destructive?: DestructiveOp;
}

const TRANSACTION_CONTROL = new Set(["BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "SAVEPOINT", "RELEASE"]);

/** Reads a qualified name at `i`; returns it and the index after it. */
function readName(tokens: Token[], i: number): { name?: QualifiedName; next: number } {
  const part = (t: Token | undefined) => (t && (t.kind === "word" || t.kind === "ident") ? (t.kind === "word" ? t.value.toLowerCase() : t.value) : undefined);
  const first = part(tokens[i]);
  if (first === undefined) return { next: i };
  const parts = [first];
  let j = i + 1;
  while (tokens[j]?.kind === "punct" && tokens[j].value === "." && part(tokens[j + 1]) !== undefined) {
    parts.push(part(tokens[j + 1])!);
    j += 2;
  }
  // database.schema.table: the database part is dropped (it must be the current one).
  const [schema, name] = parts.length >= 2 ? parts.slice(-2) : [undefined, parts[0]];
  return { name: schema === undefined ? { name } : { schema, name }, next: j };
}

function isWord(t: Token | undefined, ...values: string[]): boolean {
  return t !== undefined && t.kind === "word" && t.depth === 0 && values.includes(t.value);
}

/** A comma-separated list of names starting at `i` (with optional ONLY / `*` as TRUNCATE allows). */
function readNameList(tokens: Token[], i: number): { names: QualifiedName[]; next: number } {
  const names: QualifiedName[] = [];
  let j = i;
  for (;;) {
    if (isWord(tokens[j], "ONLY")) j++;
    const { name, next } = readName(tokens, j);
    if (!name) break;
    names.push(name);
    j = next;
    if (tokens[j]?.value === "*") j++;
    if (tokens[j]?.kind === "punct" && tokens[j].value === ",") {
      j++;
      continue;
    }
    break;
  }
  return { names, next: j };
}

/** Classifies one statement (as split by `splitStatements`). */
export function classifyStatement(sql: string): StatementClass {
  const trimmed = sql.replace(/^(\s|--[^\n]*\n?|\/\*[\s\S]*?\*\/)*/, "");
  if (trimmed.startsWith("\\")) {
    const offset = sql.length - trimmed.length;
    return { refusal: { kind: "psql-meta-command", command: trimmed.split(/\s/)[0], offset } };
  }
  const tokens = tokenize(sql);
  const top = tokens.filter((t) => t.depth === 0);
  const words = top.filter((t) => t.kind === "word").map((t) => t.value);
  if (top.length === 0 || top[0].kind !== "word") return {};
  const first = top[0];
  const [w0, w1, w2] = [top[0]?.value, top[1]?.value, top[2]?.value];
  const at = first.offset;
  const refuse = (kind: StatementRefusal["kind"], command: string): StatementClass => ({ refusal: { kind, command, offset: at } });

  // Transaction control. PREPARE TRANSACTION / COMMIT PREPARED / ROLLBACK PREPARED too; plain
  // PREPARE (a prepared statement) is fine.
  if (TRANSACTION_CONTROL.has(w0)) {
    const command = w0 === "START" ? "START TRANSACTION" : w1 === "PREPARED" ? `${w0} PREPARED` : w0;
    if (w0 !== "START" || w1 === "TRANSACTION") return refuse("transaction-control", command);
  }
  if (w0 === "PREPARE" && w1 === "TRANSACTION") return refuse("transaction-control", "PREPARE TRANSACTION");

  // Commands PostgreSQL refuses inside a transaction block.
  if (w0 === "VACUUM") return refuse("non-transactional", "VACUUM");
  if ((w0 === "CREATE" || w0 === "DROP") && (w1 === "DATABASE" || w1 === "TABLESPACE" || w1 === "SUBSCRIPTION")) {
    return refuse("non-transactional", `${w0} ${w1}`);
  }
  if (w0 === "ALTER" && w1 === "SYSTEM") return refuse("non-transactional", "ALTER SYSTEM");
  if (w0 === "ALTER" && w1 === "DATABASE" && words.includes("TABLESPACE")) return refuse("non-transactional", "ALTER DATABASE ... SET TABLESPACE");
  if (w0 === "CREATE" && (w1 === "INDEX" || (w1 === "UNIQUE" && w2 === "INDEX")) && words.includes("CONCURRENTLY")) {
    return refuse("non-transactional", "CREATE INDEX CONCURRENTLY");
  }
  if (w0 === "DROP" && w1 === "INDEX" && words.includes("CONCURRENTLY")) return refuse("non-transactional", "DROP INDEX CONCURRENTLY");
  if (w0 === "REINDEX" && (words.includes("CONCURRENTLY") || words.includes("DATABASE") || words.includes("SYSTEM"))) {
    return refuse("non-transactional", `REINDEX ${words.includes("CONCURRENTLY") ? "CONCURRENTLY" : words.includes("DATABASE") ? "DATABASE" : "SYSTEM"}`);
  }
  if (w0 === "ALTER" && w1 === "TABLE" && words.includes("DETACH") && words.includes("CONCURRENTLY")) {
    return refuse("non-transactional", "ALTER TABLE ... DETACH PARTITION CONCURRENTLY");
  }
  if (w0 === "CLUSTER" && top.slice(1).every((t) => t.kind === "word" && t.value === "VERBOSE")) return refuse("non-transactional", "CLUSTER (all tables)");
  if (w0 === "COPY" && (words.includes("STDIN") || words.includes("STDOUT"))) return refuse("non-transactional", "COPY ... STDIN/STDOUT");

  // Statements that destroy data.
  if (w0 === "DROP" && w1 === "TABLE") {
    let i = 2;
    if (isWord(top[i], "IF") && isWord(top[i + 1], "EXISTS")) i += 2;
    const { names } = readNameList(top, i);
    return { destructive: { command: "DROP TABLE", tables: names, schemas: [], cascade: false, offset: at } };
  }
  if (w0 === "DROP" && w1 === "SCHEMA") {
    let i = 2;
    if (isWord(top[i], "IF") && isWord(top[i + 1], "EXISTS")) i += 2;
    const { names } = readNameList(top, i);
    return { destructive: { command: "DROP SCHEMA", tables: [], schemas: names.map((n) => n.name), cascade: words.includes("CASCADE"), offset: at } };
  }
  if (w0 === "TRUNCATE") {
    let i = 1;
    if (isWord(top[i], "TABLE")) i++;
    const { names } = readNameList(top, i);
    return { destructive: { command: "TRUNCATE", tables: names, schemas: [], cascade: words.includes("CASCADE"), offset: at } };
  }
  if (w0 === "ALTER" && w1 === "TABLE") {
    let i = 2;
    if (isWord(top[i], "IF") && isWord(top[i + 1], "EXISTS")) i += 2;
    if (isWord(top[i], "ONLY")) i++;
    const { name, next } = readName(top, i);
    if (name && dropsColumn(top, next)) {
      return { destructive: { command: "DROP COLUMN", tables: [name], schemas: [], cascade: false, offset: at } };
    }
  }
  return {};
}

/**
 * Whether an ALTER TABLE's actions (from `i`, top-level tokens) include DROP [COLUMN] x. An action
 * starts after the table name or a top-level comma; `DROP CONSTRAINT` and `ALTER COLUMN x DROP
 * DEFAULT/NOT NULL/EXPRESSION/IDENTITY` destroy no data.
 */
function dropsColumn(top: Token[], i: number): boolean {
  let j = i;
  if (top[j]?.value === "*") j++;
  let actionStart = true;
  for (; j < top.length; j++) {
    const t = top[j];
    if (t.kind === "punct" && t.value === ",") {
      actionStart = true;
      continue;
    }
    if (actionStart && t.kind === "word" && t.value === "DROP") {
      const next = top[j + 1];
      if (!next) return false;
      if (next.kind === "word" && next.value === "COLUMN") return true;
      if (next.kind === "word" && ["CONSTRAINT", "DEFAULT", "NOT", "EXPRESSION", "IDENTITY"].includes(next.value)) {
        actionStart = false;
        continue;
      }
      // DROP x (COLUMN is optional).
      return next.kind === "word" || next.kind === "ident";
    }
    actionStart = false;
  }
  return false;
}
