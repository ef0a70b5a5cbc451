/**
 * Vercel cron jobs: validation of the declared schedules and the `crons` block of an app repository's
 * `vercel.json`. Pure: no Pulumi, no file system.
 *
 * Builds read crons from the app repository's `vercel.json`, not from this project; Pulumi can only
 * toggle them (`ProjectCrons`). The declaration in `infra/apps/<app>.ts` is the source: `npm run crons`
 * writes it into `vercel.json` and checks it there (research/pulumi-vercel.md §1.4, §2.4).
 */
import type { AppDecl, CronDecl } from "../apps/types";
import type { VercelPlan } from "../config";

/** Vercel allows 100 cron jobs per project on every plan (https://vercel.com/docs/cron-jobs/usage-and-pricing). */
export const MAX_CRONS_PER_PROJECT = 100;

/** A declared cron job that Vercel would reject: names the app, the entry and the fix. */
export class CronDeclarationError extends Error {
  constructor(
    readonly app: string,
    readonly problems: string[],
  ) {
    super(`app "${app}" declares crons Vercel would reject:\n${problems.map((p) => `  ${p}`).join("\n")}`);
    this.name = "CronDeclarationError";
  }
}

const FIELDS = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12 },
  { name: "day of week", min: 0, max: 6 },
] as const;

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
 * Checks one schedule as Vercel does: five numeric fields in UTC, day of month and day of week not
 * both restricted, and on `hobby` at most one run a day (a single minute and a single hour).
 * Returns the problems (empty when valid).
 */
export function scheduleProblems(schedule: string, plan: VercelPlan): string[] {
  if (/^\s|\s$/.test(schedule)) return ["has leading or trailing spaces"];
  if (/^(CRON_)?TZ=/.test(schedule)) return ["names a time zone; Vercel runs crons in UTC only: convert the time to UTC and drop the prefix"];
  if (schedule.startsWith("@")) return [`"${schedule}" is a macro; write the five fields (e.g. "0 0 * * *" for @daily)`];
  const fields = schedule.split(/\s+/);
  if (fields.length !== 5) return [`has ${fields.length} field${fields.length === 1 ? "" : "s"}; write five: minute hour day-of-month month day-of-week (UTC)`];
  const problems = fields.flatMap((f, i) => fieldProblems(f, FIELDS[i]));
  if (problems.length) return problems;
  if (fields[2] !== "*" && fields[4] !== "*") problems.push("restricts both day of month and day of week; Vercel allows one of them (set the other to *)");
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

/**
 * `vercel.json` text with the declared `crons` block, every other key kept in place (a new `crons` key
 * goes last; an app with no crons loses the key). Indentation and the trailing newline are kept.
 */
export function withCrons(text: string | undefined, app: Pick<AppDecl, "crons">, file = "vercel.json"): string {
  const doc = parseVercelJson(text, file);
  const block = cronsBlock(app);
  const out: Record<string, unknown> = {};
  let placed = false;
  for (const [k, v] of Object.entries(doc)) {
    if (k === "crons") {
      if (block.length) out.crons = block;
      placed = true;
    } else {
      out[k] = v;
    }
  }
  if (!placed && block.length) out.crons = block;
  const layout = layoutOf(text ?? "");
  const body = JSON.stringify(out, null, layout.indent).replace(/\n/g, layout.newline);
  return layout.trailingNewline ? body + layout.newline : body;
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
    } else if (j < b.length && (i === a.length || lcs[i][j + 1] >= lcs[i + 1][j])) {
      out.push(`+ ${b[j++]}`);
    } else {
      out.push(`- ${a[i++]}`);
    }
  }
  return out;
}
