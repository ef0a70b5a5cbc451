/**
 * Migration bench: 500 small migrations applied, and a no-op run
 * with 500 applied, by our runner and by node-pg-migrate, on the same embedded Postgres in the same
 * run. Each runner gets its own fresh database; each apply is measured twice (fresh databases) and
 * the faster run kept; no-ops are the median of several runs.
 *
 * Targets: apply ≤ 0.8× node-pg-migrate (each file committed on its own, as ours are); no-op
 * ≤ 0.1× node-pg-migrate, and one ledger read whatever the number of files.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Client } from "pg";
import { connect, startLocalPostgres } from "../infra/supabase/local-postgres";
import { pushMigrations, quoteIdent, readMigrationFiles } from "../infra/supabase/migrations";
import { BATCH_LIMITS } from "../infra/supabase/migrations/runner";
import type { Bench } from "./index";
import { writeBenchMigrations } from "./migration-files";
import { fmt, median, ms } from "./timing";

const FILES = 500;
const NOOP_RUNS = 15;

// Types by path: this project resolves modules the CommonJS way (moduleResolution node), which ignores `exports`.
type NodePgMigrate = typeof import("node-pg-migrate/dist/bundle/index");

/** A client that counts the queries a runner sends (each is at least one round trip). */
function countingClient(client: Client): { client: Client; count: () => number; reset: () => void } {
  let n = 0;
  const proxy = new Proxy(client, {
    get(target, prop, receiver) {
      if (prop === "query") {
        return (...args: unknown[]) => {
          n++;
          return (target.query as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      const value = Reflect.get(target, prop, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { client: proxy, count: () => n, reset: () => (n = 0) };
}

export const migrationsBench: Bench = {
  name: "migrations",
  description: `apply ${FILES} one-table migrations, then a no-op run with ${FILES} applied: ours vs node-pg-migrate`,
  async run(out) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const npm = require("node-pg-migrate") as NodePgMigrate;
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), "rollout-bench-"));
    fs.chmodSync(parent, 0o777);
    // Durable settings (fsync on): commit cost is what a real apply pays.
    const server = await startLocalPostgres({ dir: path.join(parent, "cluster"), persistent: false, fast: false, password: "bench" });
    try {
      // Versions in each tool's own convention: 14-digit UTC for ours, a millisecond timestamp prefix for node-pg-migrate.
      const { oursDir, npmDir } = writeBenchMigrations(parent, FILES);
      const files = readMigrationFiles(oursDir);

      const admin = await connect(server.adminUrl());
      const { rows: version } = await admin.query<{ v: string }>("select current_setting('server_version') as v");
      let dbCounter = 0;
      const freshDatabase = async () => {
        const name = `bench_${++dbCounter}`;
        await admin.query(`create database ${quoteIdent(name)} owner postgres`);
        return connect(server.url(name));
      };

      const ours = async () => {
        const client = await freshDatabase();
        const t = process.hrtime.bigint();
        const result = await pushMigrations(client, files);
        const elapsed = ms(t);
        if (result.applied.length !== FILES) throw new Error(`ours applied ${result.applied.length} files`);
        return { client, elapsed, roundTrips: result.roundTrips };
      };
      const theirs = async (singleTransaction: boolean) => {
        const raw = await freshDatabase();
        const counted = countingClient(raw);
        const run = () =>
          npm.runner({ dbClient: counted.client, dir: npmDir, direction: "up", migrationsTable: "pgmigrations", singleTransaction, log: () => undefined });
        const t = process.hrtime.bigint();
        const applied = await run();
        const elapsed = ms(t);
        if (applied.length !== FILES) throw new Error(`node-pg-migrate applied ${applied.length} files`);
        return { client: raw, counted, run, elapsed };
      };

      // Warm up both (JIT, catalog caches) on small sets, not measured.
      {
        const warm = path.join(parent, "warm");
        const warmDirs = writeBenchMigrations(warm, 20, "w");
        const a = await freshDatabase();
        await pushMigrations(a, readMigrationFiles(warmDirs.oursDir));
        const b = await freshDatabase();
        await npm.runner({ dbClient: b, dir: warmDirs.npmDir, direction: "up", migrationsTable: "pgmigrations", log: () => undefined });
        await a.end();
        await b.end();
      }

      const oursRuns = [await ours(), await ours()];
      const perFileRuns = [await theirs(false), await theirs(false)];
      const singleRuns = [await theirs(true), await theirs(true)];
      const best = <T extends { elapsed: number }>(runs: T[]) => runs.reduce((a, b) => (b.elapsed < a.elapsed ? b : a));
      const o = best(oursRuns);
      const p = best(perFileRuns);
      const s = best(singleRuns);

      // No-op: everything applied. Like for like, ours reads the directory each time (node-pg-migrate
      // always loads its files); also shown: the engine alone, files already in memory (the Pulumi
      // resource's case, where files are read at program time).
      const oursNoop: number[] = [];
      const oursEngineNoop: number[] = [];
      let oursTrips = 0;
      for (let i = 0; i < NOOP_RUNS; i++) {
        let t = process.hrtime.bigint();
        const r = await pushMigrations(o.client, readMigrationFiles(oursDir));
        oursNoop.push(ms(t));
        t = process.hrtime.bigint();
        await pushMigrations(o.client, files);
        oursEngineNoop.push(ms(t));
        oursTrips = r.roundTrips;
        if (r.applied.length) throw new Error("ours applied something on a no-op run");
      }
      const theirNoop: number[] = [];
      let theirQueries = 0;
      for (let i = 0; i < NOOP_RUNS; i++) {
        p.counted.reset();
        const t = process.hrtime.bigint();
        const applied = await p.run();
        theirNoop.push(ms(t));
        theirQueries = p.counted.count();
        if (applied.length) throw new Error("node-pg-migrate applied something on a no-op run");
      }
      for (const r of [...oursRuns, ...perFileRuns, ...singleRuns]) await r.client.end();
      await admin.end();

      const oNoop = median(oursNoop);
      const pNoop = median(theirNoop);
      const row = (label: string, a: string, b: string, c: string) => out(`  ${label.padEnd(40)}${a.padStart(10)}${b.padStart(22)}${c.padStart(22)}`);
      out(`PostgreSQL ${version[0].v} (embedded, fsync on), one cluster, ${FILES} files of one CREATE TABLE each`);
      row("", "ours", "node-pg-migrate", "node-pg-migrate");
      row("", "", "(tx per file)", "(one tx, default)");
      row(`apply ${FILES} (best of 2)`, fmt(o.elapsed), fmt(p.elapsed), fmt(s.elapsed));
      row(`no-op, ${FILES} applied (median)`, fmt(oNoop), fmt(pNoop), "");
      row("  ours, files already loaded", fmt(median(oursEngineNoop)), "", "");
      out(`  apply ratio: ${(o.elapsed / p.elapsed).toFixed(2)}× node-pg-migrate per-file transactions (target ≤ 0.8×); ${(o.elapsed / s.elapsed).toFixed(2)}× its single-transaction default`);
      out(`  no-op ratio: ${(oNoop / pNoop).toFixed(3)}× (target ≤ 0.1×)`);
      out(`  our no-op: ${oursTrips} round trip${oursTrips === 1 ? "" : "s"} (one ledger read, no lock); node-pg-migrate's: ${theirQueries} queries`);
      out(`  our apply: ${o.roundTrips} round trips for ${FILES} files on a new database (read, lock, create the ledger, read it, then one per batch of up to ${BATCH_LIMITS.files} files; the last batch unlocks)`);
    } finally {
      await server.stop();
      fs.rmSync(parent, { recursive: true, force: true });
    }
  },
};
