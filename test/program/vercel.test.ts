/**
 * The whole program, rendered for every real stack file under strict mocks, with resource options
 * recorded: what each stack declares on Vercel, the provider rules only Vercel would enforce, and the
 * minimal diff of every seed move.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { catalogByName } from "../../infra/apps";
import { loadStackConfigFile } from "../../infra/config";
import { scheduleProblems } from "../../infra/vercel/crons";
import { RESERVED_ENV } from "../../infra/vercel/env-plan";
import { diffRenders, fakeSecret, withConfig, type RecordedResource, type Render } from "../support/pulumi";
import { realStackConfig, renderStack, STACKS } from "./render";

const T = {
  project: "vercel:index/project:Project",
  env: "vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable",
  deployment: "vercel:index/deployment:Deployment",
  crons: "vercel:index/projectCrons:ProjectCrons",
  password: "random:index/randomPassword:RandomPassword",
  app: "rollout-stack:vercel:App",
  edgeConfig: "vercel:index/edgeConfig:EdgeConfig",
  edgeConfigToken: "vercel:index/edgeConfigToken:EdgeConfigToken",
  liveItem: "pulumi-nodejs:dynamic/vercel:LiveItem",
};
/** The production deployment meta entries (`env.<KEY>`) that differ between two renders of an app: KEY → [before, after]. */
function metaChanges(before: Render, after: Render, app: string): Record<string, [string | undefined, string | undefined]> {
  const a: Record<string, string> = before.get(T.deployment, `${app}-production`).inputs.meta;
  const b: Record<string, string> = after.get(T.deployment, `${app}-production`).inputs.meta;
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => k.startsWith("env.") && a[k] !== b[k]).sort();
  return Object.fromEntries(keys.map((k) => [k.slice("env.".length), [a[k], b[k]]]));
}

