/**
 * `rollout watch` on a real Postgres (the seed migrations applied, metrics seeded) and a temporary git
 * checkout of the stacks: the catalog's kill triggers trip exactly past their thresholds and hold on too
 * little data; a failing query is reported, never tripped; on a trip a live feature is killed through
 * the injected Edge Config write and every tripped feature gets its kill branch, without the working
 * tree, the index or HEAD moving; a second run changes nothing; a feature on its first rung is never
 * evaluated.
 */
import * as fs from "fs";
import * as path from "path";
import type { Client } from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { SESSION_KILL_TRIGGERS } from "../../infra/apps/analy-ticket";
import { RAW_STORAGE_KILL_TRIGGERS } from "../../infra/apps/conversation-raw-storage";
import { ENHANCED_CONTEXT_KILL_TRIGGERS } from "../../infra/apps/metadata-context";
import type { SqlCheckDecl } from "../../infra/apps/types";
import type { Workspace } from "../../infra/rollout/commands";
import { runSqlGates } from "../../infra/rollout/gates";
import { killItem, liveItemValue } from "../../infra/rollout/live";
import { evaluateTriggers, killBranchName, watchStack, type KillNow, type WatchReport } from "../../infra/rollout/watch";
import { readPhases, setPhase } from "../../infra/stack-file";
import { pushMigrations, readMigrationFiles } from "../../infra/supabase/migrations";
import { startTestPostgres, type TestPostgres } from "../support/postgres";
import { gitFixture, type GitFixture } from "./git-fixture";

const MIGRATIONS = path.resolve(__dirname, "../../migrations");
const PROD = "stacks/Pulumi.prod.yaml";
const ENHANCED = "metadata-context/enhanced-context";
const CORE = "analy-ticket/core";
const RAW = "conversation-raw-storage/raw-storage";
const NOW = new Date("2026-05-04T10:00:00Z");

let pg: TestPostgres;
beforeAll(async () => {
  pg = await startTestPostgres();
});
afterAll(async () => {
  await pg?.stop();
});

type Db = "metadata-context" | "analy-ticket" | "conversation-raw-storage";

/** A fresh database with `migrations/<db>/` applied as the deploy applies them (or none: the tables are missing). */
async function database(name: Db, migrate = true): Promise<{ url: string; db: Client }> {
  const { url } = await pg.createDatabase();
  const db = await pg.connect(url);
  if (migrate) await pushMigrations(db, readMigrationFiles(path.join(MIGRATIONS, name)));
  return { url, db };
}

/** `n` assistant requests, the first `failed` of them failed, each taking `durationMs`. */
async function requests(db: Client, n: number, failed: number, opts: { durationMs?: number; enhanced?: boolean; minutesAgo?: number } = {}): Promise<void> {
  await db.query(
    `insert into public.assistant_requests (created_at, enhanced_context, ok, duration_ms)
     select now() - make_interval(mins => $4), $3, i > $2, $5 from generate_series(1, $1) i`,
    [n, failed, opts.enhanced ?? true, opts.minutesAgo ?? 1, opts.durationMs ?? 200],
  );
}

/** `n` conversations stored raw in the last hour, parsed by `method`. */
async function conversations(db: Client, n: number, method: string): Promise<void> {
  await db.query(
    `insert into public.conversations (conversation_id, created_at, raw_response_path, parse_method_used)
     select gen_random_uuid()::text, now() - interval '5 minutes', 'raw/u/' || gen_random_uuid(), $2 from generate_series(1, $1) i`,
    [n, method],
  );
}

/** Session events: `event` for sessions `from`..`to`, `hoursAgo` back. */
async function sessionEvents(db: Client, event: string, from: number, to: number, hoursAgo = 0.1): Promise<void> {
  await db.query(
    `insert into public.session_analytics (session_id, event_type, timestamp)
     select 's' || i, $1, now() - make_interval(secs => $4::float8 * 3600) from generate_series($2::int, $3::int) i`,
    [event, from, to, hoursAgo],
  );
}

const statuses = (results: { status: string }[]) => results.map((r) => r.status);

