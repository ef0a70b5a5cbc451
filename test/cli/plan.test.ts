/**
 * The `plan` CLI run as a user would: the real process, in a temporary git repository holding a copy of
 * the project. The base is a commit; the head is the working tree (a seed move, a code change, a new
 * stack file, a secret). Each run renders both trees under Pulumi mocks in child processes, through a
 * git worktree of the base that must be gone afterwards.
 */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CATALOG } from "../../infra/apps";
import { loadStackConfigFile } from "../../infra/config";
import { offlineExposure } from "../../infra/rollout/exposure";
import { shareOf } from "../../infra/rollout/live";
import { setPhase } from "../../infra/stack-file";
import { CLI, PROJECT, planRepo, REGISTER, type PlanRepo, type PlanRun } from "../plan/fixture";

const PROD = "stacks/Pulumi.prod.yaml";
const T = {
  env: "vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable",
  deployment: "vercel:index/deployment:Deployment",
};

let repo: PlanRepo;
let base: string;

beforeAll(() => {
  repo = planRepo();
  base = repo.commit("base: the project as checked in");
});
afterAll(() => repo?.cleanup());
afterEach(() => {
  repo.restore(base);
  // Every run removes its base worktree, whatever happened.
  expect(repo.worktrees()).toEqual([fs.realpathSync(repo.dir)]);
});

function move(key: string, rung: string): void {
  repo.write(PROD, setPhase(repo.read(PROD), key, rung, PROD));
}

function ok(run: PlanRun): PlanRun {
  expect(run.stderr, run.stderr).toBe("");
  expect(run.code).toBe(0);
  return run;
}

/** The seed moves (seed-steps.md): one line of the prod stack file each. */
const MOVES = [
  {
    name: "flag on: health-companion/multi-thread-chat off → on",
    key: "health-companion/multi-thread-chat",
    rung: "on",
    app: "health-companion",
    phase: "off → on (advance)",
    env: [["NEXT_PUBLIC_MULTI_THREAD_CHAT", "false", "true"]],
    reason: 'production env changed: NEXT_PUBLIC_MULTI_THREAD_CHAT "false" → "true"',
  },
  {
    name: "10 → 50: metadata-context/enhanced-context",
    key: "metadata-context/enhanced-context",
    rung: "50",
    app: "metadata-context",
    phase: "10% → 50% of production users (advance)",
    env: [["ENABLE_METADATA_ROLLOUT_PERCENTAGE", "10", "50"]],
    reason: 'production env changed: ENABLE_METADATA_ROLLOUT_PERCENTAGE "10" → "50"',
  },
  {
    name: "dry-run → live: chat-sessions/cleanup",
    key: "chat-sessions/cleanup",
    rung: "live",
    app: "chat-sessions",
    phase: "dry-run → live (advance)",
    env: [["SESSION_CLEANUP_DRY_RUN", "true", "false"]],
    reason: 'production env changed: SESSION_CLEANUP_DRY_RUN "true" → "false"',
  },
  {
    name: "kill: metadata-context/enhanced-context 10 → off",
    key: "metadata-context/enhanced-context",
    rung: "off",
    app: "metadata-context",
    phase: "10% → off (kill: back to the first rung)",
    env: [
      ["ENABLE_METADATA_ROLLOUT_PERCENTAGE", "10", "0"],
      ["USE_ENHANCED_METADATA_CONTEXT", "true", "false"],
    ],
    reason: 'production env changed: ENABLE_METADATA_ROLLOUT_PERCENTAGE "10" → "0"; USE_ENHANCED_METADATA_CONTEXT "true" → "false"',
  },
];

