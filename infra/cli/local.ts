/**
 * `npm run local`: the newcomer's main job on the embedded default. Starts (or reuses) a
 * Supabase-compatible Postgres under `.local/postgres`, then converges every database of the `local`
 * stack (`stacks/Pulumi.local.yaml`), each its own Postgres database in that cluster, and leaves the
 * server running. A second run reports that nothing changed.
 *
 *   npm run local [-- --port N]     start or reuse, converge, print the connection URLs
 *   npm run local -- stop           stop the server (the data stays in .local/postgres)
 *
 * Convergence is a list of steps run for each database in order (`LOCAL_STEPS`); each returns what
 * it changed. Later steps (schemas, grants, buckets, RLS policies, checks) append to the list.
 * Exit codes: 0 ok, 1 failure, 2 usage error.
 */
import * as fs from "fs";
import * as path from "path";
import type { DatabaseDecl } from "../apps/types";
import { loadStackConfigFile } from "../config";
import {
  ensureLocalDatabase,
  connect,
  findRunningLocalPostgres,
  LOCAL_DEFAULT_PORT,
  startLocalPostgres,
  stopLocalPostgres,
  type LocalPostgres,
} from "../supabase/local-postgres";
import { pushMigrations, readMigrationDir } from "../supabase/migrations";
import { convergeDeclaration, describeStep } from "../supabase/converge";
import { databasesOf, planDatabase } from "../supabase/declaration";

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
}

export interface LocalStep {
  name: string;
  /** Converges the database; returns one line per change made (empty: nothing changed). */
  run(ctx: DatabaseContext): Promise<string[]>;
}

/** Creates the database if missing and applies the Supabase-compatible bootstrap. */
export const bootstrapStep: LocalStep = {
  name: "bootstrap",
  async run(ctx) {
    const { created, bootstrapped } = await ensureLocalDatabase(ctx.server.adminUrl(), ctx.database.name);
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
    const changes: string[] = ignored.map((f) => `ignored ${path.relative(ROOT, f)} (not named <version>_<name>.sql)`);
    const client = await connect(ctx.url);
    try {
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
      }
    } finally {
      await client.end();
    }
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
    const client = await connect(ctx.url);
    try {
      const results = await convergeDeclaration(client, plan);
      for (const r of results) if (r.step === "verify") ctx.checksPassed = [...r.actions];
      return results.filter((r) => r.changed).map(describeStep);
    } finally {
      await client.end();
    }
  },
};

/** The convergence, in order, for every database. */
export const LOCAL_STEPS: LocalStep[] = [bootstrapStep, migrationsStep, declarationStep];

export interface LocalOptions {
  /** Cluster directory. @default `.local/postgres` in the project */
  dir?: string;
  /** Port for a server this run starts. @default 54322 */
  port?: number;
  /** The stack file to read. @default stacks/Pulumi.local.yaml */
  stackFile?: string;
  /** Root of the migration folders. @default migrations/ in the project */
  migrationsRoot?: string;
  steps?: readonly LocalStep[];
}

class UsageError extends Error {}

function parseArgs(argv: readonly string[]): { command: "up" | "stop"; port?: number; dir?: string } {
  let command: "up" | "stop" = "up";
  let port: number | undefined;
  let dir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "stop" && i === 0) command = "stop";
    else if (arg === "--port" || arg.startsWith("--port=")) {
      const v = arg.includes("=") ? arg.slice(7) : argv[++i];
      if (!v || !/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 65535) throw new UsageError(`--port needs a port number (got ${v ?? "nothing"})`);
      port = Number(v);
    } else if (arg === "--dir" || arg.startsWith("--dir=")) {
      dir = arg.includes("=") ? arg.slice(6) : argv[++i];
      if (!dir) throw new UsageError("--dir needs a directory");
    } else throw new UsageError(`unknown argument "${arg}"`);
  }
  return { command, port, dir };
}

const USAGE = `usage: npm run local [-- --port N]    start or reuse the local Postgres and converge the local stack
       npm run local -- stop            stop it (data kept in .local/postgres)`;

/** Runs `npm run local`; returns the exit code. */
export async function runLocal(argv: readonly string[], out: (line: string) => void = console.log, options: LocalOptions = {}): Promise<number> {
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    out(`error: ${e.message}\n${USAGE}`);
    return 2;
  }
  const dir = path.resolve(args.dir ?? options.dir ?? process.env.ROLLOUT_LOCAL_DIR ?? path.join(ROOT, ".local", "postgres"));
  const shown = path.relative(process.cwd(), dir) || dir;

  if (args.command === "stop") {
    out((await stopLocalPostgres(dir)) ? `stopped the local Postgres (${shown}); its data stays there` : `no local Postgres is running in ${shown}`);
    return 0;
  }

  try {
    const config = loadStackConfigFile("local", options.stackFile ? { file: options.stackFile } : {});
    const databases = databasesOf(config.apps);
    out(`local stack: ${databases.length} database${databases.length === 1 ? "" : "s"} (${databases.map((d) => d.name).join(", ") || "none"})`);

    // The default port applies to a server this run starts; an explicit one must match a running server's.
    const running = await findRunningLocalPostgres(dir);
    const server = await startLocalPostgres({
      dir,
      port: args.port ?? options.port ?? (running ? undefined : LOCAL_DEFAULT_PORT),
      persistent: true,
      onProgress: (m) => out(m.replace(dir, shown)),
    });
    if (server.how === "reused") out(`Postgres already running on 127.0.0.1:${server.port} (${shown})`);
    // Where `pulumi up --stack local` finds these databases (infra/supabase/connection.ts).
    fs.writeFileSync(
      path.join(path.dirname(dir), "database-urls.json"),
      JSON.stringify(Object.fromEntries(databases.map((d) => [d.name, server.url(d.name)])), null, 2) + "\n",
    );

    const steps = options.steps ?? LOCAL_STEPS;
    const migrationsRoot = options.migrationsRoot ?? path.join(ROOT, "migrations");
    let changed = 0;
    for (const database of databases) {
      // The database's name heads its lines, printed once something happens (else "up to date").
      let headed = false;
      const line = (m: string) => {
        if (!headed) out(`${database.name}:`);
        headed = true;
        out(`  ${m}`);
      };
      const ctx: DatabaseContext = {
        database,
        server,
        url: server.url(database.name),
        migrationsRoot,
        progress: line,
      };
      for (const step of steps) {
        const changes = await step.run(ctx);
        changes.forEach(line);
        changed += changes.length;
      }
      // Verification ran either way: RLS on every exposed table, invoker views, the declared checks.
      const passed = ctx.checksPassed;
      const verified = passed && `verified: RLS on exposed tables, invoker views${passed.length ? `, checks ${passed.join(", ")}` : ""}`;
      if (!headed) out(`${database.name}: up to date${verified ? `; ${verified}` : ""}`);
      else if (verified) out(`  ${verified}`);
    }
    out(changed ? `done: ${changed} change${changed === 1 ? "" : "s"}.` : "nothing changed: every database is up to date.");
    out(`connect as postgres: ${server.url("DATABASE").replace(/DATABASE$/, "<database>")}`);
    if (databases[0]) out(`  e.g. psql '${server.url(databases[0].name)}'`);
    out(`the server keeps running; stop it with: npm run local -- stop`);
    return 0;
  } catch (e) {
    out(`error: ${(e as Error).message}`);
    return 1;
  }
}

if (require.main === module) {
  runLocal(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (e) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
