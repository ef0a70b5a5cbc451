/**
 * The plan report: what a stack's change does, in words a reviewer reads, from two snapshots (the base
 * commit's render and the working tree's). Pure: no Pulumi, no git, no file system.
 *
 * The report is built generically over the rendered resources, by type token, so new resources show up
 * without changes here: env values per target and the production redeploy come from the Vercel env
 * vars and deployment; migrations, schemas, buckets and policies from the Supabase dynamic resources
 * (grouped by database); everything else is listed as added, removed, replaced or updated. Phase moves
 * come from the stack files, described with the tree's own ladders.
 *
 * JSON shape: `PlanReport` below (`format: "rollout-stack.plan/v1"`). No value in it is secret: secret
 * inputs arrive masked (`snapshot.ts`) and are reported as "changed" only.
 */
import { TARGETS, type CronDecl, type FeatureDecl, type Target } from "../apps/types";
import { findRung, ladderOf, type Rung } from "../rollout/ladder";
import { classifyMove, type MoveKind } from "../rollout/moves";
import { META_ENV_PREFIX, redeployReason } from "../vercel/env-plan";
import { isMasked, type PlanSnapshot, type SnapshotResource } from "./snapshot";

export const REPORT_FORMAT = "rollout-stack.plan/v1";

export type Change = "added" | "removed" | "changed";

/** Where the comparison started from. */
export interface BaseInfo {
  /** `--base` as given. */
  ref: string;
  commit: string;
  /** False when the base commit has no stack file for this stack: everything is "added". */
  stackFile: boolean;
  /** The base could not be rendered (its config or program failed): everything is shown as "added". */
  error?: string;
}

export interface PhaseChange {
  /** `<app>/<feature>` */
  key: string;
  /** `production` for `rollout-stack:phases`, `preview` for `rollout-stack:previewPhases`. */
  target: "production" | "preview";
  from: string | null;
  to: string | null;
  /** The move's kind on the ladder; `new`/`dropped` when the feature appears or goes; `changed` when off-ladder. */
  kind: MoveKind | "new" | "dropped" | "changed";
  /** e.g. `10% → 50% of production users (advance)`. */
  text: string;
}

export interface EnvChange {
  target: string;
  key: string;
  change: Change;
  /** Absent for secrets and for the side that does not exist. */
  before?: string;
  after?: string;
  secret: boolean;
}

export interface CronChanges {
  enabledBefore: boolean | null;
  enabledAfter: boolean | null;
  /** The crons the head declares. */
  jobs: CronDecl[];
  added: CronDecl[];
  removed: CronDecl[];
  /** Same path, new schedule. */
  rescheduled: { path: string; from: string; to: string }[];
}

export interface VercelAppChange {
  app: string;
  project: string;
  change: Change;
  env: EnvChange[];
  redeploy: {
    redeploy: boolean;
    /** One line: why (or why not) a new production deployment is built. */
    reason: string;
    /** Production keys whose value changed. */
    keys: string[];
  } | null;
  crons: CronChanges | null;
}

export interface MigrationRef {
  version: string;
  name: string;
  /** Project-relative file, e.g. `migrations/health-companion/20251105000000_multi_thread_chat.sql`. */
  file: string;
}

export interface ItemChange {
  /** The resource kind: `Schema`, `Bucket`, `RlsPolicy`, `Checks`, ... */
  kind: string;
  name: string;
  change: Change | "replaced";
  /** Changed inputs, e.g. `public: false → true`. */
  details: string[];
  /** What the change means, in words (e.g. "kept in the database (retainOnDelete)"). */
  note?: string;
  /** A policy's `create policy` statement (after the change). */
  statement?: string;
}

export interface DatabaseChange {
  database: string;
  change: Change;
  migrations: { run: MigrationRef[]; edited: MigrationRef[]; removed: MigrationRef[] };
  schemas: ItemChange[];
  buckets: ItemChange[];
  policies: ItemChange[];
  other: ItemChange[];
}

export interface ResourceRef {
  urn: string;
  type: string;
  name: string;
}

