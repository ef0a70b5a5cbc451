/**
 * Exposure test support: an app database as convergence leaves it (migrations and the bucketing
 * functions), seeded users, and the brute-force count through the TypeScript bucketing that every
 * SQL count is compared with.
 */
import * as path from "path";
import type { Client } from "pg";
import type { PopulationDecl } from "../../infra/apps/types";
import { bucketingSql } from "../../infra/rollout/bucketing-sql";
import { inRollout } from "../../infra/sdk/bucketing";
import { pushMigrations, readMigrationFiles } from "../../infra/supabase/migrations";
import type { TestPostgres } from "./postgres";

const MIGRATIONS = path.resolve(__dirname, "../../migrations");

/** A database with the app's migrations and the bucketing functions; `admin` connects as the superuser. */
export async function appDatabase(pg: TestPostgres, name: string): Promise<{ url: string; admin: Client }> {
  const created = await pg.createDatabase();
  const db = await pg.connect(created.url);
  await pushMigrations(db, readMigrationFiles(path.join(MIGRATIONS, name)));
  await db.query(bucketingSql());
  return { url: created.url, admin: await pg.connect(created.adminUrl) };
}

/** The population as the app sees it (IDs and cohorts), read back with the declared query itself. */
export async function populationRows(db: Client, p: PopulationDecl): Promise<{ id: string; cohorts: string[] }[]> {
  return (await db.query(`select * from (${p.query}) as p(id, cohorts)`)).rows;
}

/** Who gains, loses and holds the feature from share `from` to `to`, ID by ID through `inRollout`. */
export function bruteForce(rows: { id: string; cohorts: string[] }[], feature: string, from: string, to: string) {
  let before = 0;
  let after = 0;
  let gained = 0;
  let lost = 0;
  for (const r of rows) {
    const a = inRollout(feature, r.id, from, { cohorts: r.cohorts });
    const b = inRollout(feature, r.id, to, { cohorts: r.cohorts });
    before += +a;
    after += +b;
    gained += +(b && !a);
    lost += +(a && !b);
  }
  return { population: rows.length, before, after, gained, lost };
}

/** `n` auth users, each with a conversation today (metadata-context's population: all `n` are active). */
export async function seedActiveUsers(admin: Client, n: number): Promise<void> {
  await admin.query(`insert into auth.users (id, raw_app_meta_data) select gen_random_uuid(), '{}'::jsonb from generate_series(1, $1::int)`, [n]);
  await admin.query(`insert into public.conversations (user_id) select id from auth.users`);
}
