/**
 * Convergence's one-round-trip read on the embedded Postgres: a no-op `convergeDeclaration` of each
 * catalog database is exactly one query (counted on the client) with the same results as the old,
 * step-by-step path; drift found by that read is repaired (a policy altered or dropped by hand, a
 * bucket setting changed); checks that fail, error or try to write report exactly what
 * `verifyDatabase` reports; and the policy comment the read relies on never shows in the RlsPolicy
 * resource's state or diff.
 */
import * as path from "path";
import type { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CATALOG } from "../../infra/apps";
import type { DatabaseDecl } from "../../infra/apps/types";
import { databaseUrlEnvVar } from "../../infra/supabase/connection";
import { convergeDeclaration, convergePolicy, readPolicy, verifyDatabase, type DatabasePlan, type Queryable } from "../../infra/supabase/converge";
import { databasesOf, planDatabase } from "../../infra/supabase/declaration";
import { migrationsStep, type DatabaseContext } from "../../infra/supabase/local-stack";
import { handler as rlsPolicy } from "../../infra/supabase/resources/handlers/rls-policy";
import { createPolicySql, policySpecOf } from "../../infra/supabase/sql/policies";
import { startTestPostgres, type TestPostgres } from "../support/postgres";

const ROOT = path.resolve(__dirname, "../..");
const DATABASES = databasesOf(CATALOG);
const database = (name: string) => DATABASES.find((d) => d.name === name)!;

let pg: TestPostgres;

beforeAll(async () => {
  pg = await startTestPostgres();
});
afterAll(async () => {
  await pg?.stop();
});

/** `client` with its `query` calls counted (one call, one round trip) and their texts kept. */
function counting(client: Client): Queryable & { texts: string[] } {
  const texts: string[] = [];
  return {
    texts,
    query: ((text: string | { text: string }, ...rest: unknown[]) => {
      texts.push(typeof text === "string" ? text : text.text);
      return (client.query as (...args: unknown[]) => unknown)(text, ...rest);
    }) as Queryable["query"],
  };
}

/** `client` whose one-statement read fails, so convergence takes the old, step-by-step path. */
function withoutSnapshot(client: Client): Queryable {
  return {
    query: ((text: string | { text: string }, ...rest: unknown[]) => {
      if (typeof text === "string" && text.startsWith("begin read only;\nselect json_build_object(")) return Promise.reject(new Error("no snapshot"));
      return (client.query as (...args: unknown[]) => unknown)(text, ...rest);
    }) as Queryable["query"],
  };
}

/** A fresh database with a catalog database's migrations applied and its declaration converged. */
async function converged(
  decl: DatabaseDecl,
  name = `${decl.name}-${Math.random().toString(36).slice(2, 8)}`,
): Promise<{ client: Client; admin: Client; plan: DatabasePlan; url: string }> {
  const db = await pg.createDatabase(name);
  const ctx = { database: { ...decl, name: decl.name }, url: db.url, migrationsRoot: path.join(ROOT, "migrations"), progress: () => undefined } as unknown as DatabaseContext;
  await migrationsStep.run(ctx);
  const client = await pg.connect(db.url);
  const admin = await pg.connect(db.adminUrl);
  const plan = planDatabase(decl);
  expect((await convergeDeclaration(client, plan)).some((r) => r.changed)).toBe(true);
  return { client, admin, plan, url: db.url };
}

const unchangedResults = (plan: DatabasePlan) => [
  ...plan.schemas.map((s) => ({ step: "schema", target: s.name, changed: false, actions: [] })),
  ...plan.buckets.map((b) => ({ step: "bucket", target: b.id, changed: false, actions: [] })),
  ...plan.policies.map((p) => ({ step: "policy", target: `${p.name} on ${p.schema}.${p.table}`, changed: false, actions: [] })),
  ...plan.managedSql.map((m) => ({ step: "sql", target: m.name, changed: false, actions: [] })),
  { step: "verify", target: plan.name, changed: false, actions: plan.checks.map((c) => c.name) },
];

