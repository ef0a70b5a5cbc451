import { describe, expect, it } from "vitest";
import type { AppDecl } from "../../infra/apps/types";
import { catalogByName } from "../../infra/apps";
import { ConfigError, loadStackConfigFile, parseStackConfig, type RawEntry, type StackConfig } from "../../infra/config";
import {
  AppDeclarationError,
  deploymentMeta,
  envResourceName,
  MAX_COMMENT,
  mirrorValue,
  planAppEnv,
  planVercelApp,
  projectName,
  secretDigest,
  type EnvValue,
  ASSUMED_SECRET_BYTES,
  MAX_ENV_BYTES,
} from "../../infra/vercel/env-plan";

const catalog = catalogByName();
const app = (name: string) => catalog.get(name)!;
const plain = (value: unknown): RawEntry => ({ value, secret: false });

/** A one-app cloud stack for chat-sessions, with optional overrides of the raw entries. */
function chatConfig(extra: Record<string, RawEntry> = {}, stack = "test"): StackConfig {
  return parseStackConfig(stack, {
    "rollout-stack:vercelTeam": plain("acme"),
    "rollout-stack:apps": plain(["chat-sessions"]),
    "rollout-stack:phases": plain({ "chat-sessions/early-session-creation": "10", "chat-sessions/cleanup": "dry-run" }),
    "rollout-stack:settings": plain({
      "chat-sessions/NEXT_PUBLIC_SUPABASE_URL": "https://abc.supabase.co",
      "chat-sessions/NEXT_PUBLIC_SUPABASE_ANON_KEY": "anon",
    }),
    "rollout-stack:chat-sessions.SUPABASE_SERVICE_ROLE_KEY": { value: "service-role", secret: true },
    ...extra,
  });
}

const byName = (plan: ReturnType<typeof planAppEnv>) => Object.fromEntries(plan.env.map((v) => [envResourceName("x", v).slice(2), v]));

