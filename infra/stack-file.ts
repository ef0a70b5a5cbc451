/**
 * Stack files (`stacks/Pulumi.<stack>.yaml`): the one module that finds, reads, parses, edits and lists
 * them, and reads their `secure:` values. Every tool goes through it, so that there is one place that
 * decides what a stack file may look like and one place that survives a hostile one.
 *
 * A stack file is untrusted input (anyone can open a pull request). Reading one either gives plain data
 * or throws a `StackFileError` (a `ConfigError`) naming the file, line and, when known, the key. The
 * error never quotes the file's text nor the YAML library's message, whose excerpt prints the offending
 * line: a `secure:` value with a missing quote would be printed with it. Limits on size, aliases and
 * nesting keep a crafted file from exhausting memory or the stack.
 *
 * Edits replace only the characters of the one scalar that holds a rung, located through the `yaml`
 * package's node ranges, so comments, order, quoting and blank lines elsewhere are kept byte for byte and
 * the diff is one line. Only a feature that has no line yet is added through the Document API.
 *
 * No Pulumi import: the CLIs and the plan's parent process load this without the Pulumi SDK.
 * See docs/architecture.md, sections 3.1 and 3.2.
 */
import * as fs from "fs";
import * as path from "path";
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, Scalar, type Document, type ErrorCode, type Node as YamlNode } from "yaml";
import { ConfigError, printableKey, type ConfigProblem } from "./config-error";
import { normalizeRungValue } from "./rollout/ladder";

/** This project's config namespace: `rollout-stack:<key>`. */
export const NAMESPACE = "rollout-stack";
export const PHASES_KEY = `${NAMESPACE}:phases`;

/** The project root, whose `stacks/` holds the stack files. */
const PROJECT_ROOT = path.resolve(__dirname, "..");
/** Where stack files live, relative to the project root (`stackConfigDir` in `Pulumi.yaml`). */
export const STACKS_DIR = "stacks";

/** Bounds on what a stack file may be; real ones are a few kilobytes, a handful of levels deep. */
export const STACK_FILE_LIMITS = Object.freeze({
  /** Bytes. Checked before parsing, so a huge file is never read whole. */
  maxBytes: 1024 * 1024,
  /** Alias expansions (`*name`), counted through nested expansions, so an alias bomb stops early. */
  maxAliases: 100,
  /** Nesting of maps and lists, the top-level map counting 1. */
  maxDepth: 64,
  /** Values produced in total (after alias expansion). */
  maxNodes: 200_000,
});

/** The fault classes a stack file's text can have (see `ConfigProblem.code`). */
export type StackFileFault =
  | "too-large"
  | "invalid-utf8"
  | "control-character"
  | "syntax"
  | "duplicate-key"
  | "multiple-documents"
  | "undefined-alias"
  | "too-many-aliases"
  | "too-deep"
  | "not-a-map"
  | "config-not-a-map"
  | "phases-not-a-map"
  | "unreadable";

/**
 * A stack file that cannot be read as data at all (as opposed to readable data that breaks a config
 * rule). A `ConfigError`, so every command that reports config problems reports these too.
 */
export class StackFileError extends ConfigError {
  constructor(
    /** How messages name the file (a path, or `path@ref` for a committed version). */
    readonly file: string,
    problems: ConfigProblem[],
  ) {
    super(stackOfFile(file) ?? file, problems);
    this.name = "StackFileError";
  }
}

/** One raw config entry, whatever its source (a stack file, or the Pulumi engine). */
export interface RawEntry {
  value: unknown;
  secret: boolean;
  /**
   * The `secure:` field as a stack file holds it (the ciphertext), when the entry came from a file;
   * checked for shape only (its content is never printed).
   */
  secure?: unknown;
}