export interface ResourceUpdate extends ResourceRef {
  /** Top-level inputs whose value differs (secret ones included, by fingerprint). */
  inputs: string[];
  /** Resource options that differ (`protect`, `retainOnDelete`, ...). */
  options: string[];
  /** Inputs that force a replacement, by the provider's rules. */
  replaceBecause: string[];
}

export interface PlanReport {
  format: typeof REPORT_FORMAT;
  stack: string;
  /** Null without `--base`: the report lists what the stack declares, all of it "added". */
  base: BaseInfo | null;
  head: { commit: string | null; dirty: boolean };
  /** One line, plain text. */
  summary: string;
  counts: {
    phases: number;
    envValues: number;
    redeploys: number;
    migrations: number;
    schemas: number;
    buckets: number;
    policies: number;
    added: number;
    removed: number;
    replaced: number;
    updated: number;
  };
  phases: PhaseChange[];
  /** Only apps with a change. */
  vercel: VercelAppChange[];
  /** Only databases with a change. */
  databases: DatabaseChange[];
  /** Secret config keys (`secure:` values) added, removed or re-encrypted; values never shown. */
  secrets: { key: string; change: Change }[];
  /** Custom resources only (components group, they do nothing themselves). */
  resources: { added: ResourceRef[]; removed: ResourceRef[]; replaced: ResourceUpdate[]; updated: ResourceUpdate[]; unchanged: number };
  /** Things a reviewer must look at: regenerated secrets, buckets made public, program warnings. */
  warnings: string[];
  /** Limits of this offline render (placeholders for secrets and ESC values). */
  notes: string[];
}

export const TYPES = {
  app: "rollout-stack:vercel:App",
  project: "vercel:index/project:Project",
  env: "vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable",
  deployment: "vercel:index/deployment:Deployment",
  crons: "vercel:index/projectCrons:ProjectCrons",
  password: "random:index/randomPassword:RandomPassword",
  database: "rollout-stack:supabase:Database",
} as const;

/** Dynamic resources of the database side: `pulumi-nodejs:dynamic/supabase:<Kind>`. */
export const SUPABASE_PREFIX = "pulumi-nodejs:dynamic/supabase:";

const ALL = "*";
/**
 * Inputs whose change replaces the resource (the Vercel provider's RequiresReplace schema; the random provider replaces
 * on any input; our dynamic handlers' `diff`). Unlisted types update in place.
 */
const REPLACES_ON: Record<string, readonly string[]> = {
  [TYPES.project]: ["teamId"],
  [TYPES.env]: ["projectId", "key", "sensitive", "customEnvironmentIds", "teamId"],
  [TYPES.deployment]: [ALL],
  [TYPES.crons]: ["projectId", "teamId"],
  [TYPES.password]: [ALL],
  [`${SUPABASE_PREFIX}Migrations`]: ["database"],
  [`${SUPABASE_PREFIX}Schema`]: ["database", "name"],
  [`${SUPABASE_PREFIX}Bucket`]: ["database", "bucketId", "id"],
  [`${SUPABASE_PREFIX}RlsPolicy`]: ["database", "schema", "table", "name"],
  [`${SUPABASE_PREFIX}ManagedSql`]: ["database", "name", "schema"],
  [`${SUPABASE_PREFIX}DataApiExposure`]: ["projectRef"],
};
/** Inputs whose change does nothing on the provider (Deployment: `deleteOnDestroy` is copied on update). */
const NEVER_REPLACES: Record<string, readonly string[]> = { [TYPES.deployment]: ["deleteOnDestroy"] };

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function byUrn(s: PlanSnapshot | null): Map<string, SnapshotResource> {
  return new Map((s?.resources ?? []).map((r) => [r.urn, r]));
}

function changedInputs(a: SnapshotResource, b: SnapshotResource): string[] {
  const keys = new Set([...Object.keys(a.inputs), ...Object.keys(b.inputs)]);
  return [...keys].filter((k) => !same(a.inputs[k], b.inputs[k])).sort();
}

function changedOptions(a: SnapshotResource, b: SnapshotResource): string[] {
  return (Object.keys(b.options) as (keyof SnapshotResource["options"])[]).filter((k) => !same(a.options[k], b.options[k])).sort();
}

