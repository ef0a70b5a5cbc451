/** The VercelApp component on its own, under the mock harness. */
import { describe, expect, it } from "vitest";
import { catalogByName } from "../../infra/apps";
import { loadStackConfigFile, parseStackConfig, type RawEntry } from "../../infra/config";
import { VercelApp } from "../../infra/vercel";
import { renderProgram } from "../support/pulumi";

const plain = (value: unknown): RawEntry => ({ value, secret: false });
const chat = catalogByName().get("chat-sessions")!;
const metadata = catalogByName().get("metadata-context")!;

function config(extra: Record<string, RawEntry> = {}) {
  return parseStackConfig(
    "qa",
    {
      "rollout-stack:vercelTeam": plain("acme"),
      "rollout-stack:apps": plain(["chat-sessions", "metadata-context"]),
      "rollout-stack:productionBranch": plain("release"),
      "rollout-stack:phases": plain({
        "chat-sessions/early-session-creation": "50",
        "chat-sessions/cleanup": "live",
        "metadata-context/enhanced-context": "off",
        "metadata-context/gpt5-mini": "off",
      }),
      "rollout-stack:settings": plain({
        "chat-sessions/NEXT_PUBLIC_SUPABASE_URL": "https://chat.supabase.co",
        "chat-sessions/NEXT_PUBLIC_SUPABASE_ANON_KEY": "anon",
        "metadata-context/NEXT_PUBLIC_SUPABASE_URL": "https://meta.supabase.co",
        "metadata-context/NEXT_PUBLIC_SUPABASE_ANON_KEY": "anon",
      }),
      "rollout-stack:chat-sessions.SUPABASE_SERVICE_ROLE_KEY": { value: "chat-role", secret: true },
      "rollout-stack:chat-sessions.SUPABASE_SERVICE_ROLE_KEY.preview": { value: "chat-role-staging", secret: true },
      "rollout-stack:metadata-context.SUPABASE_SERVICE_ROLE_KEY": { value: "meta-role", secret: true },
      "rollout-stack:metadata-context.OPENAI_API_KEY": { value: "sk-openai", secret: true },
      "rollout-stack:metadata-context.REDIS_URL": { value: "redis://r", secret: true },
      ...extra,
    },
    { requireSecrets: true },
  );
}

const ENV = "vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable";

describe("VercelApp", () => {
  it("builds from the production branch and splits a preview secret into its own sensitive var", async () => {
    const c = config();
    const r = await renderProgram({ stack: "qa", program: () => ({ s: new VercelApp("chat", { app: chat, config: c }).summary }) });
    expect(r.get("vercel:index/project:Project", "chat-project").inputs.gitRepository.productionBranch).toBe("release");
    expect(r.get("vercel:index/deployment:Deployment", "chat-production").inputs.ref).toBe("release");
    expect(r.get(ENV, "chat-env-SUPABASE_SERVICE_ROLE_KEY").inputs).toMatchObject({ value: "chat-role", targets: ["production"], sensitive: true });
    expect(r.get(ENV, "chat-env-SUPABASE_SERVICE_ROLE_KEY-preview").inputs).toMatchObject({ value: "chat-role-staging", targets: ["preview"], sensitive: true });
    expect(r.get("vercel:index/project:Project", "chat-project").opts.protect).toBe(false);
    // Child names derive from the component's name.
    expect(r.resources.filter((x) => x.name !== "rollout-stack-qa").every((x) => x.name.startsWith("chat"))).toBe(true);
    const text = JSON.stringify(r.outputs);
    for (const secret of ["chat-role", "chat-role-staging"]) expect(text).not.toContain(`"${secret}"`);
    expect(r.outputs.s.env.SUPABASE_SERVICE_ROLE_KEY).toBe("[secret]");
  });

  it("creates no CRON_SECRET, crons or cron password for an app without one", async () => {
    const r = await renderProgram({ stack: "qa", program: () => ({ s: new VercelApp("meta", { app: metadata, config: config() }).summary }) });
    expect(r.ofType("vercel:index/projectCrons:ProjectCrons")).toEqual([]);
    expect(r.ofType("random:index/randomPassword:RandomPassword").map((p) => p.name)).toEqual(["meta-env-digest-key"]);
    expect(r.outputs.s.crons).toEqual({ enabled: false, reason: "no crons declared", jobs: [] });
    expect(r.outputs.s.env).toMatchObject({ USE_ENHANCED_METADATA_CONTEXT: "false", ENABLE_METADATA_ROLLOUT_PERCENTAGE: "0", USE_GPT5_MINI: "false", OPENAI_API_KEY: "[secret]" });
  });

  it("declares the crons of an app without CRON_SECRET disabled: Vercel would run them otherwise", async () => {
    const open = { ...chat, env: chat.env.filter((e) => e.source.from !== "cronSecret") };
    const r = await renderProgram({ stack: "qa", program: () => ({ s: new VercelApp("chat", { app: open, config: config() }).summary }) });
    const crons = r.ofType("vercel:index/projectCrons:ProjectCrons");
    expect(crons.map((c) => [c.name, c.inputs.enabled])).toEqual([["chat-crons", false]]);
    expect(r.outputs.s.crons.enabled).toBe(false);
    expect(r.outputs.s.crons.reason).toMatch(/^disabled: no CRON_SECRET targets production/);
  });

  it("applies the per-child transforms", async () => {
    const r = await renderProgram({
      stack: "qa",
      program: () => {
        new VercelApp("chat", {
          app: chat,
          config: config(),
          transforms: {
            project: (a) => ({ ...a, skewProtection: "12 hours" }),
            envVar: (a, plan) => (plan.slot === "preview" ? { ...a, gitBranch: "staging" } : a),
            deployment: (a) => ({ ...a, meta: undefined }),
          },
        });
      },
    });
    expect(r.get("vercel:index/project:Project", "chat-project").inputs.skewProtection).toBe("12 hours");
    expect(r.get(ENV, "chat-env-SUPABASE_SERVICE_ROLE_KEY-preview").inputs.gitBranch).toBe("staging");
    expect(r.get(ENV, "chat-env-SUPABASE_SERVICE_ROLE_KEY").inputs.gitBranch).toBeUndefined();
    expect(r.get("vercel:index/deployment:Deployment", "chat-production").inputs.meta).toBeUndefined();
  });

  it("refuses to run with secrets it cannot read (a stack file parsed by a tool)", async () => {
    const fromFile = loadStackConfigFile("prod");
    await expect(renderProgram({ stack: "prod", program: () => void new VercelApp("chat-sessions", { app: chat, config: fromFile }) })).rejects.toThrow(
      /chat-sessions: secret rollout-stack:chat-sessions.SUPABASE_SERVICE_ROLE_KEY is not available; the program must load config with loadPulumiStackConfig\(\)/,
    );
  });
});
