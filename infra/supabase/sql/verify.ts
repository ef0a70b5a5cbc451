/**
 * What must hold after convergence, as queries and messages. Pure: no I/O, no Pulumi.
 * - every table in an exposed schema has row-level security enabled (the Data API serves every
 *   table it can see; without RLS a grant is the whole table). The policy pack cannot see tables, so
 *   this is checked here;
 * - every view in an exposed schema is `security_invoker` (a plain view runs as its owner and
 *   bypasses the RLS of the tables it reads);
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
  | { kind: "check-false"; name: string; got: string }
  | { kind: "check-error"; name: string; message: string; code?: string };

/** Tables (ordinary and partitioned) of the exposed schemas without row-level security. */
export function tablesWithoutRlsQuery(exposedSchemas: readonly string[]): { text: string; values: unknown[] } {
  return {
    text: `select format('%s.%s', n.nspname, c.relname) as name
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where n.nspname = any ($1::text[]) and c.relkind in ('r', 'p') and not c.relrowsecurity
order by 1`,
    values: [[...exposedSchemas]],
  };
}

/** Views of the exposed schemas that run as their owner (no `security_invoker` option set true). */
export function viewsNotInvokerQuery(exposedSchemas: readonly string[]): { text: string; values: unknown[] } {
  return {
    text: `select format('%s.%s', n.nspname, c.relname) as name
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where n.nspname = any ($1::text[]) and c.relkind = 'v'
  and not coalesce((select o.option_value::boolean from pg_options_to_table(c.reloptions) o
                    where o.option_name = 'security_invoker'), false)
order by 1`,
    values: [[...exposedSchemas]],
  };
}

/** One line per problem: what is wrong, naming the table, view or check, and the fix. */
export function formatVerifyProblem(p: VerifyProblem): string {
  switch (p.kind) {
    case "rls-disabled":
      return `table ${p.table} is in an exposed schema and has row level security disabled: every row is served to any role with a grant. fix: \`alter table ${p.table} enable row level security;\` in a migration (then declare its policies)`;
    case "view-not-invoker":
      return `view ${p.view} is in an exposed schema and runs as its owner, bypassing the RLS of what it reads. fix: \`alter view ${p.view} set (security_invoker = true);\` in a migration, or move it to a schema that is not exposed`;
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