describe("the catalog's kill triggers on seeded data", () => {
  it("metadata-context error share: under 20 requests is no data; exactly 5% does not trip `> 5`, 5.01% does", async () => {
    const { url, db } = await database("metadata-context");
    await requests(db, 19, 19); // all failing, but too few to judge
    expect(statuses(await evaluateTriggers(url, ENHANCED_CONTEXT_KILL_TRIGGERS))).toEqual(["no-data", "no-data"]);
    await db.query("delete from public.assistant_requests");
    await requests(db, 20, 1); // 1 of 20 = 5.00%
    // Rows the triggers must not count: not enhanced, or older than 15 minutes.
    await requests(db, 50, 50, { enhanced: false });
    await requests(db, 50, 50, { minutesAgo: 20 });
    const atThreshold = await evaluateTriggers(url, ENHANCED_CONTEXT_KILL_TRIGGERS);
    expect(atThreshold).toEqual([
      { trigger: "error-share-15m", status: "ok", value: 5, detail: expect.stringContaining("5 > 5 is false: no trip") },
      expect.objectContaining({ trigger: "p95-latency-15m", status: "ok", value: 200 }),
    ]);
    await requests(db, 9980, 500); // 501 of 10000 = 5.01% exactly
    expect(await evaluateTriggers(url, ENHANCED_CONTEXT_KILL_TRIGGERS)).toEqual([
      { trigger: "error-share-15m", status: "trip", value: 5.01, detail: expect.stringContaining("5.01 > 5: trips") },
      expect.objectContaining({ trigger: "p95-latency-15m", status: "ok", value: 200 }),
    ]);
  });

  it("metadata-context p95 latency: 5000 ms does not trip `> 5000`; 5000.5 ms does", async () => {
    const { url, db } = await database("metadata-context");
    await requests(db, 20, 0, { durationMs: 5000 });
    expect(await evaluateTriggers(url, ENHANCED_CONTEXT_KILL_TRIGGERS)).toEqual([
      expect.objectContaining({ trigger: "error-share-15m", status: "ok", value: 0 }),
      expect.objectContaining({ trigger: "p95-latency-15m", status: "ok", value: 5000 }),
    ]);
    // percentile_cont(0.95) of 20 rows: the 19th value + 0.05 × (20th − 19th) = 5000 + 0.05 × 10.
    await db.query("update public.assistant_requests set duration_ms = 5010 where id = (select max(id) from public.assistant_requests)");
    const [errors, latency] = await evaluateTriggers(url, ENHANCED_CONTEXT_KILL_TRIGGERS);
    expect(errors.status).toBe("ok");
    expect(latency.status).toBe("trip");
    expect(latency.value).toBeCloseTo(5000.5, 6);
  });

  it("raw storage parse success: under 20 conversations is no data; 95% does not trip `< 95`, 19 of 21 (90.48%) does", async () => {
    const { url, db } = await database("conversation-raw-storage");
    await conversations(db, 18, "direct");
    await conversations(db, 1, "failed");
    expect(await evaluateTriggers(url, RAW_STORAGE_KILL_TRIGGERS)).toEqual([expect.objectContaining({ status: "no-data", value: null })]);
    await conversations(db, 1, "jsonrepair"); // 19 of 20 parsed
    expect(await evaluateTriggers(url, RAW_STORAGE_KILL_TRIGGERS)).toEqual([expect.objectContaining({ status: "ok", value: 95 })]);
    await conversations(db, 1, "failed");
    expect(await evaluateTriggers(url, RAW_STORAGE_KILL_TRIGGERS)).toEqual([
      { trigger: "parse-success-1h", status: "trip", value: 90.48, detail: expect.stringContaining("90.48 < 95: trips") },
    ]);
  });

  it("analy-ticket sessions: under 50 sessions is no data; 1% of sessions with an error does not trip `> 1`, 2% does; one data_loss event trips", async () => {
    const { url, db } = await database("analy-ticket");
    await sessionEvents(db, "session_start", 1, 49);
    await sessionEvents(db, "data_loss", 1, 1, 25); // older than the 24 h window
    expect(await evaluateTriggers(url, SESSION_KILL_TRIGGERS)).toEqual([
      expect.objectContaining({ trigger: "session-error-rate", status: "no-data" }),
      expect.objectContaining({ trigger: "data-loss", status: "ok", value: 0 }),
    ]);
    await sessionEvents(db, "session_start", 50, 100);
    await sessionEvents(db, "session_error", 1, 1); // 1 of 100 sessions
    expect(statuses(await evaluateTriggers(url, SESSION_KILL_TRIGGERS))).toEqual(["ok", "ok"]);
    await sessionEvents(db, "session_error", 2, 2); // 2 of 100
    expect(await evaluateTriggers(url, SESSION_KILL_TRIGGERS)).toEqual([
      expect.objectContaining({ trigger: "session-error-rate", status: "trip", value: 2 }),
      expect.objectContaining({ trigger: "data-loss", status: "ok", value: 0 }),
    ]);
    await sessionEvents(db, "data_loss", 3, 3);
    expect((await evaluateTriggers(url, SESSION_KILL_TRIGGERS))[1]).toMatchObject({ trigger: "data-loss", status: "trip", value: 1 });
  });
});

