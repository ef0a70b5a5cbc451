/**
 * From the catalog's `DatabaseDecl`s to validated database plans: apps sharing a database are merged
 * (identical declarations are shared, conflicting ones are an error naming both apps), every schema,
 * bucket and policy is validated, and the managed SQL every database receives (the rollout bucketing
 * functions) is added. Pure: no I/O, no Pulumi.
 */
import { createHash } from "crypto";
import type { AppDecl, DatabaseDecl } from "../apps/types";
import type { StackConfig } from "../config";
import { bucketingSql } from "../rollout/bucketing-sql";
import type { DatabasePlan, ManagedSqlSpec } from "./converge";
import { bucketSpecOf, DEFAULT_GLOBAL_FILE_SIZE_LIMIT, type BucketSpec } from "./sql/buckets";
import { schemaSpecOf, type SchemaSpec } from "./sql/grants";
import { policySpecOf, type PolicySpec } from "./sql/policies";

/** An operator mistake in a database declaration: every problem, one per line. */
export class DeclarationError extends Error {
  constructor(
    readonly database: string,
    readonly problems: string[],
  ) {
    super(`database "${database}" is declared with ${problems.length} problem${problems.length === 1 ? "" : "s"}:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "DeclarationError";
  }
}

/** Schema holding the rollout bucketing functions (never exposed to the Data API). */
export const ROLLOUT_SCHEMA = "rollout";

/** The managed SQL every database receives: `rollout.bucket()` and `rollout.in_rollout()`. */
export function bucketingManagedSql(): ManagedSqlSpec {
  const sql = bucketingSql({ schema: ROLLOUT_SCHEMA });
  return { name: "rollout-bucketing", schema: ROLLOUT_SCHEMA, sql, version: createHash("sha256").update(sql).digest("hex").slice(0, 16) };
}

function keyed<T>(items: readonly T[], key: (t: T) => string, app: string, into: Map<string, { item: T; app: string }>, problems: string[]): void {
  for (const item of items) {
    const k = key(item);
    const seen = into.get(k);
    if (!seen) into.set(k, { item, app });
    else if (JSON.stringify(seen.item) !== JSON.stringify(item)) {
      problems.push(`${k} is declared differently by ${seen.app === app ? `${app} (twice)` : `${seen.app} and ${app}`}; declare it once, or make the declarations identical`);
    }
  }
}

/**
 * The distinct databases of some apps, in first-declared order. Apps naming the same database are
 * merged: their schemas, buckets, policies and checks are unioned.
 */
export function databasesOf(apps: readonly AppDecl[]): DatabaseDecl[] {
  const byName = new Map<string, { app: string; decl: DatabaseDecl }[]>();
  for (const app of apps) {
    if (!app.database) continue;
    byName.set(app.database.name, [...(byName.get(app.database.name) ?? []), { app: app.name, decl: app.database }]);
  }
  return [...byName.entries()].map(([name, decls]) => {
    if (decls.length === 1) return decls[0].decl;
    const problems: string[] = [];
    const schemas = new Map<string, { item: DatabaseDecl["schemas"][number]; app: string }>();
    const buckets = new Map<string, { item: DatabaseDecl["buckets"][number]; app: string }>();
    const policies = new Map<string, { item: DatabaseDecl["policies"][number]; app: string }>();
    const checks = new Map<string, { item: DatabaseDecl["checks"][number]; app: string }>();
    for (const { app, decl } of decls) {
      keyed(decl.schemas, (s) => `schema ${s.name}`, app, schemas, problems);
      keyed(decl.buckets, (b) => `bucket ${b.id}`, app, buckets, problems);
      keyed(decl.policies, (p) => `policy ${p.name} on ${p.on}`, app, policies, problems);
      keyed(decl.checks, (c) => `check ${c.name}`, app, checks, problems);
    }
    if (problems.length) throw new DeclarationError(name, problems);
    const items = <T>(m: Map<string, { item: T }>) => [...m.values()].map((v) => v.item);
    return { name, schemas: items(schemas), buckets: items(buckets), policies: items(policies), checks: items(checks) };
  });
}

export interface PlanOptions {
  /** The project's global upload limit in bytes (bucket limits may not exceed it). @default 50 MiB */
  globalFileSizeLimit?: number;
  /** Managed SQL to install. @default [bucketingManagedSql()] */
  managedSql?: ManagedSqlSpec[];
}

/** Validates a database declaration and turns it into a plan; throws `DeclarationError` listing every problem. */
export function planDatabase(decl: DatabaseDecl, options: PlanOptions = {}): DatabasePlan {
  const problems: string[] = [];
  const attempt = <T>(f: () => T): T | undefined => {
    try {
      return f();
    } catch (e) {
      problems.push(...(e as Error).message.split("\n"));
      return undefined;
    }
  };
  const managedSql = options.managedSql ?? [bucketingManagedSql()];
  const schemas: SchemaSpec[] = [];
  const seenSchemas = new Set<string>();
  for (const s of decl.schemas) {
    if (seenSchemas.has(s.name)) problems.push(`schema "${s.name}" is declared twice`);
    seenSchemas.add(s.name);
    const spec = attempt(() => schemaSpecOf(s));
    if (spec) schemas.push(spec);
    const managed = managedSql.find((m) => m.schema === s.name);
    if (managed && s.exposed) {
      problems.push(`schema "${s.name}" holds the managed SQL "${managed.name}" and must not be exposed: functions in an exposed schema are callable by anyone through the Data API`);
    }
  }
  const buckets: BucketSpec[] = [];
  const seenBuckets = new Set<string>();
  for (const b of decl.buckets) {
    if (seenBuckets.has(b.id)) problems.push(`bucket "${b.id}" is declared twice`);
    seenBuckets.add(b.id);
    const spec = attempt(() => bucketSpecOf(b, options.globalFileSizeLimit ?? DEFAULT_GLOBAL_FILE_SIZE_LIMIT));
    if (spec) buckets.push(spec);
  }
  const policies: PolicySpec[] = [];
  const seenPolicies = new Set<string>();
  for (const p of decl.policies) {
    const key = `${p.name} on ${p.on}`;
    if (seenPolicies.has(key)) problems.push(`policy ${key} is declared twice`);
    seenPolicies.add(key);
    const spec = attempt(() => policySpecOf(p));
    if (spec) policies.push(spec);
  }
  const checkNames = new Set<string>();
  for (const c of decl.checks) {
    if (checkNames.has(c.name)) problems.push(`check "${c.name}" is declared twice`);
    checkNames.add(c.name);
    if (!c.sql.trim()) problems.push(`check "${c.name}" has no SQL`);
  }
  if (problems.length) throw new DeclarationError(decl.name, [...new Set(problems)]);
  return {
    name: decl.name,
    schemas,
    buckets,
    policies,
    managedSql,
    exposedSchemas: decl.schemas.filter((s) => s.exposed).map((s) => s.name),
    checks: decl.checks.map((c) => ({ name: c.name, sql: c.sql })),
  };
}

/** Supabase exposes these by default (`[api] schemas` in the CLI's config.toml). */
export const DEFAULT_EXPOSED_SCHEMAS = ["public", "graphql_public"];

/**
 * What dropping each kind of database resource from a stack does: everything that holds data is kept
 * (Pulumi only forgets it); a policy is dropped (a table with RLS and no policy denies everything:
 * fail closed). The component sets `retainOnDelete` from this, the plan report words removals with it.
 */
export const RETAINED_ON_DELETE = { migrations: true, schema: true, bucket: true, policy: false, managedSql: true } as const;

/** A file of a migrations directory that is skipped, and why (`IgnoredMigration` of the migration engine). */
export interface IgnoredMigrationRef {
  /** Project-relative. */
  path: string;
  reason: "name" | "init";
}

/** `{version, name, sha256}` of one migration file, as the `Migrations` resource carries it. */
export interface MigrationFileRef {
  version: string;
  name: string;
  sha256: string;
}

/** The Data API exposure a stack manages for a database, or why it manages none. */
export type DataApiPlan = { projectRef: string; schemas: string[] } | { reason: string; warn: boolean };

/** One database on one stack: its validated declaration plus what the stack adds. */
export interface StackDatabasePlan extends DatabasePlan {
  migrations: {
    dir: string;
    files: MigrationFileRef[];
    /** Files of `dir` the migration engine skips, as the Supabase CLI does; the component warns about each. */
    ignored: IgnoredMigrationRef[];
    /** Apply out-of-order files (`rollout-stack:databases.<db>.includeAll`, as `supabase db push --include-all`). */
    includeAll: boolean;
  };
  dataApi: DataApiPlan;
  /** A digest of everything the checks verify: the checks run again whenever it changes. */
  checksDeclaration: string;
}

export interface StackDatabaseInput {
  mode: "cloud" | "local";
  /** The Supabase project ref from `rollout-stack:databases.<name>.projectRef`. */
  projectRef?: string;
  /** Project-relative directory of the migrations, e.g. `migrations/chat-sessions`. */
  migrationsDir: string;
  files: MigrationFileRef[];
  /** Files of the directory that are skipped (project-relative paths). @default none */
  ignored?: IgnoredMigrationRef[];
  /** `rollout-stack:databases.<name>.includeAll`. @default false */
  includeAll?: boolean;
  globalFileSizeLimit?: number;
}

/** The Data API exposure to manage: only on cloud stacks, only for schemas beyond the defaults, only with a project ref. */
export function dataApiPlan(plan: Pick<DatabasePlan, "name" | "exposedSchemas">, mode: "cloud" | "local", projectRef: string | undefined): DataApiPlan {
  if (mode === "local") return { reason: "not managed on the local stack (no Data API)", warn: false };
  const extra = plan.exposedSchemas.filter((s) => !DEFAULT_EXPOSED_SCHEMAS.includes(s));
  if (extra.length === 0) return { reason: `not needed (${plan.exposedSchemas.join(", ") || "no schema"} exposed by default)`, warn: false };
  if (!projectRef) return { reason: `not managed: set rollout-stack:databases.${plan.name}.projectRef to expose ${extra.join(", ")}`, warn: true };
  return { projectRef, schemas: [...plan.exposedSchemas].sort() };
}

/** Validates a declaration (`planDatabase`) and adds the stack's migrations, Data API exposure and checks digest. */
export function planStackDatabase(decl: DatabaseDecl, input: StackDatabaseInput): StackDatabasePlan {
  const plan = planDatabase(decl, { globalFileSizeLimit: input.globalFileSizeLimit });
  const checksDeclaration = createHash("sha256")
    .update(JSON.stringify({ files: input.files, schemas: plan.schemas, buckets: plan.buckets, policies: plan.policies, sql: plan.managedSql.map((m) => [m.name, m.version]) }))
    .digest("hex")
    .slice(0, 16);
  return {
    ...plan,
    migrations: {
      dir: input.migrationsDir,
      files: input.files.map((f) => ({ version: f.version, name: f.name, sha256: f.sha256 })),
      ignored: (input.ignored ?? []).map((f) => ({ path: f.path, reason: f.reason })),
      includeAll: input.includeAll ?? false,
    },
    dataApi: dataApiPlan(plan, input.mode, input.projectRef),
    checksDeclaration,
  };
}

/**
 * The plan of a declared database on a stack: its settings from the stack config (Data API project
 * ref, `includeAll`) and its migrations as read from `dir`. The stack model and the component's
 * standalone form both plan through here.
 */
export function planDatabaseOnStack(
  decl: DatabaseDecl,
  config: Pick<StackConfig, "mode" | "databases">,
  migrations: { dir: string; files: MigrationFileRef[]; ignored?: IgnoredMigrationRef[] },
  globalFileSizeLimit?: number,
): StackDatabasePlan {
  const settings = config.databases[decl.name];
  return planStackDatabase(decl, {
    mode: config.mode,
    projectRef: settings?.projectRef,
    includeAll: settings?.includeAll,
    migrationsDir: migrations.dir,
    files: migrations.files,
    ignored: migrations.ignored,
    globalFileSizeLimit,
  });
}
