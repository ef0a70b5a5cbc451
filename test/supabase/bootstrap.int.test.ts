/** The Supabase-compatible bootstrap of the local Postgres (infra/supabase/bootstrap.sql). */
import type { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyBootstrap, bootstrapSql } from "../../infra/supabase/local-postgres";
import { startTestPostgres, type TestPostgres } from "../support/postgres";

let pg: TestPostgres;
let admin: Client;
let client: Client;
beforeAll(async () => {
  pg = await startTestPostgres();
  admin = await pg.connect(pg.adminUrl);
  client = await pg.connect(pg.url);
});
afterAll(async () => {
  await pg?.stop();
});

/** Runs `fn` in a transaction as `role` with the given JWT claims, then rolls back. */
async function as<T>(role: string, settings: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  await admin.query("begin");
  try {
    await admin.query(`set local role ${role}`);
    for (const [k, v] of Object.entries(settings)) await admin.query("select set_config($1, $2, true)", [k, v]);
    return await fn();
  } finally {
    await admin.query("rollback");
  }
}

describe("cluster", () => {
  it("is UTF-8 with supabase_admin as the only superuser", async () => {
    expect((await admin.query("show server_encoding")).rows[0].server_encoding).toBe("UTF8");
    const supers = await admin.query("select rolname from pg_roles where rolsuper order by 1");
    expect(supers.rows).toEqual([{ rolname: "supabase_admin" }]);
    expect((await client.query("select upper('éa ü') as u, length('😀') as n")).rows[0]).toEqual({ u: "ÉA Ü", n: 1 });
  });

  it("has Supabase's roles with Supabase's attributes", async () => {
    const { rows } = await admin.query(
      `select rolname, rolsuper, rolcanlogin, rolbypassrls, rolcreatedb, rolcreaterole, rolinherit from pg_roles
       where rolname in ('postgres', 'anon', 'authenticated', 'service_role', 'authenticator') order by rolname`,
    );
    expect(rows).toEqual([
      { rolname: "anon", rolsuper: false, rolcanlogin: false, rolbypassrls: false, rolcreatedb: false, rolcreaterole: false, rolinherit: true },
      { rolname: "authenticated", rolsuper: false, rolcanlogin: false, rolbypassrls: false, rolcreatedb: false, rolcreaterole: false, rolinherit: true },
      { rolname: "authenticator", rolsuper: false, rolcanlogin: true, rolbypassrls: false, rolcreatedb: false, rolcreaterole: false, rolinherit: false },
      { rolname: "postgres", rolsuper: false, rolcanlogin: true, rolbypassrls: true, rolcreatedb: true, rolcreaterole: true, rolinherit: true },
      { rolname: "service_role", rolsuper: false, rolcanlogin: false, rolbypassrls: true, rolcreatedb: false, rolcreaterole: false, rolinherit: true },
    ]);
    const members = await admin.query(
      "select r.rolname as role from pg_auth_members m join pg_roles r on r.oid = m.roleid join pg_roles u on u.oid = m.member where u.rolname = 'authenticator' order by 1",
    );
    expect(members.rows.map((r) => r.role)).toEqual(["anon", "authenticated", "service_role"]);
  });

  it("lets postgres log in but not act as a superuser", async () => {
    expect((await client.query("select current_user, current_setting('is_superuser') as su")).rows[0]).toEqual({ current_user: "postgres", su: "off" });
    await expect(client.query("alter system set work_mem = '8MB'")).rejects.toThrow(/permission denied/);
    // Superuser-only, with the reason (an unavailable extension also failed, whoever asked).
    await expect(client.query("create role probe_superuser superuser")).rejects.toThrow(/permission denied to create role/);
    await expect(client.query("copy (select 1) to program 'true'")).rejects.toThrow(/permission denied to COPY to or from an external program/);
  });
});