/** A parsed stack file: plain data, every map a null-prototype object (so `__proto__` is just a key). */
export interface StackFile {
  /** How messages name the file. */
  readonly file: string;
  readonly text: string;
  /** The `config:` block: full key (`namespace:name`) → value. Empty when there is none. */
  readonly config: Readonly<Record<string, unknown>>;
  /** The `environment:` value as written (ESC imports), or undefined. */
  readonly environment: unknown;
}

// ---------------------------------------------------------------------------------------------------
// Names and paths

/** A stack name as a file name can hold it (the CLIs' `--stack`). */
export function isStackName(stack: string): boolean {
  return /^[A-Za-z0-9._-]+$/.test(stack) && stack !== "." && stack !== "..";
}

/** `Pulumi.<stack>.yaml`. */
export function stackFileName(stack: string): string {
  return `Pulumi.${stack}.yaml`;
}

/** The stack a file name is for (`.../Pulumi.prod.yaml` → `prod`; a `@ref` suffix is ignored), if any. */
export function stackOfFile(file: string): string | undefined {
  return /^Pulumi\.(.+)\.yaml$/.exec(path.basename(file.replace(/\.yaml@[^]*/, ".yaml")))?.[1];
}

/** The stack file's path relative to a tree, with `/` separators: `stacks/Pulumi.prod.yaml`. */
export function stackFileRel(stack: string, stackConfigDir = STACKS_DIR): string {
  return path.posix.normalize(path.posix.join(stackConfigDir.split(path.sep).join("/"), stackFileName(stack)));
}

/** The stack file's path: `stacks/Pulumi.<stack>.yaml` under the project root (or `root`). */
export function stackFilePath(stack: string, root = PROJECT_ROOT, stackConfigDir = STACKS_DIR): string {
  return path.join(root, stackConfigDir, stackFileName(stack));
}

/** Stack names with a file (`Pulumi.<stack>.yaml`) in a stack config directory, sorted. */
export function listStacks(dir = path.join(PROJECT_ROOT, STACKS_DIR)): string[] {
  let files: string[];
  try {
    files = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return files
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => !!s)
    .sort();
}

// ---------------------------------------------------------------------------------------------------
// Reading

/**
 * Reads and parses a stack file from disk; undefined when there is no such file. The size is checked
 * before the bytes are read. Throws `StackFileError`.
 */
export function readStackFile(filePath: string, label = filePath, options: ParseStackFileOptions = {}): StackFile | undefined {
  let fd: number;
  try {
    fd = fs.openSync(filePath, "r");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw unreadable(label, e);
  }
  try {
    const stat = fs.fstatSync(fd);
    // A device or pipe reports size 0 and may never end (a link to /dev/zero): read regular files only.
    if (!stat.isFile()) throw unreadable(label, { code: "not a regular file" });
    const size = stat.size;
    if (size > STACK_FILE_LIMITS.maxBytes) throw tooLarge(label, size);
    return parseStackFile(fs.readFileSync(fd), label, options);
  } catch (e) {
    if (e instanceof StackFileError) throw e;
    throw unreadable(label, e);
  } finally {
    fs.closeSync(fd);
  }
}

function unreadable(file: string, e: unknown): StackFileError {
  // Only the error code: an fs message repeats the path, which the key already names.
  const code = (e as NodeJS.ErrnoException).code ?? "error";
  return new StackFileError(file, [{ key: file, code: "unreadable", file, message: `cannot be read (${code}); check the path and its permissions` }]);
}

function tooLarge(file: string, bytes: number): StackFileError {
  return new StackFileError(file, [
    {
      key: file,
      code: "too-large",
      file,
      message: `is ${bytes} bytes, over the limit of ${STACK_FILE_LIMITS.maxBytes} bytes for a stack file; a stack file holds config keys only (real ones are a few kilobytes)`,
    },
  ]);
}

export interface ParseStackFileOptions {
  /**
   * Keep going past YAML syntax errors and unusual characters, taking whatever the parser recovered
   * (for redaction, which wants every value a broken file might hold). Size, alias and nesting limits
   * still apply. @default false
   */
  lenient?: boolean;
}

