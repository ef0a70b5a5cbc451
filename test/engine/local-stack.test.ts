/**
 * The local stack under the real Pulumi engine: `pulumi up/preview/refresh/destroy` on a file backend
 * against an embedded Postgres, through the real dynamic-provider host. The scenarios run in order and
 * build on each other's state, as a user's commands would.
 */
import { randomBytes } from "crypto";
import * as path from "path";
import { beforeEach, describe, expect, it } from "vitest";
import { main as local } from "../../infra/cli/local";
import { connect } from "../../infra/supabase/local-postgres";
import { captureIo } from "../support/io";
import { changedSteps, readTree, useEngineProject, type EngineProject } from "./harness";

const project = useEngineProject("local");
/** The project, inside a test. */
let p: EngineProject;
const STACK = ["--stack", "local"];

/** The dynamic resource types of the local stack, by their last token segment (DataApiExposure is cloud-only). */
const DYNAMIC_TYPES = ["Migrations", "Schema", "ManagedSql", "Bucket", "RlsPolicy", "Checks"];

/** `npm run local` on the copy, against the same server: what it would still change, and what it verified. */
async function localRun(): Promise<string> {
  const c = captureIo();
  const code = await local([], c.io, {
    dir: path.join(p.dir, ".local", "postgres"),
    root: p.dir,
    stackFile: path.join(p.dir, "stacks", "Pulumi.local.yaml"),
    migrationsRoot: path.join(p.dir, "migrations"),
  });
  const output = c.all();
  expect(code, output).toBe(0);
  return output;
}