function replaceBecause(r: SnapshotResource, inputs: readonly string[]): string[] {
  const rules = [...(REPLACES_ON[r.type] ?? []), ...r.options.replaceOnChanges];
  const never = NEVER_REPLACES[r.type] ?? [];
  return inputs.filter((k) => !never.includes(k) && (rules.includes(ALL) || rules.includes(k)));
}

// ---------------------------------------------------------------------------------------------
// Phases

/** What a rung means for the users who get it. */
export function rungMeaning(rung: Rung): string {
  switch (rung.kind) {
    case "off":
      return "off";
    case "percent":
      return rung.cohorts.length && rung.percent < 100 ? `${rung.cohorts.join(" + ")} + ${rung.percent}%` : `${rung.percent}%`;
    case "cohort":
      return `the ${rung.cohorts.join(" + ")} cohort`;
    case "named":
      return rung.name;
  }
}

const KIND_WORDS: Record<MoveKind, string> = {
  stay: "no move",
  advance: "advance",
  shortcut: "shortcut",
  rollback: "rollback",
  kill: "kill: back to the first rung",
  "skip-forward": "skips rungs forward",
  "skip-back": "skips rungs back",
};

/** Describes one rung change with the feature's ladder, e.g. `10% → 50% of production users (advance)`. */
export function describeMove(feature: FeatureDecl | undefined, key: string, from: string | null, to: string | null, audience: string): { kind: PhaseChange["kind"]; text: string } {
  let ladder: ReturnType<typeof ladderOf> | undefined;
  try {
    ladder = feature ? ladderOf(feature) : undefined;
  } catch {
    ladder = undefined; // an invalid declaration is reported by the render itself; describe plainly here
  }
  const rung = (name: string | null) => (ladder && name !== null ? findRung(ladder, name) : undefined);
  // "of production users" only where the rung is a share of them (a percent or a cohort).
  const population = (r: Rung | undefined) => r !== undefined && (r.kind === "percent" || r.kind === "cohort");
  const words = (name: string, r: Rung | undefined) => (r ? rungMeaning(r) : name);
  if (to === null) return { kind: "dropped", text: `no longer in the stack (was ${words(from!, rung(from))})` };
  const toRung = rung(to);
  const toWords = `${words(to, toRung)}${population(toRung) ? ` of ${audience}` : ""}`;
  if (from === null) return { kind: "new", text: `new, at ${toWords}` };
  const fromRung = rung(from);
  if (!feature || !fromRung || !toRung) return { kind: "changed", text: `${from} → ${to}` };
  const move = classifyMove(feature, key, from, to);
  return { kind: move.kind, text: `${words(from, fromRung)} → ${toWords} (${KIND_WORDS[move.kind]})` };
}

