/**
 * Live features, pure: which features may be live, the shares a stack gives them, the reconcile that
 * `pulumi up` writes (the authority rule) and the kill that `kill --now` writes.
 */
import { describe, expect, it } from "vitest";
import { CATALOG } from "../../infra/apps";
import type { FeatureDecl } from "../../infra/apps/types";
import { loadStackConfigFile } from "../../infra/config";
import {
  boundedKillRecord,
  defaultItemKey,
  itemBytes,
  ITEM_KEY,
  KILL_RECORD_LIMITS,
  killItem,
  liveDeclarationProblems,
  liveFeaturesOf,
  liveItemValue,
  liveShares,
  reconcile,
  refusalMessage,
  shareOf,
  worstCaseItemBytes,
  type KillRecord,
} from "../../infra/rollout/live";

const A = "metadata-context/enhanced-context";
const B = "conversation-raw-storage/raw-storage";
const FIRST = { [A]: "0", [B]: "0" };

function kill(share: string, from: string, extra: Partial<KillRecord> = {}): KillRecord {
  return { share, from, by: "oncall@example.com", at: "2026-11-29T10:00:00.000Z", reason: "error spike", ...extra };
}

describe("which features are live", () => {
  it("the catalog makes exactly seed 002's enhanced context and seed 004's raw storage live", () => {
    expect(liveFeaturesOf(CATALOG).map((f) => f.key).sort()).toEqual([B, A]);
    for (const app of CATALOG) for (const f of app.features) expect(liveDeclarationProblems(f)).toEqual([]);
  });

  it("refuses a live feature that delivers a NEXT_PUBLIC_* value (inlined at build time), naming the key", () => {
    const f: FeatureDecl = {
      name: "early",
      description: "",
      live: true,
      rungs: [{ name: "off" }, { name: "10" }],
      delivery: [{ kind: "percent", key: "NEXT_PUBLIC_EARLY_PERCENT" }],
    };
    const problems = liveDeclarationProblems(f);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/NEXT_PUBLIC_EARLY_PERCENT: NEXT_PUBLIC_\* values are inlined at build time/);
    expect(liveDeclarationProblems({ ...f, live: false })).toEqual([]);
  });

  it("needs exactly one percent delivery: the env value the app falls back to", () => {
    const base: FeatureDecl = { name: "f", description: "", live: true, rungs: [{ name: "off" }, { name: "on" }], delivery: [{ kind: "enabled", key: "USE_F" }] };
    expect(liveDeclarationProblems(base)).toEqual([expect.stringMatching(/exactly one percent delivery.*it has 0/)]);
    const two: FeatureDecl = { ...base, delivery: [{ kind: "percent", key: "F_A" }, { kind: "percent", key: "F_B" }] };
    expect(liveDeclarationProblems(two)).toEqual([expect.stringMatching(/it has 2/)]);
  });

  it("gives each live feature the share its production rung delivers, the same text as its percent env var", () => {
    const prod = loadStackConfigFile("prod");
    expect(liveShares(prod.apps, prod.phases)).toEqual({ [A]: "10", [B]: "0" });
    expect(liveShares(prod.apps, {})).toEqual(FIRST);
    const beta: FeatureDecl = { name: "x", description: "", cohorts: ["beta"], rungs: [{ name: "off" }, { name: "beta" }, { name: "25" }, { name: "100" }], delivery: [] };
    expect(["off", "beta", "25", "100"].map((r) => shareOf(beta, r))).toEqual(["0", "beta", "beta+25", "100"]);
  });

  it("names the item rollout_<stack>, a valid Edge Config key", () => {
    expect(defaultItemKey("prod")).toBe("rollout_prod");
    expect(ITEM_KEY.test("rollout_prod")).toBe(true);
    expect(ITEM_KEY.test("rollout/prod")).toBe(false);
    expect(ITEM_KEY.test("x".repeat(256))).toBe(true);
    expect(ITEM_KEY.test("x".repeat(257))).toBe(false);
  });
});