describe("trigger queries: errors never trip; read-only, time-limited, one connection", () => {
  // Ops that would trip on any number, so only the error rule keeps them from tripping.
  const custom = (name: string, query: string): SqlCheckDecl => ({ kind: "sql", name, query, op: ">=", threshold: Number.MIN_SAFE_INTEGER, description: name });

  it("a query on a missing table is an error; the next trigger still runs on the same connection", async () => {
    const { url } = await database("analy-ticket", false);
    const results = await evaluateTriggers(url, [...SESSION_KILL_TRIGGERS, custom("fine", "select 1")]);
    expect(results.slice(0, 2)).toEqual([
      expect.objectContaining({ trigger: "session-error-rate", status: "error", value: null, detail: expect.stringContaining("42P01") }),
      expect.objectContaining({ trigger: "data-loss", status: "error", value: null, detail: expect.stringContaining("42P01") }),
    ]);
    expect(results[2]).toMatchObject({ trigger: "fine", status: "trip", value: 1 });
  });

  it("a trigger that writes fails read-only (25006) and changes nothing; a slow one is cancelled (57014)", async () => {
    const { url, db } = await database("metadata-context");
    await requests(db, 3, 0);
    const results = await evaluateTriggers(
      url,
      [custom("sneaky", "with d as (delete from public.assistant_requests returning 1) select count(*) from d"), custom("slow", "select pg_sleep(5)::text::int")],
      { timeoutMs: 200 },
    );
    expect(results).toEqual([
      expect.objectContaining({ status: "error", detail: expect.stringContaining("25006") }),
      expect.objectContaining({ status: "error", detail: expect.stringContaining("57014") }),
    ]);
    expect((await db.query("select count(*)::int as n from public.assistant_requests")).rows[0].n).toBe(3);
  });

  it("a connection failure is an error for every trigger, without the password", async () => {
    const bad = `postgresql://postgres:sup3r-s3cret@127.0.0.1:${pg.port}/no_such_database`;
    const results = await evaluateTriggers(bad, ENHANCED_CONTEXT_KILL_TRIGGERS);
    expect(statuses(results)).toEqual(["error", "error"]);
    expect(results[0].detail).toContain("cannot connect to the database");
    expect(JSON.stringify(results)).not.toContain("sup3r-s3cret");
  });
});

