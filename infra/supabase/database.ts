/**
 * `SupabaseDatabase`: one declared database on one stack, as resources a reviewer reads in the
 * preview: its migrations, each schema, bucket and policy, the bucketing functions, the checks that
 * run last and, on cloud stacks, the Data API exposure. Every decision is made by the pure planner
 * (`declaration.ts`) before a resource exists; this component only turns the plan into resources.
 *
 * Order (dependsOn): migrations → schemas and grants → policies; buckets and managed SQL alongside;
 * checks after all of them; the Data API exposure only after the checks pass (a schema is served
 * only once its tables have RLS and policies).
 * Everything that holds data is `retainOnDelete`: dropping an app from a stack never drops a schema,
 * a bucket or the migration history. Policies are dropped with their resource (a table without
 * policies but with RLS denies everything: fail closed).
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type { DatabaseDecl } from "../apps/types";
import type { StackConfig } from "../config";
import type { DatabasePlan } from "./converge";
import { planDatabase } from "./declaration";
import { readMigrationFiles } from "./migrations";
import { Bucket, Checks, DataApiExposure, ManagedSql, Migrations, RlsPolicy, Schema } from "./resources";
import type { MigrationFileRef } from "./resources/handlers/migrations";
import { createPolicySql } from "./sql/policies";

const ROOT = path.resolve(__dirname, "../..");

/** Supabase exposes these by default (`[api] schemas` in the CLI's config.toml). */
export const DEFAULT_EXPOSED_SCHEMAS = ["public", "graphql_public"];

export interface SupabaseDatabaseArgs {
  /** The database's declaration (apps sharing a database: merged with `databasesOf`). */
  database: DatabaseDecl;
  /** The parsed stack config: its mode (no Data API on `local`) and the database's project ref. */
  config: StackConfig;
  /**
   * Project-relative directory of the database's migrations.
   * @default `migrations/<database.name>`
   */
  migrationsDir?: string;
  /**
   * The project's global upload limit in bytes (Storage settings); bucket limits may not exceed it.
   * @default 52428800 (50 MiB, Supabase's default)
   */
  globalFileSizeLimit?: number;
}

/** What a reviewer reads in `pulumi stack output` for one database. */
export interface SupabaseDatabaseSummary {
  database: string;
  migrations: string[];
  schemas: { name: string; exposed: boolean }[];
  buckets: { id: string; public: boolean }[];
  policies: string[];
  checks: string[];
  /** Schemas this stack exposes through the Data API, or why it does not manage exposure. */
  dataApi: string[] | string;
}

export class SupabaseDatabase extends pulumi.ComponentResource {
  readonly plan: DatabasePlan;
  readonly migrations: Migrations;
  /** By schema name. */
  readonly schemas: Readonly<Record<string, Schema>>;
  /** By bucket id. */
  readonly buckets: Readonly<Record<string, Bucket>>;
  /** By `schema.table.policy`. */
  readonly policies: Readonly<Record<string, RlsPolicy>>;
  readonly managedSql: readonly ManagedSql[];
  readonly checks: Checks;
  readonly dataApi?: DataApiExposure;
  readonly summary: SupabaseDatabaseSummary;

  constructor(name: string, args: SupabaseDatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("rollout-stack:supabase:Database", name, {}, opts);
    const plan = planDatabase(args.database, { globalFileSizeLimit: args.globalFileSizeLimit });
    this.plan = plan;
    const database = plan.name;
    const dir = args.migrationsDir ?? `migrations/${database}`;
    const files = migrationRefs(dir);

    this.migrations = new Migrations(`${name}-migrations`, { database, dir, files }, { parent: this, retainOnDelete: true });
    this.schemas = this.createSchemas(name, plan);
    this.buckets = this.createBuckets(name, plan);
    this.policies = this.createPolicies(name, plan);
    this.managedSql = this.createManagedSql(name, plan);
    this.checks = this.createChecks(name, plan, files);
    const exposure = this.exposure(plan, args.config);
    if (typeof exposure !== "string") this.dataApi = this.createDataApi(name, exposure);

    this.summary = {
      database,
      migrations: files.map((f) => `${f.version}_${f.name}`),
      schemas: plan.schemas.map((s) => ({ name: s.name, exposed: s.exposed })),
      buckets: plan.buckets.map((b) => ({ id: b.id, public: b.public })),
      policies: plan.policies.map((p) => `${p.name} on ${p.schema}.${p.table} (${p.command})`),
      checks: plan.checks.map((c) => c.name),
      dataApi: typeof exposure === "string" ? exposure : exposure.schemas,
    };
    this.registerOutputs({ summary: this.summary });
  }

