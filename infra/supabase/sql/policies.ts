/**
 * Row-level security policies: validation, `create policy` / `drop policy` text, and the query that
 * reads a policy back as Postgres stores it. Pure: no I/O, no Pulumi.
 *
 * A policy's expressions are SQL from the catalog (code reviewed like a migration), so they are
 * pasted in parentheses; names and roles go through the quoting helper. DDL takes no parameters.
 * A policy is compared with what Postgres stores (`pg_policies`, deparsed), never with source text:
 * `(select auth.uid()) = user_id` comes back as `( SELECT auth.uid() AS uid) = user_id`.
 */
import { quoteIdent } from "../../sql/quote";
import { isPlainIdentifier } from "./grants";

export type PolicyCommand = "select" | "insert" | "update" | "delete" | "all";
const COMMANDS: readonly PolicyCommand[] = ["select", "insert", "update", "delete", "all"];

/** A policy as the catalog declares it (`DatabaseDecl.policies`). */
export interface PolicyDecl {
  name: string;
  /** `schema.table` */
  on: string;
  command: PolicyCommand;
  roles: string[];
  using?: string;
  withCheck?: string;
}

/** A validated policy. */
export interface PolicySpec {
  name: string;
  schema: string;
  table: string;
  command: PolicyCommand;
  /** Sorted; `public` means every role. */
  roles: string[];
  using: string | null;
  withCheck: string | null;
}

/** A policy as `pg_policies` shows it. */
export interface StoredPolicy {
  permissive: string;
  roles: string[];
  cmd: string;
  qual: string | null;
  with_check: string | null;
}

/** Validates a declared policy; throws one error listing every problem, each naming the policy. */
export function policySpecOf(decl: PolicyDecl): PolicySpec {
  const where = `policy "${decl.name}" on ${decl.on}`;
  const problems: string[] = [];
  if (decl.name.length === 0 || Buffer.byteLength(decl.name, "utf8") > 63) {
    problems.push(`${where}: the name must be 1–63 bytes (Postgres truncates longer names, and the policy could not be found again)`);
  }
  const dot = decl.on.indexOf(".");
  const schema = dot < 0 ? "" : decl.on.slice(0, dot);
  const table = dot < 0 ? "" : decl.on.slice(dot + 1);
  if (!isPlainIdentifier(schema) || !isPlainIdentifier(table)) problems.push(`${where}: "on" must be schema.table (plain identifiers), e.g. "health_companion.threads"`);
  if (!COMMANDS.includes(decl.command)) problems.push(`${where}: command "${decl.command}" is not one of ${COMMANDS.join(", ")}`);
  if (decl.roles.length === 0) problems.push(`${where}: roles is empty; name the roles it applies to (e.g. ["authenticated"])`);
  for (const role of decl.roles) if (!isPlainIdentifier(role)) problems.push(`${where}: role "${role}" is not a plain identifier`);
  const using = decl.using?.trim() || null;
  const withCheck = decl.withCheck?.trim() || null;
  // Postgres's own rules (CREATE POLICY): INSERT has only WITH CHECK; SELECT and DELETE only USING.
  if (decl.command === "insert" && using) problems.push(`${where}: an insert policy takes only withCheck (Postgres rejects USING for INSERT)`);
  if ((decl.command === "select" || decl.command === "delete") && withCheck) {
    problems.push(`${where}: a ${decl.command} policy takes only using (Postgres rejects WITH CHECK for ${decl.command.toUpperCase()})`);
  }
  if (decl.command === "insert" && !withCheck) problems.push(`${where}: an insert policy needs withCheck (the rows a role may add)`);
  if ((decl.command === "select" || decl.command === "delete") && !using) problems.push(`${where}: a ${decl.command} policy needs using (the rows it applies to)`);
  if ((decl.command === "update" || decl.command === "all") && !using && !withCheck) problems.push(`${where}: give using and/or withCheck`);
  if (problems.length) throw new Error(problems.join("\n"));
  return { name: decl.name, schema, table, command: decl.command, roles: [...new Set(decl.roles)].sort(), using, withCheck };
}

function roleSql(role: string): string {
  // PUBLIC is a keyword, not a role: quoted, "public" would name a role that does not exist.
  return role === "public" ? "public" : quoteIdent(role);
}

/** `schema.table`, quoted. */
export function policyTarget(spec: Pick<PolicySpec, "schema" | "table">): string {
  return `${quoteIdent(spec.schema)}.${quoteIdent(spec.table)}`;
}

/** The `create policy` statement (what the preview shows). */
export function createPolicySql(spec: PolicySpec): string {
  let sql = `create policy ${quoteIdent(spec.name)} on ${policyTarget(spec)} as permissive for ${spec.command} to ${spec.roles.map(roleSql).join(", ")}`;
  if (spec.using) sql += ` using (${spec.using})`;
  if (spec.withCheck) sql += ` with check (${spec.withCheck})`;
  return sql;
}

export function dropPolicySql(spec: Pick<PolicySpec, "name" | "schema" | "table">): string {
  return `drop policy if exists ${quoteIdent(spec.name)} on ${policyTarget(spec)}`;
}

/** The policy as stored (no row when it does not exist). */
export function readPolicyQuery(spec: Pick<PolicySpec, "name" | "schema" | "table">): { text: string; values: unknown[] } {
  return {
    text: `select permissive, array(select unnest(roles) order by 1)::text[] as roles, cmd, qual, with_check
from pg_policies where schemaname = $1 and tablename = $2 and policyname = $3`,
    values: [spec.schema, spec.table, spec.name],
  };
}

/** Whether two stored policies are the same (roles compared as sets). */
export function samePolicy(a: StoredPolicy, b: StoredPolicy): boolean {
  return (
    a.permissive === b.permissive &&
    a.cmd === b.cmd &&
    a.qual === b.qual &&
    a.with_check === b.with_check &&
    JSON.stringify([...a.roles].sort()) === JSON.stringify([...b.roles].sort())
  );
}