describe("planAppEnv: targets, values, sensitivity", () => {
  it("gives production the stack's rung, preview follows, development gets production's values", () => {
    const plan = byName(planAppEnv(app("chat-sessions"), chatConfig()));
    expect(plan["env-NEXT_PUBLIC_EARLY_SESSION_CREATION_PERCENT"]).toMatchObject({
      targets: ["production", "preview", "development"],
      sensitive: false,
      value: { kind: "plain", value: "10" },
      origin: { kind: "feature", feature: "chat-sessions/early-session-creation", rung: "10" },
    });
    expect(plan["env-NEXT_PUBLIC_ENABLE_EARLY_SESSION_CREATION"].value).toEqual({ kind: "plain", value: "true" });
    expect(plan["env-SESSION_CLEANUP_DRY_RUN"].value).toEqual({ kind: "plain", value: "true" });
    expect(plan["env-SESSION_CLEANUP_THRESHOLD_HOURS"]).toMatchObject({ value: { kind: "plain", value: "24" }, targets: ["production", "preview", "development"] });
  });

  it("keeps secrets and CRON_SECRET sensitive, on production and preview only, as references", () => {
    const { env, cronSecret } = planAppEnv(app("chat-sessions"), chatConfig());
    const secret = env.find((v) => v.key === "SUPABASE_SERVICE_ROLE_KEY")!;
    expect(secret).toMatchObject({ sensitive: true, targets: ["production", "preview"], value: { kind: "secret", secretKey: "chat-sessions.SUPABASE_SERVICE_ROLE_KEY" } });
    expect(JSON.stringify(env)).not.toContain("service-role\"");
    const cron = env.find((v) => v.key === "CRON_SECRET")!;
    expect(cron).toMatchObject({ sensitive: true, targets: ["production", "preview"], value: { kind: "cronSecret" } });
    expect(cronSecret).toEqual({ length: 32, special: false, keepers: { rotation: "0" } });
    for (const v of env) if (v.sensitive) expect(v.targets).not.toContain("development");
  });

  it("splits preview off a var when the stack overrides preview, decided by the key, not the value", () => {
    // Same rung as production: still its own resource, so a later preview move changes a value, not the layout.
    const config = chatConfig({ "rollout-stack:previewPhases": plain({ "chat-sessions/early-session-creation": "10" }) });
    const plan = byName(planAppEnv(app("chat-sessions"), config));
    expect(plan["env-NEXT_PUBLIC_EARLY_SESSION_CREATION_PERCENT"].targets).toEqual(["production", "development"]);
    expect(plan["env-NEXT_PUBLIC_EARLY_SESSION_CREATION_PERCENT-preview"]).toMatchObject({ targets: ["preview"], value: { kind: "plain", value: "10" } });
    // The other feature's vars are not split.
    expect(plan["env-SESSION_CLEANUP_DRY_RUN"].targets).toEqual(["production", "preview", "development"]);
    expect(plan["env-SESSION_CLEANUP_DRY_RUN-preview"]).toBeUndefined();

    const moved = byName(planAppEnv(app("chat-sessions"), chatConfig({ "rollout-stack:previewPhases": plain({ "chat-sessions/early-session-creation": "50" }) })));
    expect(Object.keys(moved).sort()).toEqual(Object.keys(plan).sort());
    expect(moved["env-NEXT_PUBLIC_EARLY_SESSION_CREATION_PERCENT-preview"].value).toEqual({ kind: "plain", value: "50" });
    expect(moved["env-NEXT_PUBLIC_EARLY_SESSION_CREATION_PERCENT"].value).toEqual({ kind: "plain", value: "10" });
  });

  it("splits preview for previewSettings and .preview secrets (the prod stack's staging database for previews)", () => {
    const prod = loadStackConfigFile("prod");
    const plan = byName(planAppEnv(app("health-companion"), prod));
    expect(plan["env-NEXT_PUBLIC_SUPABASE_URL"]).toMatchObject({ targets: ["production", "development"], value: { value: "https://healthprodref0000000.supabase.co" } });
    expect(plan["env-NEXT_PUBLIC_SUPABASE_URL-preview"]).toMatchObject({
      targets: ["preview"],
      value: { value: "https://healthstagingref0000.supabase.co" },
      comment: expect.stringContaining("from previewSettings health-companion/NEXT_PUBLIC_SUPABASE_URL"),
    });

    const withPreviewSecret = chatConfig({ "rollout-stack:chat-sessions.SUPABASE_SERVICE_ROLE_KEY.preview": { value: "staging-role", secret: true } });
    const split = byName(planAppEnv(app("chat-sessions"), withPreviewSecret));
    expect(split["env-SUPABASE_SERVICE_ROLE_KEY"]).toMatchObject({ targets: ["production"], sensitive: true });
    expect(split["env-SUPABASE_SERVICE_ROLE_KEY-preview"]).toMatchObject({ targets: ["preview"], sensitive: true, value: { kind: "secret", secretKey: "chat-sessions.SUPABASE_SERVICE_ROLE_KEY.preview" } });
  });

  it("honours a delivery's target restriction", () => {
    const custom: AppDecl = {
      ...app("metadata-context"),
      features: [{ ...app("metadata-context").features[1], delivery: [{ kind: "enabled", key: "USE_GPT5_MINI", targets: ["production"] }] }],
    };
    const config = parseStackConfig(
      "t",
      {
        "rollout-stack:vercelTeam": plain("acme"),
        "rollout-stack:apps": plain(["metadata-context"]),
        "rollout-stack:phases": plain({ "metadata-context/gpt5-mini": "on" }),
        "rollout-stack:settings": plain({ "metadata-context/NEXT_PUBLIC_SUPABASE_URL": "https://m.supabase.co", "metadata-context/NEXT_PUBLIC_SUPABASE_ANON_KEY": "a" }),
      },
      { catalog: [custom] },
    );
    const v = planAppEnv(custom, config).env.find((e) => e.key === "USE_GPT5_MINI")!;
    expect(v.targets).toEqual(["production"]);
  });
});

