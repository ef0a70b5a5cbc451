/**
 * Exposure counts on a real Postgres: the catalog's population queries over seeded users, counted in
 * SQL with `rollout.in_rollout` for every seed move, equal a brute-force count through the TypeScript
 * bucketing (`beta` and `beta+25` rungs included); a population query that writes, fails or times out
 * gives a clear error; `rollout advance` prints the counts, and without a URL the offline form.
 */
import type { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CATALOG } from "../../infra/apps";
import type { AppDecl, PopulationDecl } from "../../infra/apps/types";
import { countExposure, describeCounts, formatCount, offlineExposure } from "../../infra/rollout/exposure";
import { shareOf } from "../../infra/rollout/live";
import { runCli } from "../support/cli";
import { appDatabase as appDatabaseOn, bruteForce, populationRows as population, seedActiveUsers } from "../support/exposure";
import { startTestPostgres, type TestPostgres } from "../support/postgres";
import { gitFixture } from "./git-fixture";

const app = (name: string): AppDecl => CATALOG.find((a) => a.name === name)!;

let pg: TestPostgres;
beforeAll(async () => {
  pg = await startTestPostgres();
});
afterAll(async () => {
  await pg?.stop();
});
const appDatabase = (name: string) => appDatabaseOn(pg, name);

describe("metadata-context: users with a conversation in the last 7 days", () => {
  const decl = app("metadata-context");
  const feature = decl.features.find((f) => f.name === "enhanced-context")!;
  const key = "metadata-context/enhanced-context";
  let url: string;
  let admin: Client;

  beforeAll(async () => {
    ({ url, admin } = await appDatabase("metadata-context"));
    // 3,000 auth users: 2,400 active this week (some twice), 600 only older; cohorts in app metadata,
    // and a few with a malformed cohorts value (a string), which counts as no cohort.
    await admin.query(`insert into auth.users (id, raw_app_meta_data)
      select gen_random_uuid(), case when i % 10 = 0 then '{"cohorts":["beta"]}'::jsonb when i % 97 = 0 then '{"cohorts":"beta"}'::jsonb else '{}'::jsonb end
      from generate_series(1, 3000) i`);
    await admin.query(`insert into public.conversations (user_id, created_at)
      select id, now() - make_interval(days => case when n <= 2400 then 1 else 30 end)
      from (select id, row_number() over (order by id) n from auth.users) u`);
    await admin.query(`insert into public.conversations (user_id, created_at) select user_id, now() from public.conversations where created_at > now() - interval '7 days' limit 500`);
  });

  it("the population is the distinct active users with their cohorts", async () => {
    const rows = await population(admin, decl.population!);
    expect(rows).toHaveLength(2400);
    expect(new Set(rows.map((r) => r.id)).size).toBe(2400);
    expect(rows.filter((r) => r.cohorts.includes("beta")).length).toBeGreaterThan(100);
  });

  it.each([
    ["off", "10"],
    ["10", "50"],
    ["50", "100"],
    ["50", "10"],
    ["10", "off"],
  ])("a move %s → %s: gained, lost and total equal the TypeScript bucketing over the same IDs", async (from, to) => {
    const move = { feature: key, from: shareOf(feature, from), to: shareOf(feature, to) };
    const counts = await countExposure(url, decl.population!, move);
    expect(counts).toEqual(bruteForce(await population(admin, decl.population!), key, move.from, move.to));
    if (to === "100") expect(counts.after).toBe(2400);
    if (to === "off") expect(counts.after).toBe(0);
  });
});

describe("analy-ticket: beta rungs count the beta cohort", () => {
  const decl = app("analy-ticket");
  const feature = decl.features.find((f) => f.name === "advanced")!;
  const key = "analy-ticket/advanced";
  let url: string;
  let admin: Client;

  beforeAll(async () => {
    ({ url, admin } = await appDatabase("analy-ticket"));
    await admin.query(`insert into public.users (id, email) select gen_random_uuid(), 'u' || i || '@example.com' from generate_series(1, 2000) i`);
    await admin.query(`insert into public.enhanced_user_sessions (user_id, session_id, last_activity)
      select id, 's-' || id, now() - make_interval(days => case when n % 5 = 0 then 20 else 1 end)
      from (select id, row_number() over (order by email) n from public.users) u`);
    // Beta: an enabled, unexpired `beta` override; expired and disabled ones do not count.
    await admin.query(`insert into public.session_feature_flags (user_id, feature_name, enabled, expires_at)
      select id, 'beta', n % 3 <> 0, case when n % 7 = 0 then now() - interval '1 day' end
      from (select id, row_number() over (order by email) n from public.users) u where n % 4 = 0`);
  });

  it.each([
    ["off", "beta"],
    ["beta", "25"],
    ["25", "100"],
    ["25", "beta"],
  ])("a move %s → %s matches the brute-force count", async (from, to) => {
    const move = { feature: key, from: shareOf(feature, from), to: shareOf(feature, to) };
    const rows = await population(admin, decl.population!);
    expect(rows).toHaveLength(1600);
    const betas = rows.filter((r) => r.cohorts.includes("beta")).length;
    expect(betas).toBeGreaterThan(50);
    const counts = await countExposure(url, decl.population!, move);
    expect(counts).toEqual(bruteForce(rows, key, move.from, move.to));
    if (from === "off" && to === "beta") expect(counts.gained).toBe(betas);
  });
});

