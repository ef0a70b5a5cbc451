/**
 * Network bench: the migration runs and `npm run local`'s convergence over a link with a real round
 * trip. Users push to Supabase from CI over the internet (20–100 ms away), where round trips, not
 * the database, set the time. The same embedded Postgres as the migrations bench (fsync on) sits
 * behind our delaying relay (bench/delay-proxy.ts: 20 ms each way, so 40 ms per round trip), which
 * counts round trips and connections as the client sees them.
 *
 * Measured once each (no-ops: median of 3), every run connect → work → end, so connection setup is
 * in: our `pushMigrations` and node-pg-migrate (single transaction, its default, and a transaction
 * per file) on 500 one-table files, each on a fresh database, their no-ops, and the convergence of
 * the local stack's databases (first run, then the no-op, per database).
 * Timings never fail the run; a wrong applied count, or a no-op that changes something, does.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadStackConfigFile } from "../infra/config";
import { databasesOf } from "../infra/supabase/declaration";
import { connect, startLocalPostgres, type LocalPostgres } from "../infra/supabase/local-postgres";
import { convergeLocalStack } from "../infra/supabase/local-stack";
import { pushMigrations, quoteIdent, readMigrationFiles } from "../infra/supabase/migrations";
import { startDelayProxy, type ConnectionStats, type DelayProxy } from "./delay-proxy";
import type { Bench } from "./index";
import { writeBenchMigrations } from "./migration-files";
import { fmt, median, ms } from "./timing";

const FILES = 500;
const DELAY_MS = 20;
const NOOP_RUNS = 3;

// Types by path: this project resolves modules the CommonJS way (moduleResolution node), which ignores `exports`.
type NodePgMigrate = typeof import("node-pg-migrate/dist/bundle/index");

/** One measured run: round trips (all, and after the connection was ready), connections, time. */
interface Measured {
  roundTrips: number;
  /** Round trips once connected (the run's own work); undefined for runs that open several connections. */
  afterConnect?: number;
  connections: number;
  ms: number;
}

/** `server` as a client sees it through the relay: the same URLs, on the relay's port. */
function throughRelay(server: LocalPostgres, port: number): LocalPostgres {
  const swap = (url: string) => {
    const u = new URL(url);
    u.port = String(port);
    return u.toString();
  };
  return { ...server, port, adminUrl: (d) => swap(server.adminUrl(d)), url: (d) => swap(server.url(d)), stop: () => server.stop() };
}

/** "3× chat-sessions as postgres, 1× postgres as supabase_admin": where a window's connections went. */
function describeConnections(conns: readonly ConnectionStats[]): string {
  const counts = new Map<string, number>();
  for (const c of conns) {
    const key = `${c.database ?? "?"} as ${c.user ?? "?"}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${n}× ${k}`).join(", ");
}

