/**
 * The convergence of the local stack's databases on the local Postgres (`npm run local` prints it):
 * for each database, in order, the steps bootstrap → migrations → declaration (schemas, grants,
 * buckets, RLS policies, the bucketing functions, then the checks that verify them). Each step
 * returns what it changed, so a second run can say that nothing did.
 *
 * The list of steps is data (`LOCAL_STEPS`), so later convergence (and tests) add steps without
 * touching the loop.
 *
 * Connections are what a remote database makes expensive, so a run opens one per database, as
 * `postgres`, shared by the steps (`DatabaseContext.client`): the bootstrap step reads the
 * bootstrap's mark on it and needs an admin connection only to create or bootstrap the database, the
 * migrations and declaration steps run on it. A database already up to date costs one connection and
 * three queries (bootstrap mark, migration ledger, the declaration's one read).
 */
import * as fs from "fs";
import * as path from "path";
import type { Client } from "pg";
import type { DatabaseDecl } from "../apps/types";
import { localDatabaseUrlsFile } from "./connection";
import { convergeDeclaration, describeStep } from "./converge";
import { planDatabase } from "./declaration";
import { connect, ensureLocalDatabase, isBootstrapped, type LocalPostgres } from "./local-postgres";
import { formatIgnoredMigration, pushMigrations, readMigrationDir } from "./migrations";

const ROOT = path.resolve(__dirname, "../..");

/** What a step sees: one declared database of the local stack, on the running local server. */
export interface DatabaseContext {
  database: DatabaseDecl;
  server: LocalPostgres;
  /** As postgres (the role migrations run as), on this database. */
  url: string;
  /** `migrations/` of the project (or of a test's copy). */
  migrationsRoot: string;
  /** A progress line (shown while a slow step runs). */
  progress(message: string): void;
  /** Set once verification ran: the declared checks that passed (reported, not counted as changes). */
  checksPassed?: string[];
  /**
   * The run's connection to this database as `postgres` (`url`), opened on first use and closed by
   * `convergeLocalStack` after the last step; it throws while the database does not exist. Absent
   * (a step run on its own): a step opens and closes its own.
   */
  client?(): Promise<Client>;
  /** Closes the run's connection, if open; the next `client()` opens a new one (a session sees role settings as they were when it began). */
  closeClient?(): Promise<void>;
  /** Opens a connection (the admin ones too). @default `connect` */
  connect?(url: string): Promise<Client>;
}

/** Runs `fn` on the run's shared connection, or on one of its own when there is none. */
async function withPostgres<T>(ctx: DatabaseContext, fn: (client: Client, shared: boolean) => Promise<T>): Promise<T> {
  if (ctx.client) return fn(await ctx.client(), true);
  const client = await (ctx.connect ?? connect)(ctx.url);
  try {
    return await fn(client, false);
  } finally {
    await client.end();
  }
}

/** Whether the database exists and carries this bootstrap, asked on the run's connection as `postgres`. */
async function upToDateBootstrap(ctx: DatabaseContext): Promise<boolean> {
  if (!ctx.client) return false;
  let client: Client;
  try {
    client = await ctx.client();
  } catch {
    return false; // no such database yet (or no way in as postgres): the admin path says which
  }
  return isBootstrapped(client);
}

export interface LocalStep {
  name: string;
  /** Converges the database; returns one line per change made (empty: nothing changed). */
  run(ctx: DatabaseContext): Promise<string[]>;
}

/**
 * Creates the database if missing and applies the Supabase-compatible bootstrap. Both need the
 * superuser, so they take admin connections; a database already bootstrapped needs neither.
 */
export const bootstrapStep: LocalStep = {
  name: "bootstrap",
  async run(ctx) {
    if (await upToDateBootstrap(ctx)) return [];
    // The bootstrap sets role settings (postgres's search_path), which only new sessions see.
    await ctx.closeClient?.();
    const { created, bootstrapped } = await ensureLocalDatabase(ctx.server.adminUrl(), ctx.database.name, ctx.connect);
    const changes: string[] = [];
    if (created) changes.push("created the database");
    if (bootstrapped) changes.push("applied the Supabase bootstrap (roles, auth, storage)");
    return changes;
  },
};

