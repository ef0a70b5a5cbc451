/**
 * `diffPlans(before, after)`: what a change of stack config or code does, from two stack models
 * (`planStack`). The one answer to "what does this move change?": `rollout` prints a move's effect
 * with it (`describeAppEffect`), and `plan` builds its pull-request report from it. Pure.
 *
 * Values are compared by identity, never by secret content: a plain value by its text, a secret by
 * its config key and version (a fingerprint when the caller knows one), a CRON_SECRET by its rotation.
 */
import { TARGETS, type CronDecl, type Target } from "../apps/types";
import { RETAINED_ON_DELETE, type StackDatabasePlan } from "../supabase/declaration";
import { createPolicySql, type PolicySpec } from "../supabase/sql/policies";
import type { EnvVarPlan, VercelAppPlan } from "../vercel/env-plan";
import type { LivePlan } from "../vercel/live-plan";
import type { Channel, StackPlan } from "./index";

export type Change = "added" | "removed" | "changed";

/** One value an app reads, on one target, that differs. */
export interface ValueChange {
  channel: Channel;
  target: Target;
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
  /** Why the crons run or not, from the new side's model (`null` when the app goes). */
  reason: string | null;
  /** The crons the new side declares. */
  jobs: CronDecl[];
  added: CronDecl[];
  removed: CronDecl[];
  /** Same path, new schedule. */
  rescheduled: { path: string; from: string; to: string }[];
}

export interface Redeploy {
  redeploy: boolean;
  /** One line: why (or why not) a new production deployment is built. */
  reason: string;
  /** Production keys whose value changed. */
  keys: string[];
}

export interface AppChange {
  app: string;
  /** The Vercel project (the new side's, or the old one's when the app goes). */
  project: string;
  change: Change;
  /** Values per target, by channel (today every value is an env var). */
  values: ValueChange[];
  redeploy: Redeploy | null;
  crons: CronChanges | null;
  /** Project settings that differ, e.g. `productionBranch: "main" → "release"`. */
  projectSettings: string[];
}

export interface MigrationRef {
  version: string;
  name: string;
  /** Project-relative file, e.g. `migrations/health-companion/20251105000000_multi_thread_chat.sql`. */
  file: string;
}

