/**
 * The Edge Config side of a stack: the `edgeConfig` key, the item's plan and size against the Vercel
 * plan's store limit, and the env vars of apps with live features.
 */
import { describe, expect, it } from "vitest";
import { CATALOG } from "../../infra/apps";
import type { AppDecl, FeatureDecl } from "../../infra/apps/types";
import { loadStackConfigFile, parseStackConfig, type RawEntry, type StackConfig } from "../../infra/config";
import { planStack } from "../../infra/model";
import { AppDeclarationError, planVercelApp } from "../../infra/vercel/env-plan";
import { EDGE_CONFIG_STORE_LIMITS, planLive } from "../../infra/vercel/live-plan";
import { stackFileEntries, readStackFile, stackFilePath } from "../../infra/stack-file";
import { configProblems } from "../support/config-error";

const plain = (value: unknown): RawEntry => ({ value, secret: false });

/** The prod stack file's raw entries, with some keys replaced. */
function prodRaw(overrides: Record<string, unknown> = {}): Record<string, RawEntry> {
  const raw = { ...stackFileEntries(readStackFile(stackFilePath("prod"))!) };
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete raw[k];
    else raw[k] = plain(v);
  }
  return raw;
}


describe("the edgeConfig stack key", () => {
  it("prod creates the shared store and writes rollout_prod", () => {
    expect(loadStackConfigFile("prod").edgeConfig).toEqual({ create: true, item: "rollout_prod" });
  });

  it("another stack references the store by ID and may name its item", () => {
    const cfg = parseStackConfig("staging", prodRaw({ "rollout-stack:edgeConfig": { store: "ecfg_abc123", item: "rollout_stage" } }));
    expect(cfg.edgeConfig).toEqual({ create: false, id: "ecfg_abc123", item: "rollout_stage" });
  });

  it("names the key and the fix for a store that is neither create nor an ID, and for an item key Vercel refuses", () => {
    const p = configProblems(() => parseStackConfig("prod", prodRaw({ "rollout-stack:edgeConfig": { store: "my-store", item: "rollout/prod" } })));
    expect(p.map((x) => x.key).sort()).toEqual(["rollout-stack:edgeConfig.item", "rollout-stack:edgeConfig.store"]);
    expect(p.find((x) => x.key.endsWith("store"))!.message).toMatch(/"create".*or a store ID such as ecfg_abc123/);
    expect(p.find((x) => x.key.endsWith("item"))!.message).toMatch(/\^\[A-Za-z0-9_-\]\{1,256\}\$/);
  });

  it("refuses a default item key a stack name would make invalid, suggesting one", () => {
    const p = configProblems(() => parseStackConfig("eu.prod", prodRaw({ "rollout-stack:edgeConfig": { store: "create" } })));
    expect(p).toEqual([expect.objectContaining({ key: "rollout-stack:edgeConfig.item", message: expect.stringMatching(/rollout_eu\.prod.*set edgeConfig\.item, e\.g\. rollout_eu_prod/) })]);
  });

  it("refuses unknown keys inside it", () => {
    const p = configProblems(() => parseStackConfig("prod", prodRaw({ "rollout-stack:edgeConfig": { store: "create", tokn: "x" } })));
    expect(p.map((x) => x.key)).toEqual(["rollout-stack:edgeConfig.tokn"]);
  });
});