describe("a population query that misbehaves", () => {
  let url: string;
  beforeAll(async () => {
    ({ url } = await appDatabase("metadata-context"));
  });
  const move = { feature: "f", from: "0", to: "10" };

  it("one that writes fails in the read-only transaction, and nothing is written", async () => {
    // nextval() writes (a sequence): refused in a read-only transaction.
    const writes: PopulationDecl = { description: "", query: "select nextval('public.assistant_requests_id_seq')::text, '{}'::text[]" };
    await expect(countExposure(url, writes, move)).rejects.toThrow(/^the population query failed: 25006 /);
    const db = await pg.connect(url);
    expect((await db.query("select last_value::int as n, is_called from public.assistant_requests_id_seq")).rows[0]).toEqual({ n: 1, is_called: false });
    // A data-modifying WITH cannot even be wrapped as the population's subquery.
    const wrapped: PopulationDecl = { description: "", query: "with w as (insert into public.conversations (title) values ('x') returning id::text, '{}'::text[]) select * from w" };
    await expect(countExposure(url, wrapped, move)).rejects.toThrow(/^the population query failed: 0A000 /);
    expect((await db.query("select count(*)::int as n from public.conversations")).rows[0].n).toBe(0);
  });

  it("one that fails names the SQLSTATE; one that is too slow is cancelled", async () => {
    await expect(countExposure(url, { description: "", query: "select id, cohorts from nowhere" }, move)).rejects.toThrow(/^the population query failed: 42P01 /);
    await expect(countExposure(url, { description: "", query: "select 'a'::text, '{}'::text[] from pg_sleep(2)" }, move, { timeoutMs: 100 })).rejects.toThrow(/^the population query failed: 57014 /);
  });

  it("an unreachable database says so without the URL", async () => {
    const bad = "postgresql://postgres:s3cret-pw@127.0.0.1:1/x";
    const e = await countExposure(bad, { description: "", query: "select 'a', '{}'::text[]" }, move).catch((x: Error) => x);
    expect((e as Error).message).toMatch(/^cannot connect to the database/);
    expect((e as Error).message).not.toContain("s3cret-pw");
  });
});

describe("rollout advance and status print who a move reaches", () => {
  it("with a database URL: the counts; without: the offline form; a kill never counts", async () => {
    const { url, admin } = await appDatabase("metadata-context");
    await seedActiveUsers(admin, 500);
    const repo = gitFixture();
    try {
      repo.commit("main", 24 * 30);
      const env = { ROLLOUT_GATES_DATABASE_URL_METADATA_CONTEXT: url };
      const status = await runCli("infra/cli/rollout.ts", ["status", "metadata-context/enhanced-context", "--stack", "prod", "--cwd", repo.dir], env);
      const move = { feature: "metadata-context/enhanced-context", from: "10", to: "50" };
      const expected = describeCounts({ kind: "counts", counts: await countExposure(url, app("metadata-context").population!, move), population: "users with a conversation in the last 7 days" });
      expect(status.output).toContain(`reach of metadata-context/enhanced-context → 50: ${expected}`);
      expect(expected).toMatch(/^\+\d{2,3} gain it, fewer than 10 lose it; \d{3} of 500 users with a conversation in the last 7 days have it after the move$/);

      const offline = await runCli("infra/cli/rollout.ts", ["status", "metadata-context/enhanced-context", "--stack", "prod", "--cwd", repo.dir]);
      expect(offline.output).toContain("reach of metadata-context/enhanced-context → 50: +40 points of users; run with --database-url or ROLLOUT_GATES_DATABASE_URL_METADATA_CONTEXT for counts");

      const kill = await runCli("infra/cli/rollout.ts", ["kill", "metadata-context/enhanced-context", "--stack", "prod", "--cwd", repo.dir], env);
      expect(kill.code, kill.output).toBe(0);
      expect(kill.output).not.toContain("reach:");
    } finally {
      repo.remove();
    }
  });
});

describe("formatting", () => {
  it("counts under 10 are 'fewer than 10'; others are grouped", () => {
    expect([0, 9, 10, 4812, 12030].map(formatCount)).toEqual(["fewer than 10", "fewer than 10", "10", "4,812", "12,030"]);
  });

  it("the offline form says how far the share moves, and names cohorts", () => {
    expect(offlineExposure("10", "50", "x")).toBe("+40 points of users; x");
    expect(offlineExposure("50", "0", "x")).toBe("−50 points of users; x");
    expect(offlineExposure("0", "beta", "x")).toBe("+the beta cohort; x");
    expect(offlineExposure("beta", "beta+25", "x")).toBe("+25 points of users; x");
    expect(offlineExposure("beta+25", "100", "x")).toBe("+75 points of users; x");
    expect(offlineExposure("10", "10", "x")).toBe("no change in who has it; x");
  });
});