describe("watchStack on a checkout of prod", () => {
  let repo: GitFixture;
  afterEach(() => repo?.remove());

  /** The three databases of prod's watched (or watchable) features, migrated; their URLs in the environment. */
  async function setup(opts: { analyMigrated?: boolean } = {}) {
    repo = gitFixture();
    repo.commit("stacks", 48);
    const meta = await database("metadata-context");
    const analy = await database("analy-ticket", opts.analyMigrated ?? true);
    const raw = await database("conversation-raw-storage");
    const queried: { url: string; triggers: string[] }[] = [];
    const ws: Workspace = {
      root: repo.dir,
      now: NOW,
      env: {
        ROLLOUT_GATES_DATABASE_URL_METADATA_CONTEXT: meta.url,
        ROLLOUT_GATES_DATABASE_URL_ANALY_TICKET: analy.url,
        ROLLOUT_GATES_DATABASE_URL_CONVERSATION_RAW_STORAGE: raw.url,
      },
      // The real runner, recording what it is asked.
      runSql: (url, gates) => {
        queried.push({ url, triggers: gates.map((g) => g.name) });
        return runSqlGates(url, gates);
      },
    };
    return { ws, meta, analy, raw, queried };
  }

  /** An Edge Config item in memory, written with the real kill rule (`killItem`): a repeated kill is a no-op. */
  function fakeStore(fail?: string) {
    let item: unknown;
    const calls: Parameters<KillNow>[0][] = [];
    const kill: KillNow = async (req) => {
      calls.push(req);
      if (fail) throw new Error(fail);
      const write = killItem(item, req.feature, req.record);
      item = liveItemValue(write.item);
      return { noop: write.noop, share: req.record.share };
    };
    return { calls, kill, item: () => item };
  }

  const killBranches = () => repo.git(["for-each-ref", "--format=%(refname:short) %(objectname)", "refs/heads/rollout-kill/"]).trim();
  const rowOf = (report: WatchReport, key: string) => report.features.find((f) => f.key === key);
  /** Everything about the checkout a watch must not change. */
  const checkout = () => ({
    head: repo.git(["rev-parse", "HEAD"]).trim(),
    branch: repo.git(["symbolic-ref", "HEAD"]).trim(),
    status: repo.git(["status", "--porcelain=v1", "--untracked-files=all"]),
    unstaged: repo.git(["diff"]),
    staged: repo.git(["diff", "--cached"]),
    prod: repo.read(PROD),
  });

  it("a trip kills the live feature now and on a branch, the non-live one on a branch only; the checkout is untouched; a feature on its first rung is never evaluated", async () => {
    const { ws, meta, analy, raw, queried } = await setup();
    await requests(meta.db, 10_000, 501); // 5.01% failed
    await sessionEvents(analy.db, "session_start", 1, 100);
    await sessionEvents(analy.db, "data_loss", 7, 7);
    await conversations(raw.db, 30, "failed"); // would trip, but raw-storage is off in prod
    const main = repo.git(["rev-parse", "main"]).trim();
    const mainProd = repo.read(PROD);
    // Someone's work in progress in the same checkout: an unstaged edit and a staged new file.
    repo.write("stacks/Pulumi.dev.yaml", repo.read("stacks/Pulumi.dev.yaml") + "# work in progress\n");
    repo.write("notes.txt", "staged\n");
    repo.git(["add", "notes.txt"]);
    const before = checkout();
    const store = fakeStore();

    const report = await watchStack(ws, { stack: "prod", kill: store.kill });

    expect(report).toMatchObject({ stack: "prod", now: NOW.toISOString(), mainRef: "main", tripped: 2 });
    expect(report.features.map((f) => f.key)).toEqual([CORE, ENHANCED]);
    // Never evaluated: no row, and no query on its database.
    expect(rowOf(report, RAW)).toBeUndefined();
    expect(queried.map((q) => q.url)).not.toContain(raw.url);
    expect(queried.flatMap((q) => q.triggers)).not.toContain("parse-success-1h");

    // The live feature: killed now, with the record the store keeps.
    expect(store.calls).toEqual([
      {
        stack: "prod",
        feature: ENHANCED,
        live: true,
        record: {
          share: "0",
          from: "10",
          by: "rollout watch",
          at: NOW.toISOString(),
          reason: "rollout watch: error-share-15m 5.01 > 5",
          trigger: "error-share-15m: 5.01 > 5",
        },
      },
    ]);
    expect(store.item()).toMatchObject({ [ENHANCED]: "0", $kills: { [ENHANCED]: { share: "0", from: "10", trigger: "error-share-15m: 5.01 > 5" } } });
    const enhanced = rowOf(report, ENHANCED)!;
    expect(enhanced).toMatchObject({
      rung: "10",
      live: true,
      tripped: { trigger: "error-share-15m", value: 5.01, op: ">", threshold: 5 },
      kill: { delivery: "edge-config", result: { noop: false, share: "0" } },
      branch: { name: killBranchName("prod", ENHANCED), status: "created" },
    });
    expect(statuses(enhanced.triggers)).toEqual(["trip", "ok"]);

    // The non-live feature: no instant kill, only its branch (the first tripping trigger is data-loss).
    const core = rowOf(report, CORE)!;
    expect(core).toMatchObject({
      rung: "100",
      live: false,
      tripped: { trigger: "data-loss", value: 1, op: ">", threshold: 0 },
      kill: { delivery: "env" },
      branch: { name: killBranchName("prod", CORE), status: "created" },
    });
    expect(core.kill).not.toHaveProperty("result");
    expect(core.notes).toEqual([`${CORE} is not live: the kill takes effect when the kill branch is merged and deployed`]);
    expect(statuses(core.triggers)).toEqual(["ok", "trip"]);

    // Each branch: one commit on main, changing only that feature's line in the stack file.
    for (const [row, key, from] of [
      [enhanced, ENHANCED, "10"],
      [core, CORE, "100"],
    ] as const) {
      const name = row.branch!.name;
      expect(repo.git(["rev-parse", name]).trim()).toBe(row.branch!.commit);
      expect(repo.git(["rev-list", "--parents", "-n", "1", name]).trim()).toBe(`${row.branch!.commit} ${main}`);
      expect(repo.git(["diff", "--name-only", main, name]).trim()).toBe(PROD);
      const killed = repo.git(["show", `${name}:${PROD}`]);
      expect(killed).toBe(setPhase(mainProd, key, "off"));
      expect(readPhases(killed)).toEqual({ ...readPhases(mainProd), [key]: "off" });
      const trailer = key === ENHANCED ? "error-share-15m: 5.01 > 5" : "data-loss: 1 > 0";
      expect(repo.git(["log", "-1", "--format=%B", name]).trim()).toBe(
        [`rollout(prod): ${key} ${from} → off (kill)`, "", `rollout watch: ${trailer.replace(":", "")}`, "", `Rollout-Kill: ${key} ${trailer}`].join("\n"),
      );
      expect(repo.git(["log", "-1", "--format=%(trailers:key=Rollout-Kill,valueonly)", name]).trim()).toBe(`${key} ${trailer}`);
    }

    // The checkout: same HEAD, same branch, same index, same working tree; nothing of the kill in it.
    expect(checkout()).toEqual(before);
    expect(readPhases(repo.read(PROD))[ENHANCED]).toBe("10");
    expect(fs.existsSync(path.join(repo.dir, ".git", "index.lock"))).toBe(false);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it("a second run is idempotent: the store writes nothing, the branches stay, no new commit", async () => {
    const { ws, meta } = await setup();
    await requests(meta.db, 20, 2); // 10% failed
    const store = fakeStore();
    const first = await watchStack(ws, { stack: "prod", kill: store.kill });
    expect(rowOf(first, ENHANCED)?.branch?.status).toBe("created");
    const refs = killBranches();
    const commits = repo.git(["rev-list", "--all", "--count"]);
    const objects = repo.git(["count-objects", "-v"]);

    const second = await watchStack(ws, { stack: "prod", kill: store.kill });
    expect(rowOf(second, ENHANCED)).toMatchObject({
      tripped: { trigger: "error-share-15m", value: 10 },
      kill: { delivery: "edge-config", result: { noop: true } },
      branch: { status: "unchanged", commit: rowOf(first, ENHANCED)!.branch!.commit },
    });
    expect(store.calls).toHaveLength(2);
    expect(killBranches()).toBe(refs);
    expect(repo.git(["rev-list", "--all", "--count"])).toBe(commits);
    expect(repo.git(["count-objects", "-v"])).toBe(objects);
    // analy-ticket/core had no data (an empty table): no trip, no branch.
    expect(rowOf(second, CORE)).not.toHaveProperty("tripped");
    expect(rowOf(second, CORE)).not.toHaveProperty("branch");
    expect(statuses(rowOf(second, CORE)!.triggers)).toEqual(["no-data", "ok"]);
  });

  it("a stale kill branch is moved to the new kill: one without the kill, and one merged before the feature was re-enabled", async () => {
    const { ws, meta } = await setup();
    await requests(meta.db, 20, 5); // 25% failed
    const name = killBranchName("prod", ENHANCED);
    const main0 = repo.git(["rev-parse", "main"]).trim();

    // 1. A branch that does not hold the kill (left from something else): updated.
    repo.git(["branch", name, main0]);
    const one = await watchStack(ws, { stack: "prod", kill: fakeStore().kill });
    const updated = rowOf(one, ENHANCED)!.branch!;
    expect(updated).toMatchObject({ name, status: "updated" });
    expect(updated.commit).not.toBe(main0);
    expect(repo.git(["rev-parse", `${updated.commit}^`]).trim()).toBe(main0);

    // 2. That kill is merged, then the feature is re-enabled on main; it trips again.
    repo.git(["merge", "-q", "--no-ff", "-m", "Merge the kill", name], { hoursAgo: 24 });
    expect(readPhases(repo.read(PROD))[ENHANCED]).toBe("off");
    repo.handEdit("prod", ENHANCED, '"10"');
    const main2 = repo.commit("rollout(prod): metadata-context/enhanced-context off → 10", 1);
    const two = await watchStack(ws, { stack: "prod", kill: fakeStore().kill });
    const again = rowOf(two, ENHANCED)!.branch!;
    expect(again).toMatchObject({ name, status: "updated" });
    expect(repo.git(["rev-parse", `${again.commit}^`]).trim()).toBe(main2);
    expect(readPhases(repo.git(["show", `${name}:${PROD}`]))[ENHANCED]).toBe("off");
    // And now it holds this kill: unchanged.
    const three = await watchStack(ws, { stack: "prod", kill: fakeStore().kill });
    expect(rowOf(three, ENHANCED)!.branch).toEqual({ ...again, status: "unchanged" });
  });

  it("no trip: exactly at the threshold, too little data, a failing query; no kill, no branch", async () => {
    const { ws, meta } = await setup({ analyMigrated: false }); // analy-ticket's session_analytics is missing
    const store = fakeStore();
    await requests(meta.db, 19, 19);
    const thin = await watchStack(ws, { stack: "prod", kill: store.kill });
    expect(statuses(rowOf(thin, ENHANCED)!.triggers)).toEqual(["no-data", "no-data"]);
    await meta.db.query("delete from public.assistant_requests");
    await requests(meta.db, 20, 1); // exactly 5%
    const report = await watchStack(ws, { stack: "prod", kill: store.kill });
    expect(report.tripped).toBe(0);
    expect(rowOf(report, ENHANCED)).toEqual({
      key: ENHANCED,
      rung: "10",
      live: true,
      triggers: [
        expect.objectContaining({ trigger: "error-share-15m", status: "ok", value: 5 }),
        expect.objectContaining({ trigger: "p95-latency-15m", status: "ok", value: 200 }),
      ],
    });
    expect(rowOf(report, CORE)!.triggers).toEqual([
      expect.objectContaining({ status: "error", value: null, detail: expect.stringContaining("42P01") }),
      expect.objectContaining({ status: "error", value: null, detail: expect.stringContaining("42P01") }),
    ]);
    expect(rowOf(report, CORE)!.tripped).toBeUndefined();
    expect(store.calls).toEqual([]);
    expect(killBranches()).toBe("");
  });

  it("a failed instant kill is reported, and the kill branch is still written", async () => {
    const { ws, meta } = await setup();
    await requests(meta.db, 40, 3); // 7.5%
    const store = fakeStore("VERCEL_API_TOKEN is not set");
    const report = await watchStack(ws, { stack: "prod", kill: store.kill, by: "ci-watch" });
    expect(store.calls.map((c) => c.record.by)).toEqual(["ci-watch"]);
    const row = rowOf(report, ENHANCED)!;
    expect(row.kill).toEqual({ delivery: "edge-config", error: "VERCEL_API_TOKEN is not set" });
    expect(row.branch).toMatchObject({ status: "created" });
    expect(row.notes).toEqual([`the instant kill failed: ${ENHANCED} stays at 10 in production until the kill branch is merged and deployed`]);
    expect(readPhases(repo.git(["show", `${row.branch!.name}:${PROD}`]))[ENHANCED]).toBe("off");
  });

  it("raw storage at 10 (live) trips `< 95` on 19 of 21 parsed and is killed to its first rung's share", async () => {
    const { ws, raw } = await setup();
    repo.handEdit("prod", RAW, '"10"');
    repo.commit("rollout(prod): conversation-raw-storage/raw-storage off → 10", 2);
    await conversations(raw.db, 19, "direct");
    await conversations(raw.db, 2, "failed");
    const store = fakeStore();
    const report = await watchStack(ws, { stack: "prod", kill: store.kill });
    expect(report.tripped).toBe(1);
    expect(store.calls.map((c) => [c.feature, c.record.share, c.record.from, c.record.trigger])).toEqual([[RAW, "0", "10", "parse-success-1h: 90.48 < 95"]]);
    const row = rowOf(report, RAW)!;
    expect(row.branch).toMatchObject({ name: "rollout-kill/prod/conversation-raw-storage/raw-storage", status: "created" });
    expect(repo.git(["log", "-1", "--format=%s", row.branch!.name]).trim()).toBe(`rollout(prod): ${RAW} 10 → off (kill)`);
  });
});