describe("planAppEnv: comments", () => {
  it("mirrors non-secret values and names their source, never the rung", () => {
    const a = byName(planAppEnv(app("chat-sessions"), chatConfig({}, "prod")));
    expect(a["env-SESSION_CLEANUP_THRESHOLD_HOURS"].comment).toBe('"24" from settings chat-sessions/SESSION_CLEANUP_THRESHOLD_HOURS; managed by rollout-stack (stack prod)');
    expect(a["env-NEXT_PUBLIC_ENABLE_EARLY_SESSION_CREATION"].comment).toBe('"true" from feature chat-sessions/early-session-creation; managed by rollout-stack (stack prod)');
    expect(a["env-SUPABASE_SERVICE_ROLE_KEY"].comment).toBe("secret from stack config rollout-stack:chat-sessions.SUPABASE_SERVICE_ROLE_KEY; managed by rollout-stack (stack prod)");
    expect(a["env-CRON_SECRET"].comment).toBe("generated CRON_SECRET (RandomPassword, rotation 0); managed by rollout-stack (stack prod)");
    // 10 → 50 leaves the enabled flag's value, so its comment (and resource) stays the same.
    const b = byName(planAppEnv(app("chat-sessions"), chatConfig({ "rollout-stack:phases": plain({ "chat-sessions/early-session-creation": "50", "chat-sessions/cleanup": "dry-run" }) }, "prod")));
    const { origin: _a, ...flagBefore } = a["env-NEXT_PUBLIC_ENABLE_EARLY_SESSION_CREATION"];
    const { origin: _b, ...flagAfter } = b["env-NEXT_PUBLIC_ENABLE_EARLY_SESSION_CREATION"];
    expect(flagAfter).toEqual(flagBefore);
    expect(b["env-NEXT_PUBLIC_EARLY_SESSION_CREATION_PERCENT"].comment).toContain('"50"');
  });

  it("stays within Vercel's 1000 characters for long values", () => {
    const long = `https://${"a".repeat(3000)}.example.com`;
    expect(mirrorValue(long).length).toBeLessThan(400);
    expect(mirrorValue(long)).toMatch(/… \(3020 characters, sha256 [0-9a-f]{16}\)$/);
    const config = chatConfig({ "rollout-stack:settings": plain({ "chat-sessions/NEXT_PUBLIC_SUPABASE_URL": long, "chat-sessions/NEXT_PUBLIC_SUPABASE_ANON_KEY": "x".repeat(5000) }) });
    for (const v of planAppEnv(app("chat-sessions"), config).env) expect(v.comment.length).toBeLessThanOrEqual(MAX_COMMENT);
  });
});

