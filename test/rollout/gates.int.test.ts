/**
 * The catalog's sql gates against seeded data on a real Postgres: pass, fail and no data (hold), each
 * query read-only and time-limited; and the `rollout` CLI advancing on a real database, where an attest
 * gate without --ack is refused.
 */
import { spawnSync } from "child_process";
import * as path from "path";
import type { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CATALOG } from "../../infra/apps";
import type { GateDecl } from "../../infra/apps/types";
import { runSqlGates, type SqlGate } from "../../infra/rollout/gates";
import { startTestPostgres, type TestPostgres } from "../support/postgres";
import { gitFixture, PROJECT, type GitFixture } from "./git-fixture";

let pg: TestPostgres;
beforeAll(async () => {
  pg = await startTestPostgres();
});
afterAll(async () => {
  await pg?.stop();
});

/** A catalog gate, by `<app>/<feature>`, rung and name. */
function gate(key: string, rung: string, name: string): SqlGate {
  const [app, feature] = key.split("/");
  const g = CATALOG.find((a) => a.name === app)
    ?.features.find((f) => f.name === feature)
    ?.rungs.find((r) => r.name === rung)
    ?.gates?.find((x: GateDecl) => x.name === name);
  if (!g || g.kind !== "sql") throw new Error(`no sql gate ${key} ${rung} ${name}`);
  return g;
}

const SCHEMA = `
  create table public.fe_chat_sessions (
    id bigserial primary key, created_at timestamptz not null, first_message_at timestamptz, status text not null);
  create table public.conversations (
    id bigserial primary key, created_at timestamptz not null default now(), metadata jsonb,
    raw_response_path text, parse_method_used text, requires_manual_review boolean not null default false);`;

/** A fresh database with the seed tables; returns its URL and a client. */
async function database(): Promise<{ url: string; db: Client }> {
  const { url } = await pg.createDatabase();
  const db = await pg.connect(url);
  await db.query(SCHEMA);
  return { url, db };
}

/** `n` sessions created `hoursAgo`, `withMessage` of them with a first message. */
async function sessions(db: Client, n: number, withMessage: number, hoursAgo: number, status = "active"): Promise<void> {
  await db.query(
    `insert into public.fe_chat_sessions (created_at, first_message_at, status)
     select now() - make_interval(hours => $1), case when i <= $3 then now() - make_interval(hours => $1) + interval '1 minute' end, $4
     from generate_series(1, $2) i`,
    [hoursAgo, n, withMessage, status],
  );
}

describe("seed 000 gates (chat-sessions)", () => {
  const conversion = gate("chat-sessions/early-session-creation", "10", "draft-conversion-7d");
  const abandoned = gate("chat-sessions/cleanup", "dry-run", "only-abandoned-drafts");

  it("draft → active conversion: no data holds, 80% passes, 70% fails", async () => {
    const { url, db } = await database();
    expect(await runSqlGates(url, [conversion])).toEqual([expect.objectContaining({ gate: "draft-conversion-7d", status: "hold", value: null })]);
    await sessions(db, 10, 8, 2);
    expect(await runSqlGates(url, [conversion])).toEqual([expect.objectContaining({ status: "pass", value: 80, detail: expect.stringContaining("80 >= 75 is true") })]);
    await sessions(db, 10, 6, 3);
    expect(await runSqlGates(url, [conversion])).toEqual([expect.objectContaining({ status: "fail", value: 70, detail: expect.stringContaining("70 >= 75 is false") })]);
  });

  it("cleanup dry-run: nothing to delete holds; only abandoned drafts passes; a draft with a message among the candidates fails", async () => {
    const { url, db } = await database();
    await sessions(db, 5, 5, 2); // recent, active: not candidates
    expect((await runSqlGates(url, [abandoned]))[0].status).toBe("hold");
    await sessions(db, 4, 0, 48, "draft");
    expect((await runSqlGates(url, [abandoned]))[0]).toMatchObject({ status: "pass", value: 100 });
    await sessions(db, 1, 1, 48, "draft");
    expect((await runSqlGates(url, [abandoned]))[0]).toMatchObject({ status: "fail", value: 80 });
  });
});

