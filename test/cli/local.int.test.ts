/**
 * `npm run local`, run as a user runs it (its own process, the real stack file and migrations), on a
 * temporary cluster directory and a free port so it never touches the developer's `.local/`.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../infra/cli/local";
import { LOCAL_STEPS, type LocalStep } from "../../infra/supabase/local-stack";
import { connect, findRunningLocalPostgres, freePort, stopLocalPostgres } from "../../infra/supabase/local-postgres";
import { runCli } from "../support/cli";
import { captureIo } from "../support/io";

let parent: string;
let dir: string;
let port: number;

/** Runs infra/cli/local.ts (the `npm run local` entry point) in a child process. */
function local(...args: string[]): Promise<{ code: number; output: string }> {
  return runCli("infra/cli/local.ts", args, { ROLLOUT_LOCAL_DIR: dir, ROLLOUT_STACK_ROOT: parent });
}

beforeAll(async () => {
  parent = fs.mkdtempSync(path.join(os.tmpdir(), "rollout-local-"));
  fs.chmodSync(parent, 0o777);
  dir = path.join(parent, "postgres");
  port = await freePort();
});
afterAll(async () => {
  await stopLocalPostgres(dir).catch(() => undefined);
  fs.rmSync(parent, { recursive: true, force: true });
});

describe("npm run local", () => {
  const databases = ["chat-sessions", "analy-ticket", "metadata-context", "health-companion", "conversation-raw-storage"];

  it("first run: starts a cluster, creates and bootstraps every database, applies the migrations, leaves the server running", async () => {
    const { code, output } = await local("--port", String(port));
    expect(code, output).toBe(0);
    expect(output).toContain("initialising a new Postgres cluster");
    expect(output).toContain(`starting Postgres on 127.0.0.1:${port}`);
    for (const db of databases) expect(output).toMatch(new RegExp(`${db}:\\n  created the database\\n  applied the Supabase bootstrap`));
    expect(output).toContain("applying 20251117000000_add_raw_response_storage_columns.sql (2/3)");
    expect(output).toContain(`connect as postgres: postgresql://postgres:postgres@127.0.0.1:${port}/<database>`);
    // The process has exited; the server is still there, and the printed URL works.
    expect(await findRunningLocalPostgres(dir)).toMatchObject({ port });
    const client = await connect(`postgresql://postgres:postgres@127.0.0.1:${port}/chat-sessions`);
    const { rows } = await client.query(
      "select count(*)::int as n from information_schema.columns where table_name = 'fe_chat_sessions' and column_name in ('first_message_at', 'status')",
    );
    await client.end();
    expect(rows[0].n).toBe(2);
    // The URLs file is where the providers read it (<root>/.local, localDatabaseUrlsFile), not beside the cluster directory.
    const urls = JSON.parse(fs.readFileSync(path.join(parent, ".local", "database-urls.json"), "utf8")) as Record<string, string>;
    expect(urls["chat-sessions"]).toBe(`postgresql://postgres:postgres@127.0.0.1:${port}/chat-sessions`);
    expect(fs.existsSync(path.join(path.dirname(dir), "database-urls.json"))).toBe(false);
  });

  it("second run: reuses the server, applies nothing and says so", async () => {
    const { code, output } = await local();
    expect(code, output).toBe(0);
    expect(output).toContain(`Postgres already running on 127.0.0.1:${port}`);
    for (const db of databases) expect(output).toContain(`${db}: up to date; verified: RLS on exposed tables, invoker views`);
    expect(output).toContain("conversation-raw-storage: up to date; verified: RLS on exposed tables, invoker views, checks raw-response-columns, raw-paths-under-raw, conversation-files-private");
    expect(output).toContain("nothing changed: every database is up to date.");
    expect(output).not.toContain("applying");
  });

  it("refuses another --port while the server runs, instead of silently reusing it", async () => {
    const other = await freePort();
    const { code, output } = await local("--port", String(other));
    expect(code).toBe(1);
    expect(output).toContain(`error: the local Postgres in ${dir} is already running on port ${port}, not ${other}; stop it first (npm run local -- stop) or drop --port`);
    expect((await local("--port", String(port))).output).toContain(`Postgres already running on 127.0.0.1:${port}`);
  });

  it("stop, then a run restarts the same cluster with nothing to change", async () => {
    const stop = await local("stop");
    expect(stop).toMatchObject({ code: 0 });
    expect(stop.output).toContain("stopped the local Postgres");
    expect(await findRunningLocalPostgres(dir)).toBeUndefined();
    expect((await local("stop")).output).toContain("no local Postgres is running");

    port = await freePort();
    const again = await local("--port", String(port));
    expect(again.code, again.output).toBe(0);
    expect(again.output).toContain(`starting Postgres on 127.0.0.1:${port}`);
    expect(again.output).not.toContain("initialising");
    expect(again.output).toContain("nothing changed");
  });

  it("runs the steps in order for each database, so later convergence steps plug in", async () => {
    const seen: string[] = [];
    const probe: LocalStep = {
      name: "probe",
      async run(ctx) {
        const client = await connect(ctx.url);
        const { rows } = await client.query("select count(*)::int as n from supabase_migrations.schema_migrations");
        await client.end();
        seen.push(`${ctx.database.name}:${rows[0].n}`);
        return ctx.database.name === "health-companion" ? ["probe changed something"] : [];
      },
    };
    const c = captureIo();
    const lines = c.out;
    const code = await main([], c.io, { dir, root: parent, steps: [...LOCAL_STEPS, probe] });
    expect(code, c.all()).toBe(0);
    expect(seen).toEqual(["chat-sessions:2", "analy-ticket:2", "metadata-context:2", "health-companion:1", "conversation-raw-storage:3"]);
    expect(lines).toContain("health-companion:");
    expect(lines).toContain("  probe changed something");
    expect(lines).toContain("done: 1 change.");
  });

  it.each([
    [["--port", "eighty"], "local: --port needs a port number (got eighty)"],
    [["--port"], "local: --port needs a value"],
    [["--bogus"], 'local: unknown option "--bogus"'],
    [["start"], 'local: unknown command "start" (the only command is stop)'],
  ])("rejects %j with exit code 2 and a pointer to --help", async (argv, message) => {
    const c = captureIo();
    expect(await main(argv, c.io, { dir })).toBe(2);
    expect(c.out).toEqual([]);
    expect(c.err).toEqual([message, "run `npm run local -- --help` for usage"]);
  });

  it("--help prints the usage on stdout and exits 0, touching nothing", async () => {
    const { code, output } = await local("--help");
    expect(code).toBe(0);
    expect(output).toMatch(/^usage: npm run local \[-- --port N\] \[--dir DIR\]/);
    expect(output).toContain("ROLLOUT_LOCAL_DIR");
  });
});
