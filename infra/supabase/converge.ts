/**
 * Convergence of a database's declaration (after its migrations): schemas and grants, buckets, RLS
 * policies, managed SQL (the rollout bucketing functions), then verification. One implementation,
 * used by `npm run local` (all steps in a row, `convergeDeclaration`) and by the dynamic resources
 * (one step each, through their bundled handlers). Every step reads the database first and writes
 * only what differs, so a second run changes nothing and says so. `convergeDeclaration` reads for
 * all steps at once, in one round trip (`sql/snapshot.ts`), and runs a step only for what differs.
 *
 * Runs in the Pulumi host's dynamic-provider process without ts-node (bundled by
 * `infra/dynamic/bundle.ts`): it imports only modules under `infra/supabase/` and `require()`s the rest.
 * No Pulumi imports.
 */
import type { ClientBase, QueryResult } from "pg";
import { quoteIdent, quoteLiteral } from "../sql/quote";
import { upsertBucketQuery, type BucketSpec } from "./sql/buckets";
import { inspectSchemaQuery, planSchema, type SchemaSpec, type SchemaState } from "./sql/grants";
import { managedSqlInstalled, managedSqlMarker, type ManagedSqlSpec } from "./sql/managed";
import {
  commentPolicySql,
  createPolicySql,
  dropPolicySql,
  policyRecord,
  policyStateQuery,
  policyTarget,
  readPolicyQuery,
  samePolicy,
  storedPolicyOf,
  type PolicySpec,
  type StoredPolicy,
  type StoredPolicyRow,
} from "./sql/policies";
import { parseSnapshot, planFromSnapshot, snapshotSql, type SnapshotPlan } from "./sql/snapshot";
import {
  formatVerifyFailure,
  grantsWithoutPolicyQuery,
  tablesWithoutRlsQuery,
  viewsNotInvokerQuery,
  type CheckDecl,
  type VerifyProblem,
} from "./sql/verify";

/** What a step needs of a client: `pg.Client` satisfies it. One connection (transactions span calls). */
export type Queryable = Pick<ClientBase, "query">;

export type { ManagedSqlSpec };

/** A database's whole declaration, validated (see `declaration.ts`). */
export interface DatabasePlan {
  name: string;
  schemas: SchemaSpec[];
  buckets: BucketSpec[];
  policies: PolicySpec[];
  managedSql: ManagedSqlSpec[];
  /** Schemas served by the Data API: their tables need RLS, their views `security_invoker`. */
  exposedSchemas: string[];
  checks: CheckDecl[];
}

export interface StepResult {
  step: "schema" | "bucket" | "policy" | "sql" | "verify";
  /** What the step is about: a schema, bucket id, `policy on schema.table`, managed SQL name. */
  target: string;
  changed: boolean;
  /** What it did (statements or short phrases); for `verify`, the checks that passed. */
  actions: string[];
}

/** An operator-facing error with a list of problems (no stack needed to act on it). */
export function convergenceError(message: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), { name: "ConvergenceError" }, extra);
}

async function rollbackQuietly(client: Queryable): Promise<void> {
  try {
    await client.query("rollback");
  } catch {
    // The connection is gone; the server rolls back an unfinished transaction itself.
  }
}

function pgMessage(e: unknown): string {
  const err = e as { message?: string; code?: string; detail?: string; hint?: string };
  return [
    `${err.code ? `${err.code} ` : ""}${err.message ?? String(e)}`,
    err.detail ? `detail: ${err.detail}` : "",
    err.hint ? `hint: ${err.hint}` : "",
  ]
    .filter(Boolean)
    .join("; ");
}

// ---------------------------------------------------------------------------------------------
// Schemas and grants

/** Creates the schema if missing, grants USAGE, and makes per-table grants match the declaration. */
export async function convergeSchema(client: Queryable, spec: SchemaSpec): Promise<StepResult> {
  const q = inspectSchemaQuery(spec);
  const { rows } = await client.query<SchemaState>(q.text, q.values);
  const statements = planSchema(spec, rows[0]);
  if (statements.length === 0) return { step: "schema", target: spec.name, changed: false, actions: [] };
  await client.query("begin");
  try {
    for (const s of statements) await client.query(s);
    await client.query("commit");
  } catch (e) {
    await rollbackQuietly(client);
    throw convergenceError(`schema "${spec.name}": ${pgMessage(e)}`);
  }
  return { step: "schema", target: spec.name, changed: true, actions: statements };
}