/** The value of every feature env var per stack and app, as the stack files' phases deliver them. */
const flags = (keys: string[], value: string) => Object.fromEntries(keys.map((k) => [k, value]));
const SP = (names: string[]) => names.map((n) => `NEXT_PUBLIC_SP_${n}`);
const CORE = SP(["ENHANCED_SESSION_MANAGER", "AUTOMATIC_TOKEN_REFRESH", "ERROR_RECOVERY_MANAGER", "RETRY_WITH_BACKOFF", "GRACEFUL_DEGRADATION", "PERFORMANCE_MONITORING", "SESSION_EXPIRATION_WARNING"]);
const CONNECTION = SP(["CONNECTION_MONITORING", "AUTO_RECONNECTION", "CONNECTION_STATUS_INDICATOR", "OFFLINE_INDICATORS"]);
const STATE = SP(["FORM_AUTO_SAVE", "NAVIGATION_STATE_PERSISTENCE", "INTELLIGENT_CACHING", "OFFLINE_MODE"]);
const ADVANCED = SP(["CROSS_TAB_SYNCHRONIZATION", "BACKGROUND_SYNC", "DIAGNOSTIC_TOOLS", "SESSION_ANALYTICS"]);
const FEATURE_VALUES: Record<string, Record<string, Record<string, string>>> = {
  // dev: early-session 100, cleanup live, core 100, connection 100, state 50, advanced beta, enhanced 100, gpt5 on, multi-thread on, raw 100
  dev: {
    "chat-sessions": { NEXT_PUBLIC_ENABLE_EARLY_SESSION_CREATION: "true", NEXT_PUBLIC_EARLY_SESSION_CREATION_PERCENT: "100", SESSION_CLEANUP_DRY_RUN: "false" },
    "analy-ticket": {
      ...flags(CORE, "true"), NEXT_PUBLIC_SP_CORE_ROLLOUT: "100",
      ...flags(CONNECTION, "true"), NEXT_PUBLIC_SP_CONNECTION_ROLLOUT: "100",
      ...flags(STATE, "true"), NEXT_PUBLIC_SP_STATE_ROLLOUT: "50",
      ...flags(ADVANCED, "true"), NEXT_PUBLIC_SP_ADVANCED_ROLLOUT: "beta",
    },
    "metadata-context": { USE_ENHANCED_METADATA_CONTEXT: "true", ENABLE_METADATA_ROLLOUT_PERCENTAGE: "100", USE_GPT5_MINI: "true" },
    "health-companion": { NEXT_PUBLIC_MULTI_THREAD_CHAT: "true" },
    "conversation-raw-storage": { RAW_RESPONSE_STORAGE_PERCENT: "100" },
  },
  // staging: early-session 10, cleanup dry-run, core 100, connection 10, state off, advanced off, enhanced 50, gpt5 on, multi-thread on, raw 10
  staging: {
    "chat-sessions": { NEXT_PUBLIC_ENABLE_EARLY_SESSION_CREATION: "true", NEXT_PUBLIC_EARLY_SESSION_CREATION_PERCENT: "10", SESSION_CLEANUP_DRY_RUN: "true" },
    "analy-ticket": {
      ...flags(CORE, "true"), NEXT_PUBLIC_SP_CORE_ROLLOUT: "100",
      ...flags(CONNECTION, "true"), NEXT_PUBLIC_SP_CONNECTION_ROLLOUT: "10",
      ...flags(STATE, "false"), NEXT_PUBLIC_SP_STATE_ROLLOUT: "0",
      ...flags(ADVANCED, "false"), NEXT_PUBLIC_SP_ADVANCED_ROLLOUT: "0",
    },
    "metadata-context": { USE_ENHANCED_METADATA_CONTEXT: "true", ENABLE_METADATA_ROLLOUT_PERCENTAGE: "50", USE_GPT5_MINI: "true" },
    "health-companion": { NEXT_PUBLIC_MULTI_THREAD_CHAT: "true" },
    "conversation-raw-storage": { RAW_RESPONSE_STORAGE_PERCENT: "10" },
  },
  // prod: early-session off, cleanup dry-run, core 100, connection off, state off, advanced off, enhanced 10, gpt5 on, multi-thread off, raw off
  prod: {
    "chat-sessions": { NEXT_PUBLIC_ENABLE_EARLY_SESSION_CREATION: "false", NEXT_PUBLIC_EARLY_SESSION_CREATION_PERCENT: "0", SESSION_CLEANUP_DRY_RUN: "true" },
    "analy-ticket": {
      ...flags(CORE, "true"), NEXT_PUBLIC_SP_CORE_ROLLOUT: "100",
      ...flags(CONNECTION, "false"), NEXT_PUBLIC_SP_CONNECTION_ROLLOUT: "0",
      ...flags(STATE, "false"), NEXT_PUBLIC_SP_STATE_ROLLOUT: "0",
      ...flags(ADVANCED, "false"), NEXT_PUBLIC_SP_ADVANCED_ROLLOUT: "0",
    },
    "metadata-context": { USE_ENHANCED_METADATA_CONTEXT: "true", ENABLE_METADATA_ROLLOUT_PERCENTAGE: "10", USE_GPT5_MINI: "true" },
    "health-companion": { NEXT_PUBLIC_MULTI_THREAD_CHAT: "false" },
    "conversation-raw-storage": { RAW_RESPONSE_STORAGE_PERCENT: "0" },
  },
};

const catalog = catalogByName();
const renders: Record<string, Render> = {};

beforeAll(async () => {
  for (const stack of STACKS) renders[stack] = await renderStack(stack);
});

const cloudStacks = ["dev", "staging", "prod"] as const;

describe("the local stack", () => {
  it("has no Vercel resources at all", () => {
    const r = renders.local;
    expect(r.resources.filter((x) => x.type.startsWith("vercel:") || x.type === T.app || x.type === T.password)).toEqual([]);
    expect(r.outputs.vercel).toEqual({});
    expect(r.outputs.mode).toBe("local");
  });
});

