import { describe, expect, it } from "vitest";
import { CATALOG } from "../../infra/apps";
import { SESSION_PERSISTENCE_FLAGS, flagEnvKey } from "../../infra/apps/analy-ticket";
import type { FeatureDecl, Target } from "../../infra/apps/types";
import { deliveredValues, LadderDeclarationError, ladderOf, percentValue, rungNames } from "../../infra/rollout/ladder";

const app = (name: string) => CATALOG.find((a) => a.name === name)!;
const feature = (appName: string, name: string) => app(appName).features.find((f) => f.name === name)!;

describe("the catalog", () => {
  it("holds the five seed apps", () => {
    expect(CATALOG.map((a) => [a.name, a.seed])).toEqual([
      ["chat-sessions", "000"],
      ["analy-ticket", "001"],
      ["metadata-context", "002"],
      ["health-companion", "003"],
      ["conversation-raw-storage", "004"],
    ]);
  });

  it.each(CATALOG.map((a) => [a.name, a] as const))("%s: every ladder is valid and env keys are unique", (_n, a) => {
    for (const f of a.features) {
      expect(() => ladderOf(f)).not.toThrow();
      // Gates guard leaving a rung; a gate on the last rung would never be checked.
      expect(f.rungs[f.rungs.length - 1].gates ?? [], `${a.name}/${f.name}`).toEqual([]);
    }
    const keys = [...a.env.map((e) => e.key), ...a.features.flatMap((f) => f.delivery.map((d) => d.key))];
    expect(new Set(keys).size).toBe(keys.length);
    for (const e of a.env) {
      // Vercel rejects sensitive development vars; secrets never carry NEXT_PUBLIC_ (it would ship to browsers).
      if (e.sensitive) expect(e.targets ?? ["production", "preview"]).not.toContain("development");
      if (e.source.from === "secret" || e.source.from === "cronSecret") {
        expect(e.sensitive).toBe(true);
        expect(e.key.startsWith("NEXT_PUBLIC_")).toBe(false);
      }
    }
  });

  it("seed 000: the env of step 2, the cron of step 5, the two features", () => {
    const a = app("chat-sessions");
    expect(a.env.map((e) => e.key)).toEqual(expect.arrayContaining(["CRON_SECRET", "SESSION_CLEANUP_THRESHOLD_HOURS"]));
    expect(a.env.find((e) => e.key === "SESSION_CLEANUP_THRESHOLD_HOURS")!.source).toMatchObject({ from: "setting", default: "24" });
    expect(a.crons).toEqual([{ path: "/api/admin/cleanup-sessions", schedule: "0 2 * * *" }]);
    expect(rungNames(ladderOf(feature("chat-sessions", "early-session-creation")))).toEqual(["off", "10", "50", "100"]);
    expect(feature("chat-sessions", "early-session-creation").shortcuts).toEqual([["off", "100"]]);
    expect(rungNames(ladderOf(feature("chat-sessions", "cleanup")))).toEqual(["dry-run", "live"]);
  });

  it("seed 001: all 19 flags of the initial configuration, in four phases", () => {
    const flags = Object.values(SESSION_PERSISTENCE_FLAGS).flat();
    expect(flags).toHaveLength(19);
    expect(new Set(flags).size).toBe(19);
    // The guide's initial configuration turns exactly the core group on.
    expect([...SESSION_PERSISTENCE_FLAGS.core].sort()).toEqual(
      ["enhancedSessionManager", "automaticTokenRefresh", "errorRecoveryManager", "retryWithBackoff", "gracefulDegradation", "performanceMonitoring", "sessionExpirationWarning"].sort(),
    );
    const ladders = Object.fromEntries(app("analy-ticket").features.map((f) => [f.name, rungNames(ladderOf(f))]));
    expect(ladders).toEqual({
      core: ["off", "100"],
      connection: ["off", "10", "50", "100"],
      state: ["off", "5", "20", "50", "100"],
      advanced: ["off", "beta", "25", "100"],
    });
    const delivered = app("analy-ticket").features.flatMap((f) => f.delivery.filter((d) => d.kind === "enabled").map((d) => d.key));
    expect(delivered.sort()).toEqual(flags.map(flagEnvKey).sort());
    expect(flagEnvKey("enhancedSessionManager")).toBe("NEXT_PUBLIC_SP_ENHANCED_SESSION_MANAGER");
  });

  it("seed 001 phase 3 soaks: 3 days at 5%, a week at 20%, two weeks at 50%", () => {
    expect(feature("analy-ticket", "state").rungs.map((r) => r.soakHours ?? 0)).toEqual([0, 72, 168, 336, 0]);
  });

  it("seed 002: three production vars, 48 h soaks, the five kept secrets/settings", () => {
    const f = feature("metadata-context", "enhanced-context");
    expect(rungNames(ladderOf(f))).toEqual(["off", "10", "50", "100"]);
    expect(f.rungs.slice(1, 3).map((r) => r.soakHours)).toEqual([48, 48]);
    expect(deliveredValues(f, "10", "production")).toEqual({ USE_ENHANCED_METADATA_CONTEXT: "true", ENABLE_METADATA_ROLLOUT_PERCENTAGE: "10" });
    expect(deliveredValues(feature("metadata-context", "gpt5-mini"), "on", "production")).toEqual({ USE_GPT5_MINI: "true" });
    expect(app("metadata-context").env.map((e) => e.key).sort()).toEqual(
      ["NEXT_PUBLIC_SUPABASE_ANON_KEY", "NEXT_PUBLIC_SUPABASE_URL", "OPENAI_API_KEY", "REDIS_URL", "SUPABASE_SERVICE_ROLE_KEY"].sort(),
    );
  });

  it("seed 003: health_companion exposed, owner-only policies on threads", () => {
    const db = app("health-companion").database!;
    expect(db.schemas.find((x) => x.name === "health_companion")).toMatchObject({ exposed: true });
    expect(db.policies.map((p) => p.command).sort()).toEqual(["delete", "insert", "select", "update"]);
    for (const p of db.policies) {
      expect(p.on).toBe("health_companion.threads");
      expect(p.roles).toEqual(["authenticated"]);
      for (const expr of [p.using, p.withCheck].filter(Boolean)) expect(expr).toBe("(select auth.uid()) = user_id");
    }
    expect(db.policies.find((p) => p.command === "insert")!.withCheck).toBeDefined();
    expect(db.policies.find((p) => p.command === "update")!.withCheck).toBeDefined();
  });

  it("seed 004: a private bucket and raw/{uid}/ policies per command", () => {
    const db = app("conversation-raw-storage").database!;
    expect(db.buckets).toEqual([{ id: "conversation-files", public: false }]);
    expect(db.policies.map((p) => [p.on, p.command])).toEqual([
      ["storage.objects", "select"],
      ["storage.objects", "insert"],
      ["storage.objects", "update"],
      ["storage.objects", "delete"],
    ]);
    expect(db.checks.map((c) => c.name)).toContain("raw-response-columns");
  });
});