async function query<T = Record<string, unknown>>(database: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = await connect(p.server.adminUrl(database));
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

beforeEach(() => {
  p = project();
});

describe("pulumi up --stack local", () => {
  it("creates every database resource through the dynamic-provider host; npm run local then finds nothing to do and verifies", async () => {
    const up = await p.ok(["up", "--yes", "--skip-preview", ...STACK]);
    const state = JSON.parse((await p.ok(["stack", "export", ...STACK])).stdout) as { deployment: { resources: { type: string; urn: string }[] } };
    const types = new Set(state.deployment.resources.map((r) => r.type.split(":").pop()));
    for (const t of DYNAMIC_TYPES) expect(types, up.output).toContain(t);
    // The plugins were taken as bundled with the CLI, not picked up from PATH with a warning.
    expect(up.output).not.toContain("from $PATH");
    // Every declared database got its ledger.
    for (const db of p.databases) {
      const rows = await query<{ n: number }>(db, "select count(*)::int as n from supabase_migrations.schema_migrations");
      expect(rows[0].n, db).toBeGreaterThan(0);
    }
    const local = await localRun();
    expect(local).toContain("nothing changed: every database is up to date.");
    for (const db of p.databases) expect(local).toContain(`${db}: up to date; verified: RLS on exposed tables, invoker views`);
    expect(local).toContain("checks raw-response-columns, raw-paths-under-raw, conversation-files-private");
  });

  it("a second preview has no changes: every provider's diff is stable", async () => {
    const r = await p.pulumi(["preview", "--expect-no-changes", "--diff", ...STACK]);
    expect(r.code, r.output).toBe(0);
  });
});

describe("a new migration file and a changed policy", () => {
  const FILE = "migrations/conversation-raw-storage/20260301000000_engine_probe.sql";

  it("preview --json shows exactly those steps; up applies them; the ledger has the new row", async () => {
    p.write(
      FILE,
      "create table public.engine_probe (id bigint primary key);\nalter table public.engine_probe enable row level security;\n",
    );
    p.edit(
      "infra/apps/conversation-raw-storage.ts",
      `command: "delete", roles: ["authenticated"]`,
      `command: "delete", roles: ["service_role"]`,
    );
    const preview = await p.ok(["preview", "--json", ...STACK]);
    expect(changedSteps(preview.stdout)).toEqual([
      "update Checks conversation-raw-storage-checks",
      "update Migrations conversation-raw-storage-migrations",
      "update RlsPolicy conversation-raw-storage-policy-storage.objects.raw_own_folder_delete",
    ]);
    await p.ok(["up", "--yes", "--skip-preview", ...STACK]);
    const ledger = await query<{ version: string; name: string }>(
      "conversation-raw-storage",
      "select version, name from supabase_migrations.schema_migrations where version = '20260301000000'",
    );
    expect(ledger).toEqual([{ version: "20260301000000", name: "engine_probe" }]);
    const policy = await query<{ roles: string[] }>(
      "conversation-raw-storage",
      "select roles::text[] as roles from pg_policies where schemaname = 'storage' and tablename = 'objects' and policyname = 'raw_own_folder_delete'",
    );
    expect(policy).toEqual([{ roles: ["service_role"] }]);
    expect((await p.pulumi(["preview", "--expect-no-changes", ...STACK])).code).toBe(0);
  });
});

describe("drift", () => {
  it("a policy dropped by hand is reported by refresh and put back by up", async () => {
    await query("conversation-raw-storage", "drop policy raw_own_folder_select on storage.objects");
    const refresh = await p.ok(["refresh", "--yes", "--skip-preview", ...STACK]);
    expect(refresh.output).toMatch(/raw_own_folder_select/);
    const preview = await p.ok(["preview", "--json", ...STACK]);
    expect(changedSteps(preview.stdout), preview.stdout).toContain("create RlsPolicy conversation-raw-storage-policy-storage.objects.raw_own_folder_select");
    await p.ok(["up", "--yes", "--skip-preview", ...STACK]);
    const rows = await query("conversation-raw-storage", "select 1 from pg_policies where policyname = 'raw_own_folder_select'");
    expect(rows).toHaveLength(1);
    expect((await p.pulumi(["preview", "--expect-no-changes", ...STACK])).code).toBe(0);
  });
});

describe("secrets", () => {
  it("a database URL set with `config set --secret` is used, and appears in plain text nowhere", async () => {
    // A password nobody else knows; chat-sessions' URL reaches the provider only through the secret.
    const password = `engine-secret-${randomBytes(12).toString("hex")}`;
    await query("postgres", `alter role postgres password '${password}'`);
    const withPassword = (url: string) => url.replace(/:\/\/postgres:[^@]*@/, `://postgres:${password}@`);
    const { "chat-sessions": chatUrl, ...others } = p.urls;
    p.writeUrls(Object.fromEntries(Object.entries(others).map(([db, url]) => [db, withPassword(url)])));
    try {
      await p.ok(["config", "set", "--secret", "chat-sessions.databaseUrl", withPassword(chatUrl), ...STACK]);
      p.write("migrations/chat-sessions/20260301000000_engine_secret_probe.sql", "create table public.engine_secret_probe (id bigint primary key);\nalter table public.engine_secret_probe enable row level security;\n");
      const preview = await p.ok(["preview", "--diff", ...STACK]);
      const up = await p.ok(["up", "--yes", "--diff", ...STACK], { PULUMI_DEBUG_COMMANDS: "true" });
      const rows = await query("chat-sessions", "select 1 from supabase_migrations.schema_migrations where name = 'engine_secret_probe'");
      expect(rows, "the migration ran with the URL from the secret").toHaveLength(1);
      const exported = await p.ok(["stack", "export", ...STACK]);
      const stackFile = p.read("stacks/Pulumi.local.yaml");
      expect(stackFile).toContain("chat-sessions.databaseUrl:\n    secure:");
      const seen = [
        { file: "preview output", text: preview.output },
        { file: "up output", text: up.output },
        { file: "stack export", text: exported.output },
        { file: "stacks/Pulumi.local.yaml", text: stackFile },
        // The backend: checkpoints, history, backups; PULUMI_HOME: logs and plugin state.
        ...readTree(path.join(p.home, "backend")),
        ...readTree(path.join(p.home, "pulumi-home")),
      ];
      expect(seen.length).toBeGreaterThan(5);
      expect(seen.filter((s) => s.text.includes(password)).map((s) => s.file)).toEqual([]);
    } finally {
      await query("postgres", "alter role postgres password 'postgres'");
      p.writeUrls(p.urls);
      await p.ok(["config", "rm", "chat-sessions.databaseUrl", ...STACK]);
    }
  });
});

describe("a bad stack file", () => {
  it("fails preview with the config error, naming each key, and no stack trace", async () => {
    const good = p.read("stacks/Pulumi.local.yaml");
    try {
      p.write("stacks/Pulumi.local.yaml", good.replace("config:\n", "config:\n  rollout-stack:phases:\n    chat-sessions/early-session-creation: \"5O\"\n  rollout-stack:colour: blue\n"));
      const r = await p.pulumi(["preview", ...STACK]);
      expect(r.code).not.toBe(0);
      expect(r.output).toContain('stack "local" has 2 config problems');
      expect(r.output).toContain("rollout-stack:colour");
      expect(r.output).toContain("5O");
      expect(r.output).not.toMatch(/^\s+at .+\(.+:\d+:\d+\)$/m);
    } finally {
      p.write("stacks/Pulumi.local.yaml", good);
    }
  });
});

describe("the lock", () => {
  it("a second up on the same stack while one runs is refused and changes nothing", async () => {
    const updatesBefore = (JSON.parse((await p.ok(["stack", "history", "--json", ...STACK])).stdout) as { kind: string }[]).filter((h) => h.kind === "update").length;
    p.write("migrations/health-companion/20260301000000_engine_lock_probe.sql", "select pg_sleep(4);\n");
    const first = p.pulumi(["up", "--yes", "--skip-preview", ...STACK]);
    // Wait until the first holds the lock (the file backend writes it under .pulumi/locks).
    const locks = path.join(p.home, "backend", ".pulumi", "locks");
    for (let i = 0; i < 600 && readTree(locks).length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(readTree(locks).length, "the first up took the lock").toBeGreaterThan(0);
    const second = await p.pulumi(["up", "--yes", "--skip-preview", ...STACK]);
    expect(second.code).not.toBe(0);
    expect(second.output).toContain("the stack is currently locked");
    const done = await first;
    expect(done.code, done.output).toBe(0);
    // One update recorded, not two; the new migration applied once.
    const history = JSON.parse((await p.ok(["stack", "history", "--json", ...STACK])).stdout) as { kind: string }[];
    expect(history.filter((h) => h.kind === "update")).toHaveLength(updatesBefore + 1);
    const rows = await query("health-companion", "select count(*)::int as n from supabase_migrations.schema_migrations where name = 'engine_lock_probe'");
    expect(rows).toEqual([{ n: 1 }]);
  });
});

describe("pulumi destroy", () => {
  it("removes the stack's resources and leaves retained objects: tables, ledger, buckets", async () => {
    await p.ok(["destroy", "--yes", "--skip-preview", ...STACK]);
    const state = JSON.parse((await p.ok(["stack", "export", ...STACK])).stdout) as { deployment: { resources?: unknown[] } };
    expect(state.deployment.resources ?? []).toEqual([]);
    const tables = await query("conversation-raw-storage", "select to_regclass('public.conversations') is not null as t, to_regclass('public.engine_probe') is not null as p");
    expect(tables).toEqual([{ t: true, p: true }]);
    const ledger = await query<{ n: number }>("conversation-raw-storage", "select count(*)::int as n from supabase_migrations.schema_migrations");
    expect(ledger[0].n).toBeGreaterThan(1);
    expect(await query("conversation-raw-storage", "select id from storage.buckets")).toEqual([{ id: "conversation-files" }]);
  });
});
