/**
 * The dynamic resources' type tokens and replace rules, as plain data (no Pulumi import) so the plan
 * report can read them. Each rule is the `REPLACE_ON` its own handler's `diff` uses: written once.
 * See docs/architecture.md, section 3.9.
 */
import { REPLACE_ON as bucket } from "./handlers/bucket";
import { REPLACE_ON as checks } from "./handlers/checks";
import { REPLACE_ON as dataApi } from "./handlers/data-api";
import { REPLACE_ON as managedSql } from "./handlers/managed-sql";
import { REPLACE_ON as migrations } from "./handlers/migrations";
import { REPLACE_ON as rlsPolicy } from "./handlers/rls-policy";
import { REPLACE_ON as schema } from "./handlers/schema";

/** The module part of the type tokens: `pulumi-nodejs:dynamic/supabase:<Type>`. */
export const DYNAMIC_MODULE = "supabase";

/** Full type tokens, as the engine (and the policy pack) sees them (the SDK builds them from module and type). */
export const TYPES = {
  Migrations: "pulumi-nodejs:dynamic/supabase:Migrations",
  Schema: "pulumi-nodejs:dynamic/supabase:Schema",
  Bucket: "pulumi-nodejs:dynamic/supabase:Bucket",
  RlsPolicy: "pulumi-nodejs:dynamic/supabase:RlsPolicy",
  ManagedSql: "pulumi-nodejs:dynamic/supabase:ManagedSql",
  Checks: "pulumi-nodejs:dynamic/supabase:Checks",
  DataApiExposure: "pulumi-nodejs:dynamic/supabase:DataApiExposure",
} as const;

/** Type token → the inputs whose change replaces the resource. */
export const REPLACE_RULES: Readonly<Record<string, readonly string[]>> = {
  [TYPES.Migrations]: migrations,
  [TYPES.Schema]: schema,
  [TYPES.Bucket]: bucket,
  [TYPES.RlsPolicy]: rlsPolicy,
  [TYPES.ManagedSql]: managedSql,
  [TYPES.Checks]: checks,
  [TYPES.DataApiExposure]: dataApi,
};
