/**
 * `pulumi up`'s side of items the Supabase CLI has (`internal/migration/up` `GetPendingMigrations`
 * includeAll; `pkg/migration/list.go` `ListLocalMigrations`, `shouldSkip`): the stack setting
 * `rollout-stack:databases.<db>.includeAll`, carried from the config through the model to the
 * Migrations resource; skipped files listed in the model's database plan and warned by the component.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { CATALOG } from "../../infra/apps";
import { parseStackConfig, type RawEntry } from "../../infra/config";
import { planStack } from "../../infra/model";
import { planStackDatabase } from "../../infra/supabase/declaration";
import { TYPES } from "../../infra/supabase/resources";
import { renderProgram } from "../support/pulumi";

const plain = (value: unknown): RawEntry => ({ value, secret: false });
function localRaw(databases?: unknown): Record<string, RawEntry> {
  return {
    "rollout-stack:mode": plain("local"),
    "rollout-stack:apps": plain(["health-companion"]),
    ...(databases === undefined ? {} : { "rollout-stack:databases": plain(databases) }),
  };
}

const root = fs.mkdtempSync(path.join(os.tmpdir(), "include-all-"));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe("rollout-stack:databases.<db>.includeAll (as supabase db push --include-all)", () => {
  it("is off by default and parsed as a boolean (YAML true, or the string pulumi config set writes)", () => {
    expect(parseStackConfig("local", localRaw()).databases["health-companion"]?.includeAll).toBeUndefined();
    expect(parseStackConfig("local", localRaw({ "health-companion": { includeAll: true } })).databases["health-companion"]).toEqual({ includeAll: true });
    expect(parseStackConfig("local", localRaw({ "health-companion": { includeAll: "true" } })).databases["health-companion"]?.includeAll).toBe(true);
    expect(() => parseStackConfig("local", localRaw({ "health-companion": { includeAll: "yes" } }))).toThrow(/databases/);
  });

  it("reaches the model's database plan, with the files the migration engine skips listed there", () => {
    const dir = path.join(root, "migrations", "health-companion");
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "20200101000000_init.sql"), "select 1;\n");
    fs.writeFileSync(path.join(dir, "20250101000001_a.sql"), "select 1;\n");
    fs.writeFileSync(path.join(dir, "notes.sql"), "select 1;\n");
    const config = parseStackConfig("local", localRaw({ "health-companion": { includeAll: true } }));
    const [db] = planStack(config, { root }).databases;
    expect(db.migrations).toMatchObject({
      dir: "migrations/health-companion",
      includeAll: true,
      ignored: [
        { path: "migrations/health-companion/20200101000000_init.sql", reason: "init" },
        { path: "migrations/health-companion/notes.sql", reason: "name" },
      ],
    });
    expect(db.migrations.files.map((f) => f.version)).toEqual(["20250101000001"]);
    const [off] = planStack(parseStackConfig("local", localRaw()), { root }).databases;
    expect(off.migrations.includeAll).toBe(false);
  });
});

describe("SupabaseDatabase: skipped files and includeAll", () => {
  it("warns about each skipped file (pulumi.log.warn) and gives Migrations includeAll only when set", async () => {
    const { SupabaseDatabase } = await import("../../infra/supabase/database");
    const decl = CATALOG.find((a) => a.name === "health-companion")!.database!;
    const plan = planStackDatabase(decl, {
      mode: "local",
      migrationsDir: "migrations/health-companion",
      files: [{ version: "20250101000001", name: "a", sha256: "0".repeat(64) }],
      ignored: [{ path: "migrations/health-companion/notes.sql", reason: "name" }],
      includeAll: true,
    });
    const r = await renderProgram({ stack: "local", program: () => void new SupabaseDatabase(decl.name, { plan }) });
    expect(r.logs).toContainEqual({
      severity: "warning",
      message: 'database "health-companion": migrations/health-companion/notes.sql is skipped: its name must match <version>_<name>.sql (as the Supabase CLI skips it)',
    });
    const m = r.get(TYPES.Migrations, `${decl.name}-migrations`);
    expect(m.inputs.includeAll).toBe(true);
    const off = await renderProgram({
      stack: "local",
      program: () => void new SupabaseDatabase(decl.name, { plan: { ...plan, migrations: { ...plan.migrations, includeAll: false, ignored: [] } } }),
    });
    expect("includeAll" in off.get(TYPES.Migrations, `${decl.name}-migrations`).inputs).toBe(false);
    expect(off.logs.filter((l) => l.severity === "warning")).toEqual([]);
  });
});
