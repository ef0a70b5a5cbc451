/**
 * `npm run local`'s connections and round trips (infra/supabase/local-stack.ts), counted two ways:
 * every connection the run opens goes through its `connect` option (which also counts each
 * client's queries), and the server logs every connection it authorizes (`log_connections`), so a
 * connection opened around the option would show too. A database already up to date costs one
 * connection, as `postgres`, and three round trips; no admin connection.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CATALOG } from "../../infra/apps";
import { databasesOf } from "../../infra/supabase/declaration";
import { connect, startLocalPostgres, type LocalPostgres } from "../../infra/supabase/local-postgres";
import { convergeLocalStack, LOCAL_STEPS, type LocalStep } from "../../infra/supabase/local-stack";

const DATABASES = databasesOf(CATALOG);

let parent: string;
let server: LocalPostgres;

beforeAll(async () => {
  parent = fs.mkdtempSync(path.join(os.tmpdir(), "local-connections-"));
  fs.chmodSync(parent, 0o777);
  server = await startLocalPostgres({ dir: path.join(parent, "cluster"), persistent: false });
  const admin = await connect(server.adminUrl());
  await admin.query("alter system set log_connections = 'on'");
  await admin.query("select pg_reload_conf()");
  await admin.end();
});
afterAll(async () => {
  await server?.stop();
  fs.rmSync(parent, { recursive: true, force: true });
});

/**
 * A `connect` that records `user@database` of each connection opened (`opened`; `refused` for an
 * attempt that failed, e.g. a database not created yet) and counts each client's queries.
 */
function countingConnect() {
  const opened: string[] = [];
  const refused: string[] = [];
  const queries = new Map<string, number>();
  const open = async (url: string): Promise<Client> => {
    const u = new URL(url);
    const key = `${decodeURIComponent(u.username)}@${decodeURIComponent(u.pathname.slice(1))}`;
    let client: Client;
    try {
      client = await connect(url);
    } catch (e) {
      refused.push(key);
      throw e;
    }
    opened.push(key);
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: unknown }).query = (...args: unknown[]) => {
      queries.set(key, (queries.get(key) ?? 0) + 1);
      return query(...args);
    };
    return client;
  };
  return { open, opened, refused, queries };
}

/** The connections the server authorized while `fn` ran, as `user@database`, from its log. */
async function serverConnections(fn: () => Promise<unknown>): Promise<string[]> {
  const log = path.join(server.dir, "server.log");
  const start = fs.statSync(log).size;
  await fn();
  const text = fs.readFileSync(log, "utf8").slice(start);
  return [...text.matchAll(/connection authorized: user=(\S+) database=(\S+)/g)].map((m) => `${m[1]}@${m[2]}`);
}

describe("npm run local's connections", () => {
  it("first run: creates and bootstraps each database through admin connections, then one connection as postgres", async () => {
    const c = countingConnect();
    const results = await convergeLocalStack({ server, databases: DATABASES, connect: c.open });
    expect(results.every((r) => r.changes.includes("created the database"))).toBe(true);
    // The run first tries its connection as postgres: the database does not exist yet.
    expect(c.refused).toEqual(DATABASES.map((d) => `postgres@${d.name}`));
    for (const d of DATABASES) {
      expect(c.opened.filter((k) => k === `postgres@${d.name}`)).toHaveLength(1);
      expect(c.opened.filter((k) => k === `supabase_admin@${d.name}`)).toHaveLength(1);
    }
    expect(c.opened.filter((k) => k === "supabase_admin@postgres")).toHaveLength(DATABASES.length);
  });

  it("a no-op run: exactly one connection per database, as postgres, and three round trips each", async () => {
    const c = countingConnect();
    let results: Awaited<ReturnType<typeof convergeLocalStack>> = [];
    const authorized = await serverConnections(async () => {
      results = await convergeLocalStack({ server, databases: DATABASES, connect: c.open });
    });
    expect(results.map((r) => [r.database, r.changes])).toEqual(DATABASES.map((d) => [d.name, []]));
    expect(results.map((r) => r.checksPassed)).toEqual(DATABASES.map((d) => d.checks.map((check) => check.name)));
    const expected = DATABASES.map((d) => `postgres@${d.name}`);
    expect(c.opened).toEqual(expected);
    expect(authorized).toEqual(expected);
    // The bootstrap's mark, the migration ledger, the declaration's one read.
    expect(Object.fromEntries(c.queries)).toEqual(Object.fromEntries(expected.map((k) => [k, 3])));
  });

  it("a database that exists without the bootstrap: the admin path bootstraps it, and the steps run on a new session that sees postgres's role settings", async () => {
    const admin = await connect(server.adminUrl());
    try {
      await admin.query(`create database "late-bootstrap"`);
      await admin.query(`grant all on database "late-bootstrap" to postgres`);
      // A role setting the bootstrap changes back: only a session begun after it sees the change.
      await admin.query("alter role postgres set search_path = public");
    } finally {
      await admin.end();
    }
    const seen: string[] = [];
    const probe: LocalStep = {
      name: "probe",
      async run(ctx) {
        seen.push((await (await ctx.client!()).query("show search_path")).rows[0].search_path);
        return [];
      },
    };
    const c = countingConnect();
    const late = { ...DATABASES.find((d) => d.name === "health-companion")!, name: "late-bootstrap" };
    const root = path.join(parent, "migrations");
    fs.mkdirSync(path.join(root, "late-bootstrap"), { recursive: true });
    const [result] = await convergeLocalStack({ server, databases: [{ ...late, schemas: [], policies: [], checks: [] }], migrationsRoot: root, steps: [...LOCAL_STEPS, probe], connect: c.open });
    expect(result.changes).toContain("applied the Supabase bootstrap (roles, auth, storage)");
    // The probe's session began after the bootstrap set postgres's search_path.
    expect(seen).toEqual(['"$user", public, extensions']);
    // The first session as postgres (it read no bootstrap mark) is closed before the bootstrap.
    expect(c.opened).toEqual(["postgres@late-bootstrap", "supabase_admin@postgres", "supabase_admin@late-bootstrap", "postgres@late-bootstrap"]);
    expect(c.refused).toEqual([]);
  });

  it("the declaration step shares the migrations' connection but not their session state (a migration's SET)", async () => {
    const root = path.join(parent, "migrations");
    fs.mkdirSync(path.join(root, "session-state"), { recursive: true });
    fs.writeFileSync(path.join(root, "session-state", "20250101000000_set.sql"), "create table public.t (id int);\nset search_path = nowhere;\n");
    const decl = { name: "session-state", schemas: [], buckets: [], policies: [], checks: [{ name: "fresh-session", sql: "select current_setting('search_path') <> 'nowhere'" }] };
    const c = countingConnect();
    const [result] = await convergeLocalStack({ server, databases: [decl], migrationsRoot: root, connect: c.open });
    expect(result.checksPassed).toEqual(["fresh-session"]);
    expect(c.opened.filter((k) => k.startsWith("postgres@"))).toEqual(["postgres@session-state"]);
  });
});
