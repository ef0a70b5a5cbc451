/**
 * A throwaway, Supabase-compatible Postgres for integration tests: each call starts its own cluster
 * (temp dir, free port), bootstrapped as Supabase is (roles, auth, storage).
 *
 * ```ts
 * let pg: TestPostgres;
 * beforeAll(async () => { pg = await startTestPostgres(); });
 * afterAll(() => pg?.stop());
 * ```
 */
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Client } from "pg";
import { applyBootstrap, connect, ensureLocalDatabase, startLocalPostgres } from "../../infra/supabase/local-postgres";
import { quoteIdent } from "../../infra/sql/quote";

export interface TestPostgres {
  port: number;
  /** As the cluster superuser `supabase_admin` (database `postgres`). */
  adminUrl: string;
  /** As `postgres` (NOSUPERUSER BYPASSRLS), the role migrations run as (database `postgres`). */
  url: string;
  /**
   * A fresh database in this cluster, bootstrapped unless `bootstrap: false`; returns its URLs.
   * Use one per test to keep tests independent without a new cluster each time.
   */
  createDatabase(name?: string, opts?: { bootstrap?: boolean }): Promise<{ name: string; adminUrl: string; url: string }>;
  /** A connected client for `url` (closed by `stop()` if still open). */
  connect(url?: string): Promise<Client>;
  stop(): Promise<void>;
}

/**
 * Starts a throwaway cluster. `bootstrap: false` leaves the `postgres` database as initdb made it
 * (roles are still created: the cluster is unusable without them).
 */
export async function startTestPostgres(opts: { bootstrap?: boolean } = {}): Promise<TestPostgres> {
  // Postgres runs as the OS user `postgres` when we are root: the parent must be traversable by it.
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), "rollout-pg-"));
  fs.chmodSync(parent, 0o777);
  const server = await startLocalPostgres({
    dir: path.join(parent, "cluster"),
    persistent: false,
    password: randomBytes(12).toString("hex"),
  });
  const clients = new Set<Client>();
  const open = async (url: string) => {
    const client = await connect(url);
    clients.add(client);
    client.on("end", () => clients.delete(client));
    return client;
  };
  if (opts.bootstrap === false) {
    // startLocalPostgres bootstrapped the `postgres` database; give the caller a bare one instead.
    const admin = await connect(server.adminUrl());
    await admin.query("CREATE DATABASE bare TEMPLATE template0");
    await admin.end();
  }
  const database = opts.bootstrap === false ? "bare" : "postgres";
  let counter = 0;
  return {
    port: server.port,
    adminUrl: server.adminUrl(database),
    url: server.url(database),
    async createDatabase(name = `t${++counter}_${randomBytes(3).toString("hex")}`, dbOpts = {}) {
      if (dbOpts.bootstrap === false) {
        const admin = await connect(server.adminUrl());
        try {
          await admin.query(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE template0`);
          await admin.query(`GRANT ALL ON DATABASE ${quoteIdent(name)} TO postgres`);
        } finally {
          await admin.end();
        }
      } else {
        await ensureLocalDatabase(server.adminUrl(), name);
      }
      return { name, adminUrl: server.adminUrl(name), url: server.url(name) };
    },
    connect: (url = server.url(database)) => open(url),
    async stop() {
      await Promise.all([...clients].map((c) => c.end().catch(() => undefined)));
      await server.stop();
      fs.rmSync(parent, { recursive: true, force: true });
    },
  };
}

/** Re-applies the bootstrap through an admin client (for tests of its idempotence). */
export { applyBootstrap };