describe.each(cloudStacks)("stack %s", (stack) => {
  const config = loadStackConfigFile(stack);
  const r = () => renders[stack];
  const envOf = (appName: string) => r().ofType(T.env).filter((e) => e.name.startsWith(`${appName}-env-`));

  it("has one project per managed app, named for the stack, protected only in prod, built from the production branch", () => {
    const projects = r().ofType(T.project);
    expect(projects.map((p) => p.inputs.name).sort()).toEqual(config.apps.map((a) => (stack === "prod" ? a.name : `${a.name}-${stack}`)).sort());
    for (const p of projects) {
      const a = catalog.get(p.name.replace(/-project$/, ""))!;
      expect(p.inputs).toEqual({
        name: stack === "prod" ? a.name : `${a.name}-${stack}`,
        framework: "nextjs",
        gitRepository: { type: a.vercel.gitRepository.type, repo: a.vercel.gitRepository.repo, productionBranch: "main" },
      });
      expect(p.opts.protect).toBe(stack === "prod" ? true : false);
      expect(p.opts.parent).toBe(r().get(T.app, a.name).urn);
      expect(p.opts.importId).toBe("");
    }
  });

  it("declares every env var with its key, value, targets, sensitivity and comment", () => {
    for (const a of config.apps) {
      const vars = envOf(a.name);
      const projectId = r().get(T.project, `${a.name}-project`).id;
      const expected = new Map<string, { value: string; targets: string[]; sensitive: boolean; comment: RegExp }>();
      for (const e of a.env) {
        if (e.source.from === "setting") {
          const value = config.settings[`${a.name}/${e.key}`];
          const preview = config.previewSettings[`${a.name}/${e.key}`];
          expected.set(`${a.name}-env-${e.key}`, {
            value,
            targets: preview === undefined ? ["production", "preview", "development"] : ["production", "development"],
            sensitive: false,
            comment: new RegExp(`^${JSON.stringify(JSON.stringify(value)).slice(1, -1).replace(/[.?*+()[\]]/g, "\\$&")} from settings ${a.name}/${e.key}; managed by rollout-stack \\(stack ${stack}\\)$`),
          });
          if (preview !== undefined) {
            expected.set(`${a.name}-env-${e.key}-preview`, { value: preview, targets: ["preview"], sensitive: false, comment: /from previewSettings/ });
          }
        } else if (e.source.from === "secret") {
          expected.set(`${a.name}-env-${e.key}`, {
            value: fakeSecret(`rollout-stack:${a.name}.${e.key}`),
            targets: ["production", "preview"],
            sensitive: true,
            comment: new RegExp(`^secret from stack config rollout-stack:${a.name}\\.${e.key}; managed by rollout-stack`),
          });
        } else {
          const password = r().get(T.password, `${a.name}-cron-secret`);
          expected.set(`${a.name}-env-${e.key}`, { value: password.state.result, targets: ["production", "preview"], sensitive: true, comment: /^generated CRON_SECRET \(RandomPassword, rotation 0\)/ });
        }
      }
      // Live features: prod has an Edge Config item, so their apps get the store's connection string
      // (sensitive, production only) and the item's key.
      if (config.edgeConfig && a.features.some((f) => f.live)) {
        const token = r().get(T.edgeConfigToken, "live-token");
        expected.set(`${a.name}-env-EDGE_CONFIG`, { value: token.state.connectionString, targets: ["production"], sensitive: true, comment: /^Edge Config connection string .*live item rollout_prod/ });
        expected.set(`${a.name}-env-ROLLOUT_LIVE_ITEM`, { value: "rollout_prod", targets: ["production"], sensitive: false, comment: /^"rollout_prod" from edgeConfig\.item/ });
      }
      for (const [key, value] of Object.entries(FEATURE_VALUES[stack][a.name] ?? {})) {
        expected.set(`${a.name}-env-${key}`, {
          value,
          targets: ["production", "preview", "development"],
          sensitive: false,
          comment: new RegExp(`^"${value}" from feature ${a.name}/[a-z0-9-]+; managed by rollout-stack \\(stack ${stack}\\)$`),
        });
      }
      expect(vars.map((v) => v.name).sort()).toEqual([...expected.keys()].sort());
      for (const v of vars) {
        const want = expected.get(v.name)!;
        expect({ name: v.name, value: v.inputs.value, targets: v.inputs.targets, sensitive: v.inputs.sensitive }).toEqual({
          name: v.name,
          value: want.value,
          targets: want.targets,
          sensitive: want.sensitive,
        });
        expect(v.inputs.comment).toMatch(want.comment);
        expect(v.inputs.key).toBe(v.name.replace(`${a.name}-env-`, "").replace(/-preview$/, ""));
        expect(v.inputs.projectId).toBe(projectId);
        // Pulumi always treats env values as secret; the SDK wraps them.
        expect(v.secretInputs).toContain("value");
        expect(v.opts.deleteBeforeReplace).toBe(true);
        expect(v.rawOpts.deleteBeforeReplace).toBe(true);
        expect(v.opts.parent).toBe(r().get(T.app, a.name).urn);
      }
    }
  });

  it("generates CRON_SECRET from a RandomPassword (32, no special characters, rotation keeper), only for apps with one", () => {
    const passwords = r().ofType(T.password).filter((p) => p.name.endsWith("-cron-secret"));
    expect(passwords.map((p) => p.name)).toEqual(config.apps.some((a) => a.name === "chat-sessions") ? ["chat-sessions-cron-secret"] : []);
    for (const p of passwords) {
      expect(p.inputs).toEqual({ length: 32, special: false, keepers: { rotation: "0" } });
      expect(p.urn).toBe(`urn:pulumi:${stack}::rollout-stack::rollout-stack:vercel:App$random:index/randomPassword:RandomPassword::chat-sessions-cron-secret`);
      expect(p.state.result).toMatch(/^[A-Za-z0-9]{32}$/);
    }
  });

  it("creates one production deployment per app: the production branch, kept on destroy, after every production var", () => {
    for (const a of config.apps) {
      const d = r().get(T.deployment, `${a.name}-production`);
      expect(d.inputs).toMatchObject({ ref: "main", production: true, deleteOnDestroy: false, projectId: r().get(T.project, `${a.name}-project`).id });
      const productionVars = envOf(a.name).filter((v) => v.inputs.targets.includes("production"));
      const previewOnly = envOf(a.name).filter((v) => !v.inputs.targets.includes("production"));
      for (const v of productionVars) expect(d.opts.dependsOn).toContain(v.urn);
      for (const v of previewOnly) expect(d.opts.dependsOn).not.toContain(v.urn);
      // …and after the app's database (migrations, policies, checks), so new code meets its schema.
      const database = r().ofType("rollout-stack:supabase:Database").filter((db) => db.name === a.database?.name);
      expect(database).toHaveLength(a.database ? 1 : 0);
      // The engine receives a component dependency as its children: the migrations and the checks.
      for (const db of database) {
        const children = r().resources.filter((x) => x.opts.parent === db.urn);
        expect(children.map((c) => c.type)).toEqual(expect.arrayContaining(["pulumi-nodejs:dynamic/supabase:Migrations", "pulumi-nodejs:dynamic/supabase:Checks"]));
        for (const c of children) expect(d.opts.dependsOn).toContain(c.urn);
      }
      expect(d.rawOpts.dependsOn).toHaveLength(productionVars.length + database.length);
      // Meta: one entry per production key, the value when not secret, a digest otherwise; not a secret itself.
      const meta = d.inputs.meta as Record<string, string>;
      expect(d.secretInputs).not.toContain("meta");
      expect(Object.keys(meta).sort()).toEqual([...productionVars.map((v) => `env.${v.inputs.key}`), "envHash"].sort());
      for (const v of productionVars) {
        expect(meta[`env.${v.inputs.key}`]).toEqual(v.inputs.sensitive ? expect.stringMatching(/^hmac:[0-9a-f]{16}$/) : v.inputs.value);
      }
      expect(meta.envHash).toMatch(/^[0-9a-f]{16}$/);
    }
  });

  it("declares crons' state for every app with crons: enabled only with a production CRON_SECRET, after that var", () => {
    const crons = r().ofType(T.crons);
    expect(crons.map((c) => c.name).sort()).toEqual(config.apps.filter((a) => a.crons.length).map((a) => `${a.name}-crons`).sort());
    for (const a of config.apps.filter((x) => x.crons.length)) {
      const c = r().get(T.crons, `${a.name}-crons`);
      const secret = envOf(a.name).find((v) => v.inputs.key === "CRON_SECRET" && v.inputs.targets.includes("production"));
      expect(c.inputs, a.name).toEqual({ enabled: secret !== undefined, projectId: r().get(T.project, `${a.name}-project`).id });
      if (secret) expect(c.opts.dependsOn).toContain(secret.urn);
    }
  });

  it("passes the provider rules only Vercel would enforce", () => {
    for (const v of r().ofType(T.env)) {
      if (v.inputs.sensitive) expect(v.inputs.targets, v.name).not.toContain("development");
      expect(v.inputs.comment.length, v.name).toBeLessThanOrEqual(1000);
      expect(v.inputs.key).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/);
      expect(RESERVED_ENV.has(v.inputs.key), v.inputs.key).toBe(false);
    }
    // One var per key and target: no two vars of a project share a (key, target).
    for (const a of config.apps) {
      const seen = new Set<string>();
      for (const v of envOf(a.name)) {
        for (const t of v.inputs.targets) {
          expect(seen.has(`${v.inputs.key}/${t}`), `${a.name} ${v.inputs.key}/${t}`).toBe(false);
          seen.add(`${v.inputs.key}/${t}`);
        }
      }
    }
    for (const a of config.apps) {
      expect(a.crons.length).toBeLessThanOrEqual(100);
      for (const c of a.crons) expect(scheduleProblems(c.schedule, config.vercel.plan)).toEqual([]);
      expect(Object.keys(r().get(T.deployment, `${a.name}-production`).inputs.meta).length).toBeLessThanOrEqual(100);
    }
  });

  it("exports a readable summary with secrets masked", () => {
    const out = r().outputs.vercel as Record<string, any>;
    expect(Object.keys(out).sort()).toEqual(config.apps.map((a) => a.name).sort());
    for (const a of config.apps) {
      const s = out[a.name];
      expect(s.project).toBe(stack === "prod" ? a.name : `${a.name}-${stack}`);
      expect(s.rungs).toEqual(Object.fromEntries(a.features.map((f) => [f.name, config.phases[`${a.name}/${f.name}`]])));
      const d = r().get(T.deployment, `${a.name}-production`);
      expect(s.deployment.envHash).toBe(d.inputs.meta.envHash);
      expect(s.deployment.meta).toEqual(d.inputs.meta);
      expect(s.deployment.reason).toContain(d.inputs.meta.envHash);
      for (const [key, value] of Object.entries(s.env as Record<string, string>)) {
        const v = r().get(T.env, `${a.name}-env-${key}`);
        expect(value).toBe(v.inputs.sensitive ? "[secret]" : v.inputs.value);
      }
      expect(s.crons).toEqual({ enabled: a.name === "chat-sessions", reason: expect.any(String), jobs: a.crons });
    }
    const text = JSON.stringify(r().outputs);
    expect(text).not.toContain("fake-secret-");
    for (const p of r().ofType(T.password)) expect(text).not.toContain(p.state.result);
    expect(r().secretOutputs).toEqual([]);
  });
});

