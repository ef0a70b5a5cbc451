/**
 * The serialized provider of each dynamic resource, run as the Pulumi host runs it: serialized by a
 * program running under ts-node (`serialize-providers.ts`), then loaded with `require-from-string`
 * and called in a plain `node` child process (`run-provider.cjs`: no ts-node, no vitest) against
 * the embedded Postgres: create, diff with the same inputs (no change), diff with new inputs (a
 * change), update (applies it). A provider that needed a `.ts` file at run time fails here.
 */
import { execFileSync, spawn } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import type { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TYPES } from "../../../infra/supabase/resources";
import { startTestPostgres, type TestPostgres } from "../../support/postgres";

const ROOT = path.resolve(__dirname, "../../..");
const RUNNER = path.join(__dirname, "run-provider.cjs");

let pg: TestPostgres;
let db: { name: string; url: string; adminUrl: string };
let admin: Client;
/** As `postgres`, the role convergence runs as (it must own what it grants on). */
let owner: Client;
let root: string;
let providers: Record<string, string>;

/** The environment of a provider process: nothing of vitest's, the test project as root. */
function providerEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ROLLOUT_STACK_ROOT: root, ...extra };
  return env;
}

interface ProviderRun {
  result?: any;
  error?: { message: string; id?: string; properties?: any; reasons?: string[] };
  tsNode?: boolean;
  vitest?: boolean;
}

/** One provider method in a fresh plain-node process, with the stack config `config`. */
function runProvider(type: string, method: string, args: unknown[], opts: { config?: Record<string, string>; env?: Record<string, string> } = {}): Promise<ProviderRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RUNNER], { cwd: ROOT, env: providerEnv(opts.env), stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    child.on("close", (code) => {
      try {
        const parsed = JSON.parse(out) as ProviderRun;
        expect(parsed.error === undefined ? parsed.tsNode : false).toBe(false);
        resolve(parsed);
      } catch {
        reject(new Error(`provider process exited ${code}: ${out}\n${err}`));
      }
    });
    // As the host passes them: inputs (and outputs) carry the serialized provider under __provider.
    const withProvider = (v: unknown) => (v && typeof v === "object" && !Array.isArray(v) ? { ...v, __provider: providers[type] } : v);
    const hostArgs = method === "create" ? [withProvider(args[0])] : method === "check" || method === "diff" || method === "update" ? args.map((a, i) => (i === 0 && method !== "check" ? a : withProvider(a))) : args.map((a, i) => (i === 1 ? withProvider(a) : a));
    child.stdin.end(JSON.stringify({ provider: providers[type], config: opts.config ?? {}, method, args: hostArgs }));
  });
}

function ref(dir: string, file: string): { version: string; name: string; sha256: string } {
  const m = /^(\d+)_(.*)\.sql$/.exec(file)!;
  return { version: m[1], name: m[2], sha256: createHash("sha256").update(fs.readFileSync(path.join(root, dir, file))).digest("hex") };
}

beforeAll(async () => {
  // Serialize in a separate process running the program's way (ts-node), not in vitest.
  providers = JSON.parse(
    execFileSync(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(__dirname, "serialize-providers.ts")], {
      cwd: ROOT,
      encoding: "utf8",
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
    }),
  );
  pg = await startTestPostgres();
  db = await pg.createDatabase("providers");
  admin = await pg.connect(db.adminUrl);
  owner = await pg.connect(db.url);
  root = fs.mkdtempSync(path.join(os.tmpdir(), "rollout-providers-"));
  fs.mkdirSync(path.join(root, "migrations", "providers"), { recursive: true });
});