describe.each(MOVES)("seed move on prod: $name", (m) => {
  it("markdown and JSON name the phase, the env values per target, the redeploy of that app only", () => {
    move(m.key, m.rung);
    const run = ok(repo.plan(["--stack", "prod", "--base", base, "--format", "md"], { json: true }));
    const md = run.stdout;
    const lines = md.split("\n");
    // A one-line summary, then the stable marker.
    // A live feature's move also changes its share in the Edge Config item (one more resource updated).
    const live = m.app === "metadata-context";
    expect(lines[0]).toBe(
      `**Plan** · stack prod against ${base.slice(0, 12)}: 1 phase moved; ${m.env.length * 3} env values changed; 1 production redeploy (${m.app}); ` +
        (live ? "1 live share changed in Edge Config item rollout\\_prod; " : "") +
        `resources: 0 to add, ${m.env.length + (live ? 1 : 0)} to update, 1 to replace, 0 to remove`,
    );
    expect(lines[1]).toBe("<!-- rollout-stack:plan stack=prod -->");
    expect(md).toContain(`- \`${m.key}\`: ${m.phase}\n`);
    for (const [key, from, to] of m.env) {
      for (const target of ["production", "preview", "development"]) expect(md).toContain(`| ${target} | \`${key}\` | \`${from}\` | \`${to}\` |`);
    }
    expect(md).toContain(`**Production redeploy:** yes: \`${m.reason}\``);
    expect(md).toContain(`| replace | \`${T.deployment}\` | \`${m.app}-production\` | replaced: \`meta\` changed |`);
    expect(md).not.toContain("#### Databases");

    const j = run.json;
    expect(j.format).toBe("rollout-stack.plan/v1");
    expect(j.base).toEqual({ ref: base, commit: base, stackFile: true });
    // The JSON summary is the plain text the markdown line escapes.
    expect(j.summary).toBe(lines[0].replace("**Plan** · ", "").replace(/\\_/g, "_"));
    const from = m.key.endsWith("enhanced-context") ? "10" : m.key.endsWith("cleanup") ? "dry-run" : "off";
    // Every catalog app declares its population: without a database URL, the offline form.
    const db = `ROLLOUT_GATES_DATABASE_URL_${m.app.toUpperCase().replace(/-/g, "_")}`;
    const feature = CATALOG.find((a) => a.name === m.app)!.features.find((f) => `${m.app}/${f.name}` === m.key)!;
    const exposure = { kind: "offline", text: offlineExposure(shareOf(feature, from), shareOf(feature, m.rung), `run with --database-url or ${db} for counts`) };
    expect(j.phases).toEqual([{ key: m.key, target: "production", from, to: m.rung, kind: m.rung === "off" ? "kill" : "advance", text: m.phase, exposure }]);
    expect(md).toContain(`- \`${m.key}\` \`${from} → ${m.rung}\`: ${exposure.text.replace(/_/g, "\\_")}\n`);
    expect(j.vercel.map((v: any) => v.app)).toEqual([m.app]);
    const [app] = j.vercel;
    expect(app.env).toEqual(
      ["production", "preview", "development"].flatMap((target) => m.env.map(([key, before, after]) => ({ channel: "env", target, key, change: "changed", secret: false, before, after }))),
    );
    expect(app.redeploy).toEqual({ redeploy: true, reason: m.reason, keys: m.env.map(([k]) => k) });
    expect(j.resources.replaced.map((r: any) => [r.type, r.name, r.replaceBecause])).toEqual([[T.deployment, `${m.app}-production`, ["meta"]]]);
    const byName = (a: any[], b: any[]) => String(a[1]).localeCompare(String(b[1]));
    expect(j.resources.updated.map((r: any) => [r.type, r.name, r.inputs]).sort(byName)).toEqual(
      [...m.env.map(([k]) => [T.env, `${m.app}-env-${k}`, ["comment", "value"]]), ...(live ? [["pulumi-nodejs:dynamic/vercel:LiveItem", "live-item", ["shares"]]] : [])].sort(byName),
    );
    expect(j.resources.added).toEqual([]);
    expect(j.resources.removed).toEqual([]);
    expect(j.databases).toEqual([]);
    expect(j.warnings).toEqual([]);
    const [, before, after] = m.env.find(([k]) => k === "ENABLE_METADATA_ROLLOUT_PERCENTAGE") ?? [];
    expect(j.live).toEqual(live ? { item: "rollout_prod", store: "created by this stack", change: "changed", shares: [{ feature: m.key, change: "changed", before, after }], settings: [] } : null);
    if (live) expect(md).toContain(`| \`${m.key}\` | \`${before}\` | \`${after}\` |`);
  });
});