describe("operator warnings", () => {
  it("warns when preview points at another backend but shares a production secret (prod: health-companion)", () => {
    expect(renders.prod.logs).toEqual([
      {
        severity: "warning",
        message:
          "health-companion: preview overrides NEXT_PUBLIC_SUPABASE_URL, NEXT_PUBLIC_SUPABASE_ANON_KEY but gets the production value of secret SUPABASE_SERVICE_ROLE_KEY; if previews use another backend, set rollout-stack:health-companion.SUPABASE_SERVICE_ROLE_KEY.preview (pulumi config set --secret)",
      },
    ]);
    // staging declares no Edge Config store: its live features travel by env vars, and it says so.
    expect(renders.staging.logs).toEqual([
      {
        severity: "warning",
        message:
          "live features (metadata-context/enhanced-context, conversation-raw-storage/raw-storage) are delivered by env vars only: this stack sets no rollout-stack:edgeConfig, so a kill needs a deployment; set edgeConfig.store (create, or the shared store's ID) for kills in seconds",
      },
    ]);
  });

  it("is quiet once the preview secret is set", async () => {
    const config = realStackConfig("prod");
    config["rollout-stack:health-companion.SUPABASE_SERVICE_ROLE_KEY.preview"] = { value: "staging-role", secret: true };
    const r = await renderStack("prod", config);
    expect(r.logs).toEqual([]);
    expect(r.get(T.env, "health-companion-env-SUPABASE_SERVICE_ROLE_KEY-preview").inputs).toMatchObject({ targets: ["preview"], sensitive: true, value: "staging-role" });
  });
});