describe("seed 004 gates (conversation-raw-storage)", () => {
  const parse = gate("conversation-raw-storage/raw-storage", "10", "parse-success-1h");
  const queue = gate("conversation-raw-storage/raw-storage", "10", "manual-review-queue");
  const insert = (db: Client, n: number, method: string, review: boolean, raw = true) =>
    db.query(
      `insert into public.conversations (created_at, raw_response_path, parse_method_used, requires_manual_review)
       select now() - interval '10 minutes', case when $4 then 'raw/u/' || i end, $2, $3 from generate_series(1, $1) i`,
      [n, method, review, raw],
    );

  it("no raw responses stored: both gates hold (no data is not a pass)", async () => {
    const { url, db } = await database();
    await insert(db, 20, "direct", false, false);
    expect((await runSqlGates(url, [parse, queue])).map((r) => r.status)).toEqual(["hold", "hold"]);
  });

  it("parse success 96% and a queue of 4 pass; 90% and a queue of 11 fail", async () => {
    const { url, db } = await database();
    await insert(db, 92, "direct", false);
    await insert(db, 4, "jsonrepair", true);
    await insert(db, 4, "failed", false);
    expect(await runSqlGates(url, [parse, queue])).toEqual([
      expect.objectContaining({ gate: "parse-success-1h", status: "pass", value: 96 }),
      expect.objectContaining({ gate: "manual-review-queue", status: "pass", value: 4 }),
    ]);
    await insert(db, 7, "failed", true);
    expect(await runSqlGates(url, [parse, queue])).toEqual([
      expect.objectContaining({ status: "fail", value: 89.72 }),
      expect.objectContaining({ status: "fail", value: 11, detail: expect.stringContaining("11 <= 10 is false") }),
    ]);
  });
});

describe("gate queries run read-only, time-limited, and never leak the URL", () => {
  const custom = (name: string, query: string): SqlGate => ({ kind: "sql", name, query, op: ">=", threshold: 0, description: name });

  it("a gate that writes fails with read_only_sql_transaction and changes nothing", async () => {
    const { url, db } = await database();
    await sessions(db, 3, 3, 1);
    const [r] = await runSqlGates(url, [custom("sneaky", "with d as (delete from public.fe_chat_sessions returning 1) select count(*) from d")]);
    expect(r).toMatchObject({ status: "error", detail: expect.stringContaining("25006") });
    expect((await db.query("select count(*)::int as n from public.fe_chat_sessions")).rows[0].n).toBe(3);
  });

  it("a slow gate is cancelled by the statement timeout; the next gate still runs", async () => {
    const { url } = await database();
    const results = await runSqlGates(url, [custom("slow", "select pg_sleep(5)::text::int"), custom("fast", "select 1")], { timeoutMs: 200 });
    expect(results[0]).toMatchObject({ status: "error", detail: expect.stringContaining("57014") });
    expect(results[1]).toMatchObject({ status: "pass", value: 1 });
  });

  it("a connection failure is an error for every gate, without the password", async () => {
    const bad = `postgresql://postgres:sup3r-s3cret@127.0.0.1:${pg.port}/no_such_database`;
    const results = await runSqlGates(bad, [custom("a", "select 1"), custom("b", "select 1")]);
    expect(results.map((r) => r.status)).toEqual(["error", "error"]);
    expect(results[0].detail).toContain("cannot connect to the database");
    expect(JSON.stringify(results)).not.toContain("sup3r-s3cret");
  });
});

