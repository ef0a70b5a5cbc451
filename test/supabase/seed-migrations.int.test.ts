/**
 * The seed migrations (`migrations/<database>/`) on the Supabase-compatible local Postgres: each
 * catalog database applies cleanly as `postgres`, keeps Supabase's hardening rules, and, with the
 * catalog's policies and buckets added (converged by the SupabaseDatabase component in production),
 * passes every catalog check.
 */
import * as path from "path";
import type { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CATALOG } from "../../infra/apps";
import type { DatabaseDecl } from "../../infra/apps/types";
import { pushMigrations, quoteIdent, readMigrationFiles } from "../../infra/supabase/migrations";
import { startTestPostgres, type TestPostgres } from "../support/postgres";

const MIGRATIONS = path.resolve(__dirname, "../../migrations");
const databases = [...new Map(CATALOG.flatMap((a) => (a.database ? [[a.database.name, a.database] as const] : []))).values()];

/** Views the seed migrations create in an exposed schema, per database. */
const SEED_VIEWS: Record<string, string[]> = { "conversation-raw-storage": ["raw_storage_health"] };

let pg: TestPostgres;
beforeAll(async () => {
  pg = await startTestPostgres();
});
afterAll(async () => {
  await pg?.stop();
});

/** What the later convergence step does with the declaration, reduced to plain SQL for this test. */
async function addPoliciesAndBuckets(admin: Client, db: DatabaseDecl): Promise<void> {
  for (const b of db.buckets) {
    await admin.query("insert into storage.buckets (id, name, public) values ($1, $1, $2)", [b.id, b.public]);
  }
  for (const p of db.policies) {
    const [schema, table] = p.on.split(".");
    await admin.query(
      `create policy ${quoteIdent(p.name)} on ${quoteIdent(schema)}.${quoteIdent(table)} for ${p.command} to ${p.roles.map(quoteIdent).join(", ")}` +
        (p.using ? ` using (${p.using})` : "") +
        (p.withCheck ? ` with check (${p.withCheck})` : ""),
    );
  }
}

describe.each(databases.map((d) => [d.name, d] as const))("migrations/%s", (name, decl) => {
  let client: Client;
  let admin: Client;
  beforeAll(async () => {
    const db = await pg.createDatabase(name);
    client = await pg.connect(db.url);
    admin = await pg.connect(db.adminUrl);
  });

  it("applies as postgres, then a second push applies nothing", async () => {
    const files = readMigrationFiles(path.join(MIGRATIONS, name));
    expect(files.length).toBeGreaterThan(0);
    const first = await pushMigrations(client, files);
    expect(first.applied.map((a) => a.version)).toEqual(files.map((f) => f.version));
    const second = await pushMigrations(client, files);
    expect(second).toMatchObject({ applied: [], roundTrips: 1 });
  });

  it("enables RLS on every table of its exposed schemas", async () => {
    const exposed = decl.schemas.filter((s) => s.exposed).map((s) => s.name);
    const { rows } = await client.query(
      `select n.nspname || '.' || c.relname as t, c.relrowsecurity as rls from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where c.relkind in ('r', 'p') and n.nspname = any ($1) order by 1`,
      [exposed],
    );
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.filter((r) => !r.rls)).toEqual([]);
  });

  it("grants nothing to anon, and only per table (no default privileges for the API roles)", async () => {
    const exposed = decl.schemas.filter((s) => s.exposed).map((s) => s.name);
    const anon = await client.query(
      "select table_schema || '.' || table_name as t, privilege_type from information_schema.role_table_grants where grantee = 'anon' and table_schema = any ($1)",
      [exposed],
    );
    expect(anon.rows).toEqual([]);
    const defaults = await client.query("select count(*)::int as n from pg_default_acl");
    expect(defaults.rows[0].n).toBe(0);
  });

  it("makes every view in an exposed schema security_invoker", async () => {
    const exposed = decl.schemas.filter((s) => s.exposed).map((s) => s.name);
    const { rows } = await client.query(
      `select c.relname, coalesce(c.reloptions, '{}') as options from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where c.relkind = 'v' and n.nspname = any ($1) order by 1`,
      [exposed],
    );
    // The views the seeds create (so the query is known to find them), each security_invoker.
    expect(rows.map((v) => v.relname)).toEqual(SEED_VIEWS[name] ?? []);
    for (const v of rows) expect(v.options).toContain("security_invoker=true");
  });

  it("passes every catalog check once the declared policies and buckets exist", async () => {
    await addPoliciesAndBuckets(admin, decl);
    for (const check of decl.checks) {
      const { rows } = await client.query(check.sql);
      expect({ check: check.name, result: Object.values(rows[0])[0] }).toEqual({ check: check.name, result: true });
    }
  });
});

describe("seed 003: owner-only threads, as a signed-in user", () => {
  it("a user reads and writes only their own threads", async () => {
    const admin = await pg.connect(pg.adminUrl.replace(/\/postgres$/, "/health-companion"));
    const alice = "11111111-1111-4111-8111-111111111111";
    const bob = "22222222-2222-4222-8222-222222222222";
    await admin.query("insert into auth.users (id, email) values ($1, 'alice@example.com'), ($2, 'bob@example.com')", [alice, bob]);
    await admin.query("insert into health_companion.threads (user_id, title) values ($1, 'alice 1'), ($2, 'bob 1')", [alice, bob]);
    const asUser = async <T>(sub: string, fn: () => Promise<T>): Promise<T> => {
      await admin.query("begin");
      try {
        await admin.query("set local role authenticated");
        await admin.query("select set_config('request.jwt.claims', $1, true)", [JSON.stringify({ sub, role: "authenticated" })]);
        return await fn();
      } finally {
        await admin.query("rollback");
      }
    };
    expect(await asUser(alice, async () => (await admin.query("select title from health_companion.threads")).rows)).toEqual([{ title: "alice 1" }]);
    const stolen = await asUser(alice, () =>
      admin.query("insert into health_companion.threads (user_id, title) values ($1, 'forged')", [bob]).then(
        () => "inserted",
        (e: Error) => e.message,
      ),
    );
    expect(stolen).toContain("row-level security");
    const updated = await asUser(alice, async () => (await admin.query("update health_companion.threads set title = 'x' where user_id = $1", [bob])).rowCount);
    expect(updated).toBe(0);
    await admin.end();
  });
});

/** The view's rows are the caller's: with security_invoker, RLS applies to the view's reader. */
describe("seed 004: raw_storage_health", () => {
  it("is readable by the service role and not by authenticated users", async () => {
    const admin = await pg.connect(pg.adminUrl.replace(/\/postgres$/, "/conversation-raw-storage"));
    await admin.query(
      `insert into public.conversations (conversation_id, raw_response_path, raw_response_size, parse_method_used, parse_attempts)
       values ('c1', 'raw/u/1.json', 2097152, 'direct', 1), ('c2', 'raw/u/2.json', 1048576, 'jsonrepair', 2)`,
    );
    const as = async (role: string) => {
      await admin.query("begin");
      try {
        await admin.query(`set local role ${quoteIdent(role)}`);
        return await admin.query("select total_conversations::int, direct_parse_count::int, raw_storage_mb::int from public.raw_storage_health").then(
          (r) => r.rows,
          (e: Error) => e.message,
        );
      } finally {
        await admin.query("rollback");
      }
    };
    expect(await as("service_role")).toEqual([{ total_conversations: 2, direct_parse_count: 1, raw_storage_mb: 3 }]);
    expect(await as("authenticated")).toContain("permission denied");
    await admin.end();
  });
});
