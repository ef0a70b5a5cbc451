/**
 * Vercel cron jobs: validation of the declared schedules and the `crons` block of an app repository's
 * `vercel.json`. Pure: no Pulumi, no file system.
 *
 * Builds read crons from the app repository's `vercel.json`, not from this project; Pulumi can only
 * toggle them (`ProjectCrons`). The declaration in `infra/apps/<app>.ts` is the source: `npm run crons`
 * writes it into `vercel.json` and checks it there.
 */
import type { AppDecl, CronDecl } from "../apps/types";
import type { VercelPlan } from "../config";
import { AppDeclarationError } from "./declaration-error";

/** Vercel allows 100 cron jobs per project on every plan (https://vercel.com/docs/cron-jobs/usage-and-pricing). */
export const MAX_CRONS_PER_PROJECT = 100;

/** A declared cron job that Vercel would reject: names the app, the entry and the fix. */
export class CronDeclarationError extends AppDeclarationError {
  constructor(app: string, problems: string[]) {
    super(app, problems, "declares crons Vercel would reject");
    this.name = "CronDeclarationError";
  }
}

const FIELDS = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12 },
  // 7 is Sunday too: Vercel's CLI accepts 0-7 (vercel/vercel packages/cli/src/commands/crons/add.ts,
  // validateCronSchedule), so refusing 7 would reject schedules Vercel runs.
  { name: "day of week", min: 0, max: 7 },
] as const;

/**
 * vercel.json's schema bounds a schedule to 9-256 characters (vercel/vercel
 * packages/cli/src/util/validate-config.ts, `cronsSchema`); the CLI's validator refuses over 256 too.
 */
export const MIN_SCHEDULE_LENGTH = 9;
export const MAX_SCHEDULE_LENGTH = 256;

/** Problems with one field of a five-field expression (empty when it is fine). */
function fieldProblems(text: string, field: (typeof FIELDS)[number]): string[] {
  const problems: string[] = [];
  const bounds = `${field.min}-${field.max}`;
  for (const part of text.split(",")) {
    const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (!m) {
      problems.push(
        /[A-Za-z]/.test(part)
          ? `${field.name} "${part}": Vercel accepts numbers only (no MON, JAN, L, W, ?)`
          : `${field.name} "${part}" is not a number, range (a-b), step (*/n, a-b/n) or *`,
      );
      continue;
    }
    const [, , from, to, step] = m;
    for (const n of [from, to]) {
      if (n !== undefined && (Number(n) < field.min || Number(n) > field.max)) problems.push(`${field.name} ${n} is outside ${bounds}`);
    }
    if (from !== undefined && to !== undefined && Number(from) > Number(to)) problems.push(`${field.name} range ${from}-${to} runs backwards`);
    if (step !== undefined && Number(step) === 0) problems.push(`${field.name} step /0 never fires`);
  }
  return problems;
}

/**
 * Checks one schedule as Vercel does: 9-256 characters, five numeric fields in UTC, and on `hobby`
 * at most one run a day (a single minute and a single hour). Day of month together with day of week
 * is accepted, as Vercel's validator accepts it (standard cron then runs on a day matching either;
 * the CLI's local runner, packages/cli/src/util/dev/cron.ts, does the same).
 * Returns the problems (empty when valid).
 */
export function scheduleProblems(schedule: string, plan: VercelPlan): string[] {
  const length = `is ${schedule.length} characters; Vercel allows ${MIN_SCHEDULE_LENGTH} to ${MAX_SCHEDULE_LENGTH}`;
  if (schedule.length > MAX_SCHEDULE_LENGTH) return [length];
  if (/^\s|\s$/.test(schedule)) return ["has leading or trailing spaces"];
  if (/^(CRON_)?TZ=/.test(schedule)) return ["names a time zone; Vercel runs crons in UTC only: convert the time to UTC and drop the prefix"];
  if (schedule.startsWith("@")) return [`"${schedule}" is a macro; write the five fields (e.g. "0 0 * * *" for @daily)`];
  const fields = schedule.split(/\s+/);
  if (fields.length !== 5) return [`has ${fields.length} field${fields.length === 1 ? "" : "s"}; write five: minute hour day-of-month month day-of-week (UTC)`];
  // Five fields without surrounding space already make 9 characters; kept so the bound is stated once.
  if (schedule.length < MIN_SCHEDULE_LENGTH) return [length];
  const problems = fields.flatMap((f, i) => fieldProblems(f, FIELDS[i]));
  if (problems.length) return problems;
  if (plan === "hobby" && !(/^\d+$/.test(fields[0]) && /^\d+$/.test(fields[1]))) {
    problems.push("runs more than once a day, which the hobby plan rejects at deploy time; use a single minute and hour (e.g. \"0 2 * * *\") or a pro plan");
  }
  return problems;
}

