/**
 * Schemas and grants: what a declared schema should look like, what the database says it looks like,
 * and the statements that take one to the other. Pure: builders and a planner, no I/O, no Pulumi.
 *
 * Why grants are exact for the API roles: Supabase no longer grants new tables to `anon`,
 * `authenticated` and `service_role` by default (exposure is opt-in, table by table), and a
 * blanket grant to `anon` undoes that opt-in. So for a table the declaration lists, each API role
 * ends up with exactly the declared privileges: missing ones are granted, extra ones revoked. Other
 * roles are granted what is declared and never revoked (they are the project's business).
 */
import { quoteIdent } from "../../sql/quote";

/** The roles PostgREST switches to: every request runs as one of them. */
export const API_ROLES = ["anon", "authenticated", "service_role"] as const;

/** Table privileges, in the order Postgres lists them. */
export const TABLE_PRIVILEGES = ["select", "insert", "update", "delete", "truncate", "references", "trigger"] as const;
export type TablePrivilege = (typeof TABLE_PRIVILEGES)[number];

/** A declared schema, defaults applied (see `schemaSpecOf`). */
export interface SchemaSpec {
  name: string;
  /** Served by the Data API (PostgREST `db_schema`). */
  exposed: boolean;
  /**
   * Roles that must have USAGE. `undefined`: USAGE is not managed (a non-exposed schema with no
   * `usage` declared). When managed, API roles not listed lose it.
   */
  usage?: string[];
  /** Table → role → privileges (sorted, canonical order). Tables not listed are not touched. */
  grants: Record<string, Record<string, TablePrivilege[]>>;
}

/** What the database says about a schema (see `inspectSchemaQuery`). */
export interface SchemaState {
  exists: boolean;
  /** Roles holding USAGE through a direct grant. */
  usage: string[];
  /** Of the declared tables, those that exist (tables, views, materialized views, foreign tables). */
  tables: string[];
  /** Direct grants on the declared tables. */
  grants: { table: string; role: string; privilege: string }[];
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_$]*$/;

/** A plain SQL identifier (what the catalog may use for schema, table and role names). */
export function isPlainIdentifier(name: string): boolean {
  return IDENT.test(name) && Buffer.byteLength(name, "utf8") <= 63;
}

/**
 * The declaration of one schema with defaults applied: USAGE for the three API roles when exposed,
 * unmanaged otherwise; privileges deduplicated and in canonical order. Throws listing every problem.
 */
export function schemaSpecOf(decl: {
  name: string;
  exposed: boolean;
  usage?: string[];
  grants?: Record<string, Record<string, string[]>>;
}): SchemaSpec {
  const problems: string[] = [];
  const where = `schema "${decl.name}"`;
  if (!isPlainIdentifier(decl.name)) problems.push(`${where}: not a plain identifier (letters, digits, _ and $, at most 63 bytes)`);
  const usage = decl.usage ?? (decl.exposed ? [...API_ROLES] : undefined);
  for (const role of usage ?? []) if (!isPlainIdentifier(role)) problems.push(`${where}: usage role "${role}" is not a plain identifier`);
  const grants: Record<string, Record<string, TablePrivilege[]>> = {};
  for (const [table, byRole] of Object.entries(decl.grants ?? {})) {
    if (!isPlainIdentifier(table)) problems.push(`${where}: table "${table}" is not a plain identifier (write the table name alone, without the schema)`);
    grants[table] = {};
    for (const [role, privileges] of Object.entries(byRole)) {
      if (!isPlainIdentifier(role)) problems.push(`${where}: grants.${table}: role "${role}" is not a plain identifier`);
      const unknown = privileges.filter((p) => !(TABLE_PRIVILEGES as readonly string[]).includes(p));
      if (unknown.length) {
        problems.push(`${where}: grants.${table}.${role}: ${unknown.map((p) => `"${p}"`).join(", ")} ${unknown.length === 1 ? "is not a table privilege" : "are not table privileges"} (${TABLE_PRIVILEGES.join(", ")})`);
      }
      grants[table][role] = TABLE_PRIVILEGES.filter((p) => privileges.includes(p));
    }
  }
  if (problems.length) throw new Error(problems.join("\n"));
  return { name: decl.name, exposed: decl.exposed, usage: usage ? [...new Set(usage)].sort() : undefined, grants };
}