describe("the CRON_SECRET across stacks", () => {
  it("has the same logical name, parent type and inputs on every stack (only the stack part of the URN differs)", () => {
    const passwords = cloudStacks.map((s) => renders[s].get(T.password, "chat-sessions-cron-secret"));
    expect(new Set(passwords.map((p) => p.urn.replace(/^urn:pulumi:[^:]+::/, ""))).size).toBe(1);
    expect(new Set(passwords.map((p) => JSON.stringify(p.inputs))).size).toBe(1);
  });
});

/** The seed moves, each as a one-line change to the prod stack file. */
const MOVES: {
  name: string;
  app: string;
  key: string;
  change: (c: ReturnType<typeof realStackConfig>) => ReturnType<typeof realStackConfig>;
  keys: string[];
  meta: Record<string, [string, string]>;
  /** A live feature's share in the Edge Config item, before and after. */
  live?: Record<string, [string, string]>;
}[] = [
  {
    name: "flag on (multi-thread chat off → on)",
    app: "health-companion",
    key: "rollout-stack:phases",
    change: (c) => withConfig(c, "rollout-stack:phases", (p) => ({ ...p, "health-companion/multi-thread-chat": "on" })),
    keys: ["NEXT_PUBLIC_MULTI_THREAD_CHAT"],
    meta: { NEXT_PUBLIC_MULTI_THREAD_CHAT: ["false", "true"] },
  },
  {
    name: "10 → 50 (metadata context)",
    app: "metadata-context",
    key: "rollout-stack:phases",
    change: (c) => withConfig(c, "rollout-stack:phases", (p) => ({ ...p, "metadata-context/enhanced-context": 50 })),
    keys: ["ENABLE_METADATA_ROLLOUT_PERCENTAGE"],
    meta: { ENABLE_METADATA_ROLLOUT_PERCENTAGE: ["10", "50"] },
    live: { "metadata-context/enhanced-context": ["10", "50"] },
  },
  {
    name: "dry-run → live (cleanup cron)",
    app: "chat-sessions",
    key: "rollout-stack:phases",
    change: (c) => withConfig(c, "rollout-stack:phases", (p) => ({ ...p, "chat-sessions/cleanup": "live" })),
    keys: ["SESSION_CLEANUP_DRY_RUN"],
    meta: { SESSION_CLEANUP_DRY_RUN: ["true", "false"] },
  },
  {
    name: "kill back to off (metadata context 10 → off)",
    app: "metadata-context",
    key: "rollout-stack:phases",
    change: (c) => withConfig(c, "rollout-stack:phases", (p) => ({ ...p, "metadata-context/enhanced-context": "off" })),
    keys: ["ENABLE_METADATA_ROLLOUT_PERCENTAGE", "USE_ENHANCED_METADATA_CONTEXT"],
    meta: { ENABLE_METADATA_ROLLOUT_PERCENTAGE: ["10", "0"], USE_ENHANCED_METADATA_CONTEXT: ["true", "false"] },
    live: { "metadata-context/enhanced-context": ["10", "0"] },
  },
  {
    name: "threshold 24 → 12 (seed 000-15)",
    app: "chat-sessions",
    key: "rollout-stack:settings",
    change: (c) => withConfig(c, "rollout-stack:settings", (s) => ({ ...s, "chat-sessions/SESSION_CLEANUP_THRESHOLD_HOURS": "12" })),
    keys: ["SESSION_CLEANUP_THRESHOLD_HOURS"],
    meta: { SESSION_CLEANUP_THRESHOLD_HOURS: ["24", "12"] },
  },
];