describe("a no-op convergence is one round trip", () => {
  it.each(DATABASES.map((d) => [d.name]))("%s: one query, the same results as the step-by-step path", async (name) => {
    const { client, plan } = await converged(database(name));
    const counted = counting(client);
    const results = await convergeDeclaration(counted, plan);
    expect(counted.texts).toHaveLength(1);
    expect(results).toEqual(unchangedResults(plan));
    expect(await convergeDeclaration(withoutSnapshot(client), plan)).toEqual(results);
  });
});

describe("drift the one read finds is repaired, then the next run is one query again", () => {
  it("a policy altered by hand (ALTER POLICY … USING (false)) is put back", async () => {
    const { client, admin, plan } = await converged(database("health-companion"));
    const before = await readPolicy(client, { name: "threads_owner_select", schema: "health_companion", table: "threads" });
    await admin.query("alter policy threads_owner_select on health_companion.threads using (false)");
    const results = await convergeDeclaration(client, plan);
    expect(results.filter((r) => r.changed)).toEqual([
      {
        step: "policy",
        target: "threads_owner_select on health_companion.threads",
        changed: true,
        actions: ['drop policy if exists "threads_owner_select" on "health_companion"."threads"', createPolicySql(plan.policies.find((p) => p.name === "threads_owner_select")!)],
      },
    ]);
    expect(await readPolicy(client, { name: "threads_owner_select", schema: "health_companion", table: "threads" })).toEqual(before);
    const counted = counting(client);
    expect(await convergeDeclaration(counted, plan)).toEqual(unchangedResults(plan));
    expect(counted.texts).toHaveLength(1);
  });

  it("a dropped policy is created again", async () => {
    const { client, admin, plan } = await converged(database("conversation-raw-storage"));
    await admin.query("drop policy raw_own_folder_update on storage.objects");
    const changed = (await convergeDeclaration(client, plan)).filter((r) => r.changed);
    expect(changed.map((r) => [r.target, r.actions.length])).toEqual([["raw_own_folder_update on storage.objects", 1]]);
    const counted = counting(client);
    await convergeDeclaration(counted, plan);
    expect(counted.texts).toHaveLength(1);
  });

  it("a bucket setting changed by hand is updated, with the same message as before", async () => {
    const { client, admin, plan } = await converged(database("conversation-raw-storage"));
    await admin.query("update storage.buckets set public = true, allowed_mime_types = '{image/png}' where id = 'conversation-files'");
    const results = await convergeDeclaration(client, plan);
    expect(results.filter((r) => r.changed)).toEqual([
      { step: "bucket", target: "conversation-files", changed: true, actions: ["updated bucket conversation-files (public=false, file_size_limit=none, allowed_mime_types=any)"] },
    ]);
    // The check that the bucket is private ran again after the update, and passed.
    expect(results.at(-1)).toEqual(unchangedResults(plan).at(-1));
    const counted = counting(client);
    await convergeDeclaration(counted, plan);
    expect(counted.texts).toHaveLength(1);
  });

  it("a policy converged before its comment existed (an older version) is recorded, not recreated, and reported unchanged", async () => {
    const { client, admin, plan } = await converged(database("health-companion"));
    const oid = async () => (await admin.query("select oid::int from pg_policy where polname = 'threads_owner_insert'")).rows[0].oid;
    const was = await oid();
    await admin.query("comment on policy threads_owner_insert on health_companion.threads is null");
    const counted = counting(client);
    expect(await convergeDeclaration(counted, plan)).toEqual(unchangedResults(plan));
    expect(counted.texts.length).toBeGreaterThan(1);
    expect(await oid()).toBe(was);
    const again = counting(client);
    await convergeDeclaration(again, plan);
    expect(again.texts).toHaveLength(1);
  });

  it("a declared grant revoked by hand is granted again", async () => {
    const { client, admin, plan } = await converged(database("health-companion"));
    await admin.query("revoke update on health_companion.threads from authenticated");
    const changed = (await convergeDeclaration(client, plan)).filter((r) => r.changed);
    expect(changed).toEqual([
      { step: "schema", target: "health_companion", changed: true, actions: ['grant update on table "health_companion"."threads" to "authenticated"'] },
    ]);
    const counted = counting(client);
    await convergeDeclaration(counted, plan);
    expect(counted.texts).toHaveLength(1);
  });
});

