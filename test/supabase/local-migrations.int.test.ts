/**
 * `npm run local`'s migrations step (infra/supabase/local-stack.ts) skips what the Supabase CLI skips
 * (`pkg/migration/list.go` `ListLocalMigrations`, `shouldSkip`) with a warning that is not counted as a
 * change, so a second run still says nothing changed.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrationsStep, type DatabaseContext } from "../../infra/supabase/local-stack";
import { startTestPostgres, type TestPostgres } from "../support/postgres";

let pg: TestPostgres;
let root: string;

beforeAll(async () => {
  pg = await startTestPostgres();
  root = fs.mkdtempSync(path.join(os.tmpdir(), "local-migrations-"));
});
afterAll(async () => {
  await pg?.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

describe("npm run local: the migrations step", () => {
  it("warns about skipped files (ListLocalMigrations, shouldSkip) without counting them as changes", async () => {
    const { name, url } = await pg.createDatabase("odd");
    const dir = path.join(root, name);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "20200101000000_init.sql"), "create table init_table (id int);\n");
    fs.writeFileSync(path.join(dir, "20250101000001_a.sql"), "create table a (id int);\n");
    fs.writeFileSync(path.join(dir, "notes.md"), "x\n");
    const progress: string[] = [];
    const ctx = { database: { name }, url, migrationsRoot: root, progress: (m: string) => progress.push(m) } as unknown as DatabaseContext;
    const first = await migrationsStep.run(ctx);
    expect(first).toEqual([expect.stringMatching(/^applied 1 migration \(\d+ ms\)$/)]);
    expect(progress.filter((l) => l.startsWith("warning: "))).toEqual([
      expect.stringMatching(/20200101000000_init\.sql is skipped: a first <timestamp>_init\.sql dated before 20211209000000/),
      expect.stringMatching(/notes\.md is skipped: its name must match <version>_<name>\.sql/),
    ]);
    expect(await migrationsStep.run(ctx)).toEqual([]);
  });
});
