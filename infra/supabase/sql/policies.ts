/**
 * Row-level security policies: validation, `create policy` / `drop policy` text, and the query that
 * reads a policy back as Postgres stores it. Pure: no I/O, no Pulumi.
 *
 * A policy's expressions are SQL from the catalog (code reviewed like a migration), so they are
 * pasted in parentheses; names and roles go through the quoting helper. DDL takes no parameters.
 * A policy is compared with what Postgres stores (`pg_policies`, deparsed), never with source text:
 * `(select auth.uid()) = user_id` comes back as `( SELECT auth.uid() AS uid) = user_id`.
 *
 * Convergence records what it converged in the policy's comment (`policyRecord`): a hash of the
 * declaration and a hash of the stored form it produced. A read alone then tells whether a policy is
 * up to date: the declaration is the same and nobody changed the policy since (an `ALTER POLICY`
 * changes the stored form, a `DROP` removes the row).
 */
import { quoteIdent, quoteLiteral } from "../../sql/quote";
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

/** The columns of a `StoredPolicy`, from `pg_policies`. */
const STORED_COLUMNS = "permissive, array(select unnest(roles) order by 1)::text[] as roles, cmd, qual, with_check";

/** The policy's comment (where convergence records what it converged), as a column of a `pg_policies` query. */
const COMMENT_COLUMN = `(select obj_description(pol.oid, 'pg_policy')
   from pg_policy pol join pg_class c on c.oid = pol.polrelid join pg_namespace n on n.oid = c.relnamespace
   where n.nspname = pg_policies.schemaname and c.relname = pg_policies.tablename and pol.polname = pg_policies.policyname) as comment`;

/** The policy as stored (no row when it does not exist). */
export function readPolicyQuery(spec: Pick<PolicySpec, "name" | "schema" | "table">): { text: string; values: unknown[] } {
  return {
    text: `select ${STORED_COLUMNS}
from pg_policies where schemaname = $1 and tablename = $2 and policyname = $3`,
    values: [spec.schema, spec.table, spec.name],
  };
}

/** A stored policy with its comment, as `policyStateQuery` and `policyRowsSql` read it. */
export interface StoredPolicyRow extends StoredPolicy {
  comment: string | null;
}

/**
 * What `convergePolicy` reads first, in one query: the table's oid (null: no such table) and the
 * policy as stored with its comment (`policy`, JSON; null: no such policy).
 */
export function policyStateQuery(spec: Pick<PolicySpec, "name" | "schema" | "table">): { text: string; values: unknown[] } {
  return {
    text: `select to_regclass($1)::oid::text as oid,
  (select row_to_json(p) from (select ${STORED_COLUMNS}, ${COMMENT_COLUMN}
                               from pg_policies where schemaname = $2 and tablename = $3 and policyname = $4) p) as policy`,
    values: [policyTarget(spec), spec.schema, spec.table, spec.name],
  };
}

/** Stored policies with their schema, table, name and comment (`where`: a condition on pg_policies). */
export function policyRowsSql(where: string): string {
  return `select schemaname::text as "schema", tablename::text as "table", policyname::text as "name", ${STORED_COLUMNS}, ${COMMENT_COLUMN}
from pg_policies where ${where}`;
}

/** The stored form alone (what `samePolicy` compares and the RlsPolicy resource keeps). */
export function storedPolicyOf(row: StoredPolicy): StoredPolicy {
  return { permissive: row.permissive, roles: row.roles, cmd: row.cmd, qual: row.qual, with_check: row.with_check };
}

function shortHash(value: unknown): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createHash } = require("crypto") as typeof import("crypto");
  return createHash("sha256").update(JSON.stringify(value)).digest("hex").slice(0, 16);
}

/**
 * The comment convergence writes on a policy it converged: `rollout-stack spec=<hash> stored=<hash>`,
 * hashes (sha256 of canonical JSON) of the declaration and of the stored form it left.
 */
export function policyRecord(spec: PolicySpec, stored: StoredPolicy): string {
  const specHash = shortHash(["spec", spec.schema, spec.table, spec.name, spec.command, [...spec.roles].sort(), spec.using, spec.withCheck]);
  const storedHash = shortHash(["stored", stored.permissive, [...stored.roles].sort(), stored.cmd, stored.qual, stored.with_check]);
  return `rollout-stack spec=${specHash} stored=${storedHash}`;
}

/**
 * Whether a policy is up to date from a read alone: its comment records this declaration and the
 * stored form it has now. A policy edited by hand, or never recorded, is not (convergence then
 * compares stored forms the slow way).
 */
export function policyUpToDate(spec: PolicySpec, row: StoredPolicyRow | undefined): boolean {
  return row !== undefined && row.comment === policyRecord(spec, row);
}

/** `comment on policy …`: records `comment` (a `policyRecord`) on the policy. */
export function commentPolicySql(spec: Pick<PolicySpec, "name" | "schema" | "table">, comment: string): string {
  return `comment on policy ${quoteIdent(spec.name)} on ${policyTarget(spec)} is ${quoteLiteral(comment)}`;
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
