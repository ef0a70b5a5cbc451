/**
 * Convergence on the embedded Postgres, as `postgres` (the role migrations and convergence run as):
 * idempotence (a second run changes nothing), exact grants, bucket upserts, policy replacement,
 * the bucketing functions, and the failures that name what is wrong: a check returning false, a
 * table without RLS or a plain view in an exposed schema, a policy on a missing table.
 */
import type { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  convergeBucket,
  convergeDeclaration,
  convergePolicy,
  convergeSchema,
  installManagedSql,
  verifyDatabase,
  type DatabasePlan,
} from "../../infra/supabase/converge";
import { bucketingManagedSql, planDatabase } from "../../infra/supabase/declaration";
import { bucketSpecOf } from "../../infra/supabase/sql/buckets";
import { schemaSpecOf } from "../../infra/supabase/sql/grants";
import { policySpecOf } from "../../infra/supabase/sql/policies";
import { startTestPostgres, type TestPostgres } from "../support/postgres";

let pg: TestPostgres;

beforeAll(async () => {
  pg = await startTestPostgres();
});
afterAll(async () => {
  await pg?.stop();
});

/** A fresh bootstrapped database and a client as `postgres`, with `setup` run first. */
async function database(setup: string): Promise<{ client: Client; admin: Client }> {
  const db = await pg.createDatabase();
  const client = await pg.connect(db.url);
  const admin = await pg.connect(db.adminUrl);
  if (setup) await client.query(setup);
  return { client, admin };
}

const APP_SCHEMA = `
create schema app;
create table app.notes (id int primary key, user_id uuid);
alter table app.notes enable row level security;
create view app.note_count with (security_invoker = true) as select count(*) as n from app.notes;
`;

const DECLARATION = {
  name: "app-db",
  schemas: [{ name: "app", exposed: true, usage: ["authenticated", "service_role"], grants: { notes: { authenticated: ["select" as const, "insert" as const], service_role: ["select" as const, "insert" as const, "update" as const, "delete" as const] } } }],
  buckets: [{ id: "notes-files", public: false, fileSizeLimit: "5MB", allowedMimeTypes: ["application/json", "image/*"] }],
  policies: [
    { name: "notes_owner_select", on: "app.notes", command: "select" as const, roles: ["authenticated"], using: "(select auth.uid()) = user_id" },
    { name: "notes_owner_insert", on: "app.notes", command: "insert" as const, roles: ["authenticated"], withCheck: "(select auth.uid()) = user_id" },
  ],
  checks: [{ name: "notes-rls", sql: "select relrowsecurity from pg_class where oid = 'app.notes'::regclass" }],
};

function plan(overrides: Partial<DatabasePlan> = {}): DatabasePlan {
  return { ...planDatabase(DECLARATION), ...overrides };
}

describe("a whole declaration", () => {
  it("converges, verifies, and changes nothing the second time", async () => {
    const { client, admin } = await database(APP_SCHEMA);
    const first = await convergeDeclaration(client, plan());
    expect(first.map((r) => [r.step, r.target, r.changed])).toEqual([
      ["schema", "app", true],
      ["bucket", "notes-files", true],
      ["policy", "notes_owner_select on app.notes", true],
      ["policy", "notes_owner_insert on app.notes", true],
      ["sql", "rollout-bucketing", true],
      ["verify", "app-db", false],
    ]);
    expect(first[5].actions).toEqual(["notes-rls"]);
    const second = await convergeDeclaration(client, plan());
    expect(second.filter((r) => r.changed)).toEqual([]);

    const grants = await admin.query(
      `select grantee, string_agg(privilege_type, ',' order by privilege_type) as p from information_schema.role_table_grants
       where table_schema = 'app' and table_name = 'notes' and grantee in ('anon', 'authenticated', 'service_role') group by grantee order by grantee`,
    );
    expect(grants.rows).toEqual([
      { grantee: "authenticated", p: "INSERT,SELECT" },
      { grantee: "service_role", p: "DELETE,INSERT,SELECT,UPDATE" },
    ]);
    const bucket = await admin.query("select id, name, public, file_size_limit::int as l, allowed_mime_types as m from storage.buckets");
    expect(bucket.rows).toEqual([{ id: "notes-files", name: "notes-files", public: false, l: 5000000, m: ["application/json", "image/*"] }]);
    // The bucketing functions: callable by the roles policies run as, not by PUBLIC (so not by anon).
    const fn = await admin.query(
      `select rollout.bucket('f', 'u') between 1 and 100 as ok,
              has_function_privilege('authenticated', 'rollout.bucket(text,text)', 'execute') as authenticated,
              has_function_privilege('anon', 'rollout.bucket(text,text)', 'execute') as anon`,
    );
    expect(fn.rows[0]).toEqual({ ok: true, authenticated: true, anon: false });
  });
});