/** Applies `migrations/<database>/` as `postgres`. */
export const migrationsStep: LocalStep = {
  name: "migrations",
  async run(ctx) {
    const dir = path.join(ctx.migrationsRoot, ctx.database.name);
    const { files, ignored } = readMigrationDir(dir);
    // Printed, not counted as a change: a second run still says nothing changed.
    for (const f of ignored) ctx.progress(`warning: ${formatIgnoredMigration({ ...f, path: path.relative(ROOT, f.path) })}`);
    const changes: string[] = [];
    await withPostgres(ctx, async (client, shared) => {
      const result = await pushMigrations(client, files, {
        onProgress: (e) => {
          if (e.kind === "applying") ctx.progress(`applying ${e.version}_${e.name}.sql (${e.index}/${e.total})`);
          if (e.kind === "waiting-for-lock") ctx.progress("waiting for another migration run (advisory lock)");
        },
      });
      for (const a of result.applied) if (a.backups.length) changes.push(`backed up ${a.backups.join(", ")} before ${a.version}_${a.name}.sql`);
      if (result.applied.length) {
        const ms = result.applied.reduce((sum, a) => sum + a.ms, 0);
        changes.push(`applied ${result.applied.length} migration${result.applied.length === 1 ? "" : "s"} (${ms} ms)`);
        // A migration may leave session state (SET search_path, SET ROLE, temp tables, …): the
        // declaration step on this connection starts from a clean session. (Role or database
        // settings a migration changes with ALTER … SET reach sessions begun later: the next run.)
        if (shared) await client.query("discard all");
      }
    });
    return changes;
  },
};

/**
 * Everything the database declares after its migrations, through the same module the dynamic
 * resources use (infra/supabase/converge.ts): schemas and grants, buckets, RLS policies, the
 * bucketing functions, then the checks (RLS on exposed tables, invoker views, declared checks).
 */
export const declarationStep: LocalStep = {
  name: "declaration",
  async run(ctx) {
    const plan = planDatabase(ctx.database);
    const results = await withPostgres(ctx, (client) => convergeDeclaration(client, plan));
    for (const r of results) if (r.step === "verify") ctx.checksPassed = [...r.actions];
    return results.filter((r) => r.changed).map(describeStep);
  },
};

/** The convergence, in order, for every database. */
export const LOCAL_STEPS: LocalStep[] = [bootstrapStep, migrationsStep, declarationStep];

/** What the convergence did to one database. */
export interface LocalDatabaseResult {
  database: string;
  /** One line per change, in the order made (empty: it was up to date). */
  changes: string[];
  /** Set when verification ran: the declared checks that passed. */
  checksPassed?: string[];
}

export interface ConvergeLocalOptions {
  server: LocalPostgres;
  databases: readonly DatabaseDecl[];
  /** Root of the migration folders. @default migrations/ in the project */
  migrationsRoot?: string;
  /** @default LOCAL_STEPS */
  steps?: readonly LocalStep[];
  /**
   * Called as things happen, so a caller can print them in order: a progress line of a slow step,
   * or a change a step made.
   */
  onLine?(database: string, line: string, kind: "progress" | "change"): void;
  /** Called after each database's steps, before the next database starts. */
  onDatabase?(result: LocalDatabaseResult): void;
  /** Opens every connection of the run (tests count them). @default `connect` */
  connect?(url: string): Promise<Client>;
}

/** Runs the steps for each database in order; returns what changed, per database. */
export async function convergeLocalStack(options: ConvergeLocalOptions): Promise<LocalDatabaseResult[]> {
  const steps = options.steps ?? LOCAL_STEPS;
  const migrationsRoot = options.migrationsRoot ?? path.join(ROOT, "migrations");
  const open = options.connect ?? connect;
  const results: LocalDatabaseResult[] = [];
  for (const database of options.databases) {
    const result: LocalDatabaseResult = { database: database.name, changes: [] };
    const url = options.server.url(database.name);
    let shared: Client | undefined;
    const ctx: DatabaseContext = {
      database,
      server: options.server,
      url,
      migrationsRoot,
      progress: (m) => options.onLine?.(database.name, m, "progress"),
      client: async () => (shared ??= await open(url)),
      async closeClient() {
        const client = shared;
        shared = undefined;
        await client?.end().catch(() => undefined);
      },
      connect: open,
    };
    try {
      for (const step of steps) {
        for (const change of await step.run(ctx)) {
          result.changes.push(change);
          options.onLine?.(database.name, change, "change");
        }
      }
    } finally {
      await ctx.closeClient!();
    }
    result.checksPassed = ctx.checksPassed;
    results.push(result);
    options.onDatabase?.(result);
  }
  return results;
}

/**
 * Writes the local URLs file of the project at `root` (`localDatabaseUrlsFile`, wherever the cluster
 * directory is): where `pulumi up --stack local` finds these databases (infra/supabase/connection.ts).
 * Returns the file written.
 */
export function writeLocalDatabaseUrls(root: string, server: LocalPostgres, databases: readonly DatabaseDecl[]): string {
  const file = localDatabaseUrlsFile(root);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(Object.fromEntries(databases.map((d) => [d.name, server.url(d.name)])), null, 2) + "\n");
  return file;
}
