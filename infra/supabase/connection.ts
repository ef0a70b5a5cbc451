/**
 * Where a dynamic resource finds its database at run time. Credentials never travel as resource
 * inputs or outputs (they would land in the state file and the preview); the provider looks, in order:
 * 1. the environment: `ROLLOUT_STACK_DB_URL_<DATABASE>` (database name upper-cased, `-` → `_`),
 *    e.g. `ROLLOUT_STACK_DB_URL_HEALTH_COMPANION` (CI, or a one-off run against another database);
 * 2. the stack config: the secret `rollout-stack:<database>.databaseUrl`
 *    (`pulumi config set --secret <database>.databaseUrl postgresql://...`), which Pulumi hands to
 *    the dynamic provider's `configure`;
 * 3. on the `local` stack only (`rollout-stack:mode: local`): `.local/database-urls.json`, written by
 *    `npm run local` (the local cluster's URLs; a fixed local password, nothing secret).
 * Relative paths (that file, migration directories) resolve against the project root:
 * `ROLLOUT_STACK_ROOT`, else the nearest folder holding `Pulumi.yaml` from the working directory up.
 * (The Pulumi CLI starts providers in the program's folder, the folder of `main`: `infra/`, not the
 * project root.)
 *
 * Runs inside the dynamic-provider process (bundled): no Pulumi imports, `require()` for the rest.
 * Messages never contain a URL (it holds a password).
 */
import type { Client } from "pg";

/** What a provider knows at run time besides its inputs. */
import type { RuntimeContext } from "../dynamic/provider";
export type { RuntimeContext };

/** Written by `npm run local`: database name → connection URL as `postgres`. */
export const LOCAL_URLS_FILE = ".local/database-urls.json";

/**
 * The one place that says where the local URLs file is: `<root>/.local/database-urls.json`, whatever
 * cluster directory `npm run local -- --dir D` used. `npm run local` writes it, the providers read it.
 */
export function localDatabaseUrlsFile(root: string): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const path = require("path") as typeof import("path");
  return path.join(root, LOCAL_URLS_FILE);
}

/** The environment variable holding a database's URL, e.g. `ROLLOUT_STACK_DB_URL_HEALTH_COMPANION`. */
export function databaseUrlEnvVar(database: string): string {
  return `ROLLOUT_STACK_DB_URL_${database.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
}

/**
 * The project root: `ROLLOUT_STACK_ROOT`, else the nearest folder holding `Pulumi.yaml` from `cwd`
 * upwards, else `cwd`.
 */
export function projectRoot(ctx: RuntimeContext = {}, cwd = process.cwd()): string {
  const env = ctx.env ?? process.env;
  if (env.ROLLOUT_STACK_ROOT) return env.ROLLOUT_STACK_ROOT;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const fs = require("fs") as typeof import("fs");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const path = require("path") as typeof import("path");
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "Pulumi.yaml"))) return dir;
    if (path.dirname(dir) === dir) return cwd;
  }
}

/**
 * Why a URL cannot be used for convergence, or undefined. Supavisor's transaction mode (port 6543)
 * does not keep a session: no advisory lock, no multi-statement transaction across round trips.
 */
export function unusableUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "is not a URL (expected postgresql://user:password@host:port/database)";
  }
  if (!/^postgres(ql)?:$/.test(parsed.protocol)) return `has protocol ${parsed.protocol} (expected postgresql:)`;
  if (parsed.port === "6543") {
    return "points at the transaction pooler (port 6543), which keeps no session; use the session pooler (port 5432 on the pooler host) or the direct host";
  }
  return undefined;
}

/** The database URL for `database`; throws saying every way to provide one. */
export function resolveDatabaseUrl(database: string, ctx: RuntimeContext = {}): string {
  const env = ctx.env ?? process.env;
  const envVar = databaseUrlEnvVar(database);
  const configKey = `rollout-stack:${database}.databaseUrl`;
  let url: string | undefined;
  let source = "";
  if (env[envVar]) {
    url = env[envVar];
    source = `environment variable ${envVar}`;
  } else if (ctx.config?.(configKey)) {
    url = ctx.config(configKey);
    source = `stack config ${configKey}`;
  } else if (ctx.config?.("rollout-stack:mode") === "local") {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const fs = require("fs") as typeof import("fs");
    const file = localDatabaseUrlsFile(projectRoot(ctx));
    let urls: Record<string, string> = {};
    try {
      urls = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, string>;
    } catch {
      // missing or unreadable: reported below
    }
    url = urls[database];
    source = file;
  }
  if (!url) {
    throw new Error(
      `no database URL for "${database}". Provide one of: the environment variable ${envVar}; ` +
        `the stack secret \`pulumi config set --secret ${database}.databaseUrl postgresql://...\`; ` +
        `on the local stack, run \`npm run local\` first (it writes ${LOCAL_URLS_FILE})`,
    );
  }
  const problem = unusableUrlProblem(url);
  if (problem) throw new Error(`the database URL for "${database}" from ${source} ${problem}`);
  return url;
}

/** Connects to `database` (URL resolved as above), runs `fn`, always closes the connection. */
export async function withDatabase<T>(database: string, ctx: RuntimeContext, fn: (client: Client) => Promise<T>): Promise<T> {
  const url = resolveDatabaseUrl(database, ctx);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Client } = require("pg") as typeof import("pg");
  const client = new Client({ connectionString: url, application_name: "rollout-stack" });
  try {
    await client.connect();
  } catch (e) {
    // pg's message names host and port at most, never the password.
    throw new Error(`cannot connect to database "${database}": ${(e as Error).message}`);
  }
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}