describe("schemas and grants", () => {
  it("are exact for the API roles: an extra grant to anon is revoked, a missing one granted", async () => {
    const { client, admin } = await database(`${APP_SCHEMA} grant select, update on app.notes to anon; grant usage on schema app to anon;`);
    const spec = schemaSpecOf({ name: "app", exposed: true, usage: ["authenticated"], grants: { notes: { authenticated: ["select"] } } });
    const result = await convergeSchema(client, spec);
    expect(result.actions).toEqual([
      'grant usage on schema "app" to "authenticated"',
      'revoke usage on schema "app" from "anon"',
      'revoke select, update on table "app"."notes" from "anon"',
      'grant select on table "app"."notes" to "authenticated"',
    ]);
    expect((await convergeSchema(client, spec)).changed).toBe(false);
    const { rows } = await admin.query("select has_table_privilege('anon', 'app.notes', 'select') as s, has_schema_privilege('anon', 'app', 'usage') as u");
    expect(rows[0]).toEqual({ s: false, u: false });
  });

  it("creates a declared schema no migration made", async () => {
    const { client, admin } = await database("");
    const result = await convergeSchema(client, schemaSpecOf({ name: "reports", exposed: false }));
    expect(result.actions).toEqual(['create schema if not exists "reports"']);
    expect((await admin.query("select nspowner::regrole::text as owner from pg_namespace where nspname = 'reports'")).rows[0].owner).toBe("postgres");
  });

  it("refuses grants on a table that does not exist, naming it", async () => {
    const { client } = await database("create schema app;");
    await expect(convergeSchema(client, schemaSpecOf({ name: "app", exposed: true, grants: { missing: { authenticated: ["select"] } } }))).rejects.toThrow(
      'schema "app": grants are declared on app.missing, which does not exist; create it in a migration (migrations run before grants) or remove the grant',
    );
  });
});

describe("buckets", () => {
  it("insert, then update only what differs, then nothing", async () => {
    const { client } = await database("");
    const spec = bucketSpecOf({ id: "avatars", public: false });
    expect((await convergeBucket(client, spec)).actions).toEqual(["created bucket avatars (public=false, file_size_limit=none, allowed_mime_types=any)"]);
    expect((await convergeBucket(client, spec)).changed).toBe(false);
    const opened = bucketSpecOf({ id: "avatars", public: true, fileSizeLimit: "1.5MB" });
    expect((await convergeBucket(client, opened)).actions).toEqual(["updated bucket avatars (public=true, file_size_limit=1500000, allowed_mime_types=any)"]);
  });

  it("a name taken by another bucket is an error naming both", async () => {
    const { client, admin } = await database("");
    await admin.query("insert into storage.buckets (id, name) values ('old-id', 'avatars')");
    await expect(convergeBucket(client, bucketSpecOf({ id: "avatars", public: false }))).rejects.toThrow(
      'bucket "avatars": another bucket already has the name "avatars"; bucket names are unique (give this bucket another id)',
    );
  });
});

describe("policies", () => {
  it("a changed predicate is replaced in one transaction; the same one leaves the policy untouched", async () => {
    const { client, admin } = await database(APP_SCHEMA);
    const base = { name: "notes_owner", on: "app.notes", command: "select" as const, roles: ["authenticated"] };
    const first = await convergePolicy(client, policySpecOf({ ...base, using: "(select auth.uid()) = user_id" }));
    expect(first.actions).toEqual(['create policy "notes_owner" on "app"."notes" as permissive for select to "authenticated" using ((select auth.uid()) = user_id)']);
    const oid = (await admin.query("select oid from pg_policy where polname = 'notes_owner'")).rows[0].oid;
    // Written differently, stored the same: no change, and the policy was not recreated.
    const same = await convergePolicy(client, policySpecOf({ ...base, using: "( SELECT auth.uid() ) = user_id" }));
    expect(same.changed).toBe(false);
    expect((await admin.query("select oid from pg_policy where polname = 'notes_owner'")).rows[0].oid).toBe(oid);
    const changed = await convergePolicy(client, policySpecOf({ ...base, roles: ["authenticated", "service_role"], using: "user_id is not null" }));
    expect(changed.actions).toEqual([
      'drop policy if exists "notes_owner" on "app"."notes"',
      'create policy "notes_owner" on "app"."notes" as permissive for select to "authenticated", "service_role" using (user_id is not null)',
    ]);
    expect(changed.stored).toEqual({ permissive: "PERMISSIVE", roles: ["authenticated", "service_role"], cmd: "SELECT", qual: "(user_id IS NOT NULL)", with_check: null });
  });

  it("on a missing table fails naming the policy and the table, and leaves no transaction open", async () => {
    const { client } = await database("");
    await expect(convergePolicy(client, policySpecOf({ name: "p", on: "app.notes", command: "select", roles: ["authenticated"], using: "true" }))).rejects.toThrow(
      "policy p on app.notes: table app.notes does not exist; create it in a migration (migrations run before policies) or fix \"on\"",
    );
    expect((await client.query("select 1 as ok")).rows).toEqual([{ ok: 1 }]);
  });

  it("a predicate Postgres rejects fails naming the policy, with the SQLSTATE", async () => {
    const { client } = await database(APP_SCHEMA);
    await expect(convergePolicy(client, policySpecOf({ name: "bad", on: "app.notes", command: "select", roles: ["authenticated"], using: "auth.uid() = no_such_column" }))).rejects.toThrow(
      'policy bad on app.notes: 42703 column "no_such_column" does not exist',
    );
  });
});

