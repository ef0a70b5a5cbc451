/**
 * The `rollout` CLI run as a user would: the real process (`node -r ts-node/register`), in a temporary
 * git repository holding copies of `stacks/`, with time passing through GIT_COMMITTER_DATE.
 */
import { spawnSync } from "child_process";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gitFixture, PROJECT, type GitFixture } from "../rollout/git-fixture";

const CLI = path.join(PROJECT, "infra/cli/rollout.ts");
const REGISTER = path.join(PROJECT, "node_modules/ts-node/register/transpile-only");
const PROD = "stacks/Pulumi.prod.yaml";

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let repo: GitFixture;

function rollout(args: string[], extraEnv: Record<string, string> = {}): Run {
  const env: NodeJS.ProcessEnv = { ...process.env, TS_NODE_PROJECT: path.join(PROJECT, "tsconfig.json"), ...extraEnv };
  for (const k of Object.keys(env)) if (/^ROLLOUT_(GATES_)?DATABASE_URL_/.test(k) && !(k in extraEnv)) delete env[k];
  const r = spawnSync(process.execPath, ["-r", REGISTER, CLI, ...args], { cwd: repo.dir, env, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const sha = (ref = "HEAD") => repo.git(["rev-parse", ref]).trim();
const subject = (ref = "HEAD") => repo.git(["log", "-1", "--format=%s", ref]).trim();
/** The commit message as written (git log adds a newline after %B). */
const body = (ref = "HEAD") => repo.git(["log", "-1", "--format=%B", ref]).replace(/\n+$/, "\n");
const phaseLine = (key: string) => repo.read(PROD).split("\n").find((l) => l.startsWith(`    ${key}:`))?.trim();

/** Every line of the stack file except the phase lines, which moves may change. */
const nonPhaseLines = (text: string) => text.split("\n").filter((l) => !/^ {4}[a-z-]+\/[a-z0-9-]+: /.test(l));

describe("rollout CLI in a temporary git repository", () => {
  let original: string;
  const commits: Record<string, string> = {};

  beforeAll(() => {
    repo = gitFixture();
    original = repo.read(PROD);
    // Ten days ago: prod as checked in, with analy-ticket/connection already at 10.
    repo.handEdit("prod", "analy-ticket/connection", '"10"');
    commits.initial = repo.commit("prod: initial phases", 240);
    // An hour ago: metadata-context/enhanced-context reached 50 (its 48 h soak has barely begun).
    repo.handEdit("prod", "metadata-context/enhanced-context", '"50"');
    commits.at50 = repo.commit("rollout(prod): metadata-context/enhanced-context 10 → 50", 1);
  });
  afterAll(() => repo?.remove());

  it("status shows rung, since, soak left, next rung and gates", () => {
    const r = rollout(["status", "--stack", "prod", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { mainRef: string; rows: Record<string, unknown>[] };
    expect(report.mainRef).toBe("main");
    const row = (key: string) => report.rows.find((x) => x.key === key)!;
    expect(row("metadata-context/enhanced-context")).toMatchObject({ rung: "50", next: "100", soakHours: 48, ready: false });
    const enhanced = row("metadata-context/enhanced-context") as { since: string; soakLeftMs: number; gates: { gate: string; status: string }[] };
    expect(Math.round((Date.now() - Date.parse(enhanced.since)) / 3_600_000)).toBe(1);
    expect(Math.round(enhanced.soakLeftMs / 3_600_000)).toBe(47);
    expect(enhanced.gates.map((g) => `${g.gate}:${g.status}`)).toEqual(["error-rate:needs-ack", "response-time:needs-ack", "metadata-share-24h:unchecked"]);
    expect(row("analy-ticket/connection")).toMatchObject({ rung: "10", next: "50", soakLeftMs: 0 });
    expect(row("analy-ticket/core")).toMatchObject({ rung: "100", ready: false });
    expect(row("analy-ticket/core").next).toBeUndefined();

    const text = rollout(["status", "--stack", "prod"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^metadata-context\/enhanced-context +50 +\S+ \S+ +1 d 2[23] h of 2 d +100 +hold +error-rate:needs-ack response-time:needs-ack metadata-share-24h:unchecked$/m);
  });

  it("advance: off → 10, committed with --commit; the stack file keeps its comments", () => {
    const r = rollout(["advance", "chat-sessions/early-session-creation", "--stack", "prod", "--commit"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("chat-sessions/early-session-creation: off → 10 (advance): wrote stacks/Pulumi.prod.yaml");
    expect(r.stdout).toContain('  production  NEXT_PUBLIC_ENABLE_EARLY_SESSION_CREATION: "false" → "true"');
    expect(r.stdout).toContain('  production  NEXT_PUBLIC_EARLY_SESSION_CREATION_PERCENT: "0" → "10"');
    expect(r.stdout).toContain("redeploy: pulumi up replaces the production deployment of chat-sessions");
    expect(subject()).toBe("rollout(prod): chat-sessions/early-session-creation off → 10");
    expect(repo.git(["show", "--format=", "--numstat", "HEAD"]).trim()).toBe(`1\t1\t${PROD}`);
    expect(phaseLine("chat-sessions/early-session-creation")).toBe('chat-sessions/early-session-creation: "10"');
    expect(nonPhaseLines(repo.read(PROD))).toEqual(nonPhaseLines(original));
    expect(repo.read(PROD)).toContain("# One line per feature: moving a phase is a one-line change, reviewed on the pull request.");
    commits.esc10 = sha();
  });

  it("refuses a second advance before the 7 d soak, and writes nothing", () => {
    const before = repo.read(PROD);
    const r = rollout(["advance", "chat-sessions/early-session-creation", "--stack", "prod", "--ack", "upload-success=99.2% over 7 d"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("refused: chat-sessions/early-session-creation: 10 → 50 (advance)");
    expect(r.stderr).toMatch(/10 has soaked 0 min of its 7 d \(since [^)]+\); 7 d left, until /);
    expect(r.stderr).toContain("gate draft-conversion-7d (sql) was not checked: no database URL (pass --database-url or set ROLLOUT_GATES_DATABASE_URL_CHAT_SESSIONS)");
    expect(r.stderr).toContain('force it with a reason: --force --reason "<why>"');
    expect(repo.read(PROD)).toBe(before);
  });

  it("advance with attest gates: refused without --ack, allowed with it; the acks become trailers", () => {
    const without = rollout(["advance", "analy-ticket/connection", "--stack", "prod"]);
    expect(without.code).toBe(1);
    expect(without.stderr).toContain("analy-ticket/connection: gate error-rate (attest) is not acknowledged: needs a person's acknowledgement: session error rate < 1%");
    expect(without.stderr).toContain("gate recovery (attest) is not acknowledged");

    const r = rollout([
      "advance",
      "analy-ticket/connection",
      "--stack",
      "prod",
      "--ack",
      "error-rate=0.4% over 3 d, no alerts (Grafana session board)",
      "--ack",
      "recovery=97.1% reconnect success",
      "--reason",
      "phase 2 healthy at 10%",
      "--commit",
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("✓ soak of 10: 3 d required; on main since");
    expect(r.stdout).toContain("✓ gate error-rate (attest, acked): acknowledged: 0.4% over 3 d, no alerts (Grafana session board)");
    expect(body()).toBe(
      [
        "rollout(prod): analy-ticket/connection 10 → 50",
        "",
        "phase 2 healthy at 10%",
        "",
        "Rollout-Ack: analy-ticket/connection error-rate: 0.4% over 3 d, no alerts (Grafana session board)",
        "Rollout-Ack: analy-ticket/connection recovery: 97.1% reconnect success",
        "",
      ].join("\n"),
    );
    commits.conn50 = sha();
  });

  it("verify: a good diff passes, reading acks from the trailers", () => {
    const r = rollout(["verify", "--stack", "prod", "--base", commits.at50]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("  ok      chat-sessions/early-session-creation off → 10 (advance)");
    expect(r.stdout).toContain("  ok      analy-ticket/connection 10 → 50 (advance)");
    expect(r.stdout).toContain("✓ gate recovery (attest, acked): acknowledged: 97.1% reconnect success");
    expect(r.stdout).toContain("verify: OK (2 changes)");
  });

  it("kill from 50 at once (mid-soak), committed with the printed command", () => {
    const r = rollout(["kill", "metadata-context/enhanced-context", "--stack", "prod", "--reason", "error rate 6% after the move (seed 002: > 5% means kill)"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("metadata-context/enhanced-context: 50 → off (kill): wrote stacks/Pulumi.prod.yaml");
    expect(r.stdout).toContain('  production  USE_ENHANCED_METADATA_CONTEXT: "true" → "false"');
    expect(r.stdout).toContain('  production  ENABLE_METADATA_ROLLOUT_PERCENTAGE: "50" → "0"');
    expect(phaseLine("metadata-context/enhanced-context")).toBe('metadata-context/enhanced-context: "off"');
    const command = r.stdout.slice(r.stdout.indexOf("git commit -F - -- "), r.stdout.lastIndexOf("\nMSG") + 4);
    const c = spawnSync("bash", ["-c", command], {
      cwd: repo.dir,
      env: { ...process.env, GIT_AUTHOR_NAME: "a", GIT_AUTHOR_EMAIL: "a@b", GIT_COMMITTER_NAME: "a", GIT_COMMITTER_EMAIL: "a@b" },
      encoding: "utf8",
    });
    expect(c.status, c.stderr).toBe(0);
    expect(body()).toBe("rollout(prod): metadata-context/enhanced-context 50 → off (kill)\n\nerror rate 6% after the move (seed 002: > 5% means kill)\n");
    const v = rollout(["verify", "--stack", "prod", "--base", commits.conn50]);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout).toContain("  ok      metadata-context/enhanced-context 50 → off (kill)");
    commits.killed = sha();
  });

  it("rollback one rung at once; a second kill is a no-op", () => {
    const r = rollout(["rollback", "analy-ticket/connection", "--stack", "prod", "--commit"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("analy-ticket/connection: 50 → 10 (rollback): wrote stacks/Pulumi.prod.yaml");
    expect(subject()).toBe("rollout(prod): analy-ticket/connection 50 → 10 (rollback)");
    const again = rollout(["kill", "metadata-context/enhanced-context", "--stack", "prod"]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("metadata-context/enhanced-context is already at off; nothing to do");
    commits.rolledBack = sha();
  });

  it("verify catches a hand edit that skips a rung before its soak", () => {
    repo.handEdit("prod", "chat-sessions/early-session-creation", '"100"');
    repo.commit("bump early session creation");
    const r = rollout(["verify", "--stack", "prod", "--base", commits.rolledBack]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("  REFUSED chat-sessions/early-session-creation 10 → 100 (skip-forward)");
    expect(r.stderr).toContain("- chat-sessions/early-session-creation: 10 → 100 skips 50; advance one rung at a time (10 → 50)");
    expect(r.stderr).toMatch(/10 has soaked \d+ min of its 7 d/);
    expect(r.stderr).toContain("gate upload-success (attest) is not acknowledged");
    expect(r.stderr).toContain("verify: FAILED (1 rule break)");
    repo.git(["revert", "--no-edit", "HEAD"]);
  });

  it("verify catches a hand edit past an unchecked sql gate; --skip-sql-gates lets a PR check pass it", () => {
    repo.handEdit("prod", "chat-sessions/cleanup", "live");
    repo.commit("cleanup live");
    const strict = rollout(["verify", "--stack", "prod", "--base", "HEAD~1"]);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain("chat-sessions/cleanup: gate only-abandoned-drafts (sql) was not checked: no database URL");
    const pr = rollout(["verify", "--stack", "prod", "--base", "HEAD~1", "--skip-sql-gates"]);
    expect(pr.code, pr.stderr).toBe(0);
    expect(pr.stdout).toContain("– gate only-abandoned-drafts (sql, skipped): skipped (--skip-sql-gates): checked by the deploy-time verify");
    repo.git(["revert", "--no-edit", "HEAD"]);
  });

  it("a forced move is written with a Rollout-Force trailer, and verify accepts it as FORCED", () => {
    const noReason = rollout(["set", "chat-sessions/early-session-creation", "100", "--stack", "prod", "--force"]);
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toContain("--force needs --reason");
    const base = sha();
    const r = rollout(["set", "chat-sessions/early-session-creation", "100", "--stack", "prod", "--force", "--reason", "incident 42: the old path corrupts uploads", "--commit"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("FORCED: chat-sessions/early-session-creation: 10 → 100 (skip-forward), despite:");
    expect(body()).toContain("Rollout-Force: chat-sessions/early-session-creation 10 -> 100: incident 42: the old path corrupts uploads");
    const v = rollout(["verify", "--stack", "prod", "--base", base]);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout).toContain("  FORCED  chat-sessions/early-session-creation 10 → 100 (skip-forward): incident 42: the old path corrupts uploads");
  });

  it("uncommitted edits: verify refuses, --commit refuses, and an uncommitted rung has not started its soak", () => {
    repo.handEdit("prod", "analy-ticket/state", '"5"');
    const v = rollout(["verify", "--stack", "prod", "--base", "HEAD~1"]);
    expect(v.code).toBe(1);
    expect(v.stderr).toContain(`${PROD} has uncommitted changes: pulumi up would deploy what verify did not check`);
    const c = rollout(["kill", "analy-ticket/connection", "--stack", "prod", "--commit"]);
    expect(c.code).toBe(1);
    expect(c.stderr).toContain(`${PROD} has uncommitted changes; commit or discard them first`);
    const a = rollout(["advance", "analy-ticket/state", "--stack", "prod", "--ack", "error-rate=ok", "--ack", "data-loss=none"]);
    expect(a.code).toBe(1);
    expect(a.stderr).toContain("analy-ticket/state: 5 is not on the main branch yet (uncommitted or unmerged), so its 3 d soak has not started");
    repo.git(["checkout", "--", PROD]);
  });

  it("usage errors exit 2 with the reason", () => {
    const cases: [string[], string][] = [
      [["status"], "status needs --stack <name>"],
      [["frobnicate", "--stack", "prod"], 'unknown command "frobnicate"'],
      [["advance", "--stack", "prod"], "advance needs a FEATURE"],
      [["advance", "nope", "--stack", "prod"], '"nope" is not a feature of stack prod'],
      [["set", "chat-sessions/cleanup", "50", "--stack", "prod"], 'chat-sessions/cleanup: "50" is not a rung of its ladder (dry-run, live)'],
      [["advance", "analy-ticket/connection", "--stack", "prod", "--ack", "error-rate"], "--ack error-rate: write --ack <gate>=<what you checked>"],
      [["advance", "analy-ticket/connection", "--stack", "prod", "--ack", "typo=ok"], "--ack typo: not an attest gate of analy-ticket/connection at 10 (attest gates: error-rate, recovery)"],
      [["verify", "--stack", "prod"], "verify needs --base <gitref>"],
      [["verify", "--stack", "prod", "--base", "no-such-ref"], "--base no-such-ref does not name a commit"],
      [["status", "--stack", "prod", "--bogus"], 'unknown option "--bogus"'],
    ];
    for (const [args, message] of cases) {
      const r = rollout(args);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(/^rollout: /);
      expect(r.stderr).toContain(message);
      expect(r.stderr.endsWith("\nrun `npm run rollout -- --help` for usage\n"), r.stderr).toBe(true);
    }
    // Ten processes: close to the default minute when the machine is busy.
  }, 120_000);

  it("a missing value or command: exit 2, the problem and the pointer to --help, nothing else", () => {
    expect(rollout(["status", "--stack"])).toEqual({ code: 2, stdout: "", stderr: "rollout: --stack needs a value\nrun `npm run rollout -- --help` for usage\n" });
    expect(rollout([])).toEqual({ code: 2, stdout: "", stderr: "rollout: no command (status, advance, rollback, kill, set, watch, exposure, verify)\nrun `npm run rollout -- --help` for usage\n" });
  });

  it("--help prints the usage, naming the gates' URL variables, on stdout and exits 0", () => {
    for (const args of [["--help"], ["advance", "x", "-h"]]) {
      const r = rollout(args);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe("");
      expect(r.stdout).toMatch(/^usage: npm run rollout -- <command> \[options\]\n/);
      expect(r.stdout).toContain("ROLLOUT_GATES_DATABASE_URL_<DATABASE>");
      expect(r.stdout).toContain("ROLLOUT_DATABASE_URL_<DATABASE>\n                       its old name");
    }
  });

  it("operator mistakes exit 1 with the reason", () => {
    const r = rollout(["status", "--stack", "nope"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("stacks/Pulumi.nope.yaml: no stack file; check --stack (stacks: dev, local, prod, staging)");
    const last = rollout(["advance", "analy-ticket/core", "--stack", "prod"]);
    expect(last.code).toBe(1);
    expect(last.stderr).toContain("analy-ticket/core is already at its last rung (100); nothing to advance to");
  });
});