/** Parses a stack file's text (or bytes). Throws `StackFileError`. */
export function parseStackFile(text: string | Uint8Array, file = "stack file", options: ParseStackFileOptions = {}): StackFile {
  return parse(text, file, options).stackFile;
}

/** Raw config entries of a stack file's text; a `secure:` value becomes a secret whose value is unknown. */
export function rawEntriesFromYaml(text: string | Uint8Array, file = "stack file"): Record<string, RawEntry> {
  return stackFileEntries(parseStackFile(text, file));
}

/** Raw config entries of a parsed stack file (a null-prototype record). */
export function stackFileEntries(stackFile: StackFile): Record<string, RawEntry> {
  const out: Record<string, RawEntry> = Object.create(null);
  for (const [key, value] of Object.entries(stackFile.config)) {
    out[key] = isSecureValue(value) ? { value: undefined, secret: true, secure: value.secure } : { value, secret: false };
  }
  return out;
}

/** A stack file's encrypted value: `{ secure: <ciphertext> }`. */
export function isSecureValue(value: unknown): value is { secure: unknown } {
  return value !== null && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 1 && Object.prototype.hasOwnProperty.call(value, "secure");
}

/** One `secure:` value of a stack file, at any depth. */
export interface SecureValue {
  /** The top-level config key holding it. */
  key: string;
  /** Where below that key (empty for a top-level secret). */
  path: string[];
  /** As written: a string when well formed; never print it. */
  ciphertext: unknown;
}

/** Every `secure:` value of a stack file's config, top-level secrets first in file order. */
export function secureValues(stackFile: StackFile): SecureValue[] {
  const out: SecureValue[] = [];
  const walk = (key: string, at: string[], value: unknown) => {
    if (isSecureValue(value)) out.push({ key, path: at, ciphertext: value.secure });
    else if (Array.isArray(value)) value.forEach((v, i) => walk(key, [...at, String(i)], v));
    else if (value !== null && typeof value === "object") for (const [k, v] of Object.entries(value)) walk(key, [...at, k], v);
  };
  for (const [key, value] of Object.entries(stackFile.config)) walk(key, [], value);
  return out;
}

/** ESC environments a stack file imports (`environment: [a, b]` or `environment: { imports: [...] }`). */
export function environmentsOf(value: unknown): string[] {
  const list = Array.isArray(value) ? value : (value as { imports?: unknown } | null | undefined)?.imports;
  return Array.isArray(list) ? list.filter((x): x is string => typeof x === "string") : [];
}

// ---------------------------------------------------------------------------------------------------
// Phases: read and edit

/**
 * The phases a stack file declares, `<app>/<feature>` → rung (numbers normalised: `10` → `"10"`),
 * without checking them against the catalog (history reads old files too). Missing block → `{}`.
 */
export function readPhases(text: string | Uint8Array, file = "stack file"): Record<string, string> {
  const phases = parseStackFile(text, file).config[PHASES_KEY];
  if (phases === undefined || phases === null) return {};
  if (!isPlainMap(phases)) throw phasesNotAMap(file);
  return rungsOf(phases);
}

/** Both phase maps of a stack file (`phases`, `previewPhases`), read as data as `readPhases` reads one. */
export function readPhaseMaps(text: string | Uint8Array, file = "stack file"): { phases: Record<string, string>; previewPhases: Record<string, string> } {
  const config = parseStackFile(text, file).config;
  return { phases: readPhases(text, file), previewPhases: rungsOf(config[`${NAMESPACE}:previewPhases`]) };
}

/** The `<app>/<feature>` → rung entries of a phases map (`10` read as `"10"`); a value that is not a map has none. */
export function rungsOf(phases: unknown): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  if (!isPlainMap(phases)) return out;
  for (const [key, raw] of Object.entries(phases)) {
    const value = normalizeRungValue(raw);
    if (value !== undefined) out[key] = value;
  }
  return out;
}