/**
 * The select reading everything `planSchema` needs, given SQL for the schema name (text) and the
 * declared tables (text[]): parameters here, literals in the one-statement read (`sql/snapshot.ts`).
 */
export function inspectSchemaSql(schema: string, tables: string): string {
  return `select
  exists (select 1 from pg_namespace where nspname = ${schema}) as exists,
  coalesce((select array_agg(distinct r.rolname::text order by r.rolname::text)
            from pg_namespace n cross join lateral aclexplode(n.nspacl) a join pg_roles r on r.oid = a.grantee
            where n.nspname = ${schema} and a.privilege_type = 'USAGE'), '{}')::text[] as usage,
  coalesce((select array_agg(c.relname::text order by c.relname::text)
            from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where n.nspname = ${schema} and c.relname = any (${tables}) and c.relkind in ('r', 'p', 'v', 'm', 'f')), '{}')::text[] as tables,
  coalesce((select json_agg(json_build_object('table', c.relname, 'role', r.rolname, 'privilege', lower(a.privilege_type))
                            order by c.relname, r.rolname, a.privilege_type)
            from pg_class c join pg_namespace n on n.oid = c.relnamespace
              cross join lateral aclexplode(c.relacl) a join pg_roles r on r.oid = a.grantee
            where n.nspname = ${schema} and c.relname = any (${tables})), '[]') as grants`;
}

/** One query reading everything `planSchema` needs (parameters: schema, declared tables). */
export function inspectSchemaQuery(spec: SchemaSpec): { text: string; values: unknown[] } {
  return { text: inspectSchemaSql("$1", "$2::text[]"), values: [spec.name, Object.keys(spec.grants)] };
}

function roleList(roles: readonly string[]): string {
  return roles.map(quoteIdent).join(", ");
}

/**
 * The statements that make the database match the declaration, in order; none when it matches.
 * Throws naming the table when a declared table does not exist (its migration must come first).
 */
export function planSchema(spec: SchemaSpec, state: SchemaState): string[] {
  const schema = quoteIdent(spec.name);
  const out: string[] = [];
  if (!state.exists) out.push(`create schema if not exists ${schema}`);
  if (spec.usage) {
    const have = new Set(state.exists ? state.usage : []);
    const missing = spec.usage.filter((r) => !have.has(r));
    if (missing.length) out.push(`grant usage on schema ${schema} to ${roleList(missing)}`);
    const extra = API_ROLES.filter((r) => have.has(r) && !spec.usage!.includes(r));
    if (extra.length) out.push(`revoke usage on schema ${schema} from ${roleList(extra)}`);
  }
  const missingTables = Object.keys(spec.grants).filter((t) => !state.tables.includes(t));
  if (missingTables.length) {
    throw new Error(
      `schema "${spec.name}": grants are declared on ${missingTables.map((t) => `${spec.name}.${t}`).join(", ")}, which ${missingTables.length === 1 ? "does" : "do"} not exist; ` +
        `create ${missingTables.length === 1 ? "it" : "them"} in a migration (migrations run before grants) or remove the grant`,
    );
  }
  for (const table of Object.keys(spec.grants).sort()) {
    const declared = spec.grants[table];
    const target = `${schema}.${quoteIdent(table)}`;
    const roles = [...new Set([...API_ROLES, ...Object.keys(declared)])].sort();
    for (const role of roles) {
      const want = declared[role] ?? [];
      const have = new Set(state.grants.filter((g) => g.table === table && g.role === role).map((g) => g.privilege));
      const grant = want.filter((p) => !have.has(p));
      if (grant.length) out.push(`grant ${grant.join(", ")} on table ${target} to ${quoteIdent(role)}`);
      const managed = (API_ROLES as readonly string[]).includes(role);
      const revoke = managed ? TABLE_PRIVILEGES.filter((p) => have.has(p) && !want.includes(p)) : [];
      if (revoke.length) out.push(`revoke ${revoke.join(", ")} on table ${target} from ${quoteIdent(role)}`);
    }
  }
  return out;
}
