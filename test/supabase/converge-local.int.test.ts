/**
 * `npm run local` converges the whole declaration (bootstrap, migrations, schemas, grants, buckets,
 * policies, bucketing functions, checks) through the same module as the dynamic resources, says
 * nothing changed the second time, repairs drift, fails naming a table that lost RLS, and leaves
 * `.local/database-urls.json` where the local stack's providers find their databases.
 * Runs on a temporary `.local/` and a free port, never the developer's.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CATALOG } from "../../infra/apps";
import { main } from "../../infra/cli/local";
import { connect, freePort, stopLocalPostgres } from "../../infra/supabase/local-postgres";
import { handler as checksHandler } from "../../infra/supabase/resources/handlers/checks";
import { captureIo } from "../support/io";

let project: string;
let dir: string;
let port: number;

async function local(...args: string[]): Promise<{ code: number; output: string }> {
  const c = captureIo();
  const code = await main(args, c.io, { dir, root: project });
  return { code, output: c.all() };
}

beforeAll(async () => {
  project = fs.mkdtempSync(path.join(os.tmpdir(), "rollout-local-converge-"));
  fs.chmodSync(project, 0o777);
  dir = path.join(project, ".local", "postgres");
  fs.mkdirSync(path.dirname(dir));
  fs.chmodSync(path.dirname(dir), 0o777);
  port = await freePort();
});

afterAll(async () => {
  await stopLocalPostgres(dir).catch(() => undefined);
  fs.rmSync(project, { recursive: true, force: true });
});

describe("npm run local converges the whole declaration", () => {
  it("first run: policies, the bucket and the bucketing functions after the migrations; checks pass", async () => {
    const { code, output } = await local("--port", String(port));
    expect(code, output).toBe(0);
    expect(output).toContain(
      [
        "health-companion:",
        "  created the database",
        "  applied the Supabase bootstrap (roles, auth, storage)",
        "  applying 20251105000000_multi_thread_chat.sql (1/1)",
      ].join("\n"),
    );
    for (const command of ["select", "insert", "update", "delete"]) {
      expect(output).toContain(`  created policy threads_owner_${command} on health_companion.threads`);
      expect(output).toContain(`  created policy raw_own_folder_${command} on storage.objects`);
    }
    expect(output).toContain("  created bucket conversation-files (public=false, file_size_limit=none, allowed_mime_types=any)");
    expect(output.match(/installed rollout-bucketing \(version [0-9a-f]{16}\) in schema rollout/g)).toHaveLength(5);
  });

  it("second run: nothing changed", async () => {
    const { code, output } = await local();
    expect(code, output).toBe(0);
    expect(output).toContain("nothing changed: every database is up to date.");
  });

  it("writes the local URLs where `pulumi up --stack local` finds them, and the providers' checks pass there", async () => {
    const urls = JSON.parse(fs.readFileSync(path.join(project, ".local", "database-urls.json"), "utf8")) as Record<string, string>;
    const databases = CATALOG.filter((a) => a.database).map((a) => a.database!);
    expect(Object.keys(urls).sort()).toEqual(databases.map((d) => d.name).sort());
    const ctx = { config: (k: string) => (k === "rollout-stack:mode" ? "local" : undefined), env: { ROLLOUT_STACK_ROOT: project } };
    for (const d of databases) {
      const inputs = { database: d.name, exposedSchemas: d.schemas.filter((s) => s.exposed).map((s) => s.name), checks: d.checks, declaration: "x" };
      const { outs } = await checksHandler.create(inputs, ctx);
      expect(outs?.passed).toEqual(d.checks.map((c) => c.name));
    }
  });

  it("repairs drift: a policy dropped by hand is created again, then nothing changes", async () => {
    const urls = JSON.parse(fs.readFileSync(path.join(project, ".local", "database-urls.json"), "utf8")) as Record<string, string>;
    const client = await connect(urls["health-companion"]);
    await client.query("drop policy threads_owner_update on health_companion.threads");
    await client.end();
    const repaired = await local();
    expect(repaired.output).toContain("health-companion:\n  created policy threads_owner_update on health_companion.threads");
    expect(repaired.output).toContain("done: 1 change.");
    expect((await local()).output).toContain("nothing changed");
  });

  it("fails, naming the table, when a table of an exposed schema lost RLS", async () => {
    const urls = JSON.parse(fs.readFileSync(path.join(project, ".local", "database-urls.json"), "utf8")) as Record<string, string>;
    const client = await connect(urls["conversation-raw-storage"]);
    await client.query("alter table public.conversations disable row level security");
    const failed = await local();
    expect(failed.code).toBe(1);
    expect(failed.output).toContain('error: database "conversation-raw-storage" did not verify after convergence (1 problem):');
    expect(failed.output).toContain("table public.conversations is in an exposed schema and has row level security disabled");
    await client.query("alter table public.conversations enable row level security");
    await client.end();
    expect((await local()).code).toBe(0);
  });
});
