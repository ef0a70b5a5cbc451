/**
 * The SQL twin of the bucketing spec on a real, Supabase-bootstrapped Postgres: the golden vectors, TS and
 * SQL agreeing on many IDs, privileges (revoked from PUBLIC, granted explicitly), and an RLS policy that
 * gates rows on the same cohort the app sees. Every SQL function that yields a hash, a bucket or a verdict
 * is checked against the TypeScript spec on both of its paths: a constant feature or share (folded at
 * plan time once the SQL functions are inlined) and one read from a column (evaluated per row).
 */
import type { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUCKETING_SQL, exposureCountSql, IN_ROLLOUT_BY_BUCKET } from "../../infra/rollout/bucketing-sql";
import { bucket, inRollout, murmur3x86_32, utf8Bytes } from "../../infra/sdk/bucketing";
import vectors from "../fixtures/bucketing-vectors.json";
import { prng } from "../support/prng";
import { startTestPostgres, type TestPostgres } from "../support/postgres";


/**
 * `n` random IDs of 0..40 code points from ASCII, Latin-1, CJK, emoji (surrogate pairs) and a few
 * separators (`:`, `+`, `\`), so every UTF-8 length and every tail length occurs; the empty ID first.
 */
function randomIds(n: number, seed: number): string[] {
  const rand = prng(seed);
  const pools = [
    [0x21, 0x7e],
    [0xa1, 0xff],
    [0x3041, 0x30ff],
    [0x4e00, 0x9fff],
    [0x1f300, 0x1f64f],
  ];
  const ids = [""];
  while (ids.length < n) {
    const len = Math.floor(rand() * 41);
    let id = "";
    for (let i = 0; i < len; i++) {
      const [lo, hi] = pools[Math.floor(rand() * pools.length)];
      id += String.fromCodePoint(lo + Math.floor(rand() * (hi - lo + 1)));
    }
    ids.push(id);
  }
  return ids;
}

let pg: TestPostgres;
let db: Client;
let dbUrl: string;
let admin: Client;