// ---------------------------------------------------------------------------------------------
// Buckets

/** Inserts the bucket or updates its settings; unchanged when the row already matches. */
export async function convergeBucket(client: Queryable, spec: BucketSpec): Promise<StepResult> {
  const q = upsertBucketQuery(spec);
  let rows: { inserted: boolean }[];
  try {
    ({ rows } = await client.query<{ inserted: boolean }>(q.text, q.values));
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "42P01" || code === "3F000") {
      throw convergenceError(`bucket "${spec.id}": storage.buckets does not exist: this is not a Supabase database (locally, run the bootstrap: npm run local)`);
    }
    if (code === "23505") {
      throw convergenceError(`bucket "${spec.id}": another bucket already has the name "${spec.name}"; bucket names are unique (give this bucket another id)`);
    }
    throw convergenceError(`bucket "${spec.id}": ${pgMessage(e)}`);
  }
  if (rows.length === 0) return { step: "bucket", target: spec.id, changed: false, actions: [] };
  const settings = `public=${spec.public}, file_size_limit=${spec.fileSizeLimit ?? "none"}, allowed_mime_types=${spec.allowedMimeTypes ? spec.allowedMimeTypes.join(",") : "any"}`;
  return { step: "bucket", target: spec.id, changed: true, actions: [`${rows[0].inserted ? "created" : "updated"} bucket ${spec.id} (${settings})`] };
}

// ---------------------------------------------------------------------------------------------
// Policies

function policyLabel(spec: Pick<PolicySpec, "name" | "schema" | "table">): string {
  return `${spec.name} on ${spec.schema}.${spec.table}`;
}

/** The policy as stored, or undefined. */
export async function readPolicy(client: Queryable, spec: Pick<PolicySpec, "name" | "schema" | "table">): Promise<StoredPolicy | undefined> {
  const q = readPolicyQuery(spec);
  const { rows } = await client.query<StoredPolicy>(q.text, q.values);
  return rows[0];
}

/** Whether a statement failed for lack of privilege (42501). */
function insufficientPrivilege(e: unknown): boolean {
  return (e as { code?: string }).code === "42501";
}

/**
 * Makes the policy match its declaration: drop and create in one transaction; when what Postgres
 * stores afterwards equals what it stored before, the transaction is rolled back (unchanged).
 * Comparing the stored, deparsed forms is the only reliable test: source text is normalized.
 *
 * It also records what it converged in the policy's comment (`policyRecord`), so that the next
 * `convergeDeclaration` knows from a read alone that the policy is up to date; an unchanged policy
 * whose comment is missing or stale gets it (still `changed: false`). Where the role may create
 * policies on a table it does not own (hosted Supabase lets `postgres` do so on `storage.objects`),
 * Postgres refuses the comment (42501): the policy converges all the same, unrecorded.
 */
export async function convergePolicy(client: Queryable, spec: PolicySpec): Promise<StepResult & { stored: StoredPolicy }> {
  const label = policyLabel(spec);
  // Policy DDL locks the table; never queue behind a long transaction for ever.
  await client.query("begin; set local lock_timeout = '10s'");
  try {
    const q = policyStateQuery(spec);
    const { rows } = await client.query<{ oid: string | null; policy: StoredPolicyRow | null }>(q.text, q.values);
    if (!rows[0].oid) {
      throw convergenceError(`policy ${label}: table ${spec.schema}.${spec.table} does not exist; create it in a migration (migrations run before policies) or fix "on"`);
    }
    const row = rows[0].policy ?? undefined;
    const before = row && storedPolicyOf(row);
    const create = createPolicySql(spec);
    await client.query(`savepoint rollout_policy; ${dropPolicySql(spec)}; ${create}`);
    const after = (await readPolicy(client, spec))!;
    if (before && samePolicy(before, after)) {
      const record = policyRecord(spec, before);
      if (row.comment === record) await client.query("rollback");
      else await commitWithComment(client, spec, record, "rollback to savepoint rollout_policy; ");
      return { step: "policy", target: label, changed: false, actions: [], stored: after };
    }
    await commitWithComment(client, spec, policyRecord(spec, after));
    return { step: "policy", target: label, changed: true, actions: before ? [dropPolicySql(spec), create] : [create], stored: after };
  } catch (e) {
    await rollbackQuietly(client);
    if ((e as Error).name === "ConvergenceError") throw e;
    throw convergenceError(`policy ${label}: ${pgMessage(e)}`);
  }
}