describe("checks", () => {
  const failing = [
    { name: "false", sql: "select false" },
    { name: "div", sql: "select 1 / 0 = 1" },
    { name: "no-row", sql: "select true where false" },
    { name: "null", sql: "select null::boolean" },
    { name: "number", sql: "select 1" },
    { name: "count", sql: "select count(*) from pg_class where false" },
    { name: "text", sql: "select 'true'" },
    { name: "missing", sql: "select x from no_such_table" },
  ];

  it("that fail or error report exactly what verifyDatabase reports, every problem at once", async () => {
    const { client, plan } = await converged(database("health-companion"));
    const withChecks = { ...plan, checks: [...plan.checks, ...failing] };
    const error = (await convergeDeclaration(client, withChecks).catch((e: Error) => e)) as Error;
    const today = (await verifyDatabase(client, withChecks).catch((e: Error) => e)) as Error;
    expect(error.message).toBe(today.message);
    expect(error.message.split("\n")).toEqual([
      'database "health-companion" did not verify after convergence (8 problems):',
      '  - check "false" returned false, not true',
      '  - check "div" failed to run: 22012 division by zero',
      '  - check "no-row" returned no row, not true',
      '  - check "null" returned null, not true',
      '  - check "number" returned 1, not true',
      '  - check "count" returned "0", not true',
      '  - check "text" returned "true", not true',
      '  - check "missing" failed to run: 42P01 relation "no_such_table" does not exist',
    ]);
  });

  it("keep today's meaning for odd shapes: the first column of the first row decides", async () => {
    const { client, plan } = await converged(database("health-companion"));
    const odd = {
      ...plan,
      checks: [
        { name: "two-columns", sql: "select true, 1" },
        { name: "trailing-semicolon", sql: "select true -- done\n;\n" },
        { name: "two-rows", sql: "select true from generate_series(1, 2)" },
        { name: "semicolon-inside", sql: "select ';' = ';'" },
      ],
    };
    expect((await convergeDeclaration(client, odd)).at(-1)!.actions).toEqual(["two-columns", "trailing-semicolon", "two-rows", "semicolon-inside"]);
    // Two columns and a trailing semicolon fit the one read; two rows, or a semicolon inside the
    // check, are left to the old read (a subquery cannot tell the first row; a `;` could end the statement).
    const counted = counting(client);
    await convergeDeclaration(counted, { ...odd, checks: odd.checks.slice(0, 2) });
    expect(counted.texts).toHaveLength(1);
    for (const check of odd.checks.slice(2)) {
      const slow = counting(client);
      expect((await convergeDeclaration(slow, { ...odd, checks: [check] })).at(-1)!.actions).toEqual([check.name]);
      expect(slow.texts.length).toBeGreaterThan(1);
    }
  });

  it("cannot write, even through a volatile function: the one read is read-only, as the checks were", async () => {
    const { client, admin, plan } = await converged(database("health-companion"));
    await admin.query(`create table public.writes (n int);
      create function public.write_one() returns boolean language sql volatile as $$ insert into public.writes values (1) returning true $$;
      grant insert on public.writes to postgres;`);
    const withWriter = { ...plan, exposedSchemas: [], checks: [{ name: "writes", sql: "select public.write_one()" }] };
    await expect(convergeDeclaration(client, withWriter)).rejects.toThrow(
      'database "health-companion" did not verify after convergence (1 problem):\n  - check "writes" failed to run: 25006 cannot execute INSERT in a read-only transaction',
    );
    expect((await admin.query("select count(*)::int as n from public.writes")).rows[0].n).toBe(0);
    expect((await client.query("select 1 as ok")).rows).toEqual([{ ok: 1 }]);
  });
});