function phasesNotAMap(file: string): StackFileError {
  return new StackFileError(file, [{ key: file, code: "phases-not-a-map", file, message: `config.${PHASES_KEY} must be a map of <app>/<feature>: rung` }]);
}

/**
 * How a rung is written: double-quoted when a plain scalar would not read back as that string
 * (numbers, YAML 1.1 booleans such as `off`/`on`), plain otherwise (`dry-run`, `beta`), as in the
 * checked-in stack files.
 */
export function renderRung(rung: string): string {
  const plainIsString = /^[a-z][a-z0-9-]*$/.test(rung) && !/^(y|n|yes|no|on|off|true|false|null)$/i.test(rung);
  return plainIsString ? rung : JSON.stringify(rung);
}

/** Returns the stack file text with `key`'s rung set to `rung`; every other byte is kept. Throws `StackFileError`. */
export function setPhase(text: string, key: string, rung: string, file = "stack file"): string {
  const { doc, stackFile } = parse(text, file, {});
  const current = stackFile.config[PHASES_KEY];
  if (current !== undefined && current !== null && !isPlainMap(current)) throw phasesNotAMap(file);
  const phases = doc.getIn(["config", PHASES_KEY]);
  const node = isMap(phases) ? phases.get(key, true) : undefined;
  if (isScalar(node) && node.range) {
    const [start, end] = node.range;
    return text.slice(0, start) + renderRung(rung) + text.slice(end);
  }
  // A feature with no line yet (or no phases block): add it through the Document API.
  const scalar = new Scalar(rung);
  if (renderRung(rung) !== rung) scalar.type = Scalar.QUOTE_DOUBLE;
  if (isMap(phases)) {
    phases.set(key, scalar);
  } else {
    // An empty document or `config:` with no value: start the map (a non-map was refused by parse).
    if (!isMap(doc.contents)) doc.contents = doc.createNode({});
    if (!isMap(doc.get("config"))) doc.set("config", doc.createNode({}));
    doc.setIn(["config", PHASES_KEY], doc.createNode({ [key]: scalar }));
  }
  return doc.toString({ lineWidth: 0 });
}

function isPlainMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------------
// The parser

/** What each YAML error code means for an operator, in our words (the library's message quotes the line). */
const YAML_FAULTS: Partial<Record<ErrorCode, [StackFileFault, string]>> = {
  DUPLICATE_KEY: ["duplicate-key", "a key is written twice in the same map; keep one of the two"],
  MULTIPLE_DOCS: ["multiple-documents", "the file holds more than one YAML document (a `---` or `...` line); a stack file is one document: remove the separator and merge the parts"],
  RESOURCE_EXHAUSTION: ["too-deep", `values nest too deeply; a stack file nests a few levels (at most ${STACK_FILE_LIMITS.maxDepth})`],
  BAD_ALIAS: ["undefined-alias", "an alias (`*name`) is malformed; write the value out instead"],
  ALIAS_PROPS: ["syntax", "an alias (`*name`) carries a tag or anchor, which YAML does not allow; write the value out instead"],
  MISSING_CHAR: ["syntax", "a closing quote or bracket is missing; close the value on this line"],
  TAB_AS_INDENT: ["syntax", "a tab is used for indentation; indent with spaces"],
  BAD_DQ_ESCAPE: ["syntax", 'a double-quoted value holds an invalid escape (after "\\"); fix the escape or use single quotes'],
  BAD_INDENT: ["syntax", "the indentation is wrong; align the key with its siblings (spaces only), and close any brackets"],
  NON_STRING_KEY: ["syntax", "a key is not a plain string; write keys as plain text"],
  KEY_OVER_1024_CHARS: ["syntax", "a key is longer than 1024 characters"],
  MULTILINE_IMPLICIT_KEY: ["syntax", "a key spans several lines (often a missing `:` or quote on the line before)"],
  BLOCK_AS_IMPLICIT_KEY: ["syntax", "a list or map is used as a key (often a missing `:` or wrong indentation)"],
  TAG_RESOLVE_FAILED: ["syntax", "a tag (`!name`) is not one YAML knows; remove it"],
};

