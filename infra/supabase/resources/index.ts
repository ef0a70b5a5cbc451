/**
 * The database's dynamic resources. Each has its own type token,
 * `pulumi-nodejs:dynamic/supabase:<Type>` (the SDK builds it from the module and type passed to
 * `dynamic.Resource`), so policies and previews can tell them apart. Inputs are plain, decided
 * values: names, hashes, specs; never a credential (see `../connection.ts`).
 */
import * as pulumi from "@pulumi/pulumi";
import type { ChecksInputs } from "./handlers/checks";
import type { DataApiInputs } from "./handlers/data-api";
import type { ManagedSqlInputs } from "./handlers/managed-sql";
import type { MigrationFileRef, MigrationsInputs } from "./handlers/migrations";
import type { RlsPolicyInputs } from "./handlers/rls-policy";
import type { SchemaInputs } from "./handlers/schema";
import type { BucketInputs } from "./handlers/bucket";
import { bundledProvider } from "../../dynamic/provider";

/** Project-relative path of a handler module, e.g. `infra/supabase/resources/handlers/bucket.ts`. */
function handlerModule(name: string): string {
  return `infra/supabase/resources/handlers/${name}.ts`;
}
import { DYNAMIC_MODULE } from "./types";

export { DYNAMIC_MODULE, REPLACE_RULES, TYPES } from "./types";

/** The migration files of a database (`{version, name, sha256}` each) applied through the engine. */
export class Migrations extends pulumi.dynamic.Resource {
  declare readonly files: pulumi.Output<MigrationFileRef[]>;
  /** Versions the last create/update applied. */
  declare readonly appliedByLastRun: pulumi.Output<string[]>;
  constructor(name: string, args: MigrationsInputs, opts?: pulumi.CustomResourceOptions) {
    super(bundledProvider(handlerModule("migrations")), name, { ...args, appliedByLastRun: undefined }, opts, DYNAMIC_MODULE, "Migrations");
  }
}

/** A schema: created if missing, USAGE for the declared roles, exact per-table grants. */
export class Schema extends pulumi.dynamic.Resource {
  declare readonly lastActions: pulumi.Output<string[]>;
  constructor(name: string, args: SchemaInputs, opts?: pulumi.CustomResourceOptions) {
    super(bundledProvider(handlerModule("schema")), name, { ...args, lastActions: undefined }, opts, DYNAMIC_MODULE, "Schema");
  }
}

/** A Storage bucket row, upserted; never deleted by us. */
export class Bucket extends pulumi.dynamic.Resource {
  constructor(name: string, args: BucketInputs, opts?: pulumi.CustomResourceOptions) {
    super(bundledProvider(handlerModule("bucket")), name, { ...args }, opts, DYNAMIC_MODULE, "Bucket");
  }
}

/** One row-level security policy (`statement` is the `create policy` a reviewer reads). */
export class RlsPolicy extends pulumi.dynamic.Resource {
  declare readonly stored: pulumi.Output<unknown>;
  constructor(name: string, args: RlsPolicyInputs, opts?: pulumi.CustomResourceOptions) {
    super(bundledProvider(handlerModule("rls-policy")), name, { ...args, stored: undefined, drifted: undefined }, opts, DYNAMIC_MODULE, "RlsPolicy");
  }
}

/** SQL we install as a unit (the rollout bucketing functions), versioned by a hash of its text. */
export class ManagedSql extends pulumi.dynamic.Resource {
  constructor(name: string, args: ManagedSqlInputs, opts?: pulumi.CustomResourceOptions) {
    super(bundledProvider(handlerModule("managed-sql")), name, { ...args }, opts, DYNAMIC_MODULE, "ManagedSql");
  }
}

/** The verification that runs last: RLS on exposed tables, invoker views, the declared checks. */
export class Checks extends pulumi.dynamic.Resource {
  declare readonly passed: pulumi.Output<string[]>;
  constructor(name: string, args: ChecksInputs, opts?: pulumi.CustomResourceOptions) {
    super(bundledProvider(handlerModule("checks")), name, { ...args, passed: undefined }, opts, DYNAMIC_MODULE, "Checks");
  }
}

/** The project's Data API `db_schema`, with the declared exposed schemas added. */
export class DataApiExposure extends pulumi.dynamic.Resource {
  declare readonly dbSchema: pulumi.Output<string[]>;
  declare readonly added: pulumi.Output<string[]>;
  constructor(name: string, args: DataApiInputs, opts?: pulumi.CustomResourceOptions) {
    super(bundledProvider(handlerModule("data-api")), name, { ...args, dbSchema: undefined, added: undefined }, opts, DYNAMIC_MODULE, "DataApiExposure");
  }
}