describe("planAppEnv: imports and declaration errors", () => {
  it("maps import IDs to the var that holds the key and target", () => {
    const config = chatConfig({
      "rollout-stack:previewSettings": plain({ "chat-sessions/NEXT_PUBLIC_SUPABASE_URL": "https://staging.supabase.co" }),
      "rollout-stack:imports": plain({
        "chat-sessions": { project: "prj_1", env: { SUPABASE_SERVICE_ROLE_KEY: "prj_1/env_a", "NEXT_PUBLIC_SUPABASE_URL.production": "prj_1/env_b", "NEXT_PUBLIC_SUPABASE_URL.preview": "prj_1/env_c" } },
      }),
    });
    const plan = planVercelApp(app("chat-sessions"), config);
    expect(plan.project.importId).toBe("prj_1");
    const ids = Object.fromEntries(plan.env.filter((v) => v.importId).map((v) => [envResourceName("x", v).slice(2), v.importId]));
    expect(ids).toEqual({ "env-SUPABASE_SERVICE_ROLE_KEY": "prj_1/env_a", "env-NEXT_PUBLIC_SUPABASE_URL": "prj_1/env_b", "env-NEXT_PUBLIC_SUPABASE_URL-preview": "prj_1/env_c" });
  });

  it("refuses an import ID that no resource would use (it would be silently ignored)", () => {
    // CRON_SECRET never targets development: this ID names no var.
    const config = chatConfig({ "rollout-stack:imports": plain({ "chat-sessions": { env: { "CRON_SECRET.development": "prj_1/env_c" } } }) });
    expect(() => planAppEnv(app("chat-sessions"), config)).toThrow(ConfigError);
    expect(() => planAppEnv(app("chat-sessions"), config)).toThrow(/rollout-stack:imports.chat-sessions.env.CRON_SECRET.development: no env var resource matches/);
    // An unsplit var holds preview too: `KEY.preview` adopts it.
    const unsplit = chatConfig({ "rollout-stack:imports": plain({ "chat-sessions": { env: { "NEXT_PUBLIC_SUPABASE_URL.preview": "prj_1/env_c" } } }) });
    expect(planAppEnv(app("chat-sessions"), unsplit).env.find((v) => v.key === "NEXT_PUBLIC_SUPABASE_URL")!.importId).toBe("prj_1/env_c");
  });

  it("refuses declarations Vercel would reject, listing each", () => {
    const base = app("chat-sessions");
    const broken: AppDecl = {
      ...base,
      env: [
        ...base.env,
        { key: "SESSION_CLEANUP_DRY_RUN", source: { from: "setting", default: "x" }, sensitive: false, description: "dup" },
        { key: "SECRET_TOKEN", source: { from: "setting", default: "x" }, sensitive: true, targets: ["production", "development"], description: "sensitive on dev" },
      ],
    };
    const config = parseStackConfig(
      "t",
      {
        "rollout-stack:vercelTeam": plain("acme"),
        "rollout-stack:apps": plain(["chat-sessions"]),
        "rollout-stack:phases": plain({ "chat-sessions/early-session-creation": "10", "chat-sessions/cleanup": "dry-run" }),
        "rollout-stack:settings": plain({ "chat-sessions/NEXT_PUBLIC_SUPABASE_URL": "https://abc.supabase.co", "chat-sessions/NEXT_PUBLIC_SUPABASE_ANON_KEY": "anon" }),
      },
      { catalog: [broken] },
    );
    try {
      planAppEnv(broken, config);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(AppDeclarationError);
      expect((e as Error).message).toMatch(/SESSION_CLEANUP_DRY_RUN: declared twice \(setting chat-sessions\/SESSION_CLEANUP_DRY_RUN and feature chat-sessions\/cleanup\)/);
      expect((e as Error).message).toMatch(/SECRET_TOKEN: sensitive vars cannot target development/);
    }
  });
});