describe("planLive", () => {
  it("plans prod's item: the live shares, the apps that read it, its size against the Pro limit", () => {
    const { live, warnings } = planLive(loadStackConfigFile("prod"));
    expect(warnings).toEqual([]);
    expect(live).toMatchObject({
      store: { create: true, name: "rollout-stack" },
      item: "rollout_prod",
      shares: { "metadata-context/enhanced-context": "10", "conversation-raw-storage/raw-storage": "0" },
      firstShares: { "metadata-context/enhanced-context": "0", "conversation-raw-storage/raw-storage": "0" },
      apps: ["metadata-context", "conversation-raw-storage"],
      size: { limit: 64_000, plan: "pro" },
    });
    expect(live!.size.bytes).toBe(Buffer.byteLength("rollout_prod") + Buffer.byteLength(JSON.stringify({ "conversation-raw-storage/raw-storage": "0", "metadata-context/enhanced-context": "10" })));
    expect(live!.size.worstCase).toBeGreaterThan(live!.size.bytes);
  });

  it("without edgeConfig, says live features travel by env vars only (and plans no item)", () => {
    const { live, warnings } = planLive(loadStackConfigFile("staging"));
    expect(live).toBeNull();
    expect(warnings).toEqual([expect.stringMatching(/^live features \(metadata-context\/enhanced-context, conversation-raw-storage\/raw-storage\) are delivered by env vars only/)]);
  });

  it("plans nothing on the local stack (no Vercel)", () => {
    expect(planLive(loadStackConfigFile("local"))).toEqual({ live: null, warnings: [] });
  });

  it("refuses a stack whose item could outgrow a Hobby store, naming the key and the limit", () => {
    const many: FeatureDecl[] = Array.from({ length: 6 }, (_, i) => ({
      name: `f${i}`,
      description: "",
      live: true,
      cohorts: ["beta"],
      rungs: [{ name: "off" }, { name: "beta" }, { name: "25" }, { name: "100" }],
      delivery: [{ kind: "percent", key: `F${i}_PERCENT` }],
    }));
    const app: AppDecl = { name: "big", seed: "x", description: "", vercel: { framework: "nextjs", gitRepository: { type: "github", repo: "a/b" } }, env: [], features: many, crons: [] };
    const raw = {
      "rollout-stack:vercelTeam": plain("acme"),
      "rollout-stack:apps": plain(["big"]),
      "rollout-stack:phases": plain(Object.fromEntries(many.map((f) => [`big/${f.name}`, "off"]))),
      "rollout-stack:edgeConfig": plain({ store: "create" }),
    };
    const hobby = parseStackConfig("prod", { ...raw, "rollout-stack:vercelPlan": plain("hobby") }, { catalog: [app] });
    const p = configProblems(() => planLive(hobby));
    expect(p).toEqual([{ key: "rollout-stack:edgeConfig", message: expect.stringMatching(new RegExp(`^item rollout_prod can reach \\d+ bytes \\(6 live features with kill records\\); a hobby store holds ${EDGE_CONFIG_STORE_LIMITS.hobby}`)) }]);
    // The same stack fits a Pro store.
    const pro = parseStackConfig("prod", { ...raw, "rollout-stack:vercelPlan": plain("pro") }, { catalog: [app] });
    expect(planLive(pro).live!.size.worstCase).toBeGreaterThan(EDGE_CONFIG_STORE_LIMITS.hobby);
  });
});

