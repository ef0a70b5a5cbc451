/**
 * The read side of a database's convergence in one round trip: one SELECT that reads everything the
 * steps compare against (each declared schema's state, the declared buckets, the declared policies
 * with their comments, the managed SQL markers) and the whole verification (tables without RLS,
 * plain views, grants without a policy, each declared check), built from the same SQL the steps use.
 * `planFromSnapshot` says, item by item, what is up to date. Pure: the builder and the planner, no I/O.
 *
 * Why a simple-protocol batch (`begin read only; select …; rollback`, values inlined as quoted
 * literals) and not one parameterised statement: the declared checks are arbitrary SQL and run
 * read-only today; a check could call a volatile function that writes, and only a read-only
 * transaction stops that. `SET TRANSACTION READ ONLY` must come before the statement, and one
 * parameterised statement (the extended protocol) cannot carry it; a batch of three statements in one
 * Query message is still one round trip. If any part fails (a check that errors or returns two rows,
 * no `storage.buckets`, …) the whole batch fails and convergence reads the old way, step by step, so
 * every error reads exactly as before.
 */
import { quoteLiteral, quoteTextArray } from "../../sql/quote";
import type { DatabasePlan } from "../converge";
import { bucketMatches, bucketRowsSql, type BucketRow } from "./buckets";
import { inspectSchemaSql, planSchema, type SchemaState } from "./grants";
import { managedSqlInstalled, schemaCommentSql } from "./managed";
import { policyRowsSql, policyUpToDate, type StoredPolicyRow } from "./policies";
import { grantsWithoutPolicySql, POLICY_BOUND_ROLES, tablesWithoutRlsSql, viewsNotInvokerSql } from "./verify";

/** A stored policy as the snapshot reads it: where it is, its stored form, its comment. */
export interface PolicySnapshotRow extends StoredPolicyRow {
  schema: string;
  table: string;
  name: string;
}

/** What the one-statement read returns (the JSON of `snapshotSql`). */
export interface DatabaseSnapshot {
  /** One per declared schema, in order. */
  schemas: SchemaState[];
  /** The rows of the declared buckets that exist. */
  buckets: BucketRow[];
  /** The declared policies that exist. */
  policies: PolicySnapshotRow[];
  /** One per managed SQL unit, in order: its schema's comment. */
  managedSql: (string | null)[];
  rlsDisabled: { name: string }[];
  viewsNotInvoker: { name: string }[];
  grantsWithoutPolicy: { table: string; role: string; privilege: string }[];
  /** One per declared check, in order: whether it passed; null when the checks are not in the read. */
  checks: boolean[] | null;
}

/** Per item of the plan, in order, whether it is up to date; `verified` when verification passed. */
export interface SnapshotPlan {
  schemas: boolean[];
  buckets: boolean[];
  policies: boolean[];
  managedSql: boolean[];
  /** The declared checks (all of them, in order) when the whole verification passed; else undefined. */
  verified?: string[];
}

/**
 * A check as an expression of the one statement: true iff it returns exactly one row whose first
 * column is a boolean true (what `verifyDatabase` accepts; anything else is left to it, which words
 * the problem). Undefined for SQL that cannot be pasted safely: a `;` inside it could end the
 * statement early, so such checks keep their separate read.
 */
export function checkExpressionSql(sql: string): string | undefined {
  const body = sql.replace(/[\s;]+$/, "");
  if (body.includes(";")) return undefined;
  // On lines of their own, so a trailing `-- comment` in the check cannot swallow the closing paren.
  return `(select count(*) = 1 and coalesce(bool_and(pg_typeof(c.v) = 'boolean'::regtype and c.v::text = 'true'), false)
   from (
${body}
) as c(v))`;
}

/** A JSON array of SQL expressions of `type`. ARRAY[] rather than json_build_array: no 100-argument limit. */
function jsonArray(items: readonly string[], type: "json" | "text" | "boolean"): string {
  return items.length ? `to_json(array[${items.join(",\n    ")}]::${type}[])` : "'[]'::json";
}

/** The rows of a query as a JSON array of objects. */
function jsonRows(sql: string): string {
  return `(select coalesce(json_agg(q), '[]'::json) from (${sql}) q)`;
}

