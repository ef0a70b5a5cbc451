/**
 * The SQL twin of the bucketing spec on a real, Supabase-bootstrapped Postgres: the golden vectors, TS and
 * SQL agreeing on many IDs, privileges (revoked from PUBLIC, granted explicitly), and an RLS policy that
 * gates rows on the same cohort the app sees.
 */
import type { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUCKETING_SQL } from "../../infra/rollout/bucketing-sql";
import { bucket, inRollout } from "../../infra/sdk/bucketing";
import vectors from "../fixtures/bucketing-vectors.json";
import { startTestPostgres, type TestPostgres } from "../support/postgres";

let pg: TestPostgres;
let db: Client;
let admin: Client;

beforeAll(async () => {
  pg = await startTestPostgres();
  const { url, adminUrl } = await pg.createDatabase("bucketing");
  // Installed as `postgres` (not a superuser), the role convergence runs as on Supabase.
  db = await pg.connect(url);
  admin = await pg.connect(adminUrl);
  await db.query(BUCKETING_SQL);
  await db.query(BUCKETING_SQL); // idempotent
});
afterAll(async () => {
  await pg?.stop();
});

describe("rollout.* functions: golden vectors", () => {
  it("murmur3_32 matches the published reference vectors", async () => {
    for (const v of vectors.murmur3) {
      const { rows } = await db.query("select rollout.murmur3_32(convert_to($1, 'UTF8'), $2) as h", [v.input, v.seed]);
      expect(Number(rows[0].h), `${JSON.stringify(v.input)} seed ${v.seed}`).toBe(v.hash);
    }
  });

  it("bucket matches Unleash's client-spec fixtures and every golden vector (non-ASCII and empty IDs included)", async () => {
    const all = [...vectors.unleash.map((v) => ({ ...v, hash: undefined })), ...vectors.buckets];
    const { rows } = await db.query(
      `select v.ord, rollout.bucket(v.feature, v.id) as bucket, rollout.murmur3_32(convert_to(v.feature || ':' || v.id, 'UTF8')) as hash
       from unnest($1::text[], $2::text[]) with ordinality as v(feature, id, ord) order by v.ord`,
      [all.map((v) => v.feature), all.map((v) => v.id)],
    );
    rows.forEach((row, i) => {
      expect(row.bucket, `${JSON.stringify(all[i].feature)}:${JSON.stringify(all[i].id)}`).toBe(all[i].bucket);
      if (all[i].hash !== undefined) expect(Number(row.hash)).toBe(all[i].hash);
    });
    expect(rows).toHaveLength(all.length);
  });

  it("in_rollout matches every share vector", async () => {
    for (const v of vectors.shares) {
      const { rows } = await db.query("select rollout.in_rollout($1, $2, $3, $4::text[]) as r", [v.feature, v.id, v.share, v.cohorts]);
      expect(rows[0].r, `${v.share} ${JSON.stringify(v.cohorts)} ${v.id}`).toBe(v.in);
    }
  });

  it("refuses malformed shares as the TypeScript module does, and treats NULL as out", async () => {
    for (const [share, why] of [
      ["", "empty"],
      ["10+20", "two percents"],
      ["101", "neither a percent"],
      ["Beta", "neither a percent"],
    ]) {
      await expect(db.query("select rollout.in_rollout('f', 'u', $1)", [share])).rejects.toMatchObject({ code: "22023", message: expect.stringContaining(why) });
    }
    const { rows } = await db.query("select rollout.in_rollout('f', null, '50') as a, rollout.in_rollout('f', 'u', null) as b, rollout.in_rollout('f', null, '100') as c, rollout.bucket(null, 'u') as d");
    expect(rows[0]).toEqual({ a: false, b: false, c: true, d: null });
  });
});

