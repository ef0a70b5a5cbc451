/**
 * The RLS matrix of the seed apps, on the embedded Postgres after `npm run local`-style convergence
 * (the local command's own migration and declaration steps, the real catalog and migrations).
 *
 * Every cell runs as PostgREST runs a request: logged in as `authenticator` (NOINHERIT, not
 * BYPASSRLS), `set local role` to the request's role, JWT claims in `request.jwt.claims` (plus the
 * per-claim settings the Storage API also sets), inside a transaction that is rolled back. Never as
 * a superuser or a BYPASSRLS login. Deletes on storage.objects set `storage.allow_delete_query` as
 * the Storage API does per request (without it the delete-protection trigger refuses every delete).
 */
import * as path from "path";
import type { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { conversationRawStorage } from "../../infra/apps/conversation-raw-storage";
import { healthCompanion } from "../../infra/apps/health-companion";
import type { DatabaseDecl } from "../../infra/apps/types";
import { declarationStep, migrationsStep, type DatabaseContext } from "../../infra/supabase/local-stack";
import { startTestPostgres, type TestPostgres } from "../support/postgres";

const ROOT = path.resolve(__dirname, "../..");
const USER_A = "aaaaaaaa-0000-4000-8000-00000000000a";
const USER_B = "bbbbbbbb-0000-4000-8000-00000000000b";
const THREAD_A = "aaaaaaaa-1111-4000-8000-00000000000a";
const THREAD_B = "bbbbbbbb-1111-4000-8000-00000000000b";

type Who = "anon" | "A" | "B" | "service_role";
const WHO: Who[] = ["anon", "A", "B", "service_role"];

let pg: TestPostgres;
const api: Record<string, Client> = {};

/** Converges a catalog database exactly as `npm run local` does (after its bootstrap). */
async function converge(database: DatabaseDecl): Promise<{ adminUrl: string; url: string }> {
  const db = await pg.createDatabase(database.name);
  const ctx = {
    database,
    url: db.url,
    migrationsRoot: path.join(ROOT, "migrations"),
    progress: () => undefined,
  } as unknown as DatabaseContext;
  await migrationsStep.run(ctx);
  await declarationStep.run(ctx);
  return db;
}

/** PostgREST's login role on a database. */
function authenticatorUrl(url: string): string {
  const u = new URL(url);
  u.username = "authenticator";
  return u.toString();
}

/** The outcome of one request: rows it saw or touched, or the kind of refusal. */
type Outcome = { rows: string[] } | { denied: "permission" | "rls" | "trigger" };

/**
 * Runs `sql` as `who` would through the API: role and JWT claims set for the transaction only, the
 * Storage API's delete switch when asked, then rolled back. Returns the first column of each row.
 */
async function asUser(client: Client, who: Who, sql: string, params: unknown[] = [], opts: { allowDelete?: boolean } = {}): Promise<Outcome> {
  const role = who === "A" || who === "B" ? "authenticated" : who;
  const sub = who === "A" ? USER_A : who === "B" ? USER_B : "";
  const claims = JSON.stringify(sub ? { sub, role, aud: "authenticated" } : { role });
  await client.query("begin");
  try {
    await client.query(`set local role ${role}`);
    await client.query(
      `select set_config('request.jwt.claims', $1, true), set_config('request.jwt.claim.sub', $2, true), set_config('request.jwt.claim.role', $3, true),
              set_config('storage.allow_delete_query', $4, true)`,
      [claims, sub, role, opts.allowDelete ? "true" : "false"],
    );
    const who_ = (await client.query("select current_user as u, (select rolbypassrls from pg_roles where rolname = current_user) as bypass, auth.uid()::text as uid")).rows[0];
    expect(who_.u).toBe(role);
    if (role !== "service_role") expect(who_.bypass).toBe(false);
    expect(who_.uid).toBe(sub || null);
    const { rows } = await client.query({ text: sql, values: params, rowMode: "array" });
    return { rows: rows.map((r) => String(r[0])).sort() };
  } catch (e) {
    const err = e as { code?: string; message: string };
    if (err.code !== "42501") throw e;
    if (/row-level security/.test(err.message)) return { denied: "rls" };
    if (/Direct deletion from storage tables is not allowed/.test(err.message)) return { denied: "trigger" };
    return { denied: "permission" };
  } finally {
    await client.query("rollback");
  }
}

const rows = (...r: string[]): Outcome => ({ rows: r.sort() });
const denied = (kind: "permission" | "rls" | "trigger"): Outcome => ({ denied: kind });

beforeAll(async () => {
  pg = await startTestPostgres();
  for (const database of [healthCompanion.database!, conversationRawStorage.database!]) {
    const db = await converge(database);
    const admin = await pg.connect(db.adminUrl);
    await admin.query("insert into auth.users (id, email, role, aud) values ($1, 'a@example.com', 'authenticated', 'authenticated'), ($2, 'b@example.com', 'authenticated', 'authenticated')", [USER_A, USER_B]);
    if (database.name === "health-companion") {
      await admin.query("insert into health_companion.threads (id, user_id, title) values ($1, $2, 'A''s thread'), ($3, $4, 'B''s thread')", [THREAD_A, USER_A, THREAD_B, USER_B]);
    } else {
      await admin.query(
        "insert into storage.objects (bucket_id, name, owner_id) values ('conversation-files', $1, $2), ('conversation-files', $3, $4)",
        [`raw/${USER_A}/a.json`, USER_A, `raw/${USER_B}/b.json`, USER_B],
      );
    }
    await admin.end();
    api[database.name] = await pg.connect(authenticatorUrl(db.url));
    // The connection itself can bypass nothing.
    const me = (await api[database.name].query("select rolsuper, rolbypassrls, rolinherit from pg_roles where rolname = current_user")).rows[0];
    expect(me).toEqual({ rolsuper: false, rolbypassrls: false, rolinherit: false });
  }
});

afterAll(async () => {
  await pg?.stop();
});

describe("health_companion.threads: owner-only (user_id = auth.uid())", () => {
  const db = () => api["health-companion"];
  const cells: { command: string; sql: string; params?: unknown[]; expected: Record<Who, Outcome> }[] = [
    {
      command: "select every thread",
      sql: "select user_id from health_companion.threads",
      expected: { anon: denied("permission"), A: rows(USER_A), B: rows(USER_B), service_role: rows(USER_A, USER_B) },
    },
    {
      command: "insert a thread owned by A",
      sql: "insert into health_companion.threads (user_id, title) values ($1, 'new') returning user_id",
      params: [USER_A],
      expected: { anon: denied("permission"), A: rows(USER_A), B: denied("rls"), service_role: rows(USER_A) },
    },
    {
      command: "insert a thread owned by B",
      sql: "insert into health_companion.threads (user_id, title) values ($1, 'new') returning user_id",
      params: [USER_B],
      expected: { anon: denied("permission"), A: denied("rls"), B: rows(USER_B), service_role: rows(USER_B) },
    },
    {
      command: "update A's thread",
      sql: "update health_companion.threads set title = 'renamed' where id = $1 returning id",
      params: [THREAD_A],
      expected: { anon: denied("permission"), A: rows(THREAD_A), B: rows(), service_role: rows(THREAD_A) },
    },
    {
      command: "give A's thread to B",
      sql: "update health_companion.threads set user_id = $2 where id = $1 returning id",
      params: [THREAD_A, USER_B],
      expected: { anon: denied("permission"), A: denied("rls"), B: rows(), service_role: rows(THREAD_A) },
    },
    {
      command: "delete A's thread",
      sql: "delete from health_companion.threads where id = $1 returning id",
      params: [THREAD_A],
      expected: { anon: denied("permission"), A: rows(THREAD_A), B: rows(), service_role: rows(THREAD_A) },
    },
    {
      // RLS does not govern TRUNCATE: only the missing grant stops it.
      command: "truncate every thread",
      sql: "truncate health_companion.threads",
      expected: { anon: denied("permission"), A: denied("permission"), B: denied("permission"), service_role: denied("permission") },
    },
  ];
  for (const cell of cells) {
    it.each(WHO)(`${cell.command} as %s`, async (who) => {
      expect(await asUser(db(), who, cell.sql, cell.params)).toEqual(cell.expected[who]);
    });
  }
});

describe("storage.objects in conversation-files: raw/{uid}/ folders", () => {
  const db = () => api["conversation-raw-storage"];
  const A_FILE = `raw/${USER_A}/a.json`;
  const B_FILE = `raw/${USER_B}/b.json`;
  const cells: { command: string; sql: string; params?: unknown[]; allowDelete?: boolean; expected: Record<Who, Outcome> }[] = [
    {
      command: "select every object",
      sql: "select name from storage.objects where bucket_id = 'conversation-files'",
      expected: { anon: rows(), A: rows(A_FILE), B: rows(B_FILE), service_role: rows(A_FILE, B_FILE) },
    },
    {
      command: "upload under raw/A/",
      sql: "insert into storage.objects (bucket_id, name) values ('conversation-files', $1) returning name",
      params: [`raw/${USER_A}/new.json`],
      expected: { anon: denied("rls"), A: rows(`raw/${USER_A}/new.json`), B: denied("rls"), service_role: rows(`raw/${USER_A}/new.json`) },
    },
    {
      command: "upload under raw/B/",
      sql: "insert into storage.objects (bucket_id, name) values ('conversation-files', $1) returning name",
      params: [`raw/${USER_B}/new.json`],
      expected: { anon: denied("rls"), A: denied("rls"), B: rows(`raw/${USER_B}/new.json`), service_role: rows(`raw/${USER_B}/new.json`) },
    },
    {
      command: "upload outside raw/ (A's uid as the first folder)",
      sql: "insert into storage.objects (bucket_id, name) values ('conversation-files', $1) returning name",
      params: [`${USER_A}/x.json`],
      expected: { anon: denied("rls"), A: denied("rls"), B: denied("rls"), service_role: rows(`${USER_A}/x.json`) },
    },
    {
      command: "update A's object",
      sql: "update storage.objects set metadata = '{\"size\": 1}' where name = $1 returning name",
      params: [A_FILE],
      expected: { anon: rows(), A: rows(A_FILE), B: rows(), service_role: rows(A_FILE) },
    },
    {
      command: "move A's object into raw/B/",
      sql: "update storage.objects set name = $2 where name = $1 returning name",
      params: [A_FILE, `raw/${USER_B}/stolen.json`],
      expected: { anon: rows(), A: denied("rls"), B: rows(), service_role: rows(`raw/${USER_B}/stolen.json`) },
    },
    {
      command: "delete A's object (storage.allow_delete_query set, as the Storage API does)",
      sql: "delete from storage.objects where name = $1 returning name",
      params: [A_FILE],
      allowDelete: true,
      expected: { anon: rows(), A: rows(A_FILE), B: rows(), service_role: rows(A_FILE) },
    },
    {
      command: "delete A's object by SQL without the Storage API's switch",
      sql: "delete from storage.objects where name = $1 returning name",
      params: [A_FILE],
      expected: { anon: denied("trigger"), A: denied("trigger"), B: denied("trigger"), service_role: denied("trigger") },
    },
  ];
  for (const cell of cells) {
    it.each(WHO)(`${cell.command} as %s`, async (who) => {
      expect(await asUser(db(), who, cell.sql, cell.params, { allowDelete: cell.allowDelete })).toEqual(cell.expected[who]);
    });
  }
});
