/**
 * The Migrations handler (infra/supabase/resources/handlers/migrations.ts) against Postgres:
 * - it applies exactly the files its inputs name, by hash, and refuses, naming the file and both
 *   hashes, when a file on disk changed after the inputs were computed (within one `pulumi up`);
 * - `includeAll` applies out-of-order files as `supabase db push --include-all` does
 *   (supabase/cli `internal/migration/up` `GetPendingMigrations`); without it they are refused.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseUrlEnvVar } from "../../../infra/supabase/connection";
import { handler, type MigrationsInputs } from "../../../infra/supabase/resources/handlers/migrations";
import { startTestPostgres, type TestPostgres } from "../../support/postgres";

let pg: TestPostgres;
let root: string;

beforeAll(async () => {
  pg = await startTestPostgres();
  root = fs.mkdtempSync(path.join(os.tmpdir(), "migrations-handler-"));
});
afterAll(async () => {
  await pg?.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

const sha = (text: string) => createHash("sha256").update(text).digest("hex");

/** A database and its migrations folder under the test root; `write` returns the file's ref. */
async function fixture(database: string) {
  const { url } = await pg.createDatabase(database);
  const dir = `migrations/${database}`;
  fs.mkdirSync(path.join(root, dir), { recursive: true });
  const ctx = { env: { ROLLOUT_STACK_ROOT: root, [databaseUrlEnvVar(database)]: url } };
  const write = (version: string, name: string, sql: string) => {
    fs.writeFileSync(path.join(root, dir, `${version}_${name}.sql`), sql);
    return { version, name, sha256: sha(sql) };
  };
  const ledger = async () => {
    const client = await pg.connect(url);
    try {
      return (await client.query<{ version: string }>("select version from supabase_migrations.schema_migrations order by version")).rows.map((r) => r.version);
    } catch {
      return [];
    } finally {
      await client.end();
    }
  };
  return { dir, ctx, write, ledger };
}

describe("Migrations handler: the files its inputs name, by hash", () => {
  it("refuses, naming the file, the expected and the found sha256, when a file changed after the inputs were computed; applies nothing", async () => {
    const f = await fixture("hashes");
    const a = f.write("20250101000001", "a", "create table a (id int);\n");
    const b = f.write("20250101000002", "b", "create table b (id int);\n");
    // Edited between the preview (or the program's read) and the apply.
    fs.writeFileSync(path.join(root, f.dir, "20250101000002_b.sql"), "create table b (id bigint);\n");
    const inputs: MigrationsInputs = { database: "hashes", dir: f.dir, files: [a, b] };
    const error = await handler.create(inputs, f.ctx).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toContain(`${f.dir}/20250101000002_b.sql changed on disk after this update computed its inputs`);
    expect(error?.message).toContain(`expected sha256 ${b.sha256}`);
    expect(error?.message).toContain(`found ${sha("create table b (id bigint);\n")}`);
    expect(await f.ledger()).toEqual([]);
  });

  it("applies the files the inputs name and no other file that appeared on disk since", async () => {
    const f = await fixture("exact");
    const a = f.write("20250101000001", "a", "create table a (id int);\n");
    f.write("20250101000002", "late_arrival", "create table late_arrival (id int);\n");
    const { outs } = await handler.create({ database: "exact", dir: f.dir, files: [a] }, f.ctx);
    expect(outs?.appliedByLastRun).toEqual(["20250101000001"]);
    expect(await f.ledger()).toEqual(["20250101000001"]);
  });
});

describe("Migrations handler: includeAll (supabase/cli internal/migration/up GetPendingMigrations)", () => {
  it("refuses an out-of-order file without it, naming --include-all and the stack setting; applies it with it", async () => {
    const f = await fixture("late");
    const a = f.write("20250101000001", "a", "create table a (id int);\n");
    const c = f.write("20250101000003", "c", "create table c (id int);\n");
    const first = { database: "late", dir: f.dir, files: [a, c] };
    await handler.create(first, f.ctx);
    const b = f.write("20250101000002", "b", "create table b (id int);\n");
    const next: MigrationsInputs = { ...first, files: [a, b, c] };
    const refused = await handler.update!("migrations/late", { ...first, appliedByLastRun: [] }, next, f.ctx).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(refused?.message).toContain("new file is older than the newest applied version 20250101000003");
    expect(refused?.message).toContain("rollout-stack:databases.<database>.includeAll: true");
    expect(await f.ledger()).toEqual(["20250101000001", "20250101000003"]);
    expect(await handler.diff!("migrations/late", { ...next, appliedByLastRun: [] }, { ...next, includeAll: true })).toMatchObject({ changes: true });
    const { outs } = await handler.update!("migrations/late", { ...first, appliedByLastRun: [] }, { ...next, includeAll: true }, f.ctx);
    expect(outs?.appliedByLastRun).toEqual(["20250101000002"]);
    expect(await f.ledger()).toEqual(["20250101000001", "20250101000002", "20250101000003"]);
  });
});