describe("TypeScript and SQL agree", () => {
  it("on 20,000 IDs (UUIDs and non-ASCII names) for two features", async () => {
    const ids = Array.from({ length: 20_000 }, (_, i) => (i % 3 === 0 ? `ユーザー-${i}-é` : `${(i * 2654435761) >>> 0}-${i.toString(36)}`));
    for (const feature of ["metadata-context/enhanced-context", "analy-ticket/advanced"]) {
      const started = performance.now();
      const { rows } = await db.query("select array_agg(rollout.bucket($1, id) order by ord) as b from unnest($2::text[]) with ordinality as t(id, ord)", [feature, ids]);
      const ms = performance.now() - started;
      const sql = rows[0].b as number[];
      const mismatches = ids.filter((id, i) => bucket(feature, id) !== sql[i]);
      expect(mismatches).toEqual([]);
      // A number for the report, not a pass condition: plpgsql hashing speed on this machine.
      console.log(`rollout.bucket on ${ids.length} ids: ${ms.toFixed(0)} ms (${((ids.length / ms) * 1000).toFixed(0)}/s)`);
    }
  });
});

describe("privileges", () => {
  it("lives in a schema the Data API does not expose, revoked from PUBLIC, granted to authenticated and service_role", async () => {
    const { rows } = await admin.query(`
      select r.rolname,
             has_schema_privilege(r.oid, 'rollout', 'usage') as usage,
             has_function_privilege(r.oid, 'rollout.bucket(text, text)', 'execute') as bucket,
             has_function_privilege(r.oid, 'rollout.in_rollout(text, text, text, text[])', 'execute') as in_rollout
      from pg_roles r where r.rolname in ('anon', 'authenticated', 'service_role') order by r.rolname`);
    expect(rows).toEqual([
      { rolname: "anon", usage: false, bucket: false, in_rollout: false },
      { rolname: "authenticated", usage: true, bucket: true, in_rollout: true },
      { rolname: "service_role", usage: true, bucket: true, in_rollout: true },
    ]);
    const acl = await admin.query(`
      select p.proname, coalesce(array_to_string(p.proacl, ','), '') as acl
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'rollout' order by p.proname`);
    expect(acl.rows.map((r) => r.proname)).toEqual(["bucket", "in_rollout", "murmur3_32"]);
    for (const r of acl.rows) expect(r.acl, r.proname).not.toMatch(/(^|,)=X/); // "=X/..." is EXECUTE for PUBLIC
  });

  it("anon cannot call it", async () => {
    await db.query("begin");
    try {
      await db.query("set local role anon");
      await expect(db.query("select rollout.bucket('f', 'u')")).rejects.toMatchObject({ code: "42501" });
    } finally {
      await db.query("rollback");
    }
  });

  it("an RLS policy gates rows on the same cohort as the app (as authenticated, with JWT claims)", async () => {
    await db.query(`
      create table public.rollout_demo (id int primary key);
      insert into public.rollout_demo values (1), (2), (3);
      alter table public.rollout_demo enable row level security;
      grant select on public.rollout_demo to authenticated;
      create policy in_cohort on public.rollout_demo for select to authenticated
        using (rollout.in_rollout('analy-ticket/advanced', auth.uid()::text, 'beta+25', coalesce(array(select jsonb_array_elements_text(auth.jwt() -> 'cohorts')), '{}')));
    `);
    const users = Array.from({ length: 10 }, (_, i) => `00000000-0000-4000-8000-${String(i + 1).padStart(12, "0")}`);
    const outside = users.filter((uid) => !inRollout("analy-ticket/advanced", uid, "25"));
    expect(outside.length, "some users outside 25%").toBeGreaterThan(0);
    expect(outside.length, "some users inside 25%").toBeLessThan(users.length);
    for (const uid of users) {
      for (const cohorts of [[], ["beta"]]) {
        await db.query("begin");
        try {
          await db.query("select set_config('request.jwt.claims', $1, true)", [JSON.stringify({ sub: uid, role: "authenticated", cohorts })]);
          await db.query("set local role authenticated");
          const { rows } = await db.query("select count(*)::int as n from public.rollout_demo");
          const expected = inRollout("analy-ticket/advanced", uid, "beta+25", { cohorts }) ? 3 : 0;
          expect(rows[0].n, `${uid} ${JSON.stringify(cohorts)}`).toBe(expected);
        } finally {
          await db.query("rollback");
        }
      }
    }
  });
});