describe("planVercelApp", () => {
  it("names projects <app> in prod and <app>-<stack> elsewhere, protecting prod only", () => {
    expect(projectName("chat-sessions", "prod")).toBe("chat-sessions");
    expect(projectName("chat-sessions", "staging")).toBe("chat-sessions-staging");
    for (const stack of ["dev", "staging", "prod"]) {
      const config = loadStackConfigFile(stack);
      for (const a of config.apps) {
        const plan = planVercelApp(a, config);
        expect(plan.project.name).toBe(stack === "prod" ? a.name : `${a.name}-${stack}`);
        expect(plan.project.protect).toBe(stack === "prod");
        expect(plan.project.gitRepository.productionBranch).toBe(config.vercel.productionBranch);
        // Crons only where the app has a CRON_SECRET and crons.
        expect(plan.crons.enabled).toBe(a.name === "chat-sessions");
      }
    }
  });

  it("fails with a clear error on a bad cron for the stack's plan", () => {
    const base = app("chat-sessions");
    const hourly: AppDecl = { ...base, crons: [{ path: "/api/admin/cleanup-sessions", schedule: "0 * * * *" }] };
    const raw = {
      "rollout-stack:vercelTeam": plain("acme"),
      "rollout-stack:vercelPlan": plain("hobby"),
      "rollout-stack:apps": plain(["chat-sessions"]),
      "rollout-stack:phases": plain({ "chat-sessions/early-session-creation": "10", "chat-sessions/cleanup": "dry-run" }),
      "rollout-stack:settings": plain({ "chat-sessions/NEXT_PUBLIC_SUPABASE_URL": "https://abc.supabase.co", "chat-sessions/NEXT_PUBLIC_SUPABASE_ANON_KEY": "anon" }),
    };
    expect(() => planVercelApp(hourly, parseStackConfig("dev", raw, { catalog: [hourly] }))).toThrow(/runs more than once a day, which the hobby plan rejects/);
    expect(planVercelApp(hourly, parseStackConfig("dev", { ...raw, "rollout-stack:vercelPlan": plain("pro") }, { catalog: [hourly] })).crons.jobs).toHaveLength(1);
  });

  it("keeps the CRON_SECRET rotation knob in the keeper", () => {
    const plan = planVercelApp(app("chat-sessions"), chatConfig({ "rollout-stack:cronSecretRotation": plain({ "chat-sessions": 2 }) }));
    expect(plan.cronSecret).toEqual({ length: 32, special: false, keepers: { rotation: "2" } });
    expect(plan.env.find((v) => v.key === "CRON_SECRET")!.comment).toContain("rotation 2");
  });
});

describe("deployment meta and redeploy reasons", () => {
  const production: Record<string, EnvValue> = {
    FLAG: { kind: "plain", value: "false" },
    PCT: { kind: "plain", value: "0" },
    KEY: { kind: "secret", secretKey: "a.KEY" },
  };

  it("holds one entry per production key, secrets as keyed digests, and a hash of them all", () => {
    const digest = secretDigest("digest-key", "KEY", "s3cret-value");
    const meta = deploymentMeta(production, { KEY: digest });
    expect(Object.keys(meta).sort()).toEqual(["env.FLAG", "env.KEY", "env.PCT", "envHash"]);
    expect(meta["env.KEY"]).toBe(`hmac:${digest}`);
    expect(JSON.stringify(meta)).not.toContain("s3cret-value");
    expect(meta.envHash).toMatch(/^[0-9a-f]{16}$/);
    // The digest depends on the key material: without it a short secret cannot be guessed from meta.
    expect(secretDigest("other-key", "KEY", "s3cret-value")).not.toBe(digest);
    expect(() => deploymentMeta(production, {})).toThrow(/no digest for secret KEY/);
  });

  it("changes exactly when a production value changes", () => {
    const d = { KEY: secretDigest("k", "KEY", "v1") };
    const a = deploymentMeta(production, d);
    expect(deploymentMeta({ ...production }, d)).toEqual(a);
    const flagOn = deploymentMeta({ ...production, FLAG: { kind: "plain", value: "true" } }, d);
    expect(flagOn.envHash).not.toBe(a.envHash);
    const rotated = deploymentMeta(production, { KEY: secretDigest("k", "KEY", "v2") });
    expect(rotated.envHash).not.toBe(a.envHash);

    // Only the changed key's entry differs (the plan report names keys from the stack model, not from here).
    const changed = (x: Record<string, string>, y: Record<string, string>) => Object.keys({ ...x, ...y }).filter((k) => k !== "envHash" && x[k] !== y[k]);
    expect(changed(a, flagOn)).toEqual(["env.FLAG"]);
    expect([a["env.FLAG"], flagOn["env.FLAG"]]).toEqual(["false", "true"]);
    expect(changed(a, rotated)).toEqual(["env.KEY"]);
  });

  it("keeps long values and many keys within Vercel's meta limits", () => {
    const long = deploymentMeta({ URL: { kind: "plain", value: "x".repeat(300) } }, {});
    expect(long["env.URL"]).toMatch(/^sha256:[0-9a-f]{16} \(300 characters\)$/);
    const many = Object.fromEntries(Array.from({ length: 120 }, (_, i) => [`K${i}`, { kind: "plain", value: String(i) } as EnvValue]));
    const meta = deploymentMeta(many, {});
    expect(Object.keys(meta)).toEqual(["envHash", "env.count"]);
    expect(meta["env.count"]).toBe("120");
  });
});