/** The one batch: `begin read only; select json_build_object(…) as snapshot; rollback`. */
export function snapshotSql(plan: DatabasePlan): string {
  const schemas = plan.schemas.map((s) => `(select row_to_json(s) from (${inspectSchemaSql(quoteLiteral(s.name), quoteTextArray(Object.keys(s.grants)))}) s)`);
  const buckets = plan.buckets.length ? jsonRows(bucketRowsSql(`id = any (${quoteTextArray(plan.buckets.map((b) => b.id))})`)) : "'[]'::json";
  const policyKeys = plan.policies.map((p) => `(${quoteLiteral(p.schema)}, ${quoteLiteral(p.table)}, ${quoteLiteral(p.name)})`);
  const policies = policyKeys.length ? jsonRows(policyRowsSql(`(schemaname, tablename, policyname) in (${policyKeys.join(", ")})`)) : "'[]'::json";
  const managed = plan.managedSql.map((m) => schemaCommentSql(quoteLiteral(m.schema)));
  const exposed = quoteTextArray(plan.exposedSchemas);
  const checks = plan.checks.map((c) => checkExpressionSql(c.sql));
  const checksSql = checks.every((c) => c !== undefined) ? jsonArray(checks as string[], "boolean") : "null::json";
  return `begin read only;
select json_build_object(
  'schemas', ${jsonArray(schemas, "json")},
  'buckets', ${buckets},
  'policies', ${policies},
  'managedSql', ${jsonArray(managed, "text")},
  'rlsDisabled', ${jsonRows(tablesWithoutRlsSql(exposed))},
  'viewsNotInvoker', ${jsonRows(viewsNotInvokerSql(exposed))},
  'grantsWithoutPolicy', ${jsonRows(grantsWithoutPolicySql(exposed, quoteTextArray(POLICY_BOUND_ROLES)))},
  'checks', ${checksSql}
) as snapshot;
rollback`;
}

/** The snapshot in `value` when it has the shape `snapshotSql` produces for `plan`; else undefined. */
export function parseSnapshot(plan: DatabasePlan, value: unknown): DatabaseSnapshot | undefined {
  const s = value as Partial<DatabaseSnapshot> | null | undefined;
  if (!s || typeof s !== "object") return undefined;
  const lists = [s.buckets, s.policies, s.rlsDisabled, s.viewsNotInvoker, s.grantsWithoutPolicy];
  if (!lists.every(Array.isArray)) return undefined;
  if (!Array.isArray(s.schemas) || s.schemas.length !== plan.schemas.length) return undefined;
  if (!Array.isArray(s.managedSql) || s.managedSql.length !== plan.managedSql.length) return undefined;
  if (s.checks !== null && (!Array.isArray(s.checks) || s.checks.length !== plan.checks.length)) return undefined;
  return s as DatabaseSnapshot;
}

/** What the snapshot says is up to date, item by item (pure: no database). */
export function planFromSnapshot(plan: DatabasePlan, snapshot: DatabaseSnapshot): SnapshotPlan {
  const schemas = plan.schemas.map((spec, i) => {
    try {
      return planSchema(spec, snapshot.schemas[i]).length === 0;
    } catch {
      return false; // e.g. a declared table is missing: the step says so
    }
  });
  const buckets = plan.buckets.map((spec) => bucketMatches(spec, snapshot.buckets.find((r) => r.id === spec.id)));
  const policies = plan.policies.map((spec) =>
    policyUpToDate(spec, snapshot.policies.find((r) => r.schema === spec.schema && r.table === spec.table && r.name === spec.name)),
  );
  const managedSql = plan.managedSql.map((spec, i) => managedSqlInstalled(spec, snapshot.managedSql[i]));
  const passed =
    snapshot.rlsDisabled.length === 0 &&
    snapshot.viewsNotInvoker.length === 0 &&
    snapshot.grantsWithoutPolicy.length === 0 &&
    snapshot.checks !== null &&
    snapshot.checks.every((c) => c === true);
  return { schemas, buckets, policies, managedSql, verified: passed ? plan.checks.map((c) => c.name) : undefined };
}