beforeAll(async () => {
  pg = await startTestPostgres();
  const { url, adminUrl } = await pg.createDatabase("bucketing");
  dbUrl = url;
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

  it("bucket matches every golden vector with a constant feature (the prefix state folded at plan time)", async () => {
    for (const v of [...vectors.unleash, ...vectors.buckets]) {
      const { rows } = await db.query("select rollout.bucket($1, $2) as bucket", [v.feature, v.id]);
      expect(rows[0].bucket, `${JSON.stringify(v.feature)}:${JSON.stringify(v.id)}`).toBe(v.bucket);
    }
  });

  it("murmur3_32_resume continues a hash from any 4-byte boundary (what bucket() relies on)", async () => {
    const inputs = [...vectors.murmur3.map((v) => ({ input: v.input, seed: v.seed })), ...vectors.buckets.map((v) => ({ input: `${v.feature}:${v.id}`, seed: 0 }))];
    for (const { input, seed } of inputs) {
      const bytes = utf8Bytes(input);
      const expected = murmur3x86_32(bytes, seed);
      for (let cut = 0; cut <= bytes.length; cut += 4) {
        const { rows } = await db.query(
          "select rollout.murmur3_32_resume(rollout.murmur3_32_resume($1, 0, $2, '', false), $3, $4, '', true) as h",
          [seed, Buffer.from(bytes.subarray(0, cut)), cut, Buffer.from(bytes.subarray(cut))],
        );
        expect(Number(rows[0].h), `${JSON.stringify(input)} cut at ${cut}`).toBe(expected);
      }
    }
  });

  it("in_rollout and in_rollout_by_bucket match every share vector, with constant shares", async () => {
    for (const v of vectors.shares) {
      const { rows } = await db.query(
        `select rollout.in_rollout($1, $2, $3, $4::text[]) as r, rollout.${IN_ROLLOUT_BY_BUCKET}(rollout.bucket($1, $2), $3, $4::text[]) as b`,
        [v.feature, v.id, v.share, v.cohorts],
      );
      expect(rows[0], `${v.share} ${JSON.stringify(v.cohorts)} ${v.id}`).toEqual({ r: v.in, b: v.in });
    }
  });

  it("in_rollout and in_rollout_by_bucket match every share vector, with everything read from columns", async () => {
    const { rows } = await db.query(
      `select v.ord, rollout.in_rollout(v.feature, v.id, v.share, string_to_array(v.cohorts, ',')) as r,
              rollout.${IN_ROLLOUT_BY_BUCKET}(rollout.bucket(v.feature, v.id), v.share, string_to_array(v.cohorts, ',')) as b
       from unnest($1::text[], $2::text[], $3::text[], $4::text[]) with ordinality as v(feature, id, share, cohorts, ord) order by v.ord`,
      [vectors.shares.map((v) => v.feature), vectors.shares.map((v) => v.id), vectors.shares.map((v) => v.share), vectors.shares.map((v) => v.cohorts.join(","))],
    );
    expect(rows.map((r) => [r.r, r.b])).toEqual(vectors.shares.map((v) => [v.in, v.in]));
  });

  it("a constant share and feature are folded at plan time: one hash call per row, no share parsing per row", async () => {
    const { rows } = await db.query("explain (verbose, format json) select rollout.in_rollout($1::text, t.id, $2::text, string_to_array(t.cohorts, ',')) from unnest($3::text[], $4::text[]) t(id, cohorts)", [
      "analy-ticket/advanced",
      "beta+25",
      ["u", "v"],
      ["", "beta"],
    ]);
    const plan = JSON.stringify(rows[0]["QUERY PLAN"]);
    expect(plan).not.toContain("parse_share");
    expect(plan).not.toContain("utf8(");
    expect(plan.match(/murmur3_32_resume\(/g)).toHaveLength(1);
  });

  it("refuses malformed shares as the TypeScript module does, and treats NULL as out", async () => {
    for (const [share, why] of [
      ["", "empty"],
      ["10+20", "two percents"],
      ["101", "neither a percent"],
      ["Beta", "neither a percent"],
    ]) {
      const refused = { code: "22023", message: expect.stringContaining(why) };
      await expect(db.query("select rollout.in_rollout('f', 'u', $1)", [share])).rejects.toMatchObject(refused);
      await expect(db.query(`select rollout.${IN_ROLLOUT_BY_BUCKET}(7, $1)`, [share])).rejects.toMatchObject(refused);
      // Read from a column, the share is parsed per row, with the same refusal.
      await expect(db.query("select rollout.in_rollout('f', 'u', s) from unnest($1::text[]) s", [[share]])).rejects.toMatchObject(refused);
    }
    const { rows } = await db.query("select rollout.in_rollout('f', null, '50') as a, rollout.in_rollout('f', 'u', null) as b, rollout.in_rollout('f', null, '100') as c, rollout.bucket(null, 'u') as d");
    expect(rows[0]).toEqual({ a: false, b: false, c: true, d: null });
    const byBucket = await db.query(
      `select rollout.${IN_ROLLOUT_BY_BUCKET}(null, '50') as a, rollout.${IN_ROLLOUT_BY_BUCKET}(1, null) as b, rollout.${IN_ROLLOUT_BY_BUCKET}(null, '100') as c, rollout.${IN_ROLLOUT_BY_BUCKET}(null, 'beta', '{beta}') as d, rollout.${IN_ROLLOUT_BY_BUCKET}(1, 'beta+10', null) as e`,
    );
    expect(byBucket.rows[0]).toEqual({ a: false, b: false, c: true, d: true, e: true });
  });
});

describe("TypeScript and SQL agree", () => {
  it("on 3,000 random IDs (empty, non-ASCII, emoji): hash, bucket, in_rollout and in_rollout_by_bucket, constant and per-row", async () => {
    const ids = randomIds(3_000, 2024);
    const rand = prng(99);
    const cohortsOf = ids.map(() => (rand() < 0.1 ? ["beta"] : rand() < 0.05 ? ["staff", "beta"] : []));
    for (const feature of ["analy-ticket/advanced", "é", ""]) {
      const shares = ["0", "10", "50", "100", "beta", "beta+25"];
      const { rows } = await db.query(
        `select t.ord,
                rollout.murmur3_32(convert_to($1 || ':' || t.id, 'UTF8')) as hash,
                rollout.bucket($1, t.id) as constant,
                rollout.bucket(f.feature, t.id) as per_row,
                array(select rollout.in_rollout($1, t.id, s, cohorts) from unnest($4::text[]) s) as in_rollout,
                array(select rollout.${IN_ROLLOUT_BY_BUCKET}(rollout.bucket($1, t.id), s, cohorts) from unnest($4::text[]) s) as by_bucket,
                rollout.in_rollout($1, t.id, 'beta+25', cohorts) as beta25
         from unnest($2::text[], $3::text[]) with ordinality as t(id, cohorts_csv, ord)
         cross join lateral (select $1::text as feature offset 0) f
         cross join lateral (select string_to_array(nullif(t.cohorts_csv, ''), ',') as cohorts) c
         order by t.ord`,
        [feature, ids, cohortsOf.map((c) => c.join(",")), shares],
      );
      const mismatches = rows.flatMap((row, i) => {
        const id = ids[i];
        const b = bucket(feature, id);
        const verdicts = shares.map((share) => inRollout(feature, id, share, { cohorts: cohortsOf[i] }));
        const ok =
          Number(row.hash) === murmur3x86_32(utf8Bytes(`${feature}:${id}`)) &&
          row.constant === b &&
          row.per_row === b &&
          JSON.stringify(row.in_rollout) === JSON.stringify(verdicts) &&
          JSON.stringify(row.by_bucket) === JSON.stringify(verdicts) &&
          row.beta25 === verdicts[5];
        return ok ? [] : [{ feature, id, row, b, verdicts }];
      });
      expect(mismatches).toEqual([]);
      expect(rows).toHaveLength(ids.length);
    }
  });

  it("exposureCountSql counts a phase move as the TypeScript spec does (and as in_rollout twice does)", async () => {
    const ids = [...randomIds(500, 7), ...Array.from({ length: 1_500 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`)];
    const cohorts = ids.map((_, i) => (i % 20 === 0 ? ["beta"] : []));
    await db.query("create table public.exposure_population (id text, cohorts text[])");
    await db.query("insert into public.exposure_population select t.id, x.cohorts from unnest($1::text[], $2::text[]) as t(id, c) cross join lateral (select string_to_array(nullif(t.c, ''), ',')) x(cohorts)", [
      ids,
      cohorts.map((c) => c.join(",")),
    ]);
    const feature = "metadata-context/enhanced-context";
    for (const [from, to] of [
      ["10", "50"],
      ["beta", "beta+25"],
      ["50", "10"],
      ["0", "100"],
    ]) {
      const a = ids.map((id, i) => inRollout(feature, id, from, { cohorts: cohorts[i] }));
      const b = ids.map((id, i) => inRollout(feature, id, to, { cohorts: cohorts[i] }));
      const expected = {
        population: String(ids.length),
        gained: String(ids.filter((_, i) => b[i] && !a[i]).length),
        lost: String(ids.filter((_, i) => a[i] && !b[i]).length),
        after: String(b.filter(Boolean).length),
      };
      const { rows } = await db.query(exposureCountSql("select id, cohorts from public.exposure_population"), [feature, from, to]);
      expect(rows[0], `${from} → ${to}`).toEqual(expected);
      const twice = await db.query(
        `select count(*) as population, count(*) filter (where b and not a) as gained, count(*) filter (where a and not b) as lost, count(*) filter (where b) as after
         from (select rollout.in_rollout($1, p.id, $2, p.cohorts) as a, rollout.in_rollout($1, p.id, $3, p.cohorts) as b from public.exposure_population p) x`,
        [feature, from, to],
      );
      expect(twice.rows[0], `${from} → ${to}, in_rollout twice`).toEqual(expected);
    }
  });

  it("is not swayed by the caller's search_path (the hash loop names pg_catalog throughout)", async () => {
    // A schema put before pg_catalog with look-alikes of everything the hash loop calls.
    await db.query(`
      create schema decoy;
      create function decoy.get_byte(bytea, integer) returns integer language sql immutable return 0;
      create function decoy.length(bytea) returns integer language sql immutable return 0;
      create function decoy.convert_to(text, name) returns bytea language sql immutable return '\\x00'::bytea;
      create function decoy.xor(bigint, bigint) returns bigint language sql immutable return 0;
      create operator decoy.# (leftarg = bigint, rightarg = bigint, function = decoy.xor);
      create function decoy.mul(bigint, integer) returns bigint language sql immutable return 0;
      create operator decoy.* (leftarg = bigint, rightarg = integer, function = decoy.mul);
    `);
    // A new session: nothing of the hash loop is cached yet, so its names resolve under this path.
    const fresh = await pg.connect(dbUrl);
    try {
      await fresh.query("set search_path = decoy, pg_catalog, public");
      const ids = ["", "a", "user-42", "ユーザー-7-é", "00000000-0000-4000-8000-000000000001"];
      const { rows } = await fresh.query("select rollout.bucket('analy-ticket/advanced', id) as b, rollout.murmur3_32(pg_catalog.convert_to(id, 'UTF8')) as h from unnest($1::text[]) id", [ids]);
      expect(rows.map((r) => [r.b, Number(r.h)])).toEqual(ids.map((id) => [bucket("analy-ticket/advanced", id), murmur3x86_32(utf8Bytes(id))]));
    } finally {
      await fresh.end();
      await db.query("drop schema decoy cascade");
    }
  });

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
    expect(acl.rows.map((r) => r.proname)).toEqual(["bucket", "in_rollout", IN_ROLLOUT_BY_BUCKET, "murmur3_32", "murmur3_32_resume", "parse_share", "utf8"]);
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