  private createSchemas(name: string, plan: DatabasePlan): Record<string, Schema> {
    const out: Record<string, Schema> = {};
    for (const spec of plan.schemas) {
      // Migrations create the tables whose grants this converges (and usually the schema itself).
      out[spec.name] = new Schema(`${name}-schema-${spec.name}`, { database: plan.name, ...spec }, {
        parent: this,
        dependsOn: [this.migrations],
        retainOnDelete: true,
      });
    }
    return out;
  }

  private createBuckets(name: string, plan: DatabasePlan): Record<string, Bucket> {
    const out: Record<string, Bucket> = {};
    for (const spec of plan.buckets) {
      const { id, ...settings } = spec;
      out[id] = new Bucket(`${name}-bucket-${id}`, { database: plan.name, bucketId: id, ...settings }, { parent: this, retainOnDelete: true });
    }
    return out;
  }

  private createPolicies(name: string, plan: DatabasePlan): Record<string, RlsPolicy> {
    const out: Record<string, RlsPolicy> = {};
    for (const spec of plan.policies) {
      const key = `${spec.schema}.${spec.table}.${spec.name}`;
      out[key] = new RlsPolicy(`${name}-policy-${key}`, { database: plan.name, ...spec, statement: createPolicySql(spec) }, {
        parent: this,
        dependsOn: [this.migrations, ...Object.values(this.schemas)],
      });
    }
    return out;
  }

  private createManagedSql(name: string, plan: DatabasePlan): ManagedSql[] {
    return plan.managedSql.map(
      (unit) => new ManagedSql(`${name}-sql-${unit.name}`, { database: plan.name, ...unit }, { parent: this, dependsOn: [this.migrations], retainOnDelete: true }),
    );
  }

  private createChecks(name: string, plan: DatabasePlan, files: MigrationFileRef[]): Checks {
    // The checks run again whenever anything they verify is redeclared.
    const declaration = createHash("sha256")
      .update(JSON.stringify({ files, schemas: plan.schemas, buckets: plan.buckets, policies: plan.policies, sql: plan.managedSql.map((m) => [m.name, m.version]) }))
      .digest("hex")
      .slice(0, 16);
    return new Checks(
      `${name}-checks`,
      { database: plan.name, exposedSchemas: plan.exposedSchemas, checks: plan.checks, declaration },
      {
        parent: this,
        dependsOn: [this.migrations, ...Object.values(this.schemas), ...Object.values(this.buckets), ...Object.values(this.policies), ...this.managedSql],
      },
    );
  }

  /** The Data API exposure to manage, or why there is none. */
  private exposure(plan: DatabasePlan, config: StackConfig): { projectRef: string; schemas: string[] } | string {
    if (config.mode === "local") return "not managed on the local stack (no Data API)";
    const extra = plan.exposedSchemas.filter((s) => !DEFAULT_EXPOSED_SCHEMAS.includes(s));
    if (extra.length === 0) return `not needed (${plan.exposedSchemas.join(", ") || "no schema"} exposed by default)`;
    const projectRef = config.databases[plan.name]?.projectRef;
    if (!projectRef) {
      const reason = `not managed: set rollout-stack:databases.${plan.name}.projectRef to expose ${extra.join(", ")}`;
      void pulumi.log.warn(`database "${plan.name}": ${reason}`, this);
      return reason;
    }
    return { projectRef, schemas: [...plan.exposedSchemas].sort() };
  }

  private createDataApi(name: string, exposure: { projectRef: string; schemas: string[] }): DataApiExposure {
    return new DataApiExposure(`${name}-data-api`, exposure, { parent: this, dependsOn: [this.checks] });
  }
}

/** `{version, name, sha256}` of each migration file (the engine reads them), none if the directory is absent. */
export function migrationRefs(dir: string): MigrationFileRef[] {
  const abs = path.join(ROOT, dir);
  if (!fs.existsSync(abs)) return [];
  return readMigrationFiles(abs).map((f) => ({ version: f.version, name: f.name, sha256: f.sha256 }));
}