describe("auth", () => {
  const sub = "5b6c7d8e-0000-4000-8000-000000000001";

  it("auth.uid()/role()/jwt() read request.jwt.claims", async () => {
    const claims = JSON.stringify({ sub, role: "authenticated", email: "a@example.com" });
    const row = await as("authenticated", { "request.jwt.claims": claims }, async () => (await admin.query("select auth.uid()::text as uid, auth.role() as role, auth.email() as email, auth.jwt() ->> 'sub' as jwt_sub")).rows[0]);
    expect(row).toEqual({ uid: sub, role: "authenticated", email: "a@example.com", jwt_sub: sub });
  });

  it("auth.uid() also reads the legacy per-claim setting, and is null without claims", async () => {
    expect(await as("authenticated", { "request.jwt.claim.sub": sub }, async () => (await admin.query("select auth.uid()::text as uid")).rows[0].uid)).toBe(sub);
    expect(await as("anon", {}, async () => (await admin.query("select auth.uid() as uid, auth.jwt() as jwt")).rows[0])).toEqual({ uid: null, jwt: null });
  });

  it("lets postgres reference auth.users but not alter it", async () => {
    await client.query("create table profile_probe (id uuid references auth.users (id))");
    await expect(client.query("alter table auth.users add column x int")).rejects.toThrow(/must be owner/);
    await client.query("drop table profile_probe");
  });
});

describe("storage", () => {
  it("has the current buckets and objects columns, with RLS on and no policies", async () => {
    const cols = await admin.query(
      "select table_name, string_agg(column_name, ',' order by ordinal_position) as cols from information_schema.columns where table_schema = 'storage' and table_name in ('buckets', 'objects') group by 1 order by 1",
    );
    expect(cols.rows).toEqual([
      { table_name: "buckets", cols: "id,name,owner,created_at,updated_at,public,avif_autodetection,file_size_limit,allowed_mime_types,owner_id,type,versioning_status" },
      {
        table_name: "objects",
        cols: "id,bucket_id,name,owner,created_at,updated_at,last_accessed_at,metadata,path_tokens,version,owner_id,user_metadata,archived_at,is_delete_marker,is_versioned",
      },
    ]);
    const rls = await admin.query("select relname, relrowsecurity from pg_class where relnamespace = 'storage'::regnamespace and relkind = 'r' order by 1");
    expect(rls.rows).toEqual(["buckets", "migrations", "objects"].map((relname) => ({ relname, relrowsecurity: true })));
    expect((await admin.query("select count(*)::int as n from pg_policies where schemaname = 'storage'")).rows[0].n).toBe(0);
  });

  it("has foldername/filename/extension", async () => {
    const { rows } = await client.query("select storage.foldername('raw/abc/x/y.tar.gz') as f, storage.filename('raw/abc/x/y.tar.gz') as n, storage.extension('raw/abc/x/y.tar.gz') as e");
    expect(rows[0]).toEqual({ f: ["raw", "abc", "x"], n: "y.tar.gz", e: "gz" });
  });

  it("blocks direct deletes unless storage.allow_delete_query is set, as the Storage API does", async () => {
    await admin.query("insert into storage.buckets (id, name) values ('probe', 'probe')");
    await expect(admin.query("delete from storage.buckets where id = 'probe'")).rejects.toThrow(/Direct deletion from storage tables is not allowed/);
    await admin.query("begin; set local storage.allow_delete_query = 'true'; delete from storage.buckets where id = 'probe'; commit");
    expect((await admin.query("select count(*)::int as n from storage.buckets where id = 'probe'")).rows[0].n).toBe(0);
  });

  it("lets authenticated users reach objects only through policies (RLS on, privileges granted)", async () => {
    await admin.query("insert into storage.buckets (id, name) values ('b', 'b'); insert into storage.objects (bucket_id, name) values ('b', 'raw/u/1.json')");
    expect(await as("authenticated", {}, async () => (await admin.query("select count(*)::int as n from storage.objects")).rows[0].n)).toBe(0);
    expect(await as("service_role", {}, async () => (await admin.query("select count(*)::int as n from storage.objects")).rows[0].n)).toBe(1);
  });
});

describe("applyBootstrap", () => {
  it("is idempotent: skipped when current, and its SQL can run again without error", async () => {
    expect(await applyBootstrap(admin)).toEqual({ changed: false });
    await admin.query(bootstrapSql().sql);
    await admin.query("comment on schema storage is 'something else'");
    expect(await applyBootstrap(admin)).toEqual({ changed: true });
    expect(await applyBootstrap(admin)).toEqual({ changed: false });
  });

  it("refuses to run as a non-superuser", async () => {
    await expect(applyBootstrap(client)).rejects.toThrow(/must run as the cluster superuser/);
  });

  it("can leave a database bare, for tests that need one", async () => {
    const db = await pg.createDatabase(undefined, { bootstrap: false });
    const bare = await pg.connect(db.url);
    expect((await bare.query("select to_regnamespace('auth') as a")).rows[0].a).toBeNull();
  });
});
