/**
 * Splits a migration file into statements exactly as the Supabase CLI does, so that the ledger's
 * `statements` column matches what `supabase db push` writes.
 *
 * A port of `supabase/cli` `apps/cli-go/pkg/parser/{state,token}.go` (read at 2d666eff) plus the two
 * fixes its newer tests require ("requires sql whitespace between begin and atomic" and "closes nested
 * atomic body inside parentheses"). It is a finite-state tokenizer: `;` ends a statement except inside
 * '…' and "…" quotes, $tag$…$tag$, `--` and nested block comments, parentheses, `BEGIN ATOMIC … END`
 * bodies, and after a backslash. Statements keep their comments; each is trimmed of trailing `;` and
 * surrounding whitespace (`SplitAndTrim`), and empty ones are dropped.
 *
 * Pure: no I/O, no Pulumi.
 */

/** One statement of a file, as stored in the ledger, with where it starts in the file. */
export interface SplitStatement {
  /** The statement text, trimmed as the CLI trims it (comments kept, no trailing `;`). */
  text: string;
  /** Index (UTF-16 code units) of `text`'s first character in the file. */
  offset: number;
}

const BEGIN_ATOMIC = "ATOMIC";
const END_ATOMIC = "END";

/** The state machine works on `text[start, end)`: the current token so far, as Go's `data`. */
interface Data {
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

interface State {
  /** Returns the next state, or null to emit the token (a top-level `;`). */
  next(r: string, d: Data): State | null;
}

function isLetterOrDigit(r: string): boolean {
  return /[\p{L}\p{Nd}]/u.test(r);
}

/**
 * PostgreSQL's lexer treats every byte at or above 0x80 as an identifier/dollar-tag character
 * (ident_cont/dolq_cont in scan.l), whatever its Unicode category.
 */
function isIdentifierRune(r: string): boolean {
  return r.codePointAt(0)! >= 0x80 || isLetterOrDigit(r) || r === "_" || r === "$";
}

function hasIdentifierRuneBefore(d: Data, offset: number): boolean {
  if (offset <= d.start) return false;
  // The code unit before `offset` decides as its whole code point would: a surrogate half is
  // ≥ 0x80, and so is the code point of its pair.
  return isIdentifierRune(d.text[offset - 1]);
}

/** Whether `text[start, end)` ends with `keyword` (ASCII, case-insensitive) at an identifier boundary. */
function endsWithKeyword(d: Data, keyword: string): boolean {
  const offset = d.end - keyword.length;
  if (offset < d.start) return false;
  const window = d.text.slice(offset, d.end);
  // ASCII-only folding: a non-ASCII look-alike (atomıc) is an identifier in SQL, not a keyword.
  if (!/^[\x00-\x7f]*$/.test(window) || window.toUpperCase() !== keyword) return false;
  return !hasIdentifierRuneBefore(d, offset);
}

/** The whitespace class of PostgreSQL's lexer (`space` in scan.l). */
export function isSqlWhitespace(c: string): boolean {
  return c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\f" || c === "\v";
}

function isBeginAtomic(d: Data): boolean {
  if (!endsWithKeyword(d, BEGIN_ATOMIC)) return false;
  let end = d.end - BEGIN_ATOMIC.length;
  while (end > d.start && isSqlWhitespace(d.text[end - 1])) end--;
  return endsWithKeyword({ text: d.text, start: d.start, end }, "BEGIN");
}

/**
 * Whether `text` holds only whitespace and complete line/block comments, i.e. no statement content.
 * (An unterminated comment counts as comment text.)
 */
export function isCommentsAndWhitespace(text: string, from = 0, to = text.length): boolean {
  let i = from;
  while (i < to) {
    if (isSqlWhitespace(text[i])) {
      i++;
    } else if (text.startsWith("--", i)) {
      const newline = text.indexOf("\n", i + 2);
      if (newline === -1) return true;
      // A newline at or after `to` ends the loop: the rest is comment.
      i = newline + 1;
    } else if (text.startsWith("/*", i)) {
      // The same overlapping two-character window as BlockState, so both agree on where a
      // comment ends (`/*/` opens and closes).
      let depth = 1;
      let j = i + 2;
      for (; j < to && depth > 0; j++) {
        const window = text.slice(j - 1, j + 1);
        if (window === "/*") depth++;
        else if (window === "*/") depth--;
      }
      // Still open (depth > 0) only when j reached `to`, which ends the loop: an unterminated
      // comment counts as comment text.
      i = j;
    } else {
      return false;
    }
  }
  return true;
}

class ReadyState implements State {
  next(r: string, d: Data): State | null {
    switch (r) {
      case "$": {
        // `$` continues an identifier (pending$$foo$ is one name, not a dollar quote).
        const offset = d.end - r.length;
        if (hasIdentifierRuneBefore(d, offset)) return this;
        return new TagState(offset);
      }
      case "'":
      case '"':
        return new QuoteState(r);
      case "-":
        return new CommentState();
      case "/":
        return new BlockState();
      case "\\":
        return new EscapeState();
      case ";":
        return null;
      case "(":
        return new AtomicState(this, ")", d.end);
      case "c":
      case "C":
        if (isBeginAtomic(d)) return new AtomicState(this, END_ATOMIC, d.end);
        return this;
      default:
        return this;
    }
  }
}

/** After one `-`: a second one opens a line comment. */
class CommentState implements State {
  next(r: string, d: Data): State | null {
    // No characters are escaped in comments, which is the same as a dollar quote ending at \n.
    if (r === "-") return new DollarState("\n");
    return new ReadyState().next(r, d);
  }
}

/** After `/`: `*` opens a (nestable) block comment. */
class BlockState implements State {
  private depth = 0;
  next(r: string, d: Data): State | null {
    const window = d.text.slice(Math.max(d.start, d.end - 2), d.end);
    if (window === "/*") {
      this.depth++;
      return this;
    }
    if (this.depth === 0) return new ReadyState().next(r, d);
    if (window === "*/") {
      this.depth--;
      if (this.depth === 0) return new ReadyState();
    }
    return this;
  }
}

/** Inside '…' or "…"; a doubled delimiter is an escaped one. */
class QuoteState implements State {
  private escape = false;
  constructor(private readonly delimiter: string) {}
  next(r: string, d: Data): State | null {
    // After a delimiter, ReadyState reads a second one as the same quote reopened.
    if (this.escape) return new ReadyState().next(r, d);
    if (r === this.delimiter) this.escape = true;
    return this;
  }
}

/** Inside a dollar quote (or a line comment): nothing is escaped until the delimiter. */
class DollarState implements State {
  constructor(private readonly delimiter: string) {}
  next(_r: string, d: Data): State | null {
    const from = d.end - this.delimiter.length;
    if (from >= d.start && d.text.startsWith(this.delimiter, from)) return new ReadyState();
    return this;
  }
}

/** After `$`: a tag `$tag$` opens a dollar quote. */
class TagState implements State {
  constructor(private readonly offset: number) {}
  next(r: string, d: Data): State | null {
    if (r === "$") return new DollarState(d.text.slice(this.offset, d.end));
    if (isIdentifierRune(r)) return this;
    return new ReadyState().next(r, d);
  }
}

/** After `\`: the next character is taken literally. */
class EscapeState implements State {
  next(): State | null {
    return new ReadyState();
  }
}

/** Inside parentheses (delimiter `)`) or a `BEGIN ATOMIC` body (delimiter `END`). */
class AtomicState implements State {
  /** END just matched; confirmed once a non-identifier character follows. */
  private pendingEnd = false;
  /** The current inner statement already has content, so no END in it can close the body. */
  private statementHasContent = false;
  constructor(
    private prev: State,
    private readonly delimiter: string,
    /** Where the current inner statement starts (after ATOMIC or a body-level `;`). */
    private statementStart: number,
  ) {}