describe.each(MOVES)("move on prod: $name", (move) => {
  let before: Render;
  let after: Render;
  beforeAll(async () => {
    before = renders.prod;
    after = await renderStack("prod", move.change(realStackConfig("prod")));
  });

  it("changes exactly the moved env var(s) and the app's deployment, nothing else", () => {
    const d = diffRenders(before, after);
    expect(d.added).toEqual([]);
    expect(d.removed).toEqual([]);
    expect(d.optionsChanged).toEqual({});
    const urn = (type: string, name: string) => before.get(type, name).urn;
    const expected: Record<string, string[]> = { [urn(T.deployment, `${move.app}-production`)]: ["meta"] };
    for (const key of move.keys) expected[urn(T.env, `${move.app}-env-${key}`)] = ["comment", "value"];
    // A live feature's move also updates the Edge Config item in place (its shares), nothing else there.
    if (move.live) expected[urn(T.liveItem, "live-item")] = ["shares"];
    expect(d.changed).toEqual(expected);
    const shares = (r: Render) => r.get(T.liveItem, "live-item").inputs.shares as Record<string, string>;
    for (const [feature, [from, to]] of Object.entries(move.live ?? {})) {
      expect([shares(before)[feature], shares(after)[feature]]).toEqual([from, to]);
    }
    // Every live feature stays in the item: an advance never removes one.
    expect(Object.keys(shares(after)).sort()).toEqual(Object.keys(shares(before)).sort());
  });

  it("keeps the CRON_SECRET's URN and inputs", () => {
    const a = before.get(T.password, "chat-sessions-cron-secret");
    const b = after.get(T.password, "chat-sessions-cron-secret");
    expect(b.urn).toBe(a.urn);
    expect(b.inputs).toEqual(a.inputs);
    expect(b.state.result).toBe(a.state.result);
  });

  it("changes the production deployment's meta entries of exactly the moved keys", () => {
    expect(metaChanges(before, after, move.app)).toEqual(move.meta);
    expect(after.outputs.vercel[move.app].deployment.envHash).not.toBe(before.outputs.vercel[move.app].deployment.envHash);
  });
});

