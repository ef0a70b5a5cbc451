/**
 * Who a change's moves reach, end to end on a real Postgres: `npm run plan -- --stack prod --base main`
 * on a 10 → 50 move prints the exact gain, loss and total (equal to the brute-force count through the
 * TypeScript bucketing), counted with the base commit's population query, never the head's; without a
 * URL it says how to get counts; a failing population query leaves the plan rendered. `rollout exposure`
 * (the pull request's trusted job) counts the same moves from two commits' stack files read as data.
 */
import type { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CATALOG } from "../../infra/apps";
import { describeCounts } from "../../infra/rollout/exposure";
import { runCli } from "../support/cli";
import { appDatabase, bruteForce, populationRows, seedActiveUsers } from "../support/exposure";
import { startTestPostgres, type TestPostgres } from "../support/postgres";
import { planRepo, type PlanRepo } from "./fixture";

const KEY = "metadata-context/enhanced-context";
const ENV = "ROLLOUT_GATES_DATABASE_URL_METADATA_CONTEXT";
const PROD = "stacks/Pulumi.prod.yaml";
const APP_FILE = "infra/apps/metadata-context.ts";
const POPULATION = CATALOG.find((a) => a.name === "metadata-context")!.population!;

let pg: TestPostgres;
let repo: PlanRepo;
let url: string;
let admin: Client;
let main: string;
let expected: ReturnType<typeof bruteForce>;

beforeAll(async () => {
  pg = await startTestPostgres();
  ({ url, admin } = await appDatabase(pg, "metadata-context"));
  await seedActiveUsers(admin, 1500);
  // A third of them inactive for a month: outside the population, whatever their bucket.
  await admin.query(`update public.conversations set created_at = now() - interval '30 days' where user_id in (select id from auth.users order by id limit 500)`);
  expected = bruteForce(await populationRows(admin, POPULATION), KEY, "10", "50");
  expect(expected.population).toBe(1000);

  repo = planRepo();
  main = repo.commit("main");
  repo.git(["checkout", "-q", "-b", "move"]);
  repo.write(PROD, repo.read(PROD).replace(`${KEY}: "10"`, `${KEY}: "50"`));
  repo.commit("advance enhanced-context to 50");
}, 120_000);

afterAll(async () => {
  repo?.cleanup();
  await pg?.stop();
});

/** The move's line in the "who the moves reach" section (the phases section has a line for it too). */
const reachLine = (md: string) => md.slice(md.indexOf("<!-- rollout-stack:reach ")).split("\n").find((l) => l.startsWith(`- \`${KEY}\``));

describe("npm run plan -- --stack prod --base main", () => {
  it("with a database URL: the exact gain, loss and total, as the brute-force count has them", () => {
    const run = repo.plan(["--stack", "prod", "--base", "main"], { json: true, env: { [ENV]: url } });
    expect(run.code, run.stderr).toBe(0);
    const move = run.json.phases.find((p: { key: string }) => p.key === KEY);
    expect(move).toMatchObject({ from: "10", to: "50", kind: "advance" });
    expect(move.exposure).toEqual({ kind: "counts", counts: expected, population: POPULATION.description });
    expect(expected.gained).toBeGreaterThan(300);
    expect(expected.lost).toBe(0);
    // The markdown shows the same numbers, between the markers the trusted PR job replaces.
    const text = describeCounts(move.exposure).replace(/_/g, "\\_");
    expect(reachLine(run.stdout)).toBe(`- \`${KEY}\` \`10 → 50\`: ${text}`);
    expect(run.stdout).toMatch(/<!-- rollout-stack:reach stack=prod -->\n#### Who the moves reach\n\nCounted on the app's database with the population query of the base main \(/);
    expect(run.stdout).toContain("<!-- /rollout-stack:reach stack=prod -->");
  });

  it("without a URL: the move in points of users, and how to get counts", () => {
    const run = repo.plan(["--stack", "prod", "--base", "main"], { json: true, env: { [ENV]: "" } });
    expect(run.code, run.stderr).toBe(0);
    expect(run.json.phases[0].exposure).toEqual({ kind: "offline", text: `+40 points of users; run with --database-url or ${ENV} for counts` });
    expect(reachLine(run.stdout)).toBe(`- \`${KEY}\` \`10 → 50\`: +40 points of users; run with --database-url or ${ENV.replace(/_/g, "\\_")} for counts`);
  });

  it("--database-url counts too, and the URL (with its password) is printed nowhere", () => {
    const run = repo.plan(["--stack", "prod", "--base", "main", "--format", "json", "--database-url", url], { env: { [ENV]: "" } });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).phases[0].exposure.counts).toEqual(expected);
    const password = new URL(url).password;
    expect(password.length).toBeGreaterThan(5);
    expect(run.stdout + run.stderr).not.toContain(password);
  });

  it("counts with the base commit's population query, never the head's; without --base the tree's own, and a failing one leaves the plan rendered", () => {
    // The head rewrites the population query: were it run, the count would fail (no such table).
    const source = repo.read(APP_FILE);
    repo.write(APP_FILE, source.replace("select user_id from public.conversations where", "select user_id from public.head_only_table where"));
    expect(repo.read(APP_FILE)).toContain("head_only_table");
    repo.commit("a new population query");
    try {
      const run = repo.plan(["--stack", "prod", "--base", main], { json: true, env: { [ENV]: url } });
      expect(run.code, run.stderr).toBe(0);
      expect(run.json.phases[0].exposure).toMatchObject({ kind: "counts", counts: expected });

      // No base: the tree's own query is the only one there is; its failure is shown, not thrown.
      const alone = repo.plan(["--stack", "prod"], { json: true, env: { [ENV]: url } });
      expect(alone.code, alone.stderr).toBe(0);
      const own = alone.json.phases.find((p: { key: string }) => p.key === KEY);
      expect(own.exposure.kind).toBe("error");
      expect(own.exposure.text).toMatch(/^the population query failed: 42P01 .*head_only_table/);
      expect(reachLine(alone.stdout)).toMatch(/^- `metadata-context\/enhanced-context` `\(new\) → 50`: not counted: the population query failed: 42P01 /);
      expect(alone.stdout).toContain("#### Vercel");
    } finally {
      repo.git(["reset", "-q", "--hard", "HEAD~1"]);
    }
  });
});