afterAll(async () => {
  await pg?.stop();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

describe("serialized providers in a plain node process", () => {
  it("are serialized for every resource type, self-contained", () => {
    expect(Object.keys(providers).sort()).toEqual(Object.values(TYPES).sort());
    for (const text of Object.values(providers)) {
      // Nothing requires one of our .ts files by path: the code travels as a bundle.
      expect(text).not.toMatch(/require\(["'][^"']*\.ts["']\)/);
      expect(text).not.toContain(ROOT);
    }
  });

  it("Migrations: create applies, same files is no change, a new file is an update that applies it, a failure reports what applied", async () => {
    const dir = "migrations/providers";
    const write = (file: string, sql: string) => fs.writeFileSync(path.join(root, dir, file), sql);
    write("20250101000000_threads.sql", "create schema if not exists app;\ncreate table app.threads (id uuid primary key, user_id uuid not null);\nalter table app.threads enable row level security;\n");
    const config = { "rollout-stack:providers.databaseUrl": db.url };
    const first = { database: "providers", dir, files: [ref(dir, "20250101000000_threads.sql")] };

    const created = await runProvider(TYPES.Migrations, "create", [first], { config });
    expect(created.error).toBeUndefined();
    expect(created.result.id).toBe("migrations/providers");
    expect(created.result.outs.appliedByLastRun).toEqual(["20250101000000"]);
    expect((await admin.query("select version from supabase_migrations.schema_migrations order by 1")).rows.map((r) => r.version)).toEqual(["20250101000000"]);

    const same = await runProvider(TYPES.Migrations, "diff", [created.result.id, created.result.outs, first], { config });
    expect(same.result).toEqual({ changes: false });

    write("20250102000000_title.sql", "alter table app.threads add column title text not null default 'New conversation';\n");
    const second = { ...first, files: [...first.files, ref(dir, "20250102000000_title.sql")] };
    const changed = await runProvider(TYPES.Migrations, "diff", [created.result.id, created.result.outs, second], { config });
    expect(changed.result).toEqual({ changes: true });
    const updated = await runProvider(TYPES.Migrations, "update", [created.result.id, created.result.outs, second], { config });
    expect(updated.error).toBeUndefined();
    expect(updated.result.outs.appliedByLastRun).toEqual(["20250102000000"]);
    expect((await admin.query("select column_name from information_schema.columns where table_schema = 'app' and table_name = 'threads' order by 1")).rows.map((r) => r.column_name)).toEqual(["id", "title", "user_id"]);

    // A file that fails: the partial-failure error carries the id and the files the ledger holds.
    write("20250103000000_ok.sql", "create table app.notes (id int primary key);\nalter table app.notes enable row level security;\n");
    write("20250104000000_broken.sql", "create table app.broken (id int);\nselect 1 / 0;\n");
    const third = { ...second, files: [...second.files, ref(dir, "20250103000000_ok.sql"), ref(dir, "20250104000000_broken.sql")] };
    const failed = await runProvider(TYPES.Migrations, "update", [created.result.id, updated.result.outs, third], { config });
    expect(failed.error?.message).toMatch(/20250104000000_broken\.sql:2:\d+: ERROR 22012: division by zero/);
    expect(failed.error?.id).toBe("migrations/providers");
    expect(failed.error?.reasons).toEqual([failed.error?.message]);
    expect(failed.error?.properties.files.map((f: { version: string }) => f.version)).toEqual(["20250101000000", "20250102000000", "20250103000000"]);
    expect(failed.error?.properties.appliedByLastRun).toEqual(["20250103000000"]);
    expect((await admin.query("select to_regclass('app.broken') as t")).rows[0].t).toBeNull();
    // The recorded properties differ from the inputs, so the next `up` diffs and retries.
    const retry = await runProvider(TYPES.Migrations, "diff", [created.result.id, failed.error?.properties, third], { config });
    expect(retry.result).toEqual({ changes: true });
    // Delete leaves the database alone.
    expect((await runProvider(TYPES.Migrations, "delete", [created.result.id, updated.result.outs], { config })).error).toBeUndefined();
    expect((await admin.query("select count(*)::int as n from supabase_migrations.schema_migrations")).rows[0].n).toBe(3);
  });

  it("Schema: creates and grants; same inputs no change; a new grant is an update that applies it", async () => {
    const env = { ROLLOUT_STACK_DB_URL_PROVIDERS: db.url };
    await owner.query("create schema granted; create table granted.threads (id int primary key)");
    const inputs = { database: "providers", name: "granted", exposed: true, usage: ["authenticated", "service_role"], grants: { threads: { authenticated: ["select"] } } };
    const created = await runProvider(TYPES.Schema, "create", [inputs], { env });
    expect(created.error).toBeUndefined();
    expect(created.result.outs.lastActions).toEqual(['grant usage on schema "granted" to "authenticated", "service_role"', 'grant select on table "granted"."threads" to "authenticated"']);
    expect((await runProvider(TYPES.Schema, "diff", [created.result.id, created.result.outs, inputs], { env })).result).toEqual({ changes: false });
    const more = { ...inputs, grants: { threads: { authenticated: ["select", "insert"] } } };
    expect((await runProvider(TYPES.Schema, "diff", [created.result.id, created.result.outs, more], { env })).result).toEqual({ changes: true });
    const updated = await runProvider(TYPES.Schema, "update", [created.result.id, created.result.outs, more], { env });
    expect(updated.result.outs.lastActions).toEqual(['grant insert on table "granted"."threads" to "authenticated"']);
    const { rows } = await admin.query("select has_table_privilege('authenticated', 'granted.threads', 'INSERT') as i, has_table_privilege('anon', 'granted.threads', 'SELECT') as a");
    expect(rows[0]).toEqual({ i: true, a: false });
  });

  it("Bucket: upserts; same inputs no change; a new setting is an update; refresh reads the row", async () => {
    const env = { ROLLOUT_STACK_DB_URL_PROVIDERS: db.url };
    const inputs = { database: "providers", bucketId: "files", name: "files", public: false, fileSizeLimit: 1000000, allowedMimeTypes: ["application/json"] };
    const created = await runProvider(TYPES.Bucket, "create", [inputs], { env });
    expect(created.result.id).toBe("providers/bucket/files");
    expect((await runProvider(TYPES.Bucket, "diff", [created.result.id, created.result.outs, inputs], { env })).result).toEqual({ changes: false });
    const opened = { ...inputs, fileSizeLimit: 2000000 };
    expect((await runProvider(TYPES.Bucket, "diff", [created.result.id, created.result.outs, opened], { env })).result).toEqual({ changes: true });
    expect((await runProvider(TYPES.Bucket, "diff", [created.result.id, created.result.outs, { ...inputs, bucketId: "other" }], { env })).result).toEqual({ changes: true, replaces: ["bucketId"] });
    await runProvider(TYPES.Bucket, "update", [created.result.id, created.result.outs, opened], { env });
    const { rows } = await admin.query("select public, file_size_limit::int as l, allowed_mime_types as m from storage.buckets where id = 'files'");
    expect(rows).toEqual([{ public: false, l: 2000000, m: ["application/json"] }]);
    const read = await runProvider(TYPES.Bucket, "read", [created.result.id, opened], { env });
    expect(read.result.props.fileSizeLimit).toBe(2000000);
  });

  it("RlsPolicy: creates; same inputs no change; a new predicate is drop + create; a hand edit reads as drift; delete drops", async () => {
    const env = { ROLLOUT_STACK_DB_URL_PROVIDERS: db.url };
    await owner.query("create schema policed; create table policed.threads (id int primary key, user_id uuid); alter table policed.threads enable row level security");
    const inputs = {
      database: "providers",
      name: "threads_owner_select",
      schema: "policed",
      table: "threads",
      command: "select",
      roles: ["authenticated"],
      using: "(select auth.uid()) = user_id",
      withCheck: null,
      statement: "",
    };
    const created = await runProvider(TYPES.RlsPolicy, "create", [inputs], { env });
    expect(created.error).toBeUndefined();
    expect(created.result.outs.stored.qual).toBe("(( SELECT auth.uid() AS uid) = user_id)");
    expect((await runProvider(TYPES.RlsPolicy, "diff", [created.result.id, created.result.outs, inputs], { env })).result).toEqual({ changes: false });
    const narrower = { ...inputs, using: "(select auth.uid()) = user_id and false" };
    expect((await runProvider(TYPES.RlsPolicy, "diff", [created.result.id, created.result.outs, narrower], { env })).result).toEqual({ changes: true });
    const updated = await runProvider(TYPES.RlsPolicy, "update", [created.result.id, created.result.outs, narrower], { env });
    expect(updated.result.outs.stored.qual).toBe("((( SELECT auth.uid() AS uid) = user_id) AND false)");

    await owner.query("alter policy threads_owner_select on policed.threads using (true)");
    const refreshed = await runProvider(TYPES.RlsPolicy, "read", [created.result.id, updated.result.outs], { env });
    expect(refreshed.result.props.drifted).toBe(true);
    expect((await runProvider(TYPES.RlsPolicy, "diff", [created.result.id, refreshed.result.props, narrower], { env })).result).toEqual({ changes: true });

    await runProvider(TYPES.RlsPolicy, "delete", [created.result.id, updated.result.outs], { env });
    expect((await admin.query("select count(*)::int as n from pg_policies where policyname = 'threads_owner_select'")).rows[0].n).toBe(0);
  });

  it("ManagedSql: installs; same version no change; a new version is an update", async () => {
    const env = { ROLLOUT_STACK_DB_URL_PROVIDERS: db.url };
    const v1 = { database: "providers", name: "answer", schema: "managed", sql: "create schema if not exists managed; create or replace function managed.answer() returns int language sql as 'select 41';", version: "v1" };
    const created = await runProvider(TYPES.ManagedSql, "create", [v1], { env });
    expect(created.error).toBeUndefined();
    expect((await runProvider(TYPES.ManagedSql, "diff", [created.result.id, created.result.outs, v1], { env })).result).toEqual({ changes: false });
    const v2 = { ...v1, sql: v1.sql.replace("41", "42"), version: "v2" };
    expect((await runProvider(TYPES.ManagedSql, "diff", [created.result.id, created.result.outs, v2], { env })).result).toEqual({ changes: true });
    await runProvider(TYPES.ManagedSql, "update", [created.result.id, created.result.outs, v2], { env });
    expect((await admin.query("select managed.answer() as a")).rows[0].a).toBe(42);
  });

  it("Checks: pass; same inputs no change; a failing check fails the update naming it", async () => {
    const env = { ROLLOUT_STACK_DB_URL_PROVIDERS: db.url };
    await owner.query("create schema checked; create table checked.items (id int primary key); alter table checked.items enable row level security");
    const inputs = { database: "providers", exposedSchemas: ["checked"], checks: [{ name: "items-exist", sql: "select to_regclass('checked.items') is not null" }], declaration: "a" };
    const created = await runProvider(TYPES.Checks, "create", [inputs], { env });
    expect(created.error).toBeUndefined();
    expect(created.result.outs.passed).toEqual(["items-exist"]);
    expect((await runProvider(TYPES.Checks, "diff", [created.result.id, created.result.outs, inputs], { env })).result).toEqual({ changes: false });
    const failing = { ...inputs, checks: [...inputs.checks, { name: "items-empty-and-false", sql: "select not exists (select 1 from checked.items) and false" }], declaration: "b" };
    expect((await runProvider(TYPES.Checks, "diff", [created.result.id, created.result.outs, failing], { env })).result).toEqual({ changes: true });
    const failed = await runProvider(TYPES.Checks, "update", [created.result.id, created.result.outs, failing], { env });
    expect(failed.error?.message).toContain('check "items-empty-and-false" returned false, not true');
  });

  it("DataApiExposure: reads and patches db_schema through the Management API (a local stub)", async () => {
    const seen: { method: string; url: string; auth: string; body: string }[] = [];
    let dbSchema = "public,graphql_public";
    const server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (d) => (body += d));
      req.on("end", () => {
        seen.push({ method: req.method!, url: req.url!, auth: req.headers.authorization ?? "", body });
        if (req.method === "PATCH") dbSchema = JSON.parse(body).db_schema;
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ db_schema: dbSchema, max_rows: 1000, db_extra_search_path: "public,extensions", jwt_secret: "not-for-state" }));
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    const env = { SUPABASE_ACCESS_TOKEN: "sbp_test_token", SUPABASE_API_URL: `http://127.0.0.1:${port}` };
    try {
      const inputs = { projectRef: "abcdefghijklmnopqrst", schemas: ["health_companion", "public"] };
      const created = await runProvider(TYPES.DataApiExposure, "create", [inputs], { env });
      expect(created.error).toBeUndefined();
      const { __provider, ...outs } = created.result.outs;
      expect(__provider).toBe(providers[TYPES.DataApiExposure]);
      expect(outs).toEqual({ ...inputs, dbSchema: ["public", "graphql_public", "health_companion"], added: ["health_companion"] });
      expect(JSON.stringify(created.result)).not.toContain("not-for-state");
      expect(seen.map((s) => [s.method, s.url, s.auth, s.body])).toEqual([
        ["GET", "/v1/projects/abcdefghijklmnopqrst/postgrest", "Bearer sbp_test_token", ""],
        ["PATCH", "/v1/projects/abcdefghijklmnopqrst/postgrest", "Bearer sbp_test_token", '{"db_schema":"public,graphql_public,health_companion"}'],
      ]);
      expect((await runProvider(TYPES.DataApiExposure, "diff", [created.result.id, created.result.outs, inputs], { env })).result).toEqual({ changes: false });
    } finally {
      server.close();
    }
  });
});