describe("planVercelApp: crons state is declared on every stack", () => {
  const withoutCronSecret = (): AppDecl => {
    const base = app("chat-sessions");
    return { ...base, env: base.env.filter((e) => e.source.from !== "cronSecret") };
  };

  it("enables crons where a production CRON_SECRET exists, and says why", () => {
    const plan = planVercelApp(app("chat-sessions"), chatConfig());
    expect(plan.crons).toMatchObject({ enabled: true, jobs: app("chat-sessions").crons });
    expect(plan.crons.reason).toBe("enabled: the generated CRON_SECRET targets production, so the cron routes can check Vercel Cron's Authorization header");
  });

  it("disables (not omits) crons of an app without CRON_SECRET: Vercel would otherwise run them against open routes", () => {
    const plan = planVercelApp(withoutCronSecret(), chatConfig());
    expect(plan.crons.enabled).toBe(false);
    expect(plan.crons.jobs).toHaveLength(1);
    expect(plan.crons.reason).toMatch(/^disabled: no CRON_SECRET targets production/);
    expect(plan.crons.reason).toContain('declare CRON_SECRET (source { from: "cronSecret" })');
  });

  it("disables crons when CRON_SECRET does not target production (Vercel Cron calls production only)", () => {
    const base = app("chat-sessions");
    const previewOnly: AppDecl = { ...base, env: base.env.map((e) => (e.source.from === "cronSecret" ? { ...e, targets: ["preview"] } : e)) };
    const plan = planVercelApp(previewOnly, chatConfig());
    expect(plan.crons.enabled).toBe(false);
    expect(plan.crons.reason).toMatch(/^disabled: no CRON_SECRET targets production/);
  });

  it("has nothing to state for an app without crons", () => {
    const plan = planVercelApp(app("metadata-context"), loadStackConfigFile("dev"));
    expect(plan.crons).toEqual({ enabled: false, jobs: [], reason: "no crons declared" });
  });
});

describe("planVercelApp: project names as the provider accepts them", () => {
  // terraform-provider-vercel v5.4.1 vercel/resource_project.go: name LengthBetween(1, 52), ^[a-z0-9\-]{0,100}$.
  it("accepts the longest <app>-<stack> name that fits 52 characters", () => {
    const stack = "s".repeat(52 - "chat-sessions-".length);
    expect(planVercelApp(app("chat-sessions"), chatConfig({}, stack)).project.name).toHaveLength(52);
  });

  it("refuses a name over 52 characters with a ConfigError naming the key and the fix", () => {
    const stack = "s".repeat(53 - "chat-sessions-".length);
    try {
      planVercelApp(app("chat-sessions"), chatConfig({}, stack));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).message).toContain("rollout-stack:apps");
      expect((e as ConfigError).message).toMatch(/is 53 characters; Vercel allows 52/);
      expect((e as ConfigError).message).toMatch(/shorten the app or stack name/);
    }
  });

  it.each(["qa_1", "qa.1"])("refuses a stack name with characters the provider rejects (%s)", (stack) => {
    expect(() => planVercelApp(app("chat-sessions"), chatConfig({}, stack))).toThrow(/only lowercase letters, digits and "-"/);
  });
});

