/**
 * The plan report: what a stack's change does, in words a reviewer reads. Pure: no Pulumi, no git, no
 * file system.
 *
 * Two sources, each for what it knows best:
 * - the stack models of base and head (`planStack`, carried in each snapshot), compared by
 *   `diffPlans`, the same diff `rollout` prints a move's effect with: env values per target, the
 *   production redeploy, crons, migrations, schemas, buckets, policies, checks;
 * - the renders, compared generically: every custom resource added, removed, replaced or updated,
 *   with the options that changed. Whether an input change replaces a resource is read from the rules
 *   that live beside each resource's handler (`REPLACE_RULES`).
 * A base commit whose code predates the model has no model: the report then shows the render diff
 * only, and says so. Phase moves come from the stack files, described with the tree's own ladders.
 *
 * JSON shape: `PlanReport` below (`format: "rollout-stack.plan/v1"`). No value in it is secret: secret
 * inputs arrive masked (`snapshot.ts`) and the model holds no secret; secrets are reported as "changed".
 * See docs/architecture.md, section 3.13.
 */
import type { FeatureDecl } from "../apps/types";
import { diffPlans, type AppChange, type DatabaseChange, type ItemChange, type LiveChange, type PlanDiff } from "../model/diff";
import type { Exposure } from "../rollout/exposure";
import { findRung, ladderOf, type Rung } from "../rollout/ladder";
import { classifyMove, diffPhases, type MoveKind, type PhaseTarget } from "../rollout/moves";
import { REPLACE_RULES as SUPABASE_REPLACE_RULES } from "../supabase/resources/types";
import { ANY_INPUT, INERT_INPUTS, REPLACE_RULES as VERCEL_REPLACE_RULES } from "../vercel/resource-types";
import type { PlanSnapshot, SnapshotResource } from "./snapshot";

export type { AppChange, CronChanges, DatabaseChange, ItemChange, MigrationRef, ValueChange } from "../model/diff";

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
  target: PhaseTarget;
  from: string | null;
  to: string | null;
  /** The move's kind on the ladder; `new`/`dropped` when the feature appears or goes; `changed` when off-ladder. */
  kind: MoveKind | "new" | "dropped" | "changed";
  /** e.g. `10% → 50% of production users (advance)`. */
  text: string;
  /**
   * Who the move reaches, for apps that declare a population: counts of the base commit's population
   * (gained, lost, holding it after), the offline form without a database URL, or why it was not counted.
   */
  exposure?: Exposure;
}

/** One app's Vercel changes: the model diff's `AppChange`, its values under `env` (every value is an env var today). */
export interface VercelAppChange extends Omit<AppChange, "values"> {
  env: AppChange["values"];
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
  /**
   * `model`: app and database changes come from the two stack models; `render`: the base predates the
   * model, so only the generic resource changes are known.
   */
  diff: "model" | "render";
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
    /** Live shares that change in the Edge Config item. */
    liveShares: number;
    /** Apps already managed whose crons change (enabled or disabled, added, removed, rescheduled). */
    crons: number;
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
  /** The stack's Edge Config item (live features' shares), when it changes. */
  live: LiveChange | null;
  /** Secret config keys (`secure:` values) added, removed or re-encrypted; values never shown. */
  secrets: { key: string; change: Change }[];
  /** Custom resources only (components group, they do nothing themselves). */
  resources: { added: ResourceRef[]; removed: ResourceRef[]; replaced: ResourceUpdate[]; updated: ResourceUpdate[]; unchanged: number };
  /** Things a reviewer must look at: regenerated secrets, buckets made public, program warnings. */
  warnings: string[];
  /** Limits of this offline render (placeholders for secrets and ESC values). */
  notes: string[];
}

/** Type token → inputs whose change replaces the resource, from beside each resource's handler. */
const REPLACE_RULES: Readonly<Record<string, readonly string[]>> = { ...VERCEL_REPLACE_RULES, ...SUPABASE_REPLACE_RULES };

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

/** The changed inputs that make the provider replace `r` (its type's rules and its `replaceOnChanges`). */
export function replaceBecause(r: Pick<SnapshotResource, "type" | "options">, inputs: readonly string[]): string[] {
  const rules = [...(REPLACE_RULES[r.type] ?? []), ...r.options.replaceOnChanges];
  const inert = INERT_INPUTS[r.type] ?? [];
  return inputs.filter((k) => !inert.includes(k) && (rules.includes(ANY_INPUT) || rules.includes(k)));
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
  const feature = (key: string) => head.features?.[key] ?? base?.features?.[key] ?? fallback[key];
  const audience = { production: "production users", preview: "preview deployments' users" } as const;
  const hb = head.stackFile;
  const out: PhaseChange[] = diffPhases(base?.stackFile, hb).map((m) => ({ ...m, ...describeMove(feature(m.key), m.key, m.from, m.to, audience[m.target]) }));
  // A production move with preview pinned leaves preview alone: say so next to the move.
  for (const p of out) {
    const pinned = hb?.previewPhases[p.key];
    if (p.target === "production" && pinned !== undefined && p.to !== null) p.text += `; preview stays at ${pinned} (previewPhases)`;
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
  // A new app's crons are part of what it declares; only an existing app's crons "change".
  if (c.crons) parts.push(`crons change (${report.vercel.filter((v) => v.crons && v.change === "changed").map((v) => v.app).join(", ")})`);
  if (c.liveShares) parts.push(`${plural(c.liveShares, report.base ? "live share changed" : "live share", report.base ? "live shares changed" : "live shares")} in Edge Config item ${report.live!.item}`);
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

/** Compares two snapshots (their stack models and their renders) into the report. */
export function buildReport(input: BuildReportInput): PlanReport {
  const { base, head } = input;
  const warnings: string[] = [];
  const notes: string[] = [];
  const phases = phaseChanges(base, head, input.fallbackFeatures ?? {});
  // A base without a model (its code predates planStack) leaves only the render diff to report.
  const modelled = head.model !== null && (base === null || base.model !== null);
  const diff: PlanDiff = modelled ? diffPlans(base?.model ?? null, head.model!) : { apps: [], live: null, databases: [], warnings: [] };
  const vercel: VercelAppChange[] = diff.apps.map(({ values, ...app }) => ({ ...app, env: values }));
  const databases: DatabaseChange[] = diff.databases;
  warnings.push(...diff.warnings);
  if (head.model && base && !base.model) {
    notes.push(`the base ${input.baseInfo?.ref ?? ""} predates the stack model: env values, redeploys and database items are not itemised; see the resource changes`);
  }
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
    liveShares: diff.live?.shares.length ?? 0,
    crons: vercel.filter((v) => v.crons && v.change === "changed").length,
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
    diff: modelled ? "model" : "render",
    stack: input.stack,
    base: input.baseInfo,
    head: input.headInfo,
    counts,
    phases,
    vercel,
    databases,
    live: diff.live,
    secrets,
    resources,
    warnings,
    notes,
  };
  const { format, stack, base: baseInfo, head: headInfo, ...rest } = report;
  // `summary` right after the header fields: the first thing a person opening the JSON reads.
  return { format, stack, base: baseInfo, head: headInfo, summary: summaryOf(report), ...rest };
}