describe("changes that are not production moves", () => {
  it("a preview-only phase adds the preview var, narrows the main var, and does not redeploy production", async () => {
    const after = await renderStack("prod", withConfig(realStackConfig("prod"), "rollout-stack:previewPhases", () => ({ "metadata-context/enhanced-context": "50" })));
    const d = diffRenders(renders.prod, after);
    const urn = (name: string) => renders.prod.get(T.env, name).urn;
    expect(d.removed).toEqual([]);
    expect(d.added.map((u) => u.split("::").pop()).sort()).toEqual(["metadata-context-env-ENABLE_METADATA_ROLLOUT_PERCENTAGE-preview", "metadata-context-env-USE_ENHANCED_METADATA_CONTEXT-preview"]);
    expect(d.changed).toEqual({ [urn("metadata-context-env-ENABLE_METADATA_ROLLOUT_PERCENTAGE")]: ["targets"], [urn("metadata-context-env-USE_ENHANCED_METADATA_CONTEXT")]: ["targets"] });
    const preview = after.get(T.env, "metadata-context-env-ENABLE_METADATA_ROLLOUT_PERCENTAGE-preview");
    expect(preview.inputs).toMatchObject({ targets: ["preview"], value: "50", sensitive: false });
    // Created after the main var dropped the preview target.
    expect(preview.opts.dependsOn).toContain(urn("metadata-context-env-ENABLE_METADATA_ROLLOUT_PERCENTAGE"));
    expect(after.outputs.vercel["metadata-context"].previewRungs).toEqual({ "enhanced-context": "50" });
  });

  it("rotating the CRON_SECRET changes its keeper, its var and the deployment only", async () => {
    const after = await renderStack("prod", withConfig(realStackConfig("prod"), "rollout-stack:cronSecretRotation", () => ({ "chat-sessions": 1 })));
    const d = diffRenders(renders.prod, after);
    const before = renders.prod;
    expect(d.added).toEqual([]);
    expect(d.removed).toEqual([]);
    expect(d.changed).toEqual({
      [before.get(T.password, "chat-sessions-cron-secret").urn]: ["keepers"],
      [before.get(T.env, "chat-sessions-env-CRON_SECRET").urn]: ["comment", "value"],
      [before.get(T.deployment, "chat-sessions-production").urn]: ["meta"],
    });
    const changes = metaChanges(before, after, "chat-sessions");
    expect(Object.keys(changes)).toEqual(["CRON_SECRET"]);
    expect(changes.CRON_SECRET.every((v) => /^hmac:[0-9a-f]{16}$/.test(v ?? ""))).toBe(true);
  });

  it("a changed secret redeploys with a new digest, and neither value shows in the meta", async () => {
    const config = realStackConfig("prod");
    config["rollout-stack:metadata-context.OPENAI_API_KEY"] = { value: "sk-rotated-value", secret: true };
    const after = await renderStack("prod", config);
    const d = diffRenders(renders.prod, after);
    const before = renders.prod;
    expect(Object.keys(d.changed).sort()).toEqual([before.get(T.deployment, "metadata-context-production").urn, before.get(T.env, "metadata-context-env-OPENAI_API_KEY").urn].sort());
    const meta = after.get(T.deployment, "metadata-context-production").inputs.meta;
    expect(JSON.stringify(meta)).not.toContain("sk-rotated-value");
    const changes = metaChanges(before, after, "metadata-context");
    expect(Object.keys(changes)).toEqual(["OPENAI_API_KEY"]);
    expect(changes.OPENAI_API_KEY.every((v) => /^hmac:[0-9a-f]{16}$/.test(v ?? ""))).toBe(true);
  });

  it("an unchanged stack renders identically twice", async () => {
    const again = await renderStack("prod");
    expect(diffRenders(renders.prod, again)).toEqual({ added: [], removed: [], changed: {}, optionsChanged: {} });
  });
});