describe("planAppEnv: reserved names are Vercel's documented list", () => {
  // https://vercel.com/docs/environment-variables/reserved-environment-variables
  const withKey = (key: string): AppDecl => {
    const base = app("chat-sessions");
    return { ...base, env: [...base.env, { key, source: { from: "secret" }, sensitive: true, description: key }] };
  };
  const configFor = (key: string) =>
    parseStackConfig(
      "test",
      {
        "rollout-stack:vercelTeam": plain("acme"),
        "rollout-stack:apps": plain(["chat-sessions"]),
        "rollout-stack:phases": plain({ "chat-sessions/early-session-creation": "10", "chat-sessions/cleanup": "dry-run" }),
        "rollout-stack:settings": plain({ "chat-sessions/NEXT_PUBLIC_SUPABASE_URL": "https://abc.supabase.co", "chat-sessions/NEXT_PUBLIC_SUPABASE_ANON_KEY": "anon" }),
        "rollout-stack:chat-sessions.SUPABASE_SERVICE_ROLE_KEY": { value: "service-role", secret: true },
        [`rollout-stack:chat-sessions.${key}`]: { value: "v", secret: true },
      },
      { catalog: [withKey(key)] },
    );

  it.each(["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_S3_BUCKET"])("accepts %s", (key) => {
    expect(planAppEnv(withKey(key), configFor(key)).env.map((v) => v.key)).toContain(key);
  });

  it.each([
    "AWS_SECRET_KEY",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "NOW_REGION",
    "TZ",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
  ])("refuses %s, naming the list", (key) => {
    expect(() => planAppEnv(withKey(key), configFor(key))).toThrow(new RegExp(`${key}: reserved by Vercel's function runtimes`));
  });
});

