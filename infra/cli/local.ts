/**
 * `npm run local`: the newcomer's main job on the embedded default. Starts (or reuses) a
 * Supabase-compatible Postgres under `.local/postgres`, then converges every database of the `local`
 * stack (`stacks/Pulumi.local.yaml`), each its own Postgres database in that cluster, and leaves the
 * server running. A second run reports that nothing changed.
 *
 *   npm run local [-- --port N]     start or reuse, converge, print the connection URLs
 *   npm run local -- stop           stop the server (the data stays in .local/postgres)
 *
 * This file handles the arguments, starts and stops the server, and prints; the convergence itself
 * (bootstrap → migrations → declaration → verify, per database) is `infra/supabase/local-stack.ts`.
 * Exit codes: 0 ok, 1 failure, 2 usage error.
 */
import * as path from "path";
import { loadStackConfigFile } from "../config";
import { databasesOf } from "../supabase/declaration";
import { convergeLocalStack, writeLocalDatabaseUrls, type LocalStep } from "../supabase/local-stack";
import { projectRoot } from "../supabase/connection";
import { findRunningLocalPostgres, LOCAL_DEFAULT_PORT, startLocalPostgres, stopLocalPostgres } from "../supabase/local-postgres";
import { command, runAsScript, UsageError } from "./args";

const ROOT = path.resolve(__dirname, "../..");

export interface LocalOptions {
  /** Cluster directory. @default `.local/postgres` in the project */
  dir?: string;
  /** Port for a server this run starts. @default 54322 */
  port?: number;
  /** The stack file to read. @default stacks/Pulumi.local.yaml */
  stackFile?: string;
  /** Root of the migration folders. @default migrations/ in the project */
  migrationsRoot?: string;
  /**
   * The project whose `.local/database-urls.json` this run writes (where `pulumi up --stack local`
   * reads it). @default the project root as the providers find it (ROLLOUT_STACK_ROOT, else this project)
   */
  root?: string;
  steps?: readonly LocalStep[];
}

export const USAGE = `usage: npm run local [-- --port N] [--dir DIR]   start or reuse the local Postgres, converge the local stack
       npm run local -- stop [--dir DIR]          stop it (the data stays in .local/postgres)

Converges every database of stacks/Pulumi.local.yaml (bootstrap, migrations as postgres, schemas,
grants, buckets, RLS policies, bucketing functions, checks); a second run says nothing changed.
The server keeps running after the run; it writes .local/database-urls.json in the project (whatever
--dir is) for pulumi up --stack local.

options:
  --port N     port for a server this run starts (default ${LOCAL_DEFAULT_PORT}); a running server must match it
  --dir DIR    the cluster directory (default: env ROLLOUT_LOCAL_DIR, else .local/postgres)
  -h, --help   this text

environment:
  ROLLOUT_LOCAL_DIR   the cluster directory when --dir is not given
  ROLLOUT_STACK_ROOT  the project whose .local/database-urls.json is written (as the providers read it)

exit codes: 0 ok, 1 failure (the reason is printed), 2 usage`;

export const main = command(
  {
    name: "local",
    usage: USAGE,
    positionals: true,
    options: { port: { type: "string" }, dir: { type: "string" } },
  },
  async ({ values, positionals }, io, options: LocalOptions = {}) => {
    const [verb, ...extra] = positionals;
    if (verb !== undefined && verb !== "stop") throw new UsageError(`unknown command "${verb}" (the only command is stop)`);
    if (extra.length) throw new UsageError(`unexpected argument "${extra[0]}"`);
    let port: number | undefined;
    if (values.port !== undefined) {
      const v = values.port;
      if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 65535) throw new UsageError(`--port needs a port number (got ${v || "nothing"})`);
      port = Number(v);
    }
    if (values.dir === "") throw new UsageError("--dir needs a directory");

    const dir = path.resolve(io.cwd, values.dir ?? options.dir ?? io.env.ROLLOUT_LOCAL_DIR ?? path.join(ROOT, ".local", "postgres"));
    const shown = path.relative(io.cwd, dir) || dir;

    if (verb === "stop") {
      io.out((await stopLocalPostgres(dir)) ? `stopped the local Postgres (${shown}); its data stays there` : `no local Postgres is running in ${shown}`);
      return 0;
    }

    try {
      const config = loadStackConfigFile("local", options.stackFile ? { file: options.stackFile } : {});
      const databases = databasesOf(config.apps);
      io.out(`local stack: ${databases.length} database${databases.length === 1 ? "" : "s"} (${databases.map((d) => d.name).join(", ") || "none"})`);

      // The default port applies to a server this run starts; an explicit one must match a running server's.
      const running = await findRunningLocalPostgres(dir);
      const server = await startLocalPostgres({
        dir,
        port: port ?? options.port ?? (running ? undefined : LOCAL_DEFAULT_PORT),
        persistent: true,
        onProgress: (m) => io.out(m.replace(dir, shown)),
      });
      if (server.how === "reused") io.out(`Postgres already running on 127.0.0.1:${server.port} (${shown})`);
      writeLocalDatabaseUrls(options.root ?? projectRoot({ env: io.env }, ROOT), server, databases);

      // A database's name heads its lines, printed once something happens (else "up to date").
      let headed: string | undefined;
      const results = await convergeLocalStack({
        server,
        databases,
        migrationsRoot: options.migrationsRoot,
        steps: options.steps,
        onLine(database, line) {
          if (headed !== database) io.out(`${database}:`);
          headed = database;
          io.out(`  ${line}`);
        },
        onDatabase({ database, checksPassed: passed }) {
          // Verification ran either way: RLS on every exposed table, invoker views, the declared checks.
          const verified = passed && `verified: RLS on exposed tables, invoker views${passed.length ? `, checks ${passed.join(", ")}` : ""}`;
          if (headed !== database) io.out(`${database}: up to date${verified ? `; ${verified}` : ""}`);
          else if (verified) io.out(`  ${verified}`);
        },
      });
      const changed = results.reduce((n, r) => n + r.changes.length, 0);
      io.out(changed ? `done: ${changed} change${changed === 1 ? "" : "s"}.` : "nothing changed: every database is up to date.");
      io.out(`connect as postgres: ${server.url("DATABASE").replace(/DATABASE$/, "<database>")}`);
      if (databases[0]) io.out(`  e.g. psql '${server.url(databases[0].name)}'`);
      io.out(`the server keeps running; stop it with: npm run local -- stop`);
      return 0;
    } catch (e) {
      io.err(`error: ${(e as Error).message}`);
      return 1;
    }
  },
);

if (require.main === module) runAsScript("local", main);