  next(r: string, d: Data): State | null {
    const pendingEnd = this.pendingEnd;
    this.pendingEnd = false;
    if (pendingEnd && !isIdentifierRune(r)) return new ReadyState().next(r, d);
    // In a quoted state the delimiter does not count.
    const curr = this.prev.next(r, d);
    if (curr === null) {
      // A body-level `;` (or a nested body that just closed on one): the next inner statement
      // starts after it, at the body's own level.
      this.prev = new ReadyState();
      this.statementStart = d.end;
      this.statementHasContent = false;
      return this;
    }
    this.prev = curr;
    if (!(this.prev instanceof ReadyState)) return this;
    if (this.delimiter !== END_ATOMIC) {
      return d.text.endsWith(this.delimiter, d.end) ? new ReadyState() : this;
    }
    // PostgreSQL's grammar requires every inner statement to end with `;`, so the body's closing
    // END is always the first token of a statement; an END after other content (a CASE arm, a
    // column label) does not close the body.
    if (!this.statementHasContent && endsWithKeyword(d, END_ATOMIC)) {
      if (isCommentsAndWhitespace(d.text, this.statementStart, d.end - END_ATOMIC.length)) {
        this.pendingEnd = true;
      } else {
        this.statementHasContent = true;
      }
    }
    return this;
  }
}

/** Go's `unicode.IsSpace` (what `strings.TrimSpace` trims); unlike JS `trim()`, not U+FEFF. */
function isGoSpace(c: string): boolean {
  const code = c.charCodeAt(0);
  if (code > 0x20 && code < 0x80) return false;
  switch (c) {
    case "\t":
    case "\n":
    case "\v":
    case "\f":
    case "\r":
    case " ":
    case "\u0085":
    case "\u00a0":
      return true;
  }
  return /[\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/.test(c);
}

/** The raw tokens (statement text with its leading whitespace and trailing `;`), as `Split` yields them. */
export function splitRaw(sql: string): { text: string; offset: number }[] {
  const tokens: { text: string; offset: number }[] = [];
  let state: State = new ReadyState();
  let start = 0;
  let i = 0;
  while (i < sql.length) {
    const cp = sql.codePointAt(i)!;
    const r = String.fromCodePoint(cp);
    const end = i + r.length;
    const next = state.next(r, { text: sql, start, end });
    if (next === null) {
      tokens.push({ text: sql.slice(start, end), offset: start });
      start = end;
      state = new ReadyState();
    } else {
      state = next;
    }
    i = end;
  }
  if (start < sql.length) tokens.push({ text: sql.slice(start), offset: start });
  return tokens;
}

/** Splits `sql` into statements as the Supabase CLI's `SplitAndTrim` (what its ledger stores). */
export function splitStatements(sql: string): SplitStatement[] {
  const out: SplitStatement[] = [];
  for (const token of splitRaw(sql)) {
    let end = token.text.length;
    while (end > 0 && token.text[end - 1] === ";") end--;
    while (end > 0 && isGoSpace(token.text[end - 1])) end--;
    let begin = 0;
    while (begin < end && isGoSpace(token.text[begin])) begin++;
    if (begin < end) out.push({ text: token.text.slice(begin, end), offset: token.offset + begin });
  }
  return out;
}

/**
 * The form used to compare a file with a ledger row: statements joined by `;`, trailing semicolons
 * dropped, whitespace runs collapsed and removed next to punctuation (so `(\n  id int\n)` equals
 * `(id int)`). A row written by the CLI, or cut differently by an older splitter, is then not
 * mistaken for an edit; any change of a word, literal or comment still is.
 */
export function normalizeStatements(statements: readonly string[]): string {
  return statements
    .map((s) => collapseWhitespace(s).replace(/[\s;]+$/, ""))
    .filter((s) => s.length > 0)
    .join(";");
}

const WORD_CHAR = /[\p{L}\p{N}_$]/u;

function isWordChar(c: string): boolean {
  const code = c.charCodeAt(0);
  if (code < 0x80) return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95 || code === 36;
  return WORD_CHAR.test(c);
}

function collapseWhitespace(s: string): string {
  let out = "";
  let pendingSpace = false;
  let last = "";
  for (const c of s) {
    if (isGoSpace(c) || c === "\ufeff") {
      pendingSpace = out.length > 0;
      continue;
    }
    // Keep one space only between two word characters (`create table`), where it separates tokens.
    if (pendingSpace && isWordChar(last) && isWordChar(c)) out += " ";
    pendingSpace = false;
    out += c;
    last = c;
  }
  return out;
}

/**
 * Index of the first token at or after `i`: skips whitespace, `--` comments and nested block comments
 * as Postgres's scanner does (the classifier and the parse gate read Postgres's statements; the
 * splitter's own `isCommentsAndWhitespace` keeps the CLI's overlapping two-character window instead).
 * `text.length` when only those remain.
 */
export function firstTokenAt(text: string, i: number): number {
  const n = text.length;
  while (i < n) {
    if (isSqlWhitespace(text[i])) i++;
    else if (text.startsWith("--", i)) {
      const nl = text.indexOf("\n", i);
      i = nl < 0 ? n : nl + 1;
    } else if (text.startsWith("/*", i)) {
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (text.startsWith("/*", i)) {
          depth++;
          i += 2;
        } else if (text.startsWith("*/", i)) {
          depth--;
          i += 2;
        } else i++;
      }
    } else return i;
  }
  return n;
}