function phaseChanges(base: PlanSnapshot | null, head: PlanSnapshot, fallback: Record<string, FeatureDecl>): PhaseChange[] {
  const out: PhaseChange[] = [];
  const feature = (key: string) => head.features?.[key] ?? base?.features?.[key] ?? fallback[key];
  const compare = (target: PhaseChange["target"], before: Record<string, string>, after: Record<string, string>, audience: string) => {
    for (const key of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
      const from = before[key] ?? null;
      const to = after[key] ?? null;
      if (from === to) continue;
      const { kind, text } = describeMove(feature(key), key, from, to, audience);
      out.push({ key, target, from, to, kind, text });
    }
  };
  const hb = head.stackFile;
  const bb = base?.stackFile;
  compare("production", bb?.phases ?? {}, hb?.phases ?? {}, "production users");
  compare("preview", bb?.previewPhases ?? {}, hb?.previewPhases ?? {}, "preview deployments' users");
  // A production move with preview pinned leaves preview alone: say so next to the move.
  for (const p of out) {
    const pinned = hb?.previewPhases[p.key];
    if (p.target === "production" && pinned !== undefined && p.to !== null) p.text += `; preview stays at ${pinned} (previewPhases)`;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Vercel

interface AppView {
  app: string;
  project: string;
  /** `<target>\0<KEY>` → value (string) or masked. */
  env: Map<string, { value: unknown; secret: boolean }>;
  deployment?: SnapshotResource;
  crons?: { enabled: boolean; jobs: CronDecl[] };
}

function appViews(s: PlanSnapshot | null): Map<string, AppView> {
  const views = new Map<string, AppView>();
  if (!s) return views;
  const resources = byUrn(s);
  const view = (parent: string): AppView | undefined => {
    const p = resources.get(parent);
    if (!p || p.type !== TYPES.app) return undefined;
    let v = views.get(p.name);
    if (!v) {
      v = { app: p.name, project: p.name, env: new Map() };
      views.set(p.name, v);
    }
    return v;
  };
  for (const r of s.resources) {
    if (r.type === TYPES.app) view(r.urn);
    const v = view(r.parent);
    if (!v) continue;
    if (r.type === TYPES.project && typeof r.inputs.name === "string") v.project = r.inputs.name;
    if (r.type === TYPES.deployment) v.deployment = r;
    if (r.type === TYPES.env) {
      const targets = Array.isArray(r.inputs.targets) ? (r.inputs.targets as string[]) : [];
      for (const t of targets) v.env.set(`${t}\0${String(r.inputs.key)}`, { value: r.inputs.value, secret: isMasked(r.inputs.value) });
    }
  }
  const summaries = s.outputs.vercel;
  if (summaries && typeof summaries === "object" && !isMasked(summaries)) {
    for (const [app, summary] of Object.entries(summaries as Record<string, { crons?: { enabled?: boolean; jobs?: CronDecl[] } }>)) {
      const v = views.get(app);
      if (v && summary?.crons) v.crons = { enabled: summary.crons.enabled === true, jobs: [...(summary.crons.jobs ?? [])] };
    }
  }
  return views;
}

function show(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

function envChanges(before: AppView | undefined, after: AppView | undefined): EnvChange[] {
  const a = before?.env ?? new Map();
  const b = after?.env ?? new Map();
  const out: EnvChange[] = [];
  for (const id of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(id);
    const y = b.get(id);
    if (x && y && same(x.value, y.value)) continue;
    const [target, key] = id.split("\0");
    const secret = (x?.secret ?? false) || (y?.secret ?? false);
    const change: Change = !x ? "added" : !y ? "removed" : "changed";
    const c: EnvChange = { target, key, change, secret };
    if (!secret && x) c.before = show(x.value);
    if (!secret && y) c.after = show(y.value);
    out.push(c);
  }
  return out.sort((p, q) => TARGETS.indexOf(p.target as Target) - TARGETS.indexOf(q.target as Target) || p.key.localeCompare(q.key));
}

function metaOf(r: SnapshotResource | undefined): Record<string, string> | undefined {
  const meta = r?.inputs.meta;
  return meta && typeof meta === "object" && !isMasked(meta) ? (meta as Record<string, string>) : undefined;
}

function redeployOf(before: AppView | undefined, after: AppView | undefined): VercelAppChange["redeploy"] {
  const a = before?.deployment;
  const b = after?.deployment;
  if (!a && !b) return null;
  if (!b) {
    const kept = a!.inputs.deleteOnDestroy === false;
    return { redeploy: false, reason: `the production deployment is no longer managed${kept ? " (kept on Vercel: deleteOnDestroy is false)" : " (deleted)"}`, keys: [] };
  }
  // Env hashes are not printed: they cover secret digests, which differ from run to run here.
  const afterMeta = metaOf(b);
  if (!a) {
    const keys = afterMeta ? Object.keys(afterMeta).filter((k) => k.startsWith(META_ENV_PREFIX)).length : 0;
    return { redeploy: true, reason: `first production deployment${keys ? ` (${keys} production env keys)` : ""}`, keys: [] };
  }
  const inputs = replaceBecause(b, changedInputs(a, b));
  if (inputs.length === 0) return { redeploy: false, reason: "production env unchanged: no new deployment", keys: [] };
  const parts: string[] = [];
  let keys: string[] = [];
  const beforeMeta = metaOf(a);
  if (inputs.includes("meta") && beforeMeta && afterMeta) {
    const r = redeployReason(beforeMeta, afterMeta);
    keys = r.changed.map((c) => c.key);
    parts.push(keys.length ? r.text : "production env changed");
  } else if (inputs.includes("meta")) {
    parts.push("production env changed");
  }
  for (const k of inputs.filter((k) => k !== "meta")) {
    parts.push(isMasked(a.inputs[k]) || isMasked(b.inputs[k]) ? `${k} changed` : `${k} ${show(a.inputs[k])} → ${show(b.inputs[k])}`);
  }
  return { redeploy: true, reason: parts.join("; "), keys };
}

function cronChanges(before: AppView | undefined, after: AppView | undefined): CronChanges | null {
  const a = before?.crons;
  const b = after?.crons;
  if (!a && !b) return null;
  const aJobs = new Map((a?.jobs ?? []).map((j) => [j.path, j]));
  const bJobs = new Map((b?.jobs ?? []).map((j) => [j.path, j]));
  const changes: CronChanges = {
    enabledBefore: a ? a.enabled : null,
    enabledAfter: b ? b.enabled : null,
    jobs: [...bJobs.values()],
    added: [...bJobs.values()].filter((j) => !aJobs.has(j.path)),
    removed: [...aJobs.values()].filter((j) => !bJobs.has(j.path)),
    rescheduled: [...bJobs.values()].filter((j) => aJobs.has(j.path) && aJobs.get(j.path)!.schedule !== j.schedule).map((j) => ({ path: j.path, from: aJobs.get(j.path)!.schedule, to: j.schedule })),
  };
  const moved = changes.enabledBefore !== changes.enabledAfter || changes.added.length || changes.removed.length || changes.rescheduled.length;
  return moved ? changes : null;
}

function vercelChanges(base: PlanSnapshot | null, head: PlanSnapshot): VercelAppChange[] {
  const a = appViews(base);
  const b = appViews(head);
  const out: VercelAppChange[] = [];
  for (const app of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const x = a.get(app);
    const y = b.get(app);
    const env = envChanges(x, y);
    const redeploy = redeployOf(x, y);
    const crons = cronChanges(x, y);
    const projectChanged = x && y && x.project !== y.project;
    if (x && y && env.length === 0 && !redeploy?.redeploy && !crons && !projectChanged) continue;
    out.push({ app, project: (y ?? x)!.project, change: !x ? "added" : !y ? "removed" : "changed", env, redeploy, crons });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Databases

function databaseOf(r: SnapshotResource, resources: Map<string, SnapshotResource>): string {
  const parent = resources.get(r.parent);
  if (parent?.type === TYPES.database) return parent.name;
  return typeof r.inputs.database === "string" ? r.inputs.database : "(no database)";
}

function migrationFiles(r: SnapshotResource | undefined): Map<string, { name: string; sha256: string; file: string }> {
  const files = Array.isArray(r?.inputs.files) ? (r!.inputs.files as { version: string; name: string; sha256: string }[]) : [];
  const dir = typeof r?.inputs.dir === "string" ? r.inputs.dir : "migrations";
  return new Map(files.map((f) => [f.version, { name: f.name, sha256: f.sha256, file: `${dir}/${f.version}_${f.name}.sql` }]));
}

function itemName(r: SnapshotResource, kind: string): string {
  const i = r.inputs;
  if (kind === "Schema" && typeof i.name === "string") return i.name;
  if (kind === "Bucket") return String(i.bucketId ?? i.id ?? i.name ?? r.name);
  if (kind === "RlsPolicy" && typeof i.name === "string") return `${i.name} on ${i.schema}.${i.table}${typeof i.command === "string" ? ` (${i.command})` : ""}`;
  return r.name;
}

/** Inputs that only mirror others (a policy's statement is shown whole) or that the reviewer cannot act on. */
const DETAIL_SKIP: Record<string, string[]> = { RlsPolicy: ["statement", "database"], Bucket: ["database"], Schema: ["database"] };

function details(kind: string, a: SnapshotResource, b: SnapshotResource): string[] {
  return changedInputs(a, b)
    .filter((k) => !(DETAIL_SKIP[kind] ?? []).includes(k))
    .map((k) => {
      const x = a.inputs[k];
      const y = b.inputs[k];
      if (isMasked(x) || isMasked(y)) return `${k} changed`;
      const text = `${k}: ${show(x ?? null)} → ${show(y ?? null)}`;
      return text.length <= 300 ? text : `${k} changed`;
    });
}

function databaseChanges(base: PlanSnapshot | null, head: PlanSnapshot, warnings: string[]): DatabaseChange[] {
  const a = byUrn(base);
  const b = byUrn(head);
  const dbs = new Map<string, DatabaseChange & { seenBefore: boolean; seenAfter: boolean }>();
  const db = (name: string) => {
    let d = dbs.get(name);
    if (!d) {
      d = { database: name, change: "changed", migrations: { run: [], edited: [], removed: [] }, schemas: [], buckets: [], policies: [], other: [], seenBefore: false, seenAfter: false };
      dbs.set(name, d);
    }
    return d;
  };
  const urns = [...new Set([...a.keys(), ...b.keys()])].filter((u) => (a.get(u) ?? b.get(u))!.type.startsWith(SUPABASE_PREFIX));
  for (const urn of urns) {
    const x = a.get(urn);
    const y = b.get(urn);
    const r = (y ?? x)!;
    const kind = r.type.slice(SUPABASE_PREFIX.length);
    const d = db(databaseOf(r, y ? b : a));
    if (x) d.seenBefore = true;
    if (y) d.seenAfter = true;
    if (kind === "Migrations") {
      const before = migrationFiles(x);
      const after = migrationFiles(y);
      const ref = (version: string, f: { name: string; file: string }): MigrationRef => ({ version, name: f.name, file: f.file });
      for (const [v, f] of after) {
        const old = before.get(v);
        if (!old) d.migrations.run.push(ref(v, f));
        else if (old.sha256 !== f.sha256 || old.name !== f.name) d.migrations.edited.push(ref(v, f));
      }
      for (const [v, f] of before) if (!after.has(v)) d.migrations.removed.push(ref(v, f));
      for (const list of Object.values(d.migrations)) list.sort((p: MigrationRef, q: MigrationRef) => p.version.localeCompare(q.version));
      if (d.migrations.edited.length) {
        warnings.push(`${d.database}: already-numbered migration file(s) changed (${d.migrations.edited.map((m) => m.file).join(", ")}); where they are applied, the migration engine refuses them as drift: add a new migration instead`);
      }
      continue;
    }
    let item: ItemChange | undefined;
    if (!x) item = { kind, name: itemName(y!, kind), change: "added", details: [] };
    else if (!y) {
      item = { kind, name: itemName(x, kind), change: "removed", details: [] };
      item.note = x.options.retainOnDelete ? "kept in the database (retainOnDelete): Pulumi only forgets it" : kind === "RlsPolicy" ? "dropped from the database" : undefined;
    } else {
      const inputs = changedInputs(x, y);
      if (inputs.length === 0) continue;
      // The checks' `declaration` is a digest of the other resources: they re-run after those change.
      const rerun = kind === "Checks" && inputs.length === 1 && inputs[0] === "declaration";
      item = { kind, name: itemName(y, kind), change: replaceBecause(y, inputs).length ? "replaced" : "changed", details: rerun ? [] : details(kind, x, y) };
      if (rerun) item.note = "run again after the changes above";
    }
    if (kind === "RlsPolicy" && y && typeof y.inputs.statement === "string") item.statement = y.inputs.statement;
    if (kind === "Bucket" && y?.inputs.public === true && x?.inputs.public !== true) {
      warnings.push(`${d.database}: bucket ${item.name} becomes public (anyone with a file's URL can read it)`);
    }
    const list = kind === "Schema" ? d.schemas : kind === "Bucket" ? d.buckets : kind === "RlsPolicy" ? d.policies : d.other;
    list.push(item);
  }
  const out: DatabaseChange[] = [];
  for (const d of [...dbs.values()].sort((p, q) => p.database.localeCompare(q.database))) {
    const { seenBefore, seenAfter, ...change } = d;
    change.change = !seenBefore ? "added" : !seenAfter ? "removed" : "changed";
    for (const list of [change.schemas, change.buckets, change.policies, change.other]) list.sort((p, q) => p.kind.localeCompare(q.kind) || p.name.localeCompare(q.name));
    const any = Object.values(change.migrations).some((l) => l.length) || change.schemas.length || change.buckets.length || change.policies.length || change.other.length;
    if (any) out.push(change);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Everything

function resourceChanges(base: PlanSnapshot | null, head: PlanSnapshot, warnings: string[]): PlanReport["resources"] {
  const a = byUrn(base);
  const b = byUrn(head);
  const ref = (r: SnapshotResource): ResourceRef => ({ urn: r.urn, type: r.type, name: r.name });
  const out: PlanReport["resources"] = { added: [], removed: [], replaced: [], updated: [], unchanged: 0 };
  for (const [urn, y] of b) if (y.custom && !a.has(urn)) out.added.push(ref(y));
  for (const [urn, x] of a) {
    if (!x.custom) continue;
    const y = b.get(urn);
    if (!y) {
      out.removed.push(ref(x));
      if (x.options.protect) warnings.push(`${x.name} (${x.type}) is protected: pulumi up will refuse to delete it; unprotect it first if removing it is intended`);
      if (x.type === TYPES.password) warnings.push(`${x.name} is removed: anything using its value (a CRON_SECRET) gets a new one if it is recreated elsewhere`);
      continue;
    }
    const inputs = changedInputs(x, y);
    const options = changedOptions(x, y);
    if (!inputs.length && !options.length) {
      out.unchanged++;
      continue;
    }
    const because = replaceBecause(y, inputs);
    const u: ResourceUpdate = { ...ref(y), inputs, options, replaceBecause: because };
    (because.length ? out.replaced : out.updated).push(u);
    if (because.length && y.type === TYPES.password) {
      warnings.push(`${y.name} is replaced (${because.join(", ")} changed): a new random value is generated, so its CRON_SECRET changes`);
    }
  }
  const order = (p: ResourceRef, q: ResourceRef) => p.type.localeCompare(q.type) || p.name.localeCompare(q.name);
  for (const list of [out.added, out.removed, out.replaced, out.updated]) list.sort(order);
  return out;
}

function secretChanges(base: PlanSnapshot | null, head: PlanSnapshot): PlanReport["secrets"] {
  const a = base?.stackFile?.secrets ?? {};
  const b = head.stackFile?.secrets ?? {};
  const out: PlanReport["secrets"] = [];
  for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    if (a[key] === b[key]) continue;
    out.push({ key, change: !(key in a) ? "added" : !(key in b) ? "removed" : "changed" });
  }
  return out;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function summaryOf(report: Omit<PlanReport, "summary">): string {
  const c = report.counts;
  const where = report.base ? `against ${report.base.ref === report.base.commit ? report.base.commit.slice(0, 12) : `${report.base.ref} (${report.base.commit.slice(0, 12)})`}` : "as declared (no base)";
  const parts: string[] = [];
  if (c.phases) parts.push(plural(c.phases, report.base ? "phase moved" : "phase", report.base ? "phases moved" : "phases"));
  if (c.envValues) parts.push(plural(c.envValues, report.base ? "env value changed" : "env value", report.base ? "env values changed" : "env values"));
  if (c.redeploys) parts.push(`${plural(c.redeploys, "production redeploy", "production redeploys")} (${report.vercel.filter((v) => v.redeploy?.redeploy).map((v) => v.app).join(", ")})`);
  if (c.migrations) parts.push(plural(c.migrations, "migration to run", "migrations to run"));
  // "2 policies added, 1 removed": per kind, by change.
  const items = (pick: (d: DatabaseChange) => ItemChange[], one: string, many: string) => {
    const all = report.databases.flatMap(pick);
    const by = (["added", "changed", "replaced", "removed"] as const).map((ch) => [ch, all.filter((i) => i.change === ch).length] as const).filter(([, n]) => n > 0);
    if (by.length) parts.push(by.map(([ch, n], i) => (i === 0 ? `${plural(n, one, many)} ${ch}` : `${n} ${ch}`)).join(", "));
  };
  items((d) => d.schemas, "schema", "schemas");
  items((d) => d.buckets, "bucket", "buckets");
  items((d) => d.policies, "policy", "policies");
  if (report.secrets.length) parts.push(plural(report.secrets.length, "secret changed", "secrets changed"));
  const resources = `resources: ${c.added} to add, ${c.updated} to update, ${c.replaced} to replace, ${c.removed} to remove`;
  if (!parts.length && !c.added && !c.updated && !c.replaced && !c.removed) return `stack ${report.stack} ${where}: no changes`;
  return `stack ${report.stack} ${where}: ${[...parts, resources].join("; ")}`;
}

export interface BuildReportInput {
  stack: string;
  /** The base render; null without `--base`, or when the base has no stack file or could not render. */
  base: PlanSnapshot | null;
  head: PlanSnapshot;
  baseInfo: BaseInfo | null;
  headInfo: { commit: string | null; dirty: boolean };
  /** Feature declarations to describe moves when neither tree provides its catalog. @default {} */
  fallbackFeatures?: Record<string, FeatureDecl>;
}

/** Compares two renders into the report. */
export function buildReport(input: BuildReportInput): PlanReport {
  const { base, head } = input;
  const warnings: string[] = [];
  const notes: string[] = [];
  const phases = phaseChanges(base, head, input.fallbackFeatures ?? {});
  const vercel = vercelChanges(base, head);
  const databases = databaseChanges(base, head, warnings);
  const resources = resourceChanges(base, head, warnings);
  const secrets = secretChanges(base, head);
  // The program's own warnings: new ones are warnings; those the base had too are only noted.
  const baseLogs = new Set((base?.logs ?? []).map((l) => l.message));
  for (const log of head.logs) {
    const line = `${log.severity === "error" ? "error" : "warning"} from the program: ${log.message}`;
    if (baseLogs.has(log.message)) notes.push(`unchanged from the base, ${line}`);
    else warnings.push(line);
  }
  if (input.baseInfo?.error) warnings.unshift(`the base ${input.baseInfo.ref} could not be rendered, so everything is shown as added: ${input.baseInfo.error}`);
  if (input.baseInfo && !input.baseInfo.stackFile && !input.baseInfo.error) notes.push(`the base ${input.baseInfo.ref} has no stack file for ${input.stack}: everything is new`);
  if (head.placeholders.length) {
    notes.push(`secrets not in the stack file (from an ESC environment or not set yet) rendered as placeholders: ${head.placeholders.join(", ")}`);
  }
  const envs = head.stackFile?.environments ?? [];
  if (envs.length) notes.push(`the stack imports ESC environment(s) ${envs.join(", ")}: their values are not read offline (secrets are placeholders)`);

  const counts: PlanReport["counts"] = {
    phases: phases.length,
    envValues: vercel.reduce((n, v) => n + v.env.length, 0),
    redeploys: vercel.filter((v) => v.redeploy?.redeploy).length,
    migrations: databases.reduce((n, d) => n + d.migrations.run.length, 0),
    schemas: databases.reduce((n, d) => n + d.schemas.length, 0),
    buckets: databases.reduce((n, d) => n + d.buckets.length, 0),
    policies: databases.reduce((n, d) => n + d.policies.length, 0),
    added: resources.added.length,
    removed: resources.removed.length,
    replaced: resources.replaced.length,
    updated: resources.updated.length,
  };
  const report: Omit<PlanReport, "summary"> = {
    format: REPORT_FORMAT,
    stack: input.stack,
    base: input.baseInfo,
    head: input.headInfo,
    counts,
    phases,
    vercel,
    databases,
    secrets,
    resources,
    warnings,
    notes,
  };
  const { format, stack, base: baseInfo, head: headInfo, ...rest } = report;
  // `summary` right after the header fields: the first thing a person opening the JSON reads.
  return { format, stack, base: baseInfo, head: headInfo, summary: summaryOf(report), ...rest };
}