const MAX_REPORTED_SYNTAX_ERRORS = 3;

interface Parsed {
  stackFile: StackFile;
  doc: Document;
}

function parse(input: string | Uint8Array, file: string, options: ParseStackFileOptions): Parsed {
  const fail = (problems: ConfigProblem[]): never => {
    throw new StackFileError(file, problems);
  };
  let text: string;
  if (typeof input === "string") {
    const bytes = Buffer.byteLength(input, "utf8");
    if (bytes > STACK_FILE_LIMITS.maxBytes) throw tooLarge(file, bytes);
    text = input;
  } else {
    if (input.length > STACK_FILE_LIMITS.maxBytes) throw tooLarge(file, input.length);
    const bad = firstInvalidUtf8(input);
    if (bad >= 0 && !options.lenient) {
      const { line, col } = bytePosition(input, bad);
      fail([{ key: `${file}:${line}:${col}`, code: "invalid-utf8", file, line, message: "holds bytes that are not UTF-8; save the file as UTF-8 text" }]);
    }
    text = Buffer.from(input).toString("utf8");
  }

  const lines = new LineCounter();
  const at = (offset: number) => {
    const { line, col } = lines.linePos(offset);
    return { line, col, where: `${file}:${line}:${col}` };
  };
  if (!options.lenient) {
    const control = firstNonPrintable(text);
    if (control >= 0) {
      // Positions need the line counter, which the parser fills in; count here instead.
      const { line, col } = textPosition(text, control);
      const code = text.codePointAt(control)!;
      fail([
        {
          key: `${file}:${line}:${col}`,
          code: "control-character",
          file,
          line,
          message: `holds the control character U+${code.toString(16).toUpperCase().padStart(4, "0")}, which YAML does not allow in a file; remove it (write an escape such as \\t inside double quotes if it is meant)`,
        },
      ]);
    }
  }

  const doc = parseDocument(text, {
    lineCounter: lines,
    // The library compares each key with every earlier one (quadratic: a file of 50,000 keys takes
    // minutes); `toData` finds duplicates with a lookup instead.
    uniqueKeys: false,
    stringKeys: true,
    // The library's warnings go to the console; this module reports what matters itself. ("silent"
    // would also drop the several-documents error.)
    logLevel: "error",
  });
  if (doc.errors.length && !options.lenient) {
    const problems: ConfigProblem[] = [];
    const seen = new Set<number>();
    for (const e of doc.errors) {
      const pos = at(e.pos[0]);
      if (seen.has(pos.line)) continue;
      seen.add(pos.line);
      const [code, description] = YAML_FAULTS[e.code] ?? ["syntax", `not valid YAML here (${e.code}); check the quotes, brackets and indentation`];
      // A second document is not inside any key of the first.
      const key = e.code === "MULTIPLE_DOCS" ? undefined : keyPathAt(doc, text, lines, e.pos[0]);
      // An unclosed quote is noticed where the file ends; the line of its key is where to look.
      const where = e.code === "MISSING_CHAR" && key ? at(key.offset) : pos;
      problems.push({ key: where.where, code, file, line: where.line, message: `not valid YAML${key ? ` in ${key.path}` : ""}: ${description}` });
      if (problems.length === MAX_REPORTED_SYNTAX_ERRORS) break;
    }
    fail(problems);
  }

  const top = toData(doc, file, at, !!options.lenient);
  if (top !== null && !isPlainMap(top)) {
    const line = doc.contents?.range ? at(doc.contents.range[0]).line : 1;
    fail([{ key: `${file}:${line}`, code: "not-a-map", file, line, message: `the document is ${kindOf(top)}, not a map; a stack file is a map with a \`config:\` key` }]);
  }
  const topMap = (top ?? Object.create(null)) as Record<string, unknown>;
  const config = topMap.config ?? Object.create(null);
  if (!isPlainMap(config)) {
    const pair = isMap(doc.contents) ? doc.contents.items.find((p) => isScalar(p.key) && p.key.value === "config") : undefined;
    const keyNode = pair?.key as YamlNode | undefined;
    const line = keyNode?.range ? at(keyNode.range[0]).line : 1;
    fail([{ key: `${file}:${line}`, code: "config-not-a-map", file, line, message: `config: is ${kindOf(config)}, not a map of \`<namespace>:<key>: value\` entries` }]);
  }
  return { doc, stackFile: Object.freeze({ file, text, config: config as Record<string, unknown>, environment: topMap.environment }) };
}

