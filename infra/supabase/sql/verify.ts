/**
 * What must hold after convergence, as queries and messages. Pure: no I/O, no Pulumi.
 * - every table in an exposed schema has row-level security enabled (the Data API serves every
 *   table it can see; without RLS a grant is the whole table). The policy pack cannot see tables, so
 *   this is checked here;
 * - every view in an exposed schema is `security_invoker` (a plain view runs as its owner and
 *   bypasses the RLS of the tables it reads);
 * - on the tables of an exposed schema, `anon` and `authenticated` hold only privileges a policy of
 *   theirs uses: no TRUNCATE, REFERENCES or TRIGGER (RLS does not apply to TRUNCATE: it empties the
 *   table whatever the policies say), and no SELECT/INSERT/UPDATE/DELETE without a policy for that
 *   command and role (a grant waiting for a policy is a grant someone will one day misread);
 * - the declared checks (the seeds' verify queries) each return true.
 */

/** A declared check (`DatabaseDecl.checks`): one query returning one boolean. */
export interface CheckDecl {
  name: string;
  sql: string;
}

export type VerifyProblem =
  | { kind: "rls-disabled"; table: string }
  | { kind: "view-not-invoker"; view: string }
  | { kind: "grant-without-policy"; table: string; role: string; privilege: string }
  | { kind: "check-false"; name: string; got: string }
  | { kind: "check-error"; name: string; message: string; code?: string };

// Each verification query is built from SQL for its arrays (text[]): parameters in the `…Query`
// forms, literals in convergence's one-statement read (`sql/snapshot.ts`).

/** Tables (ordinary and partitioned) of the exposed schemas without row-level security. */
export function tablesWithoutRlsSql(exposedSchemas: string): string {
  return `select format('%s.%s', n.nspname, c.relname) as name
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where n.nspname = any (${exposedSchemas}) and c.relkind in ('r', 'p') and not c.relrowsecurity
order by 1`;
}

export function tablesWithoutRlsQuery(exposedSchemas: readonly string[]): { text: string; values: unknown[] } {
  return { text: tablesWithoutRlsSql("$1::text[]"), values: [[...exposedSchemas]] };
}

/** Views of the exposed schemas that run as their owner (no `security_invoker` option set true). */
export function viewsNotInvokerSql(exposedSchemas: string): string {
  return `select format('%s.%s', n.nspname, c.relname) as name
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where n.nspname = any (${exposedSchemas}) and c.relkind = 'v'
  and not coalesce((select o.option_value::boolean from pg_options_to_table(c.reloptions) o
                    where o.option_name = 'security_invoker'), false)
order by 1`;
}

export function viewsNotInvokerQuery(exposedSchemas: readonly string[]): { text: string; values: unknown[] } {
  return { text: viewsNotInvokerSql("$1::text[]"), values: [[...exposedSchemas]] };
}

/** The request roles whose table privileges must each be used by a policy (`service_role` bypasses RLS). */
export const POLICY_BOUND_ROLES = ["anon", "authenticated"] as const;

/**
 * Privileges of `anon` and `authenticated` (`roles`) on the tables of the exposed schemas that no
 * policy uses: TRUNCATE, REFERENCES and TRIGGER always; SELECT, INSERT, UPDATE and DELETE when no
 * policy of the table names the role (or PUBLIC) for that command (or ALL).
 */
export function grantsWithoutPolicySql(exposedSchemas: string, roles: string): string {
  return `select format('%s.%s', n.nspname, c.relname) as "table", r.rolname as role, lower(a.privilege_type) as privilege
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
cross join lateral aclexplode(c.relacl) a
join pg_roles r on r.oid = a.grantee
where n.nspname = any (${exposedSchemas}) and c.relkind in ('r', 'p') and r.rolname = any (${roles})
  and not (
    a.privilege_type in ('SELECT', 'INSERT', 'UPDATE', 'DELETE')
    and exists (select 1 from pg_policies p
                where p.schemaname = n.nspname and p.tablename = c.relname
                  and (p.cmd = 'ALL' or p.cmd = a.privilege_type)
                  and (r.rolname = any (p.roles) or 'public' = any (p.roles)))
  )
order by 1, 2, 3`;
}

export function grantsWithoutPolicyQuery(exposedSchemas: readonly string[]): { text: string; values: unknown[] } {
  return { text: grantsWithoutPolicySql("$1::text[]", "$2::text[]"), values: [[...exposedSchemas], [...POLICY_BOUND_ROLES]] };
}

/** One line per problem: what is wrong, naming the table, view or check, and the fix. */
export function formatVerifyProblem(p: VerifyProblem): string {
  switch (p.kind) {
    case "rls-disabled":
      return `table ${p.table} is in an exposed schema and has row level security disabled: every row is served to any role with a grant. fix: \`alter table ${p.table} enable row level security;\` in a migration (then declare its policies)`;
    case "view-not-invoker":
      return `view ${p.view} is in an exposed schema and runs as its owner, bypassing the RLS of what it reads. fix: \`alter view ${p.view} set (security_invoker = true);\` in a migration, or move it to a schema that is not exposed`;
    case "grant-without-policy":
      return ["truncate", "references", "trigger"].includes(p.privilege)
        ? `table ${p.table} grants ${p.privilege.toUpperCase()} to ${p.role}, which row level security does not govern (TRUNCATE empties the table whatever the policies say). fix: \`revoke ${p.privilege} on ${p.table} from ${p.role};\` in a migration, or drop it from the declared grants`
        : `table ${p.table} grants ${p.privilege.toUpperCase()} to ${p.role} but no policy lets ${p.role} ${p.privilege}. fix: declare the policy, or \`revoke ${p.privilege} on ${p.table} from ${p.role};\``;
    case "check-false":
      return `check "${p.name}" returned ${p.got}, not true`;
    case "check-error":
      return `check "${p.name}" failed to run: ${p.code ? `${p.code} ` : ""}${p.message}`;
  }
}

/** The error of a convergence that did not verify: every problem, one per line. */
export function formatVerifyFailure(database: string, problems: readonly VerifyProblem[]): string {
  return `database "${database}" did not verify after convergence (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
    problems.map((p) => `  - ${formatVerifyProblem(p)}`).join("\n");
}