describe("rollout CLI with a real database", () => {
  let repo: GitFixture;
  let url: string;
  let db: Client;
  const run = (args: string[], env: Record<string, string> = {}) => {
    // Only the URLs a test passes: none inherited from the developer's shell.
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^ROLLOUT_(GATES_)?DATABASE_URL_/.test(k)));
    const r = spawnSync(process.execPath, ["-r", path.join(PROJECT, "node_modules/ts-node/register/transpile-only"), path.join(PROJECT, "infra/cli/rollout.ts"), ...args], {
      cwd: repo.dir,
      env: { ...inherited, TS_NODE_PROJECT: path.join(PROJECT, "tsconfig.json"), ...env },
      encoding: "utf8",
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  beforeAll(async () => {
    ({ url, db } = await database());
    repo = gitFixture();
    // early-session-creation reached 10 eight days ago: its 7 d soak is over.
    repo.handEdit("prod", "chat-sessions/early-session-creation", '"10"');
    repo.commit("rollout(prod): chat-sessions/early-session-creation off → 10", 8 * 24);
  });
  afterAll(() => repo?.remove());

  it("an sql gate passing on seeded data, but the attest gate without --ack: refused", async () => {
    await sessions(db, 20, 17, 5);
    const r = run(["advance", "chat-sessions/early-session-creation", "--stack", "prod", "--database-url", url]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("✓ gate draft-conversion-7d (sql, pass): 85 >= 75 is true");
    expect(r.stderr).toContain("✗ gate upload-success (attest, needs-ack)");
    expect(r.stderr).toContain("  - chat-sessions/early-session-creation: gate upload-success (attest) is not acknowledged");
    expect(r.stderr.match(/^ {2}- /gm)).toHaveLength(1);
    expect(r.stderr + r.stdout).not.toContain(url);
  });

  it("with --ack (URL from ROLLOUT_GATES_DATABASE_URL_CHAT_SESSIONS): allowed, committed; verify re-checks the gate on the database", async () => {
    const env = { ROLLOUT_GATES_DATABASE_URL_CHAT_SESSIONS: url };
    const r = run(["advance", "chat-sessions/early-session-creation", "--stack", "prod", "--ack", "upload-success=98.4% over 7 d (upload dashboard)", "--commit"], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("chat-sessions/early-session-creation: 10 → 50 (advance): wrote stacks/Pulumi.prod.yaml");
    const v = run(["verify", "--stack", "prod", "--base", "HEAD~1"], env);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stderr).toBe("");
    expect(v.stdout).toContain("✓ gate draft-conversion-7d (sql, pass): 85 >= 75 is true");
    expect(v.stdout).toContain("✓ gate upload-success (attest, acked): acknowledged: 98.4% over 7 d (upload dashboard)");
  });

  it("verify fails when the data no longer passes (conversion fell to 60%); the URL here comes from the deprecated name", async () => {
    await db.query("update public.fe_chat_sessions set first_message_at = null where id in (select id from public.fe_chat_sessions order by id limit 5)");
    const v = run(["verify", "--stack", "prod", "--base", "HEAD~1"], { ROLLOUT_DATABASE_URL_CHAT_SESSIONS: url });
    expect(v.code).toBe(1);
    expect(v.stderr).toContain("gate draft-conversion-7d (sql) failed: 60 >= 75 is false");
    // Read, with one notice naming both variables and never the value.
    const notices = v.stderr.split("\n").filter((l) => l.includes("deprecated"));
    expect(notices).toEqual([
      "rollout: notice: ROLLOUT_DATABASE_URL_CHAT_SESSIONS is deprecated; rename it to ROLLOUT_GATES_DATABASE_URL_CHAT_SESSIONS (the old name is read until the next release)",
    ]);
    expect(v.stderr + v.stdout).not.toContain(url);
  });

  it("status reads the gates on the database", async () => {
    const r = run(["status", "chat-sessions/cleanup", "--stack", "prod", "--json", "--database-url", url]);
    expect(r.code, r.stderr).toBe(0);
    const row = JSON.parse(r.stdout).rows[0];
    expect(row).toMatchObject({ key: "chat-sessions/cleanup", rung: "dry-run", next: "live" });
    expect(row.gates).toEqual([expect.objectContaining({ gate: "only-abandoned-drafts", status: "hold" })]);
  });
});