/** Problems with one path: Vercel calls it on the production deployment's domain. */
export function pathProblems(path: string): string[] {
  if (!path.startsWith("/")) return [`path "${path}" must start with "/"`];
  if (/\s/.test(path)) return [`path "${path}" contains white space`];
  if (path.length > 512) return [`path is ${path.length} characters; Vercel allows 512`];
  return [];
}

/** Validates an app's declared crons for a plan; throws `CronDeclarationError` listing every problem. */
export function validateCrons(app: Pick<AppDecl, "name" | "crons">, plan: VercelPlan): readonly CronDecl[] {
  const problems: string[] = [];
  if (app.crons.length > MAX_CRONS_PER_PROJECT) {
    problems.push(`${app.crons.length} crons; Vercel allows ${MAX_CRONS_PER_PROJECT} per project (disabled ones count too)`);
  }
  const seen = new Set<string>();
  app.crons.forEach((c, i) => {
    const where = `crons[${i}] (${c.path} "${c.schedule}")`;
    for (const p of [...pathProblems(c.path), ...scheduleProblems(c.schedule, plan)]) problems.push(`${where}: ${p}`);
    const id = `${c.path} ${c.schedule}`;
    if (seen.has(id)) problems.push(`${where}: declared twice`);
    seen.add(id);
  });
  if (problems.length) throw new CronDeclarationError(app.name, problems);
  return app.crons;
}

/** The `crons` block as `vercel.json` holds it: `{ path, schedule }` in declaration order. */
export function cronsBlock(app: Pick<AppDecl, "crons">): { path: string; schedule: string }[] {
  return app.crons.map((c) => ({ path: c.path, schedule: c.schedule }));
}

/** An app repository's `vercel.json` that cannot be edited safely. */
export class VercelJsonError extends Error {}

interface JsonLayout {
  /** Spaces per level, or a tab. */
  indent: string | number;
  newline: string;
  trailingNewline: boolean;
}