/** Writes the policy's comment and commits (`first` runs before, in the same round trip); without the comment when it is refused (42501). */
async function commitWithComment(client: Queryable, spec: PolicySpec, record: string, first = ""): Promise<void> {
  try {
    await client.query(`${first}savepoint rollout_comment; ${commentPolicySql(spec, record)}; commit`);
  } catch (e) {
    if (!insufficientPrivilege(e)) throw e;
    await client.query("rollback to savepoint rollout_comment; commit");
  }
}

/** Drops the policy if it (and its table) exist. */
export async function dropPolicy(client: Queryable, spec: Pick<PolicySpec, "name" | "schema" | "table">): Promise<StepResult> {
  const label = policyLabel(spec);
  const { rows } = await client.query<{ oid: string | null }>("select to_regclass($1)::oid::text as oid", [policyTarget(spec)]);
  if (!rows[0].oid || !(await readPolicy(client, spec))) return { step: "policy", target: label, changed: false, actions: [] };
  try {
    await client.query(dropPolicySql(spec));
  } catch (e) {
    throw convergenceError(`policy ${label}: ${pgMessage(e)}`);
  }
  return { step: "policy", target: label, changed: true, actions: [dropPolicySql(spec)] };
}

// ---------------------------------------------------------------------------------------------
// Managed SQL

/**
 * Installs a managed SQL unit (idempotent scripts such as the bucketing functions) unless the
 * schema's comment already carries this version's marker. The script and the marker commit together.
 */
export async function installManagedSql(client: Queryable, spec: ManagedSqlSpec): Promise<StepResult> {
  const marker = managedSqlMarker(spec);
  const read = async () =>
    (await client.query<{ comment: string | null }>("select obj_description(to_regnamespace($1)::oid, 'pg_namespace') as comment", [spec.schema])).rows[0]
      .comment;
  if (managedSqlInstalled(spec, await read())) return { step: "sql", target: spec.name, changed: false, actions: [] };
  await client.query("begin");
  try {
    await client.query(spec.sql);
    const comment = ((await read()) ?? "").replace(/\s*\[rollout-stack [^\]]*\]$/, "");
    await client.query(`comment on schema ${quoteIdent(spec.schema)} is ${quoteLiteral(`${comment} ${marker}`.trim())}`);
    await client.query("commit");
  } catch (e) {
    await rollbackQuietly(client);
    throw convergenceError(`managed SQL "${spec.name}" (schema ${spec.schema}): ${pgMessage(e)}`);
  }
  return { step: "sql", target: spec.name, changed: true, actions: [`installed ${spec.name} (version ${spec.version}) in schema ${spec.schema}`] };
}

// ---------------------------------------------------------------------------------------------
// Verification

/**
 * Checks what must hold after convergence: RLS on every table of an exposed schema,
 * `security_invoker` on every view there, no privilege of anon or authenticated there that no policy
 * uses, and each declared check returning true. Checks run in a
 * read-only transaction (they cannot change anything), each in its own savepoint (one failing
 * query does not hide the others). Throws one error listing every problem.
 */
export async function verifyDatabase(
  client: Queryable,
  plan: Pick<DatabasePlan, "name" | "exposedSchemas" | "checks">,
): Promise<StepResult> {
  const problems: VerifyProblem[] = [];
  const passed: string[] = [];
  const rls = tablesWithoutRlsQuery(plan.exposedSchemas);
  for (const r of (await client.query<{ name: string }>(rls.text, rls.values)).rows) problems.push({ kind: "rls-disabled", table: r.name });
  const views = viewsNotInvokerQuery(plan.exposedSchemas);
  for (const r of (await client.query<{ name: string }>(views.text, views.values)).rows) problems.push({ kind: "view-not-invoker", view: r.name });
  const grants = grantsWithoutPolicyQuery(plan.exposedSchemas);
  for (const r of (await client.query<{ table: string; role: string; privilege: string }>(grants.text, grants.values)).rows) {
    problems.push({ kind: "grant-without-policy", table: r.table, role: r.role, privilege: r.privilege });
  }
  if (plan.checks.length) {
    await client.query("begin read only");
    try {
      for (const check of plan.checks) {
        await client.query("savepoint rollout_check");
        try {
          const result = await client.query({ text: check.sql, rowMode: "array" });
          const value = result.rows[0]?.[0];
          if (value === true) passed.push(check.name);
          else problems.push({ kind: "check-false", name: check.name, got: result.rows.length === 0 ? "no row" : JSON.stringify(value) });
          await client.query("release savepoint rollout_check");
        } catch (e) {
          problems.push({ kind: "check-error", name: check.name, message: (e as Error).message, code: (e as { code?: string }).code });
          await client.query("rollback to savepoint rollout_check");
        }
      }
    } finally {
      await rollbackQuietly(client);
    }
  }
  if (problems.length) throw convergenceError(formatVerifyFailure(plan.name, problems), { problems });
  return { step: "verify", target: plan.name, changed: false, actions: passed };
}