describe("output", () => {
  it("is the same for the same change: --format json on stdout equals --json-file, markdown repeats byte for byte", () => {
    move("metadata-context/enhanced-context", "50");
    const first = ok(repo.plan(["--stack", "prod", "--base", base], { json: true }));
    const json = ok(repo.plan(["--stack", "prod", "--base", base, "--format", "json"]));
    expect(JSON.parse(json.stdout)).toEqual(first.json);
    const again = ok(repo.plan(["--stack", "prod", "--base", base]));
    expect(again.stdout).toBe(first.stdout);
    // Three plans of two renders each.
  }, 180_000);

  it("through npm, as the pull-request workflow runs it: `npm run --silent plan -- ... --format json`", () => {
    move("chat-sessions/cleanup", "live");
    const r = spawnSync("npm", ["run", "--silent", "plan", "--", "--cwd", repo.dir, "--stack", "prod", "--base", base, "--format", "json"], {
      cwd: PROJECT,
      encoding: "utf8",
      timeout: 240_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.summary).toMatch(/^stack prod against [0-9a-f]{12}: 1 phase moved; 3 env values changed; 1 production redeploy \(chat-sessions\);/);
    expect(j.phases.map((p: any) => p.text)).toEqual(["dry-run → live (advance)"]);
  });

  it("on SIGINT, stops the renders and removes the base worktree and every scratch directory", async () => {
    // Its own temporary directory, to see everything the run creates there.
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "plan-sigint-"));
    try {
      const child = spawn(process.execPath, ["-r", REGISTER, CLI, "--stack", "prod", "--base", base], {
        cwd: repo.dir,
        env: { ...process.env, TMPDIR: tmp, TS_NODE_PROJECT: path.join(PROJECT, "tsconfig.json") },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stderr = "";
      child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
      const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
      const deadline = Date.now() + 30_000;
      const rendering = () => fs.readdirSync(tmp).filter((d) => d.startsWith("rollout-plan-render-")).length === 2 && repo.worktrees().length === 2;
      while (!rendering() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(rendering()).toBe(true);
      child.kill("SIGINT");
      expect(await exited).toBe(130);
      expect(stderr).toContain("plan: interrupted (SIGINT)");
      // (TypeScript's own v8-compile-cache may stay: it is not ours.)
      expect(fs.readdirSync(tmp).filter((d) => d.startsWith("rollout-plan-"))).toEqual([]);
      // afterEach checks that only the main worktree is left.
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it("without --base lists what the stack declares, everything new", () => {
    const run = ok(repo.plan(["--stack", "dev"], { json: true }));
    const j = run.json;
    expect(j.base).toBeNull();
    expect(run.stdout.split("\n")[0]).toMatch(/^\*\*Plan\*\* · stack dev as declared \(no base\): 10 phases; \d+ env values; 5 production redeploys \(analy-ticket, chat-sessions, conversation-raw-storage, health-companion, metadata-context\); \d+ migrations to run;/);
    expect(j.phases.find((p: any) => p.key === "analy-ticket/advanced")).toMatchObject({ from: null, to: "beta", kind: "new", text: "new, at the beta cohort of production users" });
    expect(j.vercel.map((v: any) => v.app)).toEqual(["analy-ticket", "chat-sessions", "conversation-raw-storage", "health-companion", "metadata-context"]);
    expect(j.vercel.every((v: any) => v.change === "added" && v.redeploy.redeploy === true && /^first production deployment/.test(v.redeploy.reason))).toBe(true);
    const chat = j.vercel.find((v: any) => v.app === "chat-sessions");
    expect(chat.crons).toMatchObject({ enabledBefore: null, enabledAfter: true, added: [{ path: "/api/admin/cleanup-sessions", schedule: "0 2 * * *" }] });
    // The CRON_SECRET is sensitive: listed, never shown.
    expect(chat.env.find((e: any) => e.key === "CRON_SECRET" && e.target === "production")).toEqual({ channel: "env", target: "production", key: "CRON_SECRET", change: "added", secret: true });
    expect(j.databases.map((d: any) => d.database)).toEqual(["analy-ticket", "chat-sessions", "conversation-raw-storage", "health-companion", "metadata-context"]);
    expect(j.resources.removed).toEqual([]);
    expect(j.resources.added.length).toBeGreaterThan(90);
    // Whole declarations are folded in the comment.
    expect(run.stdout).toContain("<details><summary>");
  });
});

describe("a base whose code differs", () => {
  it("shows the new migration file, the new policy (with its statement) and the new bucket of the head", () => {
    repo.write("migrations/health-companion/20251201000000_thread_titles.sql", "alter table health_companion.threads add column title text;\n");
    const app = "infra/apps/health-companion.ts";
    const text = repo.read(app);
    const extraPolicy = `.concat([{ name: "threads_service_read", on: "health_companion.threads", command: "select" as const, roles: ["service_role"], using: "true", withCheck: undefined }]),\n    checks:`;
    expect(text).toContain("})),\n    checks:");
    repo.write(
      app,
      text.replace("})),\n    checks:", `}))${extraPolicy}`).replace("buckets: [],", 'buckets: [{ id: "thread-attachments", public: false }],'),
    );
    const run = ok(repo.plan(["--stack", "prod", "--base", base, "--format", "md"], { json: true }));
    const j = run.json;
    expect(j.phases).toEqual([]);
    expect(j.vercel).toEqual([]);
    expect(j.databases.map((d: any) => d.database)).toEqual(["health-companion"]);
    const [db] = j.databases;
    expect(db.change).toBe("changed");
    expect(db.migrations).toEqual({
      run: [{ version: "20251201000000", name: "thread_titles", file: "migrations/health-companion/20251201000000_thread_titles.sql" }],
      edited: [],
      removed: [],
    });
    expect(db.policies).toEqual([
      {
        kind: "RlsPolicy",
        name: "threads_service_read on health_companion.threads (select)",
        change: "added",
        details: [],
        statement: expect.stringMatching(/^create policy "threads_service_read" on "health_companion"\."threads" .*for select to "service_role" using \(true\)/),
      },
    ]);
    expect(db.buckets).toEqual([{ kind: "Bucket", name: "thread-attachments", change: "added", details: [] }]);
    expect(j.counts).toMatchObject({ migrations: 1, policies: 1, buckets: 1, redeploys: 0 });
    expect(j.resources.added.map((r: any) => r.name).sort()).toEqual([
      "health-companion-bucket-thread-attachments",
      "health-companion-policy-health_companion.threads.threads_service_read",
    ]);
    // The migrations resource gets the new file; the checks run again after it. Nothing on Vercel.
    expect(j.resources.updated.map((r: any) => [r.name, r.inputs])).toEqual([
      ["health-companion-checks", ["declaration"]],
      ["health-companion-migrations", ["files"]],
    ]);
    expect(db.other).toEqual([{ kind: "Checks", name: "checks", change: "changed", details: [], note: "run again after the changes above" }]);

    const md = run.stdout;
    expect(md.split("\n")[0]).toBe(
      `**Plan** · stack prod against ${base.slice(0, 12)}: 1 migration to run; 1 bucket added; 1 policy added; resources: 2 to add, 2 to update, 0 to replace, 0 to remove`,
    );
    expect(md).toContain("##### Database `health-companion`");
    expect(md).toContain("- **Migrations to run** (1):\n  - `migrations/health-companion/20251201000000_thread_titles.sql`");
    expect(md).toContain("  - added `threads_service_read on health_companion.threads (select)`\n    ```sql\n    create policy \"threads_service_read\"");
    expect(md).toContain("- **Buckets:**\n  - added `thread-attachments`");
  });

  it("a base without the stack file: everything the head declares is added", () => {
    repo.write("stacks/Pulumi.qa.yaml", repo.read("stacks/Pulumi.dev.yaml").replace(/^config:/m, "# QA: a new stack.\nconfig:"));
    const run = ok(repo.plan(["--stack", "qa", "--base", base], { json: true }));
    const j = run.json;
    expect(j.base).toEqual({ ref: base, commit: base, stackFile: false });
    expect(j.notes).toContain(`the base ${base} has no stack file for qa: everything is new`);
    expect(j.resources.removed).toEqual([]);
    expect(j.resources.updated).toEqual([]);
    expect(j.vercel.map((v: any) => [v.app, v.project, v.change])).toEqual([
      ["analy-ticket", "analy-ticket-qa", "added"],
      ["chat-sessions", "chat-sessions-qa", "added"],
      ["conversation-raw-storage", "conversation-raw-storage-qa", "added"],
      ["health-companion", "health-companion-qa", "added"],
      ["metadata-context", "metadata-context-qa", "added"],
    ]);
    // Every phase of the stack file (qa is a copy of dev), each one new.
    expect(j.phases.map((p: any) => `${p.target} ${p.key}`).sort()).toEqual(Object.keys(loadStackConfigFile("dev").phases).map((k) => `production ${k}`).sort());
    expect(j.phases.every((p: any) => p.from === null && p.kind === "new")).toBe(true);
  });

  it("a base that does not render is reported, and the head is shown against nothing", () => {
    repo.write(PROD, repo.read(PROD).replace('metadata-context/enhanced-context: "10"', 'metadata-context/enhanced-context: "5O"'));
    const broken = repo.commit("a broken main");
    repo.restore(base);
    try {
      const run = ok(repo.plan(["--stack", "prod", "--base", broken], { json: true }));
      expect(run.json.base).toMatchObject({ commit: broken, stackFile: true });
      expect(run.json.base.error).toContain('rollout-stack:phases.metadata-context/enhanced-context: "5O" is not a phase of this ladder (off, 10, 50, 100)');
      expect(run.stdout).toContain(`> **Warning:** the base ${broken} could not be rendered, so everything is shown as added:`);
      expect(run.json.resources.removed).toEqual([]);
    } finally {
      repo.git(["reset", "-q", "--hard", base]);
    }
  });
});

describe("a base whose code predates the stack model", () => {
  /** The program as it was before `planStack`: components built from the config directly. */
  const PROGRAM_BEFORE_MODEL = `import { loadPulumiStackConfig } from "./config";
import { SupabaseDatabase } from "./supabase/database";
import { databasesOf } from "./supabase/declaration";
import { VercelApp } from "./vercel";

const config = loadPulumiStackConfig();
const databases = databasesOf(config.apps).map((decl) => new SupabaseDatabase(decl.name, { database: decl, config }));
const vercelApps = config.mode === "cloud" ? config.apps.map((app) => new VercelApp(app.name, { app, config, deployAfter: databases.filter((d) => d.plan.name === app.database?.name) })) : [];
export const stack = config.stack;
export const apps = vercelApps.map((a) => a.plan.app);
`;

  // That program knew no live values either: the stack files of its time had no Edge Config store.
  const withoutEdgeConfig = () => repo.write(PROD, repo.read(PROD).replace("  rollout-stack:edgeConfig:\n    store: create\n", ""));

  it("falls back to the render diff, says so, and still shows the phase move and the resources it touches", () => {
    repo.write("infra/index.ts", PROGRAM_BEFORE_MODEL);
    fs.rmSync(path.join(repo.dir, "infra/model"), { recursive: true });
    withoutEdgeConfig();
    const old = repo.commit("the program before the stack model");
    repo.restore(base);
    try {
      withoutEdgeConfig();
      move("metadata-context/enhanced-context", "50");
      const run = ok(repo.plan(["--stack", "prod", "--base", old], { json: true }));
      const j = run.json;
      expect(j.diff).toBe("render");
      expect(j.notes).toContain(`the base ${old} predates the stack model: env values, redeploys and database items are not itemised; see the resource changes`);
      expect(j.vercel).toEqual([]);
      expect(j.databases).toEqual([]);
      expect(j.phases.map((p: any) => [p.key, p.from, p.to])).toEqual([["metadata-context/enhanced-context", "10", "50"]]);
      // The moved vars change in place (value, comment) and the production deployment is replaced (meta).
      expect(j.resources.replaced.map((r: any) => [r.name, r.replaceBecause])).toEqual([["metadata-context-production", ["meta"]]]);
      expect(j.resources.updated.map((r: any) => [r.name, r.inputs])).toEqual([["metadata-context-env-ENABLE_METADATA_ROLLOUT_PERCENTAGE", ["comment", "value"]]]);
      expect(j.resources.added).toEqual([]);
      expect(j.resources.removed).toEqual([]);
    } finally {
      repo.git(["reset", "-q", "--hard", base]);
    }
  });
});

describe("secrets", () => {
  const HEAD_SECRET = "sk-live-HEAD-known-secret-value-0123456789";
  const BASE_SECRET = "sk-live-BASE-known-secret-value-9876543210";
  const ENV_SECRETS = { VERCEL_API_TOKEN: "vercel-token-known-ABCDEFGH", PULUMI_CONFIG_PASSPHRASE: "known-passphrase-XYZ-123", PULUMI_ACCESS_TOKEN: "pul-known-access-token-42" };
  const secretLine = (value: string) => `  rollout-stack:metadata-context.OPENAI_API_KEY:\n    secure: ${value}\n`;
  const addSecret = (value: string) => repo.write(PROD, repo.read(PROD).replace("  rollout-stack:phases:\n", `${secretLine(value)}  rollout-stack:phases:\n`));

  it("known values in the base and head stack files and in the environment appear in no output or error; the change shows as changed", () => {
    addSecret(BASE_SECRET);
    const withSecret = repo.commit("base with a secret");
    repo.write(PROD, repo.read(PROD).replace(BASE_SECRET, HEAD_SECRET));
    try {
      const md = repo.plan(["--stack", "prod", "--base", withSecret], { json: true, env: ENV_SECRETS });
      const json = repo.plan(["--stack", "prod", "--base", withSecret, "--format", "json"], { env: ENV_SECRETS });
      for (const run of [md, json]) ok(run);
      const everything = [md.stdout, md.stderr, JSON.stringify(md.json), json.stdout, json.stderr].join("\n");
      for (const secret of [HEAD_SECRET, BASE_SECRET, ...Object.values(ENV_SECRETS)]) expect(everything).not.toContain(secret);
      const j = md.json;
      expect(j.secrets).toEqual([{ key: "rollout-stack:metadata-context.OPENAI_API_KEY", change: "changed" }]);
      const [app] = j.vercel;
      expect(app.app).toBe("metadata-context");
      expect(app.env).toEqual([
        { channel: "env", target: "production", key: "OPENAI_API_KEY", change: "changed", secret: true },
        { channel: "env", target: "preview", key: "OPENAI_API_KEY", change: "changed", secret: true },
      ]);
      expect(app.redeploy).toEqual({ redeploy: true, reason: "production env changed: OPENAI_API_KEY (secret) changed", keys: ["OPENAI_API_KEY"] });
      expect(md.stdout).toContain("| production | `OPENAI_API_KEY` | (secret) | (secret) changed |");
      expect(md.stdout).toContain("`rollout-stack:metadata-context.OPENAI_API_KEY` changed (value not shown");
    } finally {
      repo.git(["reset", "-q", "--hard", base]);
    }
  });

  it("a secret written in plain text fails with the ConfigError, without the value", () => {
    repo.write(PROD, repo.read(PROD).replace("  rollout-stack:phases:\n", `  rollout-stack:metadata-context.OPENAI_API_KEY: ${HEAD_SECRET}\n  rollout-stack:phases:\n`));
    const run = repo.plan(["--stack", "prod", "--base", base]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain("rollout-stack:metadata-context.OPENAI_API_KEY: is a secret but is stored in plain text");
    expect(run.stderr).not.toContain(HEAD_SECRET);
  });
});

describe("ESC environments", () => {
  const withEsc = (text: string) => `environment:\n  - acme/prod-secrets\n${text}`;

  it("secrets an ESC environment provides render as placeholders, and the report says so", () => {
    repo.write("stacks/Pulumi.esc.yaml", withEsc(repo.read(PROD)));
    const run = ok(repo.plan(["--stack", "esc"], { json: true }));
    expect(run.json.notes).toContain("the stack imports ESC environment(s) acme/prod-secrets: their values are not read offline (secrets are placeholders)");
    expect(run.json.notes).toContainEqual(expect.stringContaining("rendered as placeholders: rollout-stack:analy-ticket.SUPABASE_SERVICE_ROLE_KEY,"));
    expect(run.stdout).toContain("acme/prod-secrets");
  });

  it("a non-secret key left to ESC fails with the ConfigError and a hint", () => {
    repo.write("stacks/Pulumi.esc.yaml", withEsc(repo.read(PROD)).replace(/^ {4}chat-sessions\/SESSION_CLEANUP_THRESHOLD_HOURS: .*\n/m, "").replace(/^ {4}chat-sessions\/NEXT_PUBLIC_SUPABASE_URL: .*\n/m, ""));
    const run = repo.plan(["--stack", "esc"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('plan: stack "esc" has 1 config problem:\n  rollout-stack:settings.chat-sessions/NEXT_PUBLIC_SUPABASE_URL: missing;');
    expect(run.stderr).toContain("(the stack imports ESC environment(s) acme/prod-secrets, which the offline plan cannot read");
  });
});

describe("failures and usage", () => {
  it("an invalid stack file: exit 1 with the ConfigError text, nothing on stdout", () => {
    move("chat-sessions/early-session-creation", "5O");
    const run = repo.plan(["--stack", "prod", "--base", base]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(
      'plan: stack "prod" has 1 config problem:\n  rollout-stack:phases.chat-sessions/early-session-creation: "5O" is not a phase of this ladder (off, 10, 50, 100)\n',
    );
  });

  it("an unknown stack: exit 1 naming the stacks there are", () => {
    const run = repo.plan(["--stack", "nope"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('plan: stack "nope" has 1 config problem:\n  stacks/Pulumi.nope.yaml: no stack file; check --stack (stacks: dev, local, prod, staging)\n');
  });

  it.each([
    [[], "--stack is required"],
    [["--stack", "prod", "--format", "xml"], "--format xml: use md or json"],
    [["--stack", "prod", "--bogus"], 'unknown option "--bogus"'],
    [["--stack"], "--stack needs a value"],
    [["--stack", "prod", "extra"], 'unexpected argument "extra"'],
    [["--stack", "prod", "--base", "no-such-ref"], "--base no-such-ref does not name a commit here"],
    [["--stack", "prod", "--base", ""], "--base needs a git ref"],
  ])("usage %j: exit 2", (args, message) => {
    const run = repo.plan(args);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^plan: /);
    expect(run.stderr).toContain(message);
    expect(run.stderr).toMatch(/\nrun `npm run plan -- --help` for usage\n$/);
  });

  it.each([[["--help"]], [["--stack", "prod", "-h"]]])("%j: the usage on stdout, exit 0, nothing rendered", (args) => {
    const run = repo.plan(args);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("");
    expect(run.stdout).toMatch(/^usage: npm run plan -- --stack S \[--base GITREF\] \[--format md\|json\] \[--database-url URL\]\n/);
  });
});