type Row = [app: string, feature: string, rung: string, target: Target, values: Record<string, string>];

describe("deliveredValues, for every feature of the catalog and every rung", () => {
  const rows: Row[] = [
    ["chat-sessions", "early-session-creation", "off", "production", { NEXT_PUBLIC_ENABLE_EARLY_SESSION_CREATION: "false", NEXT_PUBLIC_EARLY_SESSION_CREATION_PERCENT: "0" }],
    ["chat-sessions", "early-session-creation", "10", "production", { NEXT_PUBLIC_ENABLE_EARLY_SESSION_CREATION: "true", NEXT_PUBLIC_EARLY_SESSION_CREATION_PERCENT: "10" }],
    ["chat-sessions", "early-session-creation", "50", "preview", { NEXT_PUBLIC_ENABLE_EARLY_SESSION_CREATION: "true", NEXT_PUBLIC_EARLY_SESSION_CREATION_PERCENT: "50" }],
    ["chat-sessions", "early-session-creation", "100", "development", { NEXT_PUBLIC_ENABLE_EARLY_SESSION_CREATION: "true", NEXT_PUBLIC_EARLY_SESSION_CREATION_PERCENT: "100" }],
    ["chat-sessions", "cleanup", "dry-run", "production", { SESSION_CLEANUP_DRY_RUN: "true" }],
    ["chat-sessions", "cleanup", "live", "production", { SESSION_CLEANUP_DRY_RUN: "false" }],
    ["metadata-context", "enhanced-context", "off", "production", { USE_ENHANCED_METADATA_CONTEXT: "false", ENABLE_METADATA_ROLLOUT_PERCENTAGE: "0" }],
    ["metadata-context", "enhanced-context", "10", "production", { USE_ENHANCED_METADATA_CONTEXT: "true", ENABLE_METADATA_ROLLOUT_PERCENTAGE: "10" }],
    ["metadata-context", "enhanced-context", "50", "production", { USE_ENHANCED_METADATA_CONTEXT: "true", ENABLE_METADATA_ROLLOUT_PERCENTAGE: "50" }],
    ["metadata-context", "enhanced-context", "100", "production", { USE_ENHANCED_METADATA_CONTEXT: "true", ENABLE_METADATA_ROLLOUT_PERCENTAGE: "100" }],
    ["metadata-context", "gpt5-mini", "off", "production", { USE_GPT5_MINI: "false" }],
    ["metadata-context", "gpt5-mini", "on", "production", { USE_GPT5_MINI: "true" }],
    ["health-companion", "multi-thread-chat", "off", "production", { NEXT_PUBLIC_MULTI_THREAD_CHAT: "false" }],
    ["health-companion", "multi-thread-chat", "on", "preview", { NEXT_PUBLIC_MULTI_THREAD_CHAT: "true" }],
    ["conversation-raw-storage", "raw-storage", "off", "production", { RAW_RESPONSE_STORAGE_PERCENT: "0" }],
    ["conversation-raw-storage", "raw-storage", "10", "production", { RAW_RESPONSE_STORAGE_PERCENT: "10" }],
    ["conversation-raw-storage", "raw-storage", "100", "production", { RAW_RESPONSE_STORAGE_PERCENT: "100" }],
  ];
  // Analy-Ticket: each group's flags on past the first rung, and the group's share.
  const shares: Record<string, Record<string, string>> = {
    core: { off: "0", "100": "100" },
    connection: { off: "0", "10": "10", "50": "50", "100": "100" },
    state: { off: "0", "5": "5", "20": "20", "50": "50", "100": "100" },
    advanced: { off: "0", beta: "beta", "25": "beta+25", "100": "100" },
  };
  for (const [group, byRung] of Object.entries(shares)) {
    for (const [rung, share] of Object.entries(byRung)) {
      const flags = SESSION_PERSISTENCE_FLAGS[group as keyof typeof SESSION_PERSISTENCE_FLAGS];
      rows.push([
        "analy-ticket",
        group,
        rung,
        "production",
        {
          ...Object.fromEntries(flags.map((f) => [flagEnvKey(f), rung === "off" ? "false" : "true"])),
          [`NEXT_PUBLIC_SP_${group.toUpperCase()}_ROLLOUT`]: share,
        },
      ]);
    }
  }

  it("covers every rung of every feature", () => {
    const covered = new Set(rows.map((r) => `${r[0]}/${r[1]}/${r[2]}`));
    const all = CATALOG.flatMap((a) => a.features.flatMap((f) => f.rungs.map((r) => `${a.name}/${f.name}/${r.name}`)));
    expect([...covered].sort()).toEqual(all.sort());
  });

  it.each(rows)("%s/%s at %s on %s", (appName, featureName, rung, target, values) => {
    expect(deliveredValues(feature(appName, featureName), rung, target)).toEqual(values);
  });

  it("refuses a rung that is not on the ladder", () => {
    expect(() => deliveredValues(feature("chat-sessions", "cleanup"), "50", "production")).toThrow(/"50" is not a rung \(dry-run, live\)/);
  });

  it("a delivery restricted to some targets is absent elsewhere", () => {
    const f: FeatureDecl = {
      name: "server-only",
      description: "",
      rungs: [{ name: "off" }, { name: "on" }],
      delivery: [
        { kind: "enabled", key: "A" },
        { kind: "enabled", key: "B", targets: ["production"] },
      ],
    };
    expect(deliveredValues(f, "on", "production")).toEqual({ A: "true", B: "true" });
    expect(deliveredValues(f, "on", "development")).toEqual({ A: "true" });
  });
});