// ---------------------------------------------------------------------------------------------
// All steps

/** One line for a step that changed something (what `npm run local` prints). */
export function describeStep(r: StepResult): string {
  switch (r.step) {
    case "schema":
      return `schema ${r.target}: ${r.actions.join("; ")}`;
    case "policy":
      return `${r.actions.length > 1 ? "replaced" : r.actions[0]?.startsWith("drop") ? "dropped" : "created"} policy ${r.target}`;
    default:
      return r.actions.join("; ");
  }
}


/**
 * The one-statement read (`sql/snapshot.ts`, one round trip) and what it says is up to date.
 * Undefined when it failed (a check that errors, a database without `storage.buckets`, …): the steps
 * then read for themselves, as before, and report the problem in their own words.
 */
async function readSnapshot(client: Queryable, plan: DatabasePlan): Promise<SnapshotPlan | undefined> {
  let value: unknown;
  try {
    // Several statements in one query: pg returns one result per statement.
    const results = (await client.query(snapshotSql(plan))) as unknown as QueryResult | QueryResult[];
    value = (Array.isArray(results) ? results : [results]).find((r) => r.rows?.[0]?.snapshot !== undefined)?.rows[0].snapshot;
  } catch {
    // A statement of the batch failed: its transaction is left aborted (nothing was written).
    await rollbackQuietly(client);
    return undefined;
  }
  const snapshot = parseSnapshot(plan, value);
  return snapshot && planFromSnapshot(plan, snapshot);
}

function unchanged(step: StepResult["step"], target: string): StepResult {
  return { step, target, changed: false, actions: [] };
}

/**
 * Converges everything a database declares after its migrations, in order: schemas and grants,
 * buckets, policies, managed SQL, then verification. `onStep` sees each result as it happens.
 *
 * One read first (`readSnapshot`): what it shows up to date is reported unchanged without another
 * query, the rest goes through its step (which reads again and writes). When nothing changed and the
 * read's verification passed, that is the verification: a no-op is one round trip. Otherwise (a
 * write, a problem, a failed read) `verifyDatabase` runs as before.
 */
export async function convergeDeclaration(client: Queryable, plan: DatabasePlan, onStep: (r: StepResult) => void = () => undefined): Promise<StepResult[]> {
  const results: StepResult[] = [];
  const record = (r: StepResult) => {
    results.push(r);
    onStep(r);
  };
  const upToDate = await readSnapshot(client, plan);
  for (const [i, schema] of plan.schemas.entries()) {
    record(upToDate?.schemas[i] ? unchanged("schema", schema.name) : await convergeSchema(client, schema));
  }
  for (const [i, bucket] of plan.buckets.entries()) {
    record(upToDate?.buckets[i] ? unchanged("bucket", bucket.id) : await convergeBucket(client, bucket));
  }
  for (const [i, policy] of plan.policies.entries()) {
    if (upToDate?.policies[i]) {
      record(unchanged("policy", policyLabel(policy)));
      continue;
    }
    const { stored: _stored, ...result } = await convergePolicy(client, policy);
    record(result);
  }
  for (const [i, unit] of plan.managedSql.entries()) {
    record(upToDate?.managedSql[i] ? unchanged("sql", unit.name) : await installManagedSql(client, unit));
  }
  const verified = upToDate?.verified;
  if (verified && !results.some((r) => r.changed)) record({ step: "verify", target: plan.name, changed: false, actions: verified });
  else record(await verifyDatabase(client, plan));
  return results;
}