describe("rollout exposure (the pull request's trusted count)", () => {
  const exposure = (args: string[], env: Record<string, string> = {}) =>
    runCli("infra/cli/rollout.ts", ["exposure", "--stack", "prod", "--cwd", repo.dir, ...args], { [ENV]: "", ...env });

  it("counts the moves between two commits' stack files, as the plan does", async () => {
    const json = await exposure(["--base", "main", "--head", "move", "--json"], { [ENV]: url });
    expect(json.code, json.output).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(report.base.commit).toBe(main);
    expect(report.moves).toEqual([{ key: KEY, target: "production", from: "10", to: "50", exposure: { kind: "counts", counts: expected, population: POPULATION.description } }]);

    const md = await exposure(["--base", "main", "--head", "move"], { [ENV]: url });
    expect(md.code, md.output).toBe(0);
    expect(md.stdout.startsWith("<!-- rollout-stack:reach stack=prod -->\n#### Who the moves reach\n")).toBe(true);
    expect(md.stdout.trimEnd().endsWith("<!-- /rollout-stack:reach stack=prod -->")).toBe(true);
    expect(reachLine(md.stdout)).toBe(`- \`${KEY}\` \`10 → 50\`: ${describeCounts(report.moves[0].exposure).replace(/_/g, "\\_")}`);

    const offline = await exposure(["--base", "main", "--head", "move"]);
    expect(reachLine(offline.stdout)).toContain("+40 points of users; run with --database-url or");
  });

  it("reads the head's stack file as data: a rung that is not on the ladder is reported, never run", async () => {
    repo.git(["checkout", "-q", "-b", "hostile", "move"]);
    try {
      repo.write(PROD, repo.read(PROD).replace(`${KEY}: "50"`, `${KEY}: "50'; drop table public.conversations; --"`));
      const sha = repo.commit("hostile rung");
      repo.git(["checkout", "-q", "move"]);
      const r = await exposure(["--base", "main", "--head", sha, "--json"], { [ENV]: url });
      expect(r.code, r.output).toBe(0);
      expect(JSON.parse(r.stdout).moves[0].exposure).toEqual({ kind: "error", text: `"50'; drop table public.conversations; --" is not a rung of ${KEY} in the code the population comes from` });
      expect((await admin.query("select count(*)::int as n from public.conversations")).rows[0].n).toBe(1500);
    } finally {
      repo.git(["checkout", "-q", "move"]);
    }
  });

  it("needs both commits, and says which one is missing", async () => {
    const r = await exposure(["--base", "main", "--head", "no-such-ref"]);
    expect(r.code).toBe(2);
    expect(r.output).toContain("--head no-such-ref does not name a commit (fetched?)");
    const r2 = await exposure(["--base", "main"]);
    expect(r2.code).toBe(2);
    expect(r2.output).toContain("exposure needs --base GITREF and --head GITREF");
  });
});