function layoutOf(text: string): JsonLayout {
  const newline = text.includes("\r\n") ? "\r\n" : "\n";
  const indentMatch = /^[{[][^\S\n]*\r?\n([ \t]+)\S/.exec(text);
  const indent = indentMatch ? (indentMatch[1].includes("\t") ? "\t" : indentMatch[1].length) : 2;
  return { indent, newline, trailingNewline: text.length === 0 || /\n$/.test(text) };
}

/** Parses `vercel.json` text (missing file = `undefined` text); throws `VercelJsonError` on bad JSON. */
export function parseVercelJson(text: string | undefined, file = "vercel.json"): Record<string, unknown> {
  if (text === undefined || text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new VercelJsonError(`${file} is not valid JSON (${(e as Error).message}); fix it before writing crons`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw new VercelJsonError(`${file} must hold a JSON object`);
  return value as Record<string, unknown>;
}

/** A top-level member of a JSON object, by character offsets into the text. */
interface Member {
  key: string;
  /** Offset of the key's opening quote. */
  start: number;
  valueStart: number;
  /** Offset just past the value. */
  valueEnd: number;
}

/** The top-level members of a JSON object text that `JSON.parse` accepted. */
function topLevelMembers(text: string): { members: Member[]; open: number; close: number } {
  const members: Member[] = [];
  let depth = 0;
  let open = -1;
  let close = -1;
  let pendingKey: { key: string; start: number } | undefined;
  let current: Member | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') {
      const begin = i;
      for (i++; text[i] !== '"'; i++) if (text[i] === "\\") i++;
      if (depth === 1 && !current && !pendingKey) pendingKey = { key: JSON.parse(text.slice(begin, i + 1)), start: begin };
      continue;
    }
    if (ch === "{" || ch === "[") {
      if (depth === 0) open = i;
      depth++;
    } else if (ch === "}" || ch === "]") {
      depth--;
      if (depth === 0) {
        close = i;
        if (current) current.valueEnd = lastNonSpace(text, i) + 1;
      }
    } else if (ch === ":" && depth === 1 && pendingKey) {
      let v = i + 1;
      while (/\s/.test(text[v])) v++;
      current = { key: pendingKey.key, start: pendingKey.start, valueStart: v, valueEnd: -1 };
      members.push(current);
      pendingKey = undefined;
    } else if (ch === "," && depth === 1 && current) {
      current.valueEnd = lastNonSpace(text, i) + 1;
      current = undefined;
    }
  }
  return { members, open, close };
}

function lastNonSpace(text: string, before: number): number {
  let i = before - 1;
  while (i >= 0 && /\s/.test(text[i])) i--;
  return i;
}

/** The indentation of the line holding `offset`. */
function lineIndent(text: string, offset: number): string {
  const lineStart = text.lastIndexOf("\n", offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(lineStart))![0];
}

/**
 * `vercel.json` text with the declared `crons` block. Only the `crons` member is touched: every other
 * key keeps its place and its formatting; a new `crons` member goes last; an app with no crons loses
 * the member. A missing or empty file becomes `{ "crons": [...] }`.
 */
export function withCrons(text: string | undefined, app: Pick<AppDecl, "crons">, file = "vercel.json"): string {
  const doc = parseVercelJson(text, file);
  const block = cronsBlock(app);
  const layout = layoutOf(text ?? "");
  const nl = layout.newline;
  if (text === undefined || text.trim() === "") {
    if (!block.length) return `{}${nl}`;
    return JSON.stringify({ crons: block }, null, layout.indent).replace(/\n/g, nl) + nl;
  }
  const unit = typeof layout.indent === "number" ? " ".repeat(layout.indent) : layout.indent;
  const { members, open, close } = topLevelMembers(text);
  const existing = members.find((m) => m.key === "crons");
  const render = (baseIndent: string) =>
    JSON.stringify(block, null, layout.indent)
      .split("\n")
      .map((line, i) => (i === 0 ? line : baseIndent + line))
      .join(nl);
  if (existing) {
    if (block.length) {
      return text.slice(0, existing.valueStart) + render(lineIndent(text, existing.start)) + text.slice(existing.valueEnd);
    }
    // Remove the member with one separating comma.
    const index = members.indexOf(existing);
    if (members.length === 1) return text.slice(0, open + 1) + text.slice(close);
    if (index < members.length - 1) return text.slice(0, existing.start) + text.slice(members[index + 1].start);
    return text.slice(0, members[index - 1].valueEnd) + text.slice(existing.valueEnd);
  }
  if (!block.length || "crons" in doc) return text;
  if (members.length === 0) {
    return text.slice(0, open + 1) + `${nl}${unit}"crons": ${render(unit)}${nl}` + text.slice(close);
  }
  const last = members[members.length - 1];
  const indent = lineIndent(text, last.start);
  const sameLine = !text.slice(open, last.start).includes("\n");
  const sep = sameLine ? " " : `${nl}${indent}`;
  return text.slice(0, last.valueEnd) + `,${sep}"crons": ${sameLine ? JSON.stringify(block) : render(indent)}` + text.slice(last.valueEnd);
}

/** The crons a `vercel.json` declares, normalised for comparison (`[]` when absent). */
export function cronsOf(doc: Record<string, unknown>): unknown[] {
  const crons = doc.crons;
  return Array.isArray(crons) ? crons : crons === undefined ? [] : [crons];
}

/** A line diff of the `crons` blocks (`-` in the file, `+` declared); empty when they agree. */
export function cronsDiff(text: string | undefined, app: Pick<AppDecl, "crons">, file = "vercel.json"): string[] {
  const actual = cronsOf(parseVercelJson(text, file)).map((c) => JSON.stringify(c));
  const wanted = cronsBlock(app).map((c) => JSON.stringify(c));
  return lineDiff(actual, wanted);
}

/** A minimal line diff (longest common subsequence): `  ` kept, `- ` removed, `+ ` added. */
export function lineDiff(a: readonly string[], b: readonly string[]): string[] {
  if (a.length === b.length && a.every((x, i) => x === b[i])) return [];
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      out.push(`  ${a[i++]}`);
      j++;
    } else if (i < a.length && (j === b.length || lcs[i + 1][j] >= lcs[i][j + 1])) {
      out.push(`- ${a[i++]}`);
    } else {
      out.push(`+ ${b[j++]}`);
    }
  }
  return out;
}