describe("databases that are not what the read expects", () => {
  it("without storage, a bucket fails as before; without buckets, the read never touches storage", async () => {
    const db = await pg.createDatabase(undefined, { bootstrap: false });
    const client = await pg.connect(db.url);
    const bare = planDatabase({ name: "bare", schemas: [], buckets: [], policies: [], checks: [{ name: "yes", sql: "select true" }] }, { managedSql: [] });
    const counted = counting(client);
    expect(await convergeDeclaration(counted, bare)).toEqual([{ step: "verify", target: "bare", changed: false, actions: ["yes"] }]);
    expect(counted.texts).toHaveLength(1);
    const withBucket = planDatabase({ name: "bare", schemas: [], buckets: [{ id: "files", public: false }], policies: [], checks: [] }, { managedSql: [] });
    await expect(convergeDeclaration(client, withBucket)).rejects.toThrow(
      'bucket "files": storage.buckets does not exist: this is not a Supabase database (locally, run the bootstrap: npm run local)',
    );
  });

  it("where Postgres refuses the policy comment (as hosted Supabase does on storage.objects), policies converge unrecorded", async () => {
    const { client, admin, plan } = await converged(database("health-companion"));
    // Stands in for hosted Supabase, where `postgres` creates policies on storage.objects through
    // supautils without owning the table, and COMMENT ON POLICY needs the owner.
    await admin.query(`create function public.no_comments() returns event_trigger language plpgsql as $$
        begin raise exception 'must be owner of table threads' using errcode = '42501'; end $$;
      create event trigger no_comments on ddl_command_start when tag in ('COMMENT') execute function public.no_comments();`);
    await admin.query("drop policy threads_owner_delete on health_companion.threads");
    const spec = plan.policies.find((p) => p.name === "threads_owner_delete")!;
    expect((await convergePolicy(client, spec)).changed).toBe(true);
    const comment = await admin.query("select obj_description(oid, 'pg_policy') as c from pg_policy where polname = 'threads_owner_delete'");
    expect(comment.rows).toEqual([{ c: null }]);
    const counted = counting(client);
    expect(await convergeDeclaration(counted, plan)).toEqual(unchangedResults(plan));
    expect(counted.texts.length).toBeGreaterThan(1);
    expect((await client.query("select 1 as ok")).rows).toEqual([{ ok: 1 }]);
  });
});

describe("the RlsPolicy resource", () => {
  it("never sees the comment: stored form, refresh and diff as before; and npm run local after it is one query", async () => {
    const { client, admin, plan, url } = await converged(database("health-companion"), "rls-resource");
    await admin.query("drop policy threads_owner_update on health_companion.threads");
    const spec = plan.policies.find((p) => p.name === "threads_owner_update")!;
    const ctx = { env: { [databaseUrlEnvVar("rls-resource")]: url } };
    const inputs = { ...spec, database: "rls-resource", statement: createPolicySql(spec) };
    const created = await rlsPolicy.create(inputs, ctx);
    expect(Object.keys(created.outs!.stored).sort()).toEqual(["cmd", "permissive", "qual", "roles", "with_check"]);
    const refreshed = await rlsPolicy.read!(created.id, created.outs!, ctx);
    expect(refreshed.props).toEqual(created.outs);
    expect(await rlsPolicy.diff!(created.id, refreshed.props!, inputs)).toEqual({ changes: false });
    const counted = counting(client);
    expect(await convergeDeclaration(counted, plan)).toEqual(unchangedResults(plan));
    expect(counted.texts).toHaveLength(1);
  });

  it("a policy declared another way that Postgres stores the same stays unchanged (and is then recorded for the new declaration)", async () => {
    const { client, admin, plan } = await converged(database("health-companion"));
    const oid = async () => (await admin.query("select oid::int from pg_policy where polname = 'threads_owner_select'")).rows[0].oid;
    const was = await oid();
    const respaced = {
      ...plan,
      // Extra parentheses: other source text, the same stored (deparsed) policy.
      policies: plan.policies.map((p) => (p.name === "threads_owner_select" ? policySpecOf({ name: p.name, on: `${p.schema}.${p.table}`, command: p.command, roles: p.roles, using: `(${p.using})` }) : p)),
    };
    expect(await convergeDeclaration(client, respaced)).toEqual(unchangedResults(respaced));
    expect(await oid()).toBe(was);
    const counted = counting(client);
    await convergeDeclaration(counted, respaced);
    expect(counted.texts).toHaveLength(1);
  });
});