export const networkBench: Bench = {
  name: "network",
  description: `${FILES} migrations and npm run local's convergence through a ${DELAY_MS} ms each-way delay: round trips, connections, time; ours vs node-pg-migrate`,
  async run(out) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const npm = require("node-pg-migrate") as NodePgMigrate;
    const failures: string[] = [];
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), "rollout-bench-"));
    fs.chmodSync(parent, 0o777);
    // Durable settings (fsync on), as the migrations bench.
    const server = await startLocalPostgres({ dir: path.join(parent, "cluster"), persistent: false, fast: false, password: "bench" });
    let proxy: DelayProxy | undefined;
    try {
      proxy = await startDelayProxy({ target: { host: "127.0.0.1", port: server.port }, delayMs: DELAY_MS });
      const relay = proxy;
      const remote = throughRelay(server, relay.port);

      const { oursDir, npmDir } = writeBenchMigrations(parent, FILES);
      const files = readMigrationFiles(oursDir);

      // Databases are made directly (not through the relay, not counted).
      const admin = await connect(server.adminUrl());
      const { rows: version } = await admin.query<{ v: string }>("select current_setting('server_version') as v");
      const freshDatabase = async (name: string) => {
        await admin.query(`create database ${quoteIdent(name)} owner postgres`);
        return name;
      };

      /** connect (through the relay) → `work` → end, counted from a reset relay; `afterConnect` from the ready connection. */
      const measure = async (database: string, work: (client: Awaited<ReturnType<typeof connect>>) => Promise<void>): Promise<Measured> => {
        relay.reset();
        const t = process.hrtime.bigint();
        const client = await connect(remote.url(database));
        const setup = relay.stats().roundTrips;
        try {
          await work(client);
        } finally {
          await client.end();
        }
        const elapsed = ms(t);
        await relay.idle();
        const s = relay.stats();
        return { roundTrips: s.roundTrips, afterConnect: s.roundTrips - setup, connections: s.connections, ms: elapsed };
      };
      /** The median run (by time) of `NOOP_RUNS`. */
      const medianOf = async (run: () => Promise<Measured>): Promise<Measured> => {
        const runs: Measured[] = [];
        for (let i = 0; i < NOOP_RUNS; i++) runs.push(await run());
        const m = median(runs.map((r) => r.ms));
        return runs.find((r) => r.ms === m)!;
      };
      const runNpm = (client: Awaited<ReturnType<typeof connect>>, singleTransaction: boolean) =>
        npm.runner({ dbClient: client, dir: npmDir, direction: "up", migrationsTable: "pgmigrations", singleTransaction, log: () => undefined });

      // Warm-up, direct and unmeasured: module loads (our SQL parser, node-pg-migrate) and JIT.
      {
        const warm = path.join(parent, "warm");
        const warmDirs = writeBenchMigrations(warm, 5, "w");
        const a = await connect(server.url(await freshDatabase("warm_ours")));
        await pushMigrations(a, readMigrationFiles(warmDirs.oursDir));
        const b = await connect(server.url(await freshDatabase("warm_npm")));
        await npm.runner({ dbClient: b, dir: warmDirs.npmDir, direction: "up", migrationsTable: "pgmigrations", log: () => undefined });
        await a.end();
        await b.end();
      }

      const cores = os.cpus().length;
      out(`PostgreSQL ${version[0].v} (embedded, fsync on) behind ${DELAY_MS} ms each way (${2 * DELAY_MS} ms per round trip): loopback through our Node relay (bench/delay-proxy.ts), ${cores} cores`);
      out(`round trips as the client sees them (a request, then its answer), counted at the relay; each run connect → work → end; no-ops: median of ${NOOP_RUNS}`);
      const row = (label: string, m: Partial<Measured>) =>
        out(
          `  ${label.padEnd(46)}${(m.afterConnect ?? "–").toString().padStart(9)}${(m.roundTrips ?? "–").toString().padStart(8)}${(m.connections ?? "–").toString().padStart(8)}${(m.ms === undefined ? "–" : fmt(m.ms)).padStart(11)}`,
        );
      out(`  ${"".padEnd(46)}${"round trips".padStart(17)}${"conns".padStart(8)}${"wall".padStart(11)}`);
      out(`  ${"".padEnd(46)}${"connected".padStart(9)}${"total".padStart(8)}`);

      // 1. Ours, 500 files on a fresh database, then its no-op.
      let pushTrips = 0;
      const oursDb = await freshDatabase("ours");
      const ours = await measure(oursDb, async (client) => {
        const r = await pushMigrations(client, files);
        if (r.applied.length !== FILES) throw new Error(`ours applied ${r.applied.length} files, not ${FILES}`);
        pushTrips = r.roundTrips;
      });
      row(`ours: apply ${FILES}`, ours);
      out(`    its PushResult.roundTrips: ${pushTrips}`);
      let noopTrips = 0;
      const oursNoop = await medianOf(() =>
        measure(oursDb, async (client) => {
          // Like for like with node-pg-migrate, which loads its files each run.
          const r = await pushMigrations(client, readMigrationFiles(oursDir));
          if (r.applied.length) throw new Error("ours applied something on a no-op run");
          noopTrips = r.roundTrips;
        }),
      );
      row(`ours: no-op, ${FILES} applied`, oursNoop);
      out(`    its PushResult.roundTrips: ${noopTrips}`);

      // 2. node-pg-migrate, both transaction modes, each on a fresh database; then its no-op.
      const theirs = async (singleTransaction: boolean) => {
        const db = await freshDatabase(singleTransaction ? "npm_single" : "npm_per_file");
        const m = await measure(db, async (client) => {
          const applied = await runNpm(client, singleTransaction);
          if (applied.length !== FILES) throw new Error(`node-pg-migrate applied ${applied.length} files, not ${FILES}`);
        });
        return { db, m };
      };
      const single = await theirs(true);
      row(`node-pg-migrate: apply ${FILES}, one tx (default)`, single.m);
      const perFile = await theirs(false);
      row(`node-pg-migrate: apply ${FILES}, tx per file`, perFile.m);
      const theirNoop = await medianOf(() =>
        measure(perFile.db, async (client) => {
          const applied = await runNpm(client, false);
          if (applied.length) throw new Error("node-pg-migrate applied something on a no-op run");
        }),
      );
      row(`node-pg-migrate: no-op, ${FILES} applied`, theirNoop);
      await admin.end();

      // 3. `npm run local`'s convergence of the local stack, through the relay: first run (creates the
      // databases in this fresh cluster), then the no-op. Counted per database: the relay is reset as
      // each database starts, and its connections named from their startup messages.
      const databases = databasesOf(loadStackConfigFile("local").apps);
      const converge = async (label: string) => {
        const perDb: { name: string; m: Measured; conns: ConnectionStats[] }[] = [];
        relay.reset();
        const t = process.hrtime.bigint();
        let started = t;
        const results = await convergeLocalStack({
          server: remote,
          databases,
          onDatabase(result) {
            const s = relay.stats();
            // Connections opened in this window (the previous database's last one may still be closing).
            const conns = relay.connections().filter((c) => c.connections === 1);
            perDb.push({ name: result.database, m: { ...s, ms: ms(started) }, conns });
            relay.reset();
            started = process.hrtime.bigint();
          },
        });
        const total: Measured = { roundTrips: 0, connections: 0, ms: ms(t) };
        await relay.idle();
        // What arrived after the last onDatabase (the last connection's end): no round trip expected.
        const tail = relay.stats();
        for (const d of perDb) {
          total.roundTrips += d.m.roundTrips;
          total.connections += d.m.connections;
        }
        total.roundTrips += tail.roundTrips;
        row(`${label} (${databases.length} databases)`, total);
        for (const d of perDb) {
          row(`    ${d.name}`, d.m);
          out(`      ${describeConnections(d.conns)}`);
        }
        return { results, total };
      };
      const first = await converge("npm run local: first run");
      const changedFirst = first.results.filter((r) => r.changes.length).length;
      if (changedFirst !== databases.length) failures.push(`the first convergence changed ${changedFirst} of ${databases.length} databases (a fresh cluster: all expected)`);
      const noop = await converge("npm run local: no-op");
      for (const r of noop.results) if (r.changes.length) failures.push(`the no-op convergence changed ${r.database}: ${r.changes.join("; ")}`);

      // Ratios: round trips (what a longer link multiplies) and wall time.
      const ratio = (a: Measured, b: Measured, what: string) =>
        out(`  ${what}: ${(a.roundTrips / b.roundTrips).toFixed(3)}× the round trips (${a.roundTrips}/${b.roundTrips}), ${(a.ms / b.ms).toFixed(3)}× the time (${fmt(a.ms)}/${fmt(b.ms)})`);
      out("ratios, connection setup included:");
      ratio(ours, single.m, "our apply vs node-pg-migrate's one transaction");
      ratio(ours, perFile.m, "our apply vs node-pg-migrate's transaction per file");
      ratio(oursNoop, theirNoop, "our no-op vs node-pg-migrate's");
      const setup = ours.roundTrips - (ours.afterConnect ?? 0);
      out(
        `each connection here costs ${setup} round trips before its first query (startup, SCRAM); over the internet TCP's handshake adds one, and TLS ` +
          `(Supabase requires it; this embedded Postgres has none) adds its own (SSLRequest, then the TLS handshake) to every connection, ours and node-pg-migrate's alike`,
      );
    } finally {
      await proxy?.close();
      await server.stop();
      fs.rmSync(parent, { recursive: true, force: true });
    }
    return { failures };
  },
};