export interface ItemChange {
  /** The resource kind: `Schema`, `Bucket`, `RlsPolicy`, `ManagedSql`, `Checks`, `DataApiExposure`. */
  kind: string;
  name: string;
  change: Change;
  /** Changed fields, e.g. `public: false → true`. */
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

/** The stack's Edge Config item: live shares that change (read by the apps within seconds, no build). */
export interface LiveChange {
  item: string;
  /** `created by this stack` or the store's ID (the new side's, or the old one's when it goes). */
  store: string;
  change: Change;
  /** Per feature (`<app>/<feature>`), only those that differ. */
  shares: { feature: string; change: Change; before?: string; after?: string }[];
  /** Store or item key changes, e.g. `item: "rollout_prod" → "rollout_main"`. */
  settings: string[];
}

export interface PlanDiff {
  /** Only apps with a change. */
  apps: AppChange[];
  /** Null when the item is unchanged (or there is none on either side). */
  live: LiveChange | null;
  /** Only databases with a change. */
  databases: DatabaseChange[];
  /** What a reviewer must look at: edited migrations, buckets made public, regenerated CRON_SECRETs. */
  warnings: string[];
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function show(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

// ---------------------------------------------------------------------------------------------
// Apps

/** What a value is, for comparison: never a secret's content. */
function identity(v: Pick<EnvVarPlan, "value" | "origin">): string {
  if (v.value.kind === "plain") return `plain:${v.value.value}`;
  if (v.value.kind === "secret") return `secret:${v.value.secretKey}:${v.value.version ?? ""}`;
  if (v.value.kind === "edgeConfig") return "edge-config-token";
  return `cron:${v.origin.kind === "cronSecret" ? v.origin.rotation : ""}`;
}

function valuesOf(plan: VercelAppPlan | null | undefined): Map<string, EnvVarPlan> {
  const out = new Map<string, EnvVarPlan>();
  for (const v of plan?.env ?? []) for (const t of v.targets) out.set(`${t}\0${v.key}`, v);
  return out;
}

function valueChanges(a: VercelAppPlan | null | undefined, b: VercelAppPlan | null | undefined): ValueChange[] {
  const before = valuesOf(a);
  const after = valuesOf(b);
  const out: ValueChange[] = [];
  for (const id of new Set([...before.keys(), ...after.keys()])) {
    const x = before.get(id);
    const y = after.get(id);
    if (x && y && identity(x) === identity(y)) continue;
    const [target, key] = id.split("\0") as [Target, string];
    const secret = (x !== undefined && x.value.kind !== "plain") || (y !== undefined && y.value.kind !== "plain");
    const c: ValueChange = { channel: "env", target, key, change: !x ? "added" : !y ? "removed" : "changed", secret };
    if (!secret && x?.value.kind === "plain") c.before = x.value.value;
    if (!secret && y?.value.kind === "plain") c.after = y.value.value;
    out.push(c);
  }
  return out.sort((p, q) => TARGETS.indexOf(p.target) - TARGETS.indexOf(q.target) || p.key.localeCompare(q.key));
}

/** A production value as a reviewer reads it in a redeploy reason (long values shortened). */
function quoted(value: string): string {
  return value.length <= 256 ? JSON.stringify(value) : `${JSON.stringify(value.slice(0, 40))}… (${value.length} characters)`;
}

function redeployOf(a: VercelAppPlan | null | undefined, b: VercelAppPlan | null | undefined): Redeploy | null {
  if (!a && !b) return null;
  if (!b) {
    const kept = a!.deployment.deleteOnDestroy === false;
    return { redeploy: false, reason: `the production deployment is no longer managed${kept ? " (kept on Vercel: deleteOnDestroy is false)" : " (deleted)"}`, keys: [] };
  }
  const keys = Object.keys(b.production).length;
  if (!a) return { redeploy: true, reason: `first production deployment${keys ? ` (${keys} production env keys)` : ""}`, keys: [] };
  const production = (p: VercelAppPlan) => new Map(p.env.filter((v) => v.targets.includes("production")).map((v) => [v.key, v]));
  const x = production(a);
  const y = production(b);
  const changed = [...new Set([...x.keys(), ...y.keys()])].sort().filter((k) => {
    const p = x.get(k);
    const q = y.get(k);
    return !p || !q || identity(p) !== identity(q);
  });
  const parts: string[] = [];
  if (changed.length) {
    const words = changed.map((k) => {
      const p = x.get(k);
      const q = y.get(k);
      if ((p && p.value.kind !== "plain") || (q && q.value.kind !== "plain")) return `${k} (secret) ${!p ? "added" : !q ? "removed" : "changed"}`;
      const from = p?.value.kind === "plain" ? quoted(p.value.value) : "(new)";
      const to = q?.value.kind === "plain" ? quoted(q.value.value) : "(removed)";
      return `${k} ${from} → ${to}`;
    });
    parts.push(`production env changed: ${words.join("; ")}`);
  }
  if (a.deployment.ref !== b.deployment.ref) parts.push(`ref ${a.deployment.ref} → ${b.deployment.ref}`);
  if (!parts.length) return { redeploy: false, reason: "production env unchanged: no new deployment", keys: [] };
  return { redeploy: true, reason: parts.join("; "), keys: changed };
}

function cronChanges(a: VercelAppPlan | null | undefined, b: VercelAppPlan | null | undefined): CronChanges | null {
  // An app without crons on either side has nothing to say about them.
  if (!a?.crons.jobs.length && !b?.crons.jobs.length) return null;
  const aJobs = new Map((a?.crons.jobs ?? []).map((j) => [j.path, j]));
  const bJobs = new Map((b?.crons.jobs ?? []).map((j) => [j.path, j]));
  const changes: CronChanges = {
    enabledBefore: a ? a.crons.enabled : null,
    enabledAfter: b ? b.crons.enabled : null,
    reason: b ? b.crons.reason : null,
    jobs: [...bJobs.values()],
    added: [...bJobs.values()].filter((j) => !aJobs.has(j.path)),
    removed: [...aJobs.values()].filter((j) => !bJobs.has(j.path)),
    rescheduled: [...bJobs.values()]
      .filter((j) => aJobs.has(j.path) && aJobs.get(j.path)!.schedule !== j.schedule)
      .map((j) => ({ path: j.path, from: aJobs.get(j.path)!.schedule, to: j.schedule })),
  };
  const moved = changes.enabledBefore !== changes.enabledAfter || changes.added.length || changes.removed.length || changes.rescheduled.length;
  return moved ? changes : null;
}

function projectChanges(a: VercelAppPlan, b: VercelAppPlan): string[] {
  const fields = (p: VercelAppPlan) => ({
    name: p.project.name,
    framework: p.project.framework,
    repo: p.project.gitRepository.repo,
    productionBranch: p.project.gitRepository.productionBranch,
    protect: p.project.protect,
    importId: p.project.importId ?? null,
  });
  const x = fields(a);
  const y = fields(b);
  return (Object.keys(x) as (keyof typeof x)[]).filter((k) => x[k] !== y[k]).map((k) => `${k}: ${JSON.stringify(x[k])} → ${JSON.stringify(y[k])}`);
}

function appChanges(before: StackPlan | null, after: StackPlan, warnings: string[]): AppChange[] {
  const vercelOf = (s: StackPlan | null) => new Map((s?.apps ?? []).filter((a) => a.vercel).map((a) => [a.app, a.vercel!]));
  const a = vercelOf(before);
  const b = vercelOf(after);
  const out: AppChange[] = [];
  for (const app of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const x = a.get(app);
    const y = b.get(app);
    const values = valueChanges(x, y);
    const redeploy = redeployOf(x, y);
    const crons = cronChanges(x, y);
    const projectSettings = x && y ? projectChanges(x, y) : [];
    if (x && y && !values.length && !redeploy?.redeploy && !crons && !projectSettings.length) continue;
    out.push({ app, project: (y ?? x)!.project.name, change: !x ? "added" : !y ? "removed" : "changed", values, redeploy, crons, projectSettings });
    const rotation = (p: VercelAppPlan | undefined) => p?.cronSecret?.keepers.rotation;
    if (x?.cronSecret && y?.cronSecret && rotation(x) !== rotation(y)) {
      warnings.push(`${app}: CRON_SECRET is regenerated (cronSecretRotation ${rotation(x)} → ${rotation(y)}): a new random value replaces it, and the crons use the new one from the next production deployment`);
    }
    if (x?.cronSecret && !y?.cronSecret) {
      warnings.push(`${app}: its generated CRON_SECRET is no longer managed; if it is declared again, a new value is generated`);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Databases

function details(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys
    .filter((k) => !same(a[k], b[k]))
    .map((k) => {
      const text = `${k}: ${show(a[k] ?? null)} → ${show(b[k] ?? null)}`;
      return text.length <= 300 ? text : `${k} changed`;
    });
}

interface Kind<T> {
  kind: string;
  list: "schemas" | "buckets" | "policies" | "other";
  items: (d: StackDatabasePlan) => T[];
  key: (t: T) => string;
  name: (t: T) => string;
  /** Said when it is dropped from the stack. */
  removed: string | undefined;
  statement?: (t: T) => string;
}

const RETAINED = "kept in the database (retainOnDelete): Pulumi only forgets it";

const policyName = (p: PolicySpec) => `${p.name} on ${p.schema}.${p.table} (${p.command})`;

const KINDS: Kind<any>[] = [
  { kind: "Schema", list: "schemas", items: (d) => d.schemas, key: (s) => s.name, name: (s) => s.name, removed: RETAINED_ON_DELETE.schema ? RETAINED : undefined },
  { kind: "Bucket", list: "buckets", items: (d) => d.buckets, key: (b) => b.id, name: (b) => b.id, removed: RETAINED_ON_DELETE.bucket ? RETAINED : undefined },
  {
    kind: "RlsPolicy",
    list: "policies",
    items: (d) => d.policies,
    key: (p: PolicySpec) => `${p.schema}.${p.table}.${p.name}`,
    name: policyName,
    removed: RETAINED_ON_DELETE.policy ? RETAINED : "dropped from the database",
    statement: (p: PolicySpec) => createPolicySql(p),
  },
  { kind: "ManagedSql", list: "other", items: (d) => d.managedSql, key: (m) => m.name, name: (m) => m.name, removed: RETAINED_ON_DELETE.managedSql ? RETAINED : undefined },
];

function migrationChanges(a: StackDatabasePlan | undefined, b: StackDatabasePlan | undefined): DatabaseChange["migrations"] {
  const files = (d: StackDatabasePlan | undefined) => new Map((d?.migrations.files ?? []).map((f) => [f.version, { ...f, file: `${d!.migrations.dir}/${f.version}_${f.name}.sql` }]));
  const before = files(a);
  const after = files(b);
  const ref = (f: { version: string; name: string; file: string }): MigrationRef => ({ version: f.version, name: f.name, file: f.file });
  const out: DatabaseChange["migrations"] = { run: [], edited: [], removed: [] };
  for (const [v, f] of after) {
    const old = before.get(v);
    if (!old) out.run.push(ref(f));
    else if (old.sha256 !== f.sha256 || old.name !== f.name) out.edited.push(ref(f));
  }
  for (const [v, f] of before) if (!after.has(v)) out.removed.push(ref(f));
  for (const list of Object.values(out)) list.sort((p, q) => p.version.localeCompare(q.version));
  return out;
}

function databaseChange(name: string, a: StackDatabasePlan | undefined, b: StackDatabasePlan | undefined, warnings: string[]): DatabaseChange | null {
  const d: DatabaseChange = { database: name, change: !a ? "added" : !b ? "removed" : "changed", migrations: migrationChanges(a, b), schemas: [], buckets: [], policies: [], other: [] };
  if (d.migrations.edited.length) {
    warnings.push(`${name}: already-numbered migration file(s) changed (${d.migrations.edited.map((m) => m.file).join(", ")}); where they are applied, the migration engine refuses them as drift: add a new migration instead`);
  }
  for (const k of KINDS) {
    const before = new Map((a ? k.items(a) : []).map((t) => [k.key(t), t]));
    const after = new Map((b ? k.items(b) : []).map((t) => [k.key(t), t]));
    for (const key of new Set([...before.keys(), ...after.keys()])) {
      const x = before.get(key);
      const y = after.get(key);
      let item: ItemChange;
      if (!x) item = { kind: k.kind, name: k.name(y), change: "added", details: [] };
      else if (!y) item = { kind: k.kind, name: k.name(x), change: "removed", details: [], ...(k.removed ? { note: k.removed } : {}) };
      else if (same(x, y)) continue;
      else item = { kind: k.kind, name: k.name(y), change: "changed", details: details(x, y) };
      if (k.statement && y) item.statement = k.statement(y);
      if (k.kind === "Bucket" && y?.public === true && x?.public !== true) warnings.push(`${name}: bucket ${item.name} becomes public (anyone with a file's URL can read it)`);
      d[k.list].push(item);
    }
  }
  // The checks: what they verify, and the digest of everything else (they re-run after any change).
  const checks = (p: StackDatabasePlan | undefined) => (p ? { exposedSchemas: p.exposedSchemas, checks: p.checks } : undefined);
  const cx = checks(a);
  const cy = checks(b);
  if (!cx && cy) d.other.push({ kind: "Checks", name: "checks", change: "added", details: [] });
  else if (cx && !cy) d.other.push({ kind: "Checks", name: "checks", change: "removed", details: [] });
  else if (cx && cy && !same(cx, cy)) d.other.push({ kind: "Checks", name: "checks", change: "changed", details: details(cx, cy) });
  else if (a && b && a.checksDeclaration !== b.checksDeclaration) d.other.push({ kind: "Checks", name: "checks", change: "changed", details: [], note: "run again after the changes above" });
  const exposure = (p: StackDatabasePlan | undefined) => (p && "projectRef" in p.dataApi ? p.dataApi : undefined);
  const ex = exposure(a);
  const ey = exposure(b);
  if (!same(ex, ey)) {
    d.other.push({ kind: "DataApiExposure", name: "data-api", change: !ex ? "added" : !ey ? "removed" : "changed", details: ex && ey ? details(ex, ey) : [] });
  }
  for (const list of [d.schemas, d.buckets, d.policies, d.other]) list.sort((p, q) => p.kind.localeCompare(q.kind) || p.name.localeCompare(q.name));
  const any = Object.values(d.migrations).some((l) => l.length) || d.schemas.length || d.buckets.length || d.policies.length || d.other.length;
  return any || d.change !== "changed" ? d : null;
}

// ---------------------------------------------------------------------------------------------
// The live item

const storeName = (l: LivePlan) => (l.store.create ? "created by this stack" : l.store.id);

function liveChange(a: LivePlan | null, b: LivePlan | null): LiveChange | null {
  if (!a && !b) return null;
  const x = a?.shares ?? {};
  const y = b?.shares ?? {};
  const shares: LiveChange["shares"] = [];
  for (const feature of [...new Set([...Object.keys(x), ...Object.keys(y)])].sort()) {
    if (x[feature] === y[feature]) continue;
    shares.push({ feature, change: x[feature] === undefined ? "added" : y[feature] === undefined ? "removed" : "changed", before: x[feature], after: y[feature] });
  }
  const settings: string[] = [];
  if (a && b) {
    if (a.item !== b.item) settings.push(`item: ${JSON.stringify(a.item)} → ${JSON.stringify(b.item)}`);
    if (storeName(a) !== storeName(b)) settings.push(`store: ${storeName(a)} → ${storeName(b)}`);
  }
  if (a && b && !shares.length && !settings.length) return null;
  const side = (b ?? a)!;
  return { item: side.item, store: storeName(side), change: !a ? "added" : !b ? "removed" : "changed", shares, settings };
}

/** Lines for people: the live shares of one app's features that a change moves. */
function liveLines(live: LiveChange | null, app: string): string[] {
  const mine = live?.shares.filter((s) => s.feature.startsWith(`${app}/`)) ?? [];
  if (!live || !mine.length) return [];
  return [
    `Edge Config item ${live.item} (read at request time, no build; Vercel propagates within 10 s of pulumi up):`,
    ...mine.map((s) => `  ${s.feature}: ${JSON.stringify(s.before ?? null)} → ${JSON.stringify(s.after ?? null)}`),
  ];
}

// ---------------------------------------------------------------------------------------------

/** What changes from `before` (null: nothing declared yet) to `after`. */
export function diffPlans(before: StackPlan | null, after: StackPlan): PlanDiff {
  const warnings: string[] = [];
  const apps = appChanges(before, after, warnings);
  // A model from before live values existed has no `live`.
  const live = liveChange(before?.live ?? null, after.live ?? null);
  const a = new Map((before?.databases ?? []).map((d) => [d.name, d]));
  const b = new Map(after.databases.map((d) => [d.name, d]));
  const databases = [...new Set([...a.keys(), ...b.keys()])]
    .sort()
    .map((name) => databaseChange(name, a.get(name), b.get(name), warnings))
    .filter((d): d is DatabaseChange => d !== null);
  return { apps, live, databases, warnings };
}

/**
 * A move's effect on one app as lines for people (what `pulumi preview` will show), from the diff
 * and the model after the move. `feature` names the moved feature, to say when preview stays pinned.
 */
export function describeAppEffect(diff: PlanDiff, after: StackPlan, app: string, feature?: string): string[] {
  if (after.mode === "local") return ["local stack: no Vercel project; nothing is deployed"];
  const model = after.apps.find((a) => a.app === app)?.vercel;
  const change = diff.apps.find((a) => a.app === app);
  const project = model?.project.name ?? change?.project ?? app;
  const values = change?.values ?? [];
  const lines = [`env of Vercel project ${project}:`];
  const pinned = feature !== undefined ? model?.rungs.preview[feature] : undefined;
  for (const target of TARGETS) {
    if (target === "preview" && pinned !== undefined) {
      lines.push(`  preview     unchanged (pinned at ${pinned} by rollout-stack:previewPhases)`);
      continue;
    }
    for (const c of values.filter((v) => v.target === target)) {
      const text = c.secret ? `(secret) ${c.change}` : `${JSON.stringify(c.before ?? null)} → ${JSON.stringify(c.after ?? null)}`;
      lines.push(`  ${target.padEnd(11)} ${c.key}: ${text}`);
    }
  }
  if (!values.length) lines.push("  (no env value changes)");
  const redeploy = change?.redeploy;
  lines.push(
    redeploy?.redeploy
      ? `redeploy: pulumi up replaces the production deployment of ${project} (changed: ${redeploy.keys.join(", ") || redeploy.reason}); the new values take effect when that build is live`
      : "redeploy: none (no production env value changes)",
  );
  lines.push(...liveLines(diff.live, app));
  return lines;
}