describe("verification", () => {
  it("a check returning false fails convergence with its name", async () => {
    const { client } = await database(APP_SCHEMA);
    const p = plan({ checks: [{ name: "notes-rls", sql: "select true" }, { name: "has-ten-notes", sql: "select count(*) = 10 from app.notes" }] });
    await expect(convergeDeclaration(client, p)).rejects.toThrow('database "app-db" did not verify after convergence (1 problem):\n  - check "has-ten-notes" returned false, not true');
  });

  it("a table without RLS in an exposed schema fails it with the table's name; the same table in a hidden schema does not", async () => {
    const { client } = await database(`${APP_SCHEMA} create table app.leaky (id int); create schema hidden; create table hidden.fine (id int);`);
    await expect(verifyDatabase(client, { name: "app-db", exposedSchemas: ["app"], checks: [] })).rejects.toThrow(
      "table app.leaky is in an exposed schema and has row level security disabled: every row is served to any role with a grant. fix: `alter table app.leaky enable row level security;` in a migration",
    );
    await client.query("alter table app.leaky enable row level security");
    await expect(verifyDatabase(client, { name: "app-db", exposedSchemas: ["app"], checks: [] })).resolves.toMatchObject({ step: "verify" });
  });

  it("a privilege of anon or authenticated that no policy uses fails it: TRUNCATE always, a command without its policy", async () => {
    const { client } = await database(`${APP_SCHEMA}
      create policy notes_select on app.notes for select to authenticated using (true);
      grant select, update, truncate on app.notes to authenticated;
      grant select on app.notes to service_role;`);
    const error = (await verifyDatabase(client, { name: "app-db", exposedSchemas: ["app"], checks: [] }).catch((e: Error) => e)) as Error;
    expect(error.message.split("\n")).toEqual([
      'database "app-db" did not verify after convergence (2 problems):',
      "  - table app.notes grants TRUNCATE to authenticated, which row level security does not govern (TRUNCATE empties the table whatever the policies say). fix: `revoke truncate on app.notes from authenticated;` in a migration, or drop it from the declared grants",
      "  - table app.notes grants UPDATE to authenticated but no policy lets authenticated update. fix: declare the policy, or `revoke update on app.notes from authenticated;`",
    ]);
    // A policy for the command (or one for all commands) uses the grant; service_role bypasses RLS and is not checked.
    await client.query("revoke truncate on app.notes from authenticated; create policy notes_all on app.notes for all to authenticated using (true)");
    await expect(verifyDatabase(client, { name: "app-db", exposedSchemas: ["app"], checks: [] })).resolves.toMatchObject({ step: "verify" });
  });

  it("storage.objects keeps the broad grants the hosted platform gives (not an exposed schema here), so TRUNCATE by anon is possible there, as on Supabase", async () => {
    const { admin } = await database(APP_SCHEMA);
    const acl = await admin.query(`select has_table_privilege('anon', 'storage.objects', 'truncate') as anon_truncate`);
    expect(acl.rows[0].anon_truncate).toBe(true);
  });

  it("a plain view in an exposed schema fails it with the view's name", async () => {
    const { client } = await database(`${APP_SCHEMA} create view app.all_notes as select * from app.notes;`);
    await expect(verifyDatabase(client, { name: "app-db", exposedSchemas: ["app"], checks: [] })).rejects.toThrow("view app.all_notes is in an exposed schema and runs as its owner");
  });

  it("reports every problem at once: a failing query, a non-boolean, a false, with nothing written", async () => {
    const { client } = await database(APP_SCHEMA);
    const error = await verifyDatabase(client, {
      name: "app-db",
      exposedSchemas: ["app"],
      checks: [
        { name: "writes", sql: "insert into app.notes (id) values (1) returning true" },
        { name: "counts", sql: "select count(*) from app.notes" },
        { name: "nothing", sql: "select true where false" },
        { name: "fine", sql: "select true" },
      ],
    }).catch((e: Error) => e);
    expect((error as Error).message).toBe(
      [
        'database "app-db" did not verify after convergence (3 problems):',
        '  - check "writes" failed to run: 25006 cannot execute INSERT in a read-only transaction',
        '  - check "counts" returned "0", not true',
        '  - check "nothing" returned no row, not true',
      ].join("\n"),
    );
    expect((await client.query("select count(*)::int as n from app.notes")).rows[0].n).toBe(0);
  });
});

describe("managed SQL", () => {
  it("installs once per version; a new version reinstalls", async () => {
    const { client, admin } = await database("");
    const unit = bucketingManagedSql();
    expect((await installManagedSql(client, unit)).changed).toBe(true);
    expect((await installManagedSql(client, unit)).changed).toBe(false);
    expect((await installManagedSql(client, { ...unit, version: "next" })).changed).toBe(true);
    const comment = (await admin.query("select obj_description('rollout'::regnamespace, 'pg_namespace') as c")).rows[0].c;
    expect(comment).toBe("rollout-stack: bucketing functions; not exposed through the Data API [rollout-stack rollout-bucketing next]");
  });
});