describe("the env of an app with live features", () => {
  const envOf = (cfg: StackConfig, app: string) => planVercelApp(cfg.apps.find((a) => a.name === app)!, cfg).env;

  it("gets EDGE_CONFIG (sensitive, the token's connection string) and ROLLOUT_LIVE_ITEM, on production only", () => {
    const env = envOf(loadStackConfigFile("prod"), "metadata-context");
    expect(env.filter((e) => e.key === "EDGE_CONFIG")).toEqual([
      {
        key: "EDGE_CONFIG",
        slot: "main",
        targets: ["production"],
        sensitive: true,
        value: { kind: "edgeConfig" },
        origin: { kind: "live", item: "rollout_prod" },
        comment: "Edge Config connection string (read-only token of the stack's store; live item rollout_prod); managed by rollout-stack (stack prod)",
        importId: undefined,
      },
    ]);
    expect(env.filter((e) => e.key === "ROLLOUT_LIVE_ITEM")).toEqual([
      {
        key: "ROLLOUT_LIVE_ITEM",
        slot: "main",
        targets: ["production"],
        sensitive: false,
        value: { kind: "plain", value: "rollout_prod" },
        origin: { kind: "live", item: "rollout_prod" },
        comment: '"rollout_prod" from edgeConfig.item (the live item); managed by rollout-stack (stack prod)',
        importId: undefined,
      },
    ]);
  });

  it("the comments name another stack's item", () => {
    const staging = parseStackConfig("staging", prodRaw({ "rollout-stack:edgeConfig": { store: "ecfg_abc123", item: "rollout_stage" } }));
    const comments = Object.fromEntries(envOf(staging, "metadata-context").map((e) => [e.key, e.comment]));
    expect(comments.EDGE_CONFIG).toBe("Edge Config connection string (read-only token of the stack's store; live item rollout_stage); managed by rollout-stack (stack staging)");
    expect(comments.ROLLOUT_LIVE_ITEM).toBe('"rollout_stage" from edgeConfig.item (the live item); managed by rollout-stack (stack staging)');
  });

  it("refuses an app that declares EDGE_CONFIG or ROLLOUT_LIVE_ITEM itself, naming both sources", () => {
    const metadata = CATALOG.find((a) => a.name === "metadata-context")!;
    const own: AppDecl = {
      ...metadata,
      env: [
        ...metadata.env,
        { key: "EDGE_CONFIG", source: { from: "secret" }, sensitive: true, description: "own store" },
        { key: "ROLLOUT_LIVE_ITEM", source: { from: "setting", default: "mine" }, sensitive: false, description: "own item" },
      ],
    };
    const cfg = parseStackConfig("prod", prodRaw(), { catalog: CATALOG.map((a) => (a === metadata ? own : a)) });
    try {
      planVercelApp(own, cfg);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(AppDeclarationError);
      expect((e as AppDeclarationError).problems).toEqual([
        "EDGE_CONFIG: declared twice (secret rollout-stack:metadata-context.EDGE_CONFIG and the stack's Edge Config token); each key has one source",
        "ROLLOUT_LIVE_ITEM: declared twice (setting metadata-context/ROLLOUT_LIVE_ITEM and the stack's Edge Config item); each key has one source",
      ]);
    }
  });

  it("apps without live features get neither; stacks without a store give neither", () => {
    const prod = loadStackConfigFile("prod");
    expect(envOf(prod, "chat-sessions").map((e) => e.key)).not.toContain("EDGE_CONFIG");
    expect(envOf(loadStackConfigFile("staging"), "metadata-context").map((e) => e.key)).not.toContain("EDGE_CONFIG");
  });

  it("the first appearance of EDGE_CONFIG redeploys production (as any production env change)", () => {
    const without = planStack(parseStackConfig("prod", prodRaw({ "rollout-stack:edgeConfig": undefined })));
    const withIt = planStack(loadStackConfigFile("prod"));
    const meta = (p: typeof withIt) => p.apps.find((a) => a.app === "metadata-context")!.vercel!.production;
    expect(Object.keys(meta(withIt)).filter((k) => !(k in meta(without))).sort()).toEqual(["EDGE_CONFIG", "ROLLOUT_LIVE_ITEM"]);
  });

  it("the catalog refuses a live feature delivered through NEXT_PUBLIC_*, whatever the stack", () => {
    const metadata = CATALOG.find((a) => a.name === "metadata-context")!;
    const bad: AppDecl = {
      ...metadata,
      features: metadata.features.map((f) => (f.name === "enhanced-context" ? { ...f, delivery: [...f.delivery, { kind: "enabled" as const, key: "NEXT_PUBLIC_ENHANCED" }] } : f)),
    };
    const cfg = parseStackConfig("prod", prodRaw(), { catalog: CATALOG.map((a) => (a === metadata ? bad : a)) });
    expect(() => planVercelApp(bad, cfg)).toThrow(AppDeclarationError);
    expect(() => planVercelApp(bad, cfg)).toThrow(/NEXT_PUBLIC_ENHANCED: NEXT_PUBLIC_\* values are inlined at build time/);
  });
});
