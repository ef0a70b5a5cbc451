import { createHash } from "crypto";
import { describe, expect, it } from "vitest";
import type { AppDecl, EnvVarDecl, Target } from "../../infra/apps/types";
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
import { configProblems } from "../support/config-error";

const catalog = catalogByName();
const app = (name: string) => catalog.get(name)!;
const plain = (value: unknown): RawEntry => ({ value, secret: false });

/**
 * A one-app cloud stack for chat-sessions, with optional overrides of the raw entries; `decl` replaces
 * the catalog's chat-sessions (a variant of it, with the same features and settings).
 */
function chatConfig(extra: Record<string, RawEntry> = {}, stack = "test", decl?: AppDecl): StackConfig {
  const hasServiceRole = (decl ?? app("chat-sessions")).env.some((e) => e.key === "SUPABASE_SERVICE_ROLE_KEY" && e.source.from === "secret");
  return parseStackConfig(
    stack,
    {
      "rollout-stack:vercelTeam": plain("acme"),
      "rollout-stack:apps": plain(["chat-sessions"]),
      "rollout-stack:phases": plain({ "chat-sessions/early-session-creation": "10", "chat-sessions/cleanup": "dry-run" }),
      "rollout-stack:settings": plain({
        "chat-sessions/NEXT_PUBLIC_SUPABASE_URL": "https://abc.supabase.co",
        "chat-sessions/NEXT_PUBLIC_SUPABASE_ANON_KEY": "anon",
      }),
      ...(hasServiceRole ? { "rollout-stack:chat-sessions.SUPABASE_SERVICE_ROLE_KEY": { value: "service-role", secret: true } } : {}),
      ...extra,
    },
    decl ? { catalog: [decl] } : {},
  );
}

/** chat-sessions with its env declarations changed by `edit` (and `extra` declarations appended). */
function chatWith(edit: (e: EnvVarDecl) => EnvVarDecl | undefined, extra: EnvVarDecl[] = []): AppDecl {
  const base = app("chat-sessions");
  return { ...base, env: [...base.env.flatMap((e) => edit(e) ?? []), ...extra] };
}