describe("ladderOf rejects bad declarations", () => {
  const base = (rungs: string[], extra: Partial<FeatureDecl> = {}): FeatureDecl => ({
    name: "f",
    description: "",
    rungs: rungs.map((name) => ({ name })),
    delivery: [{ kind: "percent", key: "P" }],
    ...extra,
  });
  it.each([
    [["off", "50", "10"], /percent rungs must rise/],
    [["off", "10", "10"], /appears twice/],
    [["10", "off"], /"off" must be the first rung/],
    [["off"], /at least two rungs/],
    [["off", "Beta!"], /not a valid rung name/],
    [["off", "150"], /not a valid rung name/],
  ])("%j", (rungs, message) => {
    expect(() => ladderOf(base(rungs))).toThrow(LadderDeclarationError);
    expect(() => ladderOf(base(rungs))).toThrow(message);
  });
  it("a map delivery must cover every rung, a shortcut must name rungs", () => {
    expect(() => ladderOf(base(["off", "on"], { delivery: [{ kind: "map", key: "M", values: { off: "0" } }] }))).toThrow(/no value for rung "on"/);
    expect(() => ladderOf(base(["off", "10"], { shortcuts: [["off", "99"]] }))).toThrow(/unknown rung/);
  });
  it("a percent after a cohort is the union", () => {
    const l = ladderOf(base(["off", "beta", "25"], { cohorts: ["beta"] }));
    expect(l.rungs.map(percentValue)).toEqual(["0", "beta", "beta+25"]);
  });
});