describe("reconcile: what pulumi up writes, under the authority rule", () => {
  it("writes the stack's shares whole, every live feature included, and nothing else", () => {
    const r = reconcile({ [A]: "10", [B]: "0" }, { [A]: "50", [B]: "0" }, FIRST);
    expect(r).toMatchObject({ refused: [], cleared: [], unchanged: false });
    expect(liveItemValue(r.item)).toEqual({ [B]: "0", [A]: "50" });
  });

  it("is unchanged when the store already holds the shares (no write)", () => {
    expect(reconcile({ [A]: "10", [B]: "0" }, { [A]: "10", [B]: "0" }, FIRST).unchanged).toBe(true);
    expect(reconcile(undefined, { [A]: "10" }, FIRST).unchanged).toBe(false);
    // A stray entry (a dashboard edit) is rewritten away.
    expect(reconcile({ [A]: "10", junk: 5 }, { [A]: "10" }, FIRST).unchanged).toBe(false);
  });

  it("refuses to raise a killed feature while the stack file still has the old rung (an unmerged kill)", () => {
    const current = liveItemValue({ shares: { [A]: "0", [B]: "10" }, kills: { [A]: kill("0", "50") } });
    const r = reconcile(current, { [A]: "50", [B]: "10" }, FIRST);
    expect(r.refused).toEqual([{ feature: A, desired: "50", kill: kill("0", "50") }]);
    const message = refusalMessage("rollout_prod", r.refused);
    expect(message).toContain(`${A}: killed to "0" by oncall@example.com at 2026-11-29T10:00:00.000Z: error spike; the stack file says "50"`);
    expect(message).toMatch(/Merge the kill's pull request/);
  });

  it("clears the kill record once the stack file agrees, or lowers the feature to its first rung", () => {
    const current = liveItemValue({ shares: { [A]: "10" }, kills: { [A]: kill("10", "50") } });
    const agreed = reconcile(current, { [A]: "10" }, FIRST);
    expect(agreed).toMatchObject({ refused: [], cleared: [A], unchanged: false });
    expect(liveItemValue(agreed.item)).toEqual({ [A]: "10" });
    const lower = reconcile(current, { [A]: "0" }, FIRST);
    expect(lower).toMatchObject({ refused: [], cleared: [A] });
  });

  it("refuses to drop a killed feature from the item (the app would fall back to its old env value)", () => {
    const current = liveItemValue({ shares: { [A]: "0" }, kills: { [A]: kill("0", "50") } });
    const r = reconcile(current, {}, {});
    expect(r.refused).toEqual([{ feature: A, kill: kill("0", "50") }]);
    expect(refusalMessage("rollout_prod", r.refused)).toMatch(/no longer declares it live, which would drop the kill/);
  });
});

describe("killItem: what kill --now writes", () => {
  it("sets the feature's share, records the kill, keeps every other feature and record", () => {
    const current = liveItemValue({ shares: { [A]: "50", [B]: "10" }, kills: { [B]: kill("0", "10") } });
    const w = killItem(current, A, kill("0", "50"));
    expect(w.noop).toBe(false);
    expect(w.item).toEqual({ shares: { [A]: "0", [B]: "10" }, kills: { [A]: kill("0", "50"), [B]: kill("0", "10") } });
  });

  it("is a no-op the second time (the item already holds the same kill)", () => {
    const once = killItem({ [A]: "50" }, A, kill("0", "50"));
    const twice = killItem(liveItemValue(once.item), A, kill("0", "50", { at: "2026-11-29T10:05:00.000Z" }));
    expect(twice.noop).toBe(true);
    // Without a record the same share is still written once, with its record (the stack file may lag).
    expect(killItem({ [A]: "0" }, A, kill("0", "10")).noop).toBe(false);
  });

  it("writes an item that had no value yet (a kill before the first pulumi up)", () => {
    expect(liveItemValue(killItem(undefined, A, kill("0", "10")).item)).toEqual({ [A]: "0", $kills: { [A]: kill("0", "10") } });
  });

  it("bounds a record's free texts and replaces control characters, so its size is known in advance", () => {
    const r = boundedKillRecord(kill("0", "10", { reason: `a\u001b[2Jb${"x".repeat(1000)}`, by: "y".repeat(500) }));
    expect(r.reason.length).toBe(KILL_RECORD_LIMITS.reason);
    expect(r.reason.startsWith("a\uFFFD[2Jb")).toBe(true);
    expect(r.by.length).toBe(KILL_RECORD_LIMITS.by);
  });
});

describe("the item's size", () => {
  it("counts key and JSON value in UTF-8 bytes", () => {
    expect(itemBytes("k", { a: "é" })).toBe(1 + Buffer.byteLength('{"a":"é"}'));
  });

  it("bounds the worst case: any kill record within the limits fits under it", () => {
    const prod = loadStackConfigFile("prod");
    const worst = worstCaseItemBytes("rollout_prod", prod.apps);
    let value: unknown = liveItemValue({ shares: liveShares(prod.apps, prod.phases), kills: {} });
    for (const { key } of liveFeaturesOf(prod.apps)) {
      const record = kill("0", "beta+100", { by: "\u4e00".repeat(400), reason: "\u{1F600}".repeat(400), trigger: '"\\'.repeat(300) });
      value = liveItemValue(killItem(value, key, record).item);
    }
    expect(itemBytes("rollout_prod", value)).toBeLessThanOrEqual(worst);
    expect(worst).toBeGreaterThan(2 * (KILL_RECORD_LIMITS.reason + KILL_RECORD_LIMITS.trigger));
  });
});
