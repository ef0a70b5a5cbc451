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
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type { DatabaseDecl } from "../apps/types";
import type { StackConfig } from "../config";
import { planDatabaseOnStack, RETAINED_ON_DELETE, type StackDatabasePlan } from "./declaration";
import { formatIgnoredMigration, migrationDirRefs } from "./migrations";
import { Bucket, Checks, DataApiExposure, ManagedSql, Migrations, RlsPolicy, Schema } from "./resources";
import { createPolicySql } from "./sql/policies";

export { DEFAULT_EXPOSED_SCHEMAS } from "./declaration";

const ROOT = path.resolve(__dirname, "../..");

/** Either the stack model's plan of the database (the program), or a declaration to plan here. */
export type SupabaseDatabaseArgs =
  | {
      /** This database's part of `planStack(config)`. */
      plan: StackDatabasePlan;
    }
  | {
      /** The database's declaration (apps sharing a database: merged with `databasesOf`). */
      database: DatabaseDecl;
      /** The parsed stack config: its mode (no Data API on `local`) and the database's project ref. */
      config: StackConfig;
      /** Project-relative directory of the database's migrations. @default `migrations/<database.name>` */
      migrationsDir?: string;
      /** The project's global upload limit in bytes; bucket limits may not exceed it. @default 50 MiB */
      globalFileSizeLimit?: number;
    };

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
  readonly plan: StackDatabasePlan;
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
    const plan = "plan" in args ? args.plan : planStandalone(args);
    this.plan = plan;
    const database = plan.name;
    const { dir, files, ignored, includeAll } = plan.migrations;

    // Skipped as the Supabase CLI skips them (`db push` and `npm run local` print the same warning).
    for (const f of ignored) void pulumi.log.warn(`database "${database}": ${formatIgnoredMigration(f)}`, this);
    // includeAll only when set: stacks without it keep their inputs (and state) as before.
    const migrationInputs = includeAll ? { database, dir, files, includeAll } : { database, dir, files };
    this.migrations = new Migrations(`${name}-migrations`, migrationInputs, { parent: this, retainOnDelete: RETAINED_ON_DELETE.migrations });
    this.schemas = this.createSchemas(name, plan);
    this.buckets = this.createBuckets(name, plan);
    this.policies = this.createPolicies(name, plan);
    this.managedSql = this.createManagedSql(name, plan);
    this.checks = this.createChecks(name, plan);
    const exposure = plan.dataApi;
    if ("projectRef" in exposure) this.dataApi = this.createDataApi(name, exposure);
    else if (exposure.warn) void pulumi.log.warn(`database "${plan.name}": ${exposure.reason}`, this);

    this.summary = {
      database,
      migrations: files.map((f) => `${f.version}_${f.name}`),
      schemas: plan.schemas.map((s) => ({ name: s.name, exposed: s.exposed })),
      buckets: plan.buckets.map((b) => ({ id: b.id, public: b.public })),
      policies: plan.policies.map((p) => `${p.name} on ${p.schema}.${p.table} (${p.command})`),
      checks: plan.checks.map((c) => c.name),
      dataApi: "projectRef" in exposure ? exposure.schemas : exposure.reason,
    };
    this.registerOutputs({ summary: this.summary });
  }

  private createSchemas(name: string, plan: StackDatabasePlan): Record<string, Schema> {
    const out: Record<string, Schema> = {};
    for (const spec of plan.schemas) {
      // Migrations create the tables whose grants this converges (and usually the schema itself).
      out[spec.name] = new Schema(`${name}-schema-${spec.name}`, { database: plan.name, ...spec }, {
        parent: this,
        dependsOn: [this.migrations],
        retainOnDelete: RETAINED_ON_DELETE.schema,
      });
    }
    return out;
  }

  private createBuckets(name: string, plan: StackDatabasePlan): Record<string, Bucket> {
    const out: Record<string, Bucket> = {};
    for (const spec of plan.buckets) {
      const { id, ...settings } = spec;
      out[id] = new Bucket(`${name}-bucket-${id}`, { database: plan.name, bucketId: id, ...settings }, { parent: this, retainOnDelete: RETAINED_ON_DELETE.bucket });
    }
    return out;
  }

  private createPolicies(name: string, plan: StackDatabasePlan): Record<string, RlsPolicy> {
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

  private createManagedSql(name: string, plan: StackDatabasePlan): ManagedSql[] {
    return plan.managedSql.map(
      (unit) => new ManagedSql(`${name}-sql-${unit.name}`, { database: plan.name, ...unit }, { parent: this, dependsOn: [this.migrations], retainOnDelete: RETAINED_ON_DELETE.managedSql }),
    );
  }

  private createChecks(name: string, plan: StackDatabasePlan): Checks {
    // The checks run again whenever anything they verify is redeclared (the plan's digest).
    const declaration = plan.checksDeclaration;
    return new Checks(
      `${name}-checks`,
      { database: plan.name, exposedSchemas: plan.exposedSchemas, checks: plan.checks, declaration },
      {
        parent: this,
        dependsOn: [this.migrations, ...Object.values(this.schemas), ...Object.values(this.buckets), ...Object.values(this.policies), ...this.managedSql],
      },
    );
  }

  private createDataApi(name: string, exposure: { projectRef: string; schemas: string[] }): DataApiExposure {
    return new DataApiExposure(`${name}-data-api`, exposure, { parent: this, dependsOn: [this.checks] });
  }
}

/** The standalone form's plan: the declaration on the stack, migrations read from the project. */
function planStandalone(args: Extract<SupabaseDatabaseArgs, { database: DatabaseDecl }>): StackDatabasePlan {
  const dir = args.migrationsDir ?? `migrations/${args.database.name}`;
  return planDatabaseOnStack(args.database, args.config, { dir, ...migrationDirRefs(ROOT, dir) }, args.globalFileSizeLimit);
}