/** What a value that is not a map is: a list, or (as `toData` gives scalars) a string, number or boolean. */
function kindOf(value: unknown): string {
  return Array.isArray(value) ? "a list" : `a ${typeof value}`;
}

/**
 * The document as plain data: maps become null-prototype objects, aliases are expanded within the
 * limits, nesting is bounded. Our own walk rather than `toJS()`, whose maps are ordinary objects (a
 * `__proto__` key would set the prototype) and whose errors quote anchor names with no line.
 */
function toData(doc: Document, file: string, at: (offset: number) => { line: number; col: number; where: string }, lenient: boolean): unknown {
  let aliases = 0;
  let nodes = 0;
  const fail = (node: YamlNode | null | undefined, code: StackFileFault, message: string, trail: readonly string[]): never => {
    const pos = node?.range ? at(node.range[0]) : undefined;
    const where = trail.length ? `in ${printableKey(trail.join("."), 200)}: ` : "";
    throw new StackFileError(file, [{ key: pos?.where ?? file, code, file, line: pos?.line, message: where + message }]);
  };
  const convert = (node: unknown, depth: number, trail: readonly string[]): unknown => {
    if (++nodes > STACK_FILE_LIMITS.maxNodes) fail(node as YamlNode, "too-many-aliases", `expands to more than ${STACK_FILE_LIMITS.maxNodes} values; write the values out, without aliases`, trail);
    if (!node) return null; // an empty document, or a key with no value (`? a`)
    if (isAlias(node)) {
      if (++aliases > STACK_FILE_LIMITS.maxAliases) {
        fail(node, "too-many-aliases", `uses aliases (\`*name\`) more than ${STACK_FILE_LIMITS.maxAliases} times, counting nested ones; write the values out instead`, trail);
      }
      const target = node.resolve(doc);
      if (!target && lenient) return null;
      if (!target) fail(node, "undefined-alias", "an alias (`*name`) refers to no anchor (`&name`) defined before it; define the anchor first or write the value out", trail);
      return convert(target, depth, trail);
    }
    if (isScalar(node)) {
      const v = node.value;
      if (v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean") return v;
      if (v instanceof Date) return v.toISOString();
      // Other tagged scalars (!!binary, big integers): their source text, which is what Pulumi passes.
      return node.source ?? String(v);
    }
    if (depth >= STACK_FILE_LIMITS.maxDepth) fail(node as YamlNode, "too-deep", `values nest more than ${STACK_FILE_LIMITS.maxDepth} levels deep; a stack file nests a few levels`, trail.slice(0, 8));
    if (isSeq(node)) return node.items.map((item, i) => convert(item, depth + 1, [...trail, String(i)]));
    if (isMap(node)) {
      const out: Record<string, unknown> = Object.create(null);
      for (const pair of node.items) {
        const keyNode = isAlias(pair.key) ? pair.key.resolve(doc) : pair.key;
        // Every key is a string scalar (an empty one is ""): the parser's `stringKeys` reports any other
        // (NON_STRING_KEY), which strict reading refused above. Lenient reading (redaction) keeps what it
        // can: odd keys are skipped, a later duplicate wins.
        if (!isScalar(keyNode)) continue;
        const key = String(keyNode.value);
        if (Object.prototype.hasOwnProperty.call(out, key) && !lenient) {
          fail(pair.key as YamlNode, "duplicate-key", "a key is written twice in the same map; keep one of the two", [...trail, key]);
        }
        out[key] = convert(pair.value, depth + 1, [...trail, key]);
      }
      return out;
    }
    return fail(node as YamlNode, "syntax", "holds a value YAML could not compose; check the quotes, brackets and indentation", trail);
  };
  return convert(doc.contents, 0, []);
}

/**
 * The key path (`config.rollout-stack:phases.a/b`) around an error offset: the deepest map entry whose
 * key is on the error's line or whose span contains the offset. Keys only, never values.
 */
function keyPathAt(doc: Document, text: string, lines: LineCounter, offset: number): { path: string; offset: number } | undefined {
  const line = lines.linePos(offset).line;
  let best: string[] | undefined;
  let bestOffset = 0;
  const visit = (node: unknown, trail: string[], depth: number) => {
    if (depth > STACK_FILE_LIMITS.maxDepth) return;
    if (isSeq(node)) node.items.forEach((item, i) => visit(item, [...trail, String(i)], depth + 1));
    if (!isMap(node)) return;
    for (const pair of node.items) {
      const k = pair.key as YamlNode | null;
      if (!isScalar(k) || !k.range || !isKeyLike(k, text)) continue;
      const v = pair.value as YamlNode | null;
      const end = v?.range ? v.range[2] : k.range[2];
      const onLine = lines.linePos(k.range[0]).line === line;
      if (onLine || (k.range[0] <= offset && offset <= end)) {
        const here = [...trail, String(k.value)];
        if (!best || here.length >= best.length) {
          best = here;
          bestOffset = k.range[0];
        }
        visit(v, here, depth + 1);
      }
    }
  };
  visit(doc.contents, [], 0);
  return best ? { path: printableKey(best.join("."), 200), offset: bestOffset } : undefined;
}

/**
 * Whether a key node is a key as written, not text the parser took for a key after a syntax error (a
 * value line swallowed into a multi-line key, say): one token, no spaces, followed by a colon. Only such
 * keys are named in errors, so that no value is.
 */
function isKeyLike(key: Scalar, text: string): boolean {
  if (!key.range || typeof key.value !== "string" || !/^[^\s"'#]{1,200}$/.test(key.value)) return false;
  const after = text.slice(key.range[1], key.range[1] + 64);
  return /^[ \t]*:/.test(after);
}

/** Offset of the first byte that is not part of valid UTF-8, or -1. */
/** The smallest code point a character of 1 + n bytes may encode (below it, the form is overlong). */
const MIN_CODE_POINT = [0, 0x80, 0x800, 0x10000];

function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    // Continuation bytes needed; C0, C1 (overlong forms), F5–FF and continuation bytes start nothing.
    const n = b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : 0;
    if (!n) return i;
    let cp = b & (0x3f >> n);
    for (let j = 1; j <= n; j++) {
      const c = bytes[i + j];
      // Past the end, c is undefined and `undefined & 0xc0` is 0: not a continuation byte either.
      if ((c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < MIN_CODE_POINT[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += n + 1;
  }
  return -1;
}

function bytePosition(bytes: Uint8Array, offset: number): { line: number; col: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset; i++) {
    if (bytes[i] === 0x0a) {
      line++;
      start = i + 1;
    }
  }
  return { line, col: offset - start + 1 };
}

function textPosition(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return { line, col: offset - before.lastIndexOf("\n") };
}

/**
 * Offset of the first character YAML does not allow in a stream (C0 controls other than tab, LF and
 * CR; DEL; C1 controls other than NEL; U+FFFE/U+FFFF), or -1. A leading byte-order mark is allowed.
 */
function firstNonPrintable(text: string): number {
  // eslint-disable-next-line no-control-regex
  const m = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u0084\u0086-\u009f\ufffe\uffff]/.exec(text);
  return m ? m.index : -1;
}