/** The problems of the AppDeclarationError `fn` throws. */
function declarationProblems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AppDeclarationError);
    return (e as AppDeclarationError).problems;
  }
  throw new Error("expected an AppDeclarationError");
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
    expect(plan["env-NEXT_PUBLIC_EARLY_SESSION_CREATION_PERCENT-preview"]).toEqual({
      key: "NEXT_PUBLIC_EARLY_SESSION_CREATION_PERCENT",
      slot: "preview",
      targets: ["preview"],
      sensitive: false,
      value: { kind: "plain", value: "10" },
      origin: { kind: "feature", feature: "chat-sessions/early-session-creation", rung: "10", override: true },
      comment: '"10" from feature chat-sessions/early-session-creation (previewPhases); managed by rollout-stack (stack test)',
      importId: undefined,
    });
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

  it("a preview-only var with a preview override is one preview resource, and not part of production", () => {
    const decl = chatWith((e) => (e.key === "NEXT_PUBLIC_SUPABASE_URL" ? { ...e, targets: ["preview"] } : e));
    const config = chatConfig({ "rollout-stack:previewSettings": plain({ "chat-sessions/NEXT_PUBLIC_SUPABASE_URL": "https://staging.supabase.co" }) }, "test", decl);
    const plan = planAppEnv(decl, config);
    expect(plan.env.filter((v) => v.key === "NEXT_PUBLIC_SUPABASE_URL")).toEqual([
      {
        key: "NEXT_PUBLIC_SUPABASE_URL",
        slot: "preview",
        targets: ["preview"],
        sensitive: false,
        value: { kind: "plain", value: "https://staging.supabase.co" },
        origin: { kind: "setting", key: "chat-sessions/NEXT_PUBLIC_SUPABASE_URL", override: true },
        comment: '"https://staging.supabase.co" from previewSettings chat-sessions/NEXT_PUBLIC_SUPABASE_URL; managed by rollout-stack (stack test)',
        importId: undefined,
      },
    ]);
    expect(Object.keys(plan.production)).not.toContain("NEXT_PUBLIC_SUPABASE_URL");
  });

  it("production holds exactly the vars that target production, with their production values", () => {
    const decl = chatWith((e) => (e.key === "CRON_SECRET" ? { ...e, targets: ["preview"] } : e.key === "NEXT_PUBLIC_SUPABASE_ANON_KEY" ? { ...e, targets: ["development"] } : e));
    const { production } = planAppEnv(decl, chatConfig({}, "test", decl));
    expect(production).toEqual({
      SESSION_CLEANUP_THRESHOLD_HOURS: { kind: "plain", value: "24" },
      NEXT_PUBLIC_SUPABASE_URL: { kind: "plain", value: "https://abc.supabase.co" },
      SUPABASE_SERVICE_ROLE_KEY: { kind: "secret", secretKey: "chat-sessions.SUPABASE_SERVICE_ROLE_KEY" },
      NEXT_PUBLIC_ENABLE_EARLY_SESSION_CREATION: { kind: "plain", value: "true" },
      NEXT_PUBLIC_EARLY_SESSION_CREATION_PERCENT: { kind: "plain", value: "10" },
      SESSION_CLEANUP_DRY_RUN: { kind: "plain", value: "true" },
    });
  });

  it("refuses a secret or CRON_SECRET declared non-sensitive, saying which kind it is", () => {
    const loose = chatWith((e) => (e.source.from === "setting" ? e : { ...e, sensitive: false }));
    expect(declarationProblems(() => planAppEnv(loose, chatConfig({}, "test", loose)))).toEqual([
      "CRON_SECRET: a CRON_SECRET must be declared sensitive",
      "SUPABASE_SERVICE_ROLE_KEY: a secret must be declared sensitive",
    ]);
  });

  it("treats a secret as sensitive whatever its declaration says: it cannot target development either", () => {
    const loose = chatWith((e) => (e.source.from === "secret" ? { ...e, sensitive: false, targets: ["production", "development"] } : e));
    expect(declarationProblems(() => planAppEnv(loose, chatConfig({}, "test", loose)))).toEqual([
      "SUPABASE_SERVICE_ROLE_KEY: a secret must be declared sensitive",
      'SUPABASE_SERVICE_ROLE_KEY: sensitive vars cannot target development (Vercel rejects them); drop "development" from its targets',
    ]);
  });

  it("fails loudly, naming the key, on a hand-built config that lacks a setting (never plans an undefined value)", () => {
    const config = { ...chatConfig(), settings: {} };
    expect(() => planAppEnv(app("chat-sessions"), config)).toThrow(
      new Error("chat-sessions/SESSION_CLEANUP_THRESHOLD_HOURS is missing from a parsed cloud config (parseStackConfig guarantees it)"),
    );
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

  it("mirrors a value whole up to 700 quoted characters, and shortens it past that", () => {
    expect(mirrorValue("v".repeat(698))).toBe(`"${"v".repeat(698)}"`);
    const long = "v".repeat(699);
    expect(mirrorValue(long)).toBe(`"${"v".repeat(200)}"… (699 characters, sha256 ${createHash("sha256").update(long).digest("hex").slice(0, 16)})`);
  });

  it("cuts a comment longer than 1000 characters to 999 and an ellipsis, and leaves one of exactly 1000 whole", () => {
    // A secret's comment names its key, which has no length limit of its own.
    const commentOf = (key: string) => {
      const decl = chatWith((e) => e, [{ key, source: { from: "secret" }, sensitive: true, description: "long name" }]);
      return planAppEnv(decl, chatConfig({}, "test", decl)).env.find((v) => v.key === key)!.comment;
    };
    const full = (key: string) => `secret from stack config rollout-stack:chat-sessions.${key}; managed by rollout-stack (stack test)`;
    const fits = `K${"E".repeat(MAX_COMMENT - full("K").length)}`;
    expect(full(fits)).toHaveLength(MAX_COMMENT);
    expect(commentOf(fits)).toBe(full(fits));
    const over = `${fits}Y`;
    expect(commentOf(over)).toBe(`${full(over).slice(0, MAX_COMMENT - 1)}…`);
    expect(commentOf(over)).toHaveLength(MAX_COMMENT);
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
    // The message lists the vars an import can name (a split-off preview var as KEY.preview).
    const withSplit = chatConfig({
      "rollout-stack:previewSettings": plain({ "chat-sessions/NEXT_PUBLIC_SUPABASE_URL": "https://staging.supabase.co" }),
      "rollout-stack:imports": plain({ "chat-sessions": { env: { "CRON_SECRET.development": "prj_1/env_c" } } }),
    });
    expect(configProblems(() => planAppEnv(app("chat-sessions"), withSplit))).toEqual([
      {
        key: "rollout-stack:imports.chat-sessions.env.CRON_SECRET.development",
        message:
          "no env var resource matches (vars: CRON_SECRET, SESSION_CLEANUP_THRESHOLD_HOURS, NEXT_PUBLIC_SUPABASE_URL, NEXT_PUBLIC_SUPABASE_URL.preview, NEXT_PUBLIC_SUPABASE_ANON_KEY, " +
          "SUPABASE_SERVICE_ROLE_KEY, NEXT_PUBLIC_ENABLE_EARLY_SESSION_CREATION, NEXT_PUBLIC_EARLY_SESSION_CREATION_PERCENT, SESSION_CLEANUP_DRY_RUN); a preview-only import needs a preview override",
      },
    ]);
    // An unsplit var holds preview too: `KEY.preview` adopts it.
    const unsplit = chatConfig({ "rollout-stack:imports": plain({ "chat-sessions": { env: { "NEXT_PUBLIC_SUPABASE_URL.preview": "prj_1/env_c" } } }) });
    expect(planAppEnv(app("chat-sessions"), unsplit).env.find((v) => v.key === "NEXT_PUBLIC_SUPABASE_URL")!.importId).toBe("prj_1/env_c");
  });

  it("a bare KEY import adopts the production var only, never the split-off preview var too", () => {
    const config = chatConfig({
      "rollout-stack:previewSettings": plain({ "chat-sessions/NEXT_PUBLIC_SUPABASE_URL": "https://staging.supabase.co" }),
      "rollout-stack:imports": plain({ "chat-sessions": { env: { NEXT_PUBLIC_SUPABASE_URL: "prj_1/env_b" } } }),
    });
    const plan = byName(planAppEnv(app("chat-sessions"), config));
    expect(plan["env-NEXT_PUBLIC_SUPABASE_URL"].importId).toBe("prj_1/env_b");
    expect(plan["env-NEXT_PUBLIC_SUPABASE_URL-preview"].importId).toBeUndefined();
  });

  it("refuses two import IDs for the same var, naming both", () => {
    const config = chatConfig({
      "rollout-stack:imports": plain({ "chat-sessions": { env: { NEXT_PUBLIC_SUPABASE_URL: "prj_1/env_a", "NEXT_PUBLIC_SUPABASE_URL.production": "prj_1/env_b" } } }),
    });
    expect(configProblems(() => planAppEnv(app("chat-sessions"), config))).toEqual([
      { key: "rollout-stack:imports.chat-sessions.env", message: "NEXT_PUBLIC_SUPABASE_URL and NEXT_PUBLIC_SUPABASE_URL.production name the same var; keep one" },
    ]);
  });

  it("refuses a second generated CRON_SECRET", () => {
    const twice = chatWith((e) => e, [{ key: "CRON_SECRET_2", source: { from: "cronSecret" }, sensitive: true, description: "second" }]);
    expect(declarationProblems(() => planAppEnv(twice, chatConfig({}, "test", twice)))).toEqual(["CRON_SECRET_2: an app has one generated CRON_SECRET"]);
  });

  it("names both sources of a key declared twice (a generated CRON_SECRET and a secret)", () => {
    const twice = chatWith((e) => e, [{ key: "CRON_SECRET", source: { from: "secret" }, sensitive: true, description: "also a secret" }]);
    expect(declarationProblems(() => planAppEnv(twice, chatConfig({}, "test", twice)))).toEqual([
      "CRON_SECRET: declared twice (generated CRON_SECRET and secret rollout-stack:chat-sessions.CRON_SECRET); each key has one source",
    ]);
  });

  it.each(["SESSION-ID", "9LIVES", "ÜBER"])("refuses %s, a name Vercel does not accept", (key) => {
    const bad = chatWith((e) => e, [{ key, source: { from: "setting", default: "x" }, sensitive: false, description: "bad name" }]);
    expect(declarationProblems(() => planAppEnv(bad, chatConfig({}, "test", bad)))).toEqual([`${key}: not a name Vercel accepts (letters, digits and _, not starting with a digit)`]);
  });

  it("refuses a var that targets nothing", () => {
    const none = chatWith((e) => (e.key === "SESSION_CLEANUP_THRESHOLD_HOURS" ? { ...e, targets: [] } : e));
    expect(declarationProblems(() => planAppEnv(none, chatConfig({}, "test", none)))).toEqual(["SESSION_CLEANUP_THRESHOLD_HOURS: targets nothing"]);
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

  it("states each feature's rung on production, and on preview only where the stack overrides it", () => {
    const overridden = planVercelApp(app("chat-sessions"), chatConfig({ "rollout-stack:previewPhases": plain({ "chat-sessions/early-session-creation": "50" }) }));
    expect(overridden.rungs).toStrictEqual({
      production: { "early-session-creation": "10", cleanup: "dry-run" },
      preview: { "early-session-creation": "50" },
    });
    expect(planVercelApp(app("chat-sessions"), chatConfig()).rungs).toStrictEqual({ production: { "early-session-creation": "10", cleanup: "dry-run" }, preview: {} });
  });

  it("deploys the production branch and keeps replaced deployments (deleteOnDestroy: false, written out)", () => {
    expect(planVercelApp(app("chat-sessions"), chatConfig()).deployment).toStrictEqual({ ref: "main", deleteOnDestroy: false });
    expect(planVercelApp(app("chat-sessions"), chatConfig({ "rollout-stack:productionBranch": plain("release") })).deployment).toStrictEqual({ ref: "release", deleteOnDestroy: false });
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
    expect(digest).toMatch(/^[0-9a-f]{16}$/);
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

  it("does not depend on the order keys come in (no redeploy without a change)", () => {
    const d = { KEY: secretDigest("k", "KEY", "v1") };
    const reversed = Object.fromEntries(Object.entries(production).reverse());
    expect(deploymentMeta(reversed, d)).toEqual(deploymentMeta(production, d));
    expect(deploymentMeta(reversed, d).envHash).toBe(deploymentMeta(production, d).envHash);
  });

  it("keeps long values and many keys within Vercel's meta limits", () => {
    const long = deploymentMeta({ URL: { kind: "plain", value: "x".repeat(300) } }, {});
    expect(long["env.URL"]).toMatch(/^sha256:[0-9a-f]{16} \(300 characters\)$/);
    // Vercel's 256-character meta value: kept whole up to it, digested past it.
    expect(deploymentMeta({ URL: { kind: "plain", value: "x".repeat(256) } }, {})["env.URL"]).toBe("x".repeat(256));
    expect(deploymentMeta({ URL: { kind: "plain", value: "x".repeat(257) } }, {})["env.URL"]).toMatch(/^sha256:[0-9a-f]{16} \(257 characters\)$/);
    const keys = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`K${i}`, { kind: "plain", value: String(i) } as EnvValue]));
    const meta = deploymentMeta(keys(120), {});
    expect(Object.keys(meta)).toEqual(["envHash", "env.count"]);
    expect(meta["env.count"]).toBe("120");
    // 99 keys and the hash fill Vercel's 100 entries; from 100 keys on, only the hash and the count.
    expect(Object.keys(deploymentMeta(keys(99), {}))).toHaveLength(100);
    expect(Object.keys(deploymentMeta(keys(99), {}))).toContain("env.K98");
    expect(Object.keys(deploymentMeta(keys(100), {}))).toEqual(["envHash", "env.count"]);
    expect(deploymentMeta(keys(100), {})["env.count"]).toBe("100");
  });
});

describe("planVercelApp: crons state is declared on every stack", () => {
  const DISABLED =
    'disabled: no CRON_SECRET targets production, so the cron routes could not tell Vercel Cron from anyone else; declare CRON_SECRET (source { from: "cronSecret" }) on the app to enable them';
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
    expect(plan.crons.reason).toBe(DISABLED);
  });

  it("disables crons when CRON_SECRET does not target production (Vercel Cron calls production only)", () => {
    const base = app("chat-sessions");
    const previewOnly: AppDecl = { ...base, env: base.env.map((e) => (e.source.from === "cronSecret" ? { ...e, targets: ["preview"] } : e)) };
    const plan = planVercelApp(previewOnly, chatConfig());
    expect(plan.crons).toEqual({ enabled: false, reason: DISABLED, jobs: base.crons });
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

  it("lists every problem of a name, each with its fix", () => {
    const stack = `qa_${"s".repeat(52 - "chat-sessions-qa_".length + 1)}`;
    expect(configProblems(() => planVercelApp(app("chat-sessions"), chatConfig({}, stack)))).toEqual([
      {
        key: "rollout-stack:apps",
        message:
          `chat-sessions: Vercel project name "chat-sessions-${stack}" may hold only lowercase letters, digits and "-" (the provider's rule); rename the stack or the app; ` +
          "is 53 characters; Vercel allows 52: shorten the app or stack name (a stack other than prod names its projects <app>-<stack>)",
      },
    ]);
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
    expect(declarationProblems(() => planAppEnv(withKey(key), configFor(key)))).toEqual([
      `${key}: reserved by Vercel's function runtimes (AWS_SECRET_KEY, AWS_EXECUTION_ENV, AWS_LAMBDA_LOG_GROUP_NAME, AWS_LAMBDA_LOG_STREAM_NAME, AWS_LAMBDA_FUNCTION_NAME, ` +
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE, AWS_LAMBDA_FUNCTION_VERSION, NOW_REGION, TZ, LAMBDA_TASK_ROOT, LAMBDA_RUNTIME_DIR); rename it",
    ]);
  });

  it.each(["TZ_NAME", "NOW_REGION_HINT", "AWS_SECRET_KEY_ID", "LAMBDA_TASK_ROOT_DIR"])("accepts %s, a name next to a reserved one", (key) => {
    expect(planAppEnv(withKey(key), configFor(key)).env.find((v) => v.key === key)).toMatchObject({ slot: "main", targets: ["production", "preview"], sensitive: true });
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

  /** The anon key's length that makes chat-sessions' production env weigh `bytes`. */
  const anonFor = (bytes: number) => bytes - (planVercelApp(app("chat-sessions"), withThreshold(1)).envSize.bytes - 1);

  it("accepts exactly the limit (with the warning) and refuses one byte more, naming the settings key", () => {
    const full = planVercelApp(app("chat-sessions"), withThreshold(anonFor(MAX_ENV_BYTES)));
    expect(full.envSize).toEqual({ bytes: MAX_ENV_BYTES, limit: MAX_ENV_BYTES, assumedSecrets: 1, margin: 0 });
    expect(full.warnings).toEqual([
      "chat-sessions: production env is 65536 bytes of Vercel's 65536 per deployment (margin 0; 1 secret counted as 1024 bytes); vars set outside the stack count too",
    ]);
    expect(configProblems(() => planVercelApp(app("chat-sessions"), withThreshold(anonFor(MAX_ENV_BYTES + 1))))).toEqual([
      {
        key: "rollout-stack:settings",
        message: "chat-sessions: production env is 65537 bytes; Vercel allows 65536 per deployment (1 secret counted as 1024 bytes): shorten the largest values",
      },
    ]);
  });

  it("warns above three quarters of the limit, not at it", () => {
    expect(planVercelApp(app("chat-sessions"), withThreshold(anonFor(49_152))).warnings).toEqual([]);
    expect(planVercelApp(app("chat-sessions"), withThreshold(anonFor(49_153))).warnings).toEqual([
      "chat-sessions: production env is 49153 bytes of Vercel's 65536 per deployment (margin 16383; 1 secret counted as 1024 bytes); vars set outside the stack count too",
    ]);
  });

  it("counts the generated CRON_SECRET at its length (32), not as an unknown secret", () => {
    const base = app("chat-sessions");
    const withCron = planVercelApp(base, chatConfig()).envSize;
    const withoutCron = planVercelApp({ ...base, env: base.env.filter((e) => e.source.from !== "cronSecret") }, chatConfig()).envSize;
    expect(withCron.bytes - withoutCron.bytes).toBe("CRON_SECRET".length + 32);
    expect([withCron.assumedSecrets, withoutCron.assumedSecrets]).toEqual([1, 1]);
  });

  it("says how many secrets it assumed, in the plural unless one", () => {
    const noSecret = chatWith((e) => (e.source.from === "secret" ? undefined : e));
    const twoSecrets = chatWith((e) => e, [{ key: "OPENAI_API_KEY", source: { from: "secret" }, sensitive: true, description: "second secret" }]);
    const at = (decl: AppDecl, bytes: number) => {
      const base = planVercelApp(decl, chatConfig({}, "test", decl)).envSize.bytes - "anon".length;
      const config = chatConfig({ "rollout-stack:settings": plain({ "chat-sessions/NEXT_PUBLIC_SUPABASE_URL": "https://abc.supabase.co", "chat-sessions/NEXT_PUBLIC_SUPABASE_ANON_KEY": "x".repeat(bytes - base) }) }, "test", decl);
      return planVercelApp(decl, config);
    };
    expect(at(noSecret, 60_000).envSize.assumedSecrets).toBe(0);
    expect(at(noSecret, 60_000).warnings).toEqual([
      "chat-sessions: production env is 60000 bytes of Vercel's 65536 per deployment (margin 5536; 0 secrets counted as 1024 bytes); vars set outside the stack count too",
    ]);
    expect(at(twoSecrets, 60_000).warnings).toEqual([
      "chat-sessions: production env is 60000 bytes of Vercel's 65536 per deployment (margin 5536; 2 secrets counted as 1024 bytes); vars set outside the stack count too",
    ]);
  });
});

describe("planAppEnv: teams that enforce sensitive env vars (vercelSensitiveEnvPolicy)", () => {
  const enforced = (extra: Record<string, RawEntry> = {}, decl?: AppDecl) => chatConfig({ "rollout-stack:vercelSensitiveEnvPolicy": plain(true), ...extra }, "test", decl);

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

  it("leaves a development-only var alone: one readable var, no copy", () => {
    const decl = chatWith((e) => (e.key === "SESSION_CLEANUP_THRESHOLD_HOURS" ? { ...e, targets: ["development"] } : e));
    const plan = planAppEnv(decl, enforced({}, decl));
    expect(plan.env.filter((v) => v.key === "SESSION_CLEANUP_THRESHOLD_HOURS")).toEqual([
      expect.objectContaining({ slot: "main", targets: ["development"], sensitive: false, value: { kind: "plain", value: "24" } }),
    ]);
  });

  it("makes a production and preview var sensitive without a development copy when it has no development target", () => {
    const decl = chatWith((e) => (e.key === "SESSION_CLEANUP_THRESHOLD_HOURS" ? { ...e, targets: ["production", "preview"] } : e));
    const plan = planAppEnv(decl, enforced({}, decl));
    expect(plan.env.filter((v) => v.key === "SESSION_CLEANUP_THRESHOLD_HOURS")).toEqual([
      expect.objectContaining({ slot: "main", targets: ["production", "preview"], sensitive: true, value: { kind: "plain", value: "24" } }),
    ]);
  });

  it("the plan says so", () => {
    const plan = planVercelApp(app("chat-sessions"), enforced());
    expect(plan.warnings).toContainEqual(expect.stringMatching(/^chat-sessions: the team enforces sensitive env vars \(rollout-stack:vercelSensitiveEnvPolicy\): \d+ production\/preview vars are sensitive \(values readable in their comments only\); a development copy is split off for /));
    expect(planVercelApp(app("chat-sessions"), chatConfig()).warnings.some((w) => w.includes("vercelSensitiveEnvPolicy"))).toBe(false);
  });

  it("counts the readable vars it made sensitive (secrets are not readable) and names each development copy", () => {
    // Six plain vars made sensitive; CRON_SECRET and the service-role key are sensitive but not readable.
    expect(planVercelApp(app("chat-sessions"), enforced()).warnings).toEqual([
      "chat-sessions: the team enforces sensitive env vars (rollout-stack:vercelSensitiveEnvPolicy): 6 production/preview vars are sensitive (values readable in their comments only); " +
        "a development copy is split off for SESSION_CLEANUP_THRESHOLD_HOURS, NEXT_PUBLIC_SUPABASE_URL, NEXT_PUBLIC_SUPABASE_ANON_KEY, NEXT_PUBLIC_ENABLE_EARLY_SESSION_CREATION, " +
        "NEXT_PUBLIC_EARLY_SESSION_CREATION_PERCENT, SESSION_CLEANUP_DRY_RUN",
    ]);
    // With a preview override, the override is one more readable sensitive var.
    expect(planVercelApp(app("chat-sessions"), enforced({ "rollout-stack:previewSettings": plain({ "chat-sessions/NEXT_PUBLIC_SUPABASE_URL": "https://staging.supabase.co" }) })).warnings).toContainEqual(
      expect.stringContaining(": 7 production/preview vars are sensitive"),
    );
  });

  it("says none when no var targets development", () => {
    const base = app("chat-sessions");
    const noDevelopment: AppDecl = {
      ...base,
      env: base.env.map((e) => (e.source.from === "setting" ? { ...e, targets: ["production", "preview"] } : e)),
      features: base.features.map((f) => ({ ...f, delivery: f.delivery.map((d) => ({ ...d, targets: ["production", "preview"] as Target[] })) })),
    };
    expect(planVercelApp(noDevelopment, enforced({}, noDevelopment)).warnings).toEqual([
      "chat-sessions: the team enforces sensitive env vars (rollout-stack:vercelSensitiveEnvPolicy): 6 production/preview vars are sensitive (values readable in their comments only); " +
        "a development copy is split off for none",
    ]);
  });
});

describe("vercelSensitiveEnvPolicy from the engine", () => {
  it("accepts the strings the engine passes for a boolean key", () => {
    expect(chatConfig({ "rollout-stack:vercelSensitiveEnvPolicy": plain("true") }).vercel.sensitiveEnvPolicy).toBe(true);
    expect(chatConfig({ "rollout-stack:vercelSensitiveEnvPolicy": plain("false") }).vercel.sensitiveEnvPolicy).toBe(false);
  });
});

describe("planVercelApp: preview warnings for production secrets shared with overridden previews", () => {
  const previewSettings = plain({ "chat-sessions/NEXT_PUBLIC_SUPABASE_URL": "https://staging.supabase.co", "chat-sessions/NEXT_PUBLIC_SUPABASE_ANON_KEY": "staging-anon" });
  const twoSecrets = chatWith((e) => e, [{ key: "OPENAI_API_KEY", source: { from: "secret" }, sensitive: true, description: "second secret" }]);

  it("warns when preview settings point elsewhere but secrets give preview their production values (seed 003: prod's health-companion)", () => {
    const prod = loadStackConfigFile("prod");
    expect(planVercelApp(app("health-companion"), prod).warnings).toEqual([
      "health-companion: preview overrides NEXT_PUBLIC_SUPABASE_URL, NEXT_PUBLIC_SUPABASE_ANON_KEY but gets the production value of secret SUPABASE_SERVICE_ROLE_KEY; " +
        "if previews use another backend, set rollout-stack:health-companion.SUPABASE_SERVICE_ROLE_KEY.preview (pulumi config set --secret)",
    ]);
  });

  it("names every overridden setting, every shared secret and the key to set for each", () => {
    const plan = planVercelApp(twoSecrets, chatConfig({ "rollout-stack:previewSettings": previewSettings }, "test", twoSecrets));
    expect(plan.warnings).toEqual([
      "chat-sessions: preview overrides NEXT_PUBLIC_SUPABASE_URL, NEXT_PUBLIC_SUPABASE_ANON_KEY but gets the production value of secret SUPABASE_SERVICE_ROLE_KEY, OPENAI_API_KEY; " +
        "if previews use another backend, set rollout-stack:chat-sessions.SUPABASE_SERVICE_ROLE_KEY.preview, rollout-stack:chat-sessions.OPENAI_API_KEY.preview (pulumi config set --secret)",
    ]);
  });

  it("leaves out a secret with its own preview value, and says nothing once every secret has one", () => {
    const onePreview = chatConfig(
      { "rollout-stack:previewSettings": previewSettings, "rollout-stack:chat-sessions.OPENAI_API_KEY.preview": { value: "staging-openai", secret: true } },
      "test",
      twoSecrets,
    );
    expect(planVercelApp(twoSecrets, onePreview).warnings).toEqual([
      "chat-sessions: preview overrides NEXT_PUBLIC_SUPABASE_URL, NEXT_PUBLIC_SUPABASE_ANON_KEY but gets the production value of secret SUPABASE_SERVICE_ROLE_KEY; " +
        "if previews use another backend, set rollout-stack:chat-sessions.SUPABASE_SERVICE_ROLE_KEY.preview (pulumi config set --secret)",
    ]);
    const bothPreview = chatConfig(
      {
        "rollout-stack:previewSettings": previewSettings,
        "rollout-stack:chat-sessions.OPENAI_API_KEY.preview": { value: "staging-openai", secret: true },
        "rollout-stack:chat-sessions.SUPABASE_SERVICE_ROLE_KEY.preview": { value: "staging-role", secret: true },
      },
      "test",
      twoSecrets,
    );
    expect(planVercelApp(twoSecrets, bothPreview).warnings).toEqual([]);
  });

  it("says nothing when the shared secret does not reach preview", () => {
    const productionOnly = chatWith((e) => (e.source.from === "secret" ? { ...e, targets: ["production"] } : e));
    expect(planVercelApp(productionOnly, chatConfig({ "rollout-stack:previewSettings": previewSettings }, "test", productionOnly)).warnings).toEqual([]);
  });

  it("says nothing without a preview settings override: a preview phase or nothing at all", () => {
    expect(planVercelApp(app("chat-sessions"), chatConfig()).warnings).toEqual([]);
    expect(planVercelApp(app("chat-sessions"), chatConfig({ "rollout-stack:previewPhases": plain({ "chat-sessions/early-session-creation": "50" }) })).warnings).toEqual([]);
  });
});
