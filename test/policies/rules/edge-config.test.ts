import { describe, expect, it } from "vitest";
import { edgeConfigConnectionSensitive, edgeConfigItem } from "../../../policies/rules/edge-config";
import { TYPES } from "../../../policies/rules/support";
import { UNKNOWN, runResourcePolicy } from "../harness";

const item = (props: Record<string, unknown>) => ({ type: TYPES.liveItem, name: "live-item", props: { storeId: "ecfg_x", team: "acme", firstShares: {}, ...props } });

describe("edge-config-item", () => {
  const policy = edgeConfigItem();

  it("passes the stack's item", async () => {
    expect(await runResourcePolicy(policy, item({ item: "rollout_prod", shares: { "metadata-context/enhanced-context": "10" } }))).toEqual({ violations: [] });
  });

  it("flags a key Vercel refuses", async () => {
    const out = await runResourcePolicy(policy, item({ item: "rollout/prod", shares: {} }));
    expect(out.violations.map((v) => v.message)).toEqual(['Edge Config item "rollout/prod": Vercel item keys match ^[A-Za-z0-9_-]{1,256}$.']);
  });

  it("flags an item larger than the plan's store, by the pack's vercelPlan (default pro)", async () => {
    const shares = Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`app/feature-${i}`, "beta+25"]));
    const bytes = Buffer.byteLength("rollout_prod") + Buffer.byteLength(JSON.stringify(shares));
    expect(bytes).toBeGreaterThan(8_000);
    expect(bytes).toBeLessThan(64_000);
    expect((await runResourcePolicy(policy, item({ item: "rollout_prod", shares }))).violations).toEqual([]);
    const hobby = await runResourcePolicy(policy, item({ item: "rollout_prod", shares }), { vercelPlan: "hobby" });
    expect(hobby.violations.map((v) => v.message)).toEqual([`Edge Config item rollout_prod is ${bytes} bytes; a hobby store holds 8000.`]);
  });

  it("reports unknown shares as unknown during preview", async () => {
    const out = await runResourcePolicy(policy, item({ item: "rollout_prod", shares: UNKNOWN.object }));
    expect(out.violations).toEqual([]);
    expect(out.unknown).toBeDefined();
  });
});

describe("edge-config-connection-sensitive", () => {
  const policy = edgeConfigConnectionSensitive();
  const envVar = (key: string, sensitive: boolean) => ({ type: TYPES.envVar, name: `app-env-${key}`, props: { key, sensitive, targets: ["production"] } });

  it("passes a sensitive EDGE_CONFIG and ignores other keys", async () => {
    expect(await runResourcePolicy(policy, envVar("EDGE_CONFIG", true))).toEqual({ violations: [] });
    expect(await runResourcePolicy(policy, envVar("ROLLOUT_LIVE_ITEM", false))).toEqual({ violations: [] });
  });

  it("flags a readable EDGE_CONFIG", async () => {
    const out = await runResourcePolicy(policy, envVar("EDGE_CONFIG", false));
    expect(out.violations.map((v) => v.message)).toEqual(["Env var app-env-EDGE_CONFIG: EDGE_CONFIG carries a token that reads the whole store; set sensitive: true."]);
  });
});
