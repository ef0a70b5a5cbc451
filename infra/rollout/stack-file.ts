/**
 * Reading and editing the phases in a stack file's text (`stacks/Pulumi.<stack>.yaml`). Pure: text in,
 * text out.
 *
 * An edit replaces only the characters of the one scalar that holds the rung, located through the
 * `yaml` package's Document API (node ranges), so comments, order, quoting and blank lines elsewhere
 * are kept byte for byte and the diff is exactly one line. Only a feature that has no line yet is added
 * through the Document API.
 */
import { isMap, isScalar, parseDocument, Scalar, type Document } from "yaml";
import { NAMESPACE } from "../config";
import { normalizeRungValue } from "./ladder";

export const PHASES_KEY = `${NAMESPACE}:phases`;

/** A stack file that cannot be read as YAML, or whose phases are not a map. */
export class StackFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StackFileError";
  }
}

function parse(text: string, file: string): Document {
  const doc = parseDocument(text, { keepSourceTokens: false });
  if (doc.errors.length) {
    const e = doc.errors[0];
    const where = e.linePos?.[0] ? `${file}:${e.linePos[0].line}:${e.linePos[0].col}` : file;
    throw new StackFileError(`${where}: not valid YAML: ${e.message.split("\n")[0]}`);
  }
  return doc;
}

/**
 * The phases a stack file declares, `<app>/<feature>` → rung (numbers normalised: `10` → `"10"`),
 * without checking them against the catalog (history reads old files too). Missing block → `{}`.
 */
export function readPhases(text: string, file = "stack file"): Record<string, string> {
  const doc = parse(text, file);
  const phases = doc.getIn(["config", PHASES_KEY]);
  if (phases === undefined || phases === null) return {};
  if (!isMap(phases)) throw new StackFileError(`${file}: config.${PHASES_KEY} must be a map of <app>/<feature>: rung`);
  const out: Record<string, string> = {};
  for (const pair of phases.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
    const value = normalizeRungValue(isScalar(pair.value) ? pair.value.value : pair.value);
    if (value !== undefined) out[key] = value;
  }
  return out;
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

/** Returns the stack file text with `key`'s rung set to `rung`; every other byte is kept. */
export function setPhase(text: string, key: string, rung: string, file = "stack file"): string {
  const doc = parse(text, file);
  const phases = doc.getIn(["config", PHASES_KEY], true);
  if (phases !== undefined && phases !== null && !isMap(phases)) {
    throw new StackFileError(`${file}: config.${PHASES_KEY} must be a map of <app>/<feature>: rung`);
  }
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
    if (!doc.has("config")) doc.set("config", doc.createNode({}));
    doc.setIn(["config", PHASES_KEY], doc.createNode({ [key]: scalar }));
  }
  return doc.toString({ lineWidth: 0 });
}