describe("planVercelApp: total env size per deployment (64 KB)", () => {
  const withThreshold = (chars: number) => chatConfig({ "rollout-stack:settings": plain({ "chat-sessions/NEXT_PUBLIC_SUPABASE_URL": "https://abc.supabase.co", "chat-sessions/NEXT_PUBLIC_SUPABASE_ANON_KEY": "x".repeat(chars) }) });

  it("counts keys and values of the production target, unknown secrets at the stated assumption, and shows the margin", () => {
    const plan = planVercelApp(app("chat-sessions"), chatConfig());
    const expected = Object.entries(plan.production).reduce(
      (n, [k, v]) => n + Buffer.byteLength(k) + (v.kind === "plain" ? Buffer.byteLength(v.value) : v.kind === "cronSecret" ? 32 : ASSUMED_SECRET_BYTES),
      0,
    );
    expect(plan.envSize).toEqual({ bytes: expected, limit: MAX_ENV_BYTES, assumedSecrets: 1, margin: MAX_ENV_BYTES - expected });
    expect(MAX_ENV_BYTES).toBe(64 * 1024);
    expect(plan.warnings).toEqual([]);
  });

  it("warns near the limit, with the margin and that vars set outside the stack count too", () => {
    const plan = planVercelApp(app("chat-sessions"), withThreshold(60_000));
    expect(plan.warnings.join("\n")).toMatch(/chat-sessions: production env is \d+ bytes of Vercel's 65536 per deployment \(margin \d+; 1 secret counted as 1024 bytes\); vars set outside the stack count too/);
  });

  it("refuses a stack that declares more than the limit", () => {
    expect(() => planVercelApp(app("chat-sessions"), withThreshold(70_000))).toThrow(/production env is \d+ bytes; Vercel allows 65536 per deployment/);
  });
});

describe("planAppEnv: teams that enforce sensitive env vars (vercelSensitiveEnvPolicy)", () => {
  const enforced = (extra: Record<string, RawEntry> = {}) => chatConfig({ "rollout-stack:vercelSensitiveEnvPolicy": plain(true), ...extra });

  it("is off unless set, and must be a boolean", () => {
    expect(chatConfig().vercel.sensitiveEnvPolicy).toBe(false);
    expect(enforced().vercel.sensitiveEnvPolicy).toBe(true);
    expect(() => chatConfig({ "rollout-stack:vercelSensitiveEnvPolicy": plain("yes") })).toThrow(/rollout-stack:vercelSensitiveEnvPolicy: /);
  });

  it("makes every production and preview var sensitive, splits off a readable development copy, and keeps values readable in comments", () => {
    const plan = byName(planAppEnv(app("chat-sessions"), enforced()));
    expect(plan["env-NEXT_PUBLIC_EARLY_SESSION_CREATION_PERCENT"]).toMatchObject({ slot: "main", targets: ["production", "preview"], sensitive: true, value: { kind: "plain", value: "10" } });
    expect(plan["env-NEXT_PUBLIC_EARLY_SESSION_CREATION_PERCENT"].comment).toMatch(/^"10" from feature chat-sessions\/early-session-creation; /);
    expect(plan["env-NEXT_PUBLIC_EARLY_SESSION_CREATION_PERCENT-development"]).toMatchObject({ slot: "development", targets: ["development"], sensitive: false, value: { kind: "plain", value: "10" } });
    expect(plan["env-NEXT_PUBLIC_SUPABASE_URL"]).toMatchObject({ targets: ["production", "preview"], sensitive: true });
    expect(plan["env-NEXT_PUBLIC_SUPABASE_URL-development"]).toMatchObject({ targets: ["development"], sensitive: false });
    // Already sensitive (secrets, CRON_SECRET): unchanged, and never on development.
    expect(plan["env-SUPABASE_SERVICE_ROLE_KEY"]).toMatchObject({ targets: ["production", "preview"], sensitive: true });
    expect(plan["env-SUPABASE_SERVICE_ROLE_KEY-development"]).toBeUndefined();
    // Nothing left that the provider refuses on such a team: no non-sensitive production or preview var.
    expect(Object.values(plan).filter((v) => !v.sensitive && v.targets.some((t) => t !== "development"))).toEqual([]);
  });

  it("with a preview override, the override is sensitive too", () => {
    const plan = byName(planAppEnv(app("chat-sessions"), enforced({ "rollout-stack:previewSettings": plain({ "chat-sessions/NEXT_PUBLIC_SUPABASE_URL": "https://staging.supabase.co" }) })));
    expect(plan["env-NEXT_PUBLIC_SUPABASE_URL"]).toMatchObject({ targets: ["production"], sensitive: true });
    expect(plan["env-NEXT_PUBLIC_SUPABASE_URL-preview"]).toMatchObject({ targets: ["preview"], sensitive: true, value: { kind: "plain", value: "https://staging.supabase.co" } });
    expect(plan["env-NEXT_PUBLIC_SUPABASE_URL-development"]).toMatchObject({ targets: ["development"], sensitive: false, value: { kind: "plain", value: "https://abc.supabase.co" } });
  });

  it("the plan says so", () => {
    const plan = planVercelApp(app("chat-sessions"), enforced());
    expect(plan.warnings).toContainEqual(expect.stringMatching(/^chat-sessions: the team enforces sensitive env vars \(rollout-stack:vercelSensitiveEnvPolicy\): \d+ production\/preview vars are sensitive \(values readable in their comments only\); a development copy is split off for /));
    expect(planVercelApp(app("chat-sessions"), chatConfig()).warnings.some((w) => w.includes("vercelSensitiveEnvPolicy"))).toBe(false);
  });
});

describe("vercelSensitiveEnvPolicy from the engine", () => {
  it("accepts the strings the engine passes for a boolean key", () => {
    expect(chatConfig({ "rollout-stack:vercelSensitiveEnvPolicy": plain("true") }).vercel.sensitiveEnvPolicy).toBe(true);
    expect(chatConfig({ "rollout-stack:vercelSensitiveEnvPolicy": plain("false") }).vercel.sensitiveEnvPolicy).toBe(false);
  });
});