describe("adoption and failures", () => {
  it("passes import IDs from config to the project and env vars", async () => {
    const config = withConfig(realStackConfig("prod"), "rollout-stack:imports", () => ({
      "metadata-context": { project: "prj_meta", env: { OPENAI_API_KEY: "prj_meta/env_openai", REDIS_URL: "prj_meta/env_redis" } },
    }));
    const r = await renderStack("prod", config);
    expect(r.get(T.project, "metadata-context-project").opts.importId).toBe("prj_meta");
    expect(r.get(T.env, "metadata-context-env-OPENAI_API_KEY").opts.importId).toBe("prj_meta/env_openai");
    expect(r.get(T.env, "metadata-context-env-REDIS_URL").opts.importId).toBe("prj_meta/env_redis");
    expect(r.get(T.env, "metadata-context-env-USE_GPT5_MINI").opts.importId).toBe("");
  });

  it("fails the program with a clear error when a secret is missing", async () => {
    const config = realStackConfig("prod");
    delete config["rollout-stack:metadata-context.REDIS_URL"];
    await expect(renderStack("prod", config)).rejects.toThrow(/rollout-stack:metadata-context.REDIS_URL: missing secret; run `pulumi config set --secret metadata-context.REDIS_URL <value> --stack prod`/);
  });
});

function names(rs: RecordedResource[]): string[] {
  return rs.map((r) => r.name).sort();
}

describe("resource counts", () => {
  it("grows with the catalog: one project, deployment and digest key per app, one var per key and target set", () => {
    const r = renders.prod;
    const config = loadStackConfigFile("prod");
    expect(names(r.ofType(T.deployment))).toEqual(config.apps.map((a) => `${a.name}-production`).sort());
    expect(names(r.ofType(T.password))).toEqual([...config.apps.map((a) => `${a.name}-env-digest-key`), "chat-sessions-cron-secret"].sort());
    // chat-sessions 8, analy-ticket 3 + 19 flags + 4 percents = 26, metadata-context 8 + 2 live,
    // health-companion 4 + 2 preview overrides = 6, conversation-raw-storage 4 + 2 live
    // (EDGE_CONFIG and ROLLOUT_LIVE_ITEM on each app with a live feature).
    expect(r.ofType(T.env)).toHaveLength(56);
    // One store (prod creates it), one token, one item for the stack.
    expect([r.ofType(T.edgeConfig).length, r.ofType(T.edgeConfigToken).length, r.ofType(T.liveItem).length]).toEqual([1, 1, 1]);
  });
});
