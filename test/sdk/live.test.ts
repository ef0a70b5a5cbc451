/**
 * The app side of live features: the share comes from the Edge Config item, and when the store cannot
 * be read (or has no valid share), from the build-time env value; the bucketing is the same.
 */
import { describe, expect, it } from "vitest";
import { inRollout } from "../../infra/sdk/bucketing";
import { isLiveEnabled, KILLS_FIELD, liveItemValue, liveShare, readLiveItem } from "../../infra/sdk/live";

const F = "metadata-context/enhanced-context";

describe("liveShare", () => {
  it("takes the item's share when there is one", async () => {
    const reasons: string[] = [];
    const r = await liveShare(F, { read: async () => ({ [F]: "50", other: "10" }), fallback: "10", onFallback: (x) => reasons.push(x) });
    expect(r).toEqual({ share: "50", source: "edge-config" });
    expect(reasons).toEqual([]);
  });

  it("falls back to the env value when the store cannot be read, and says why", async () => {
    const reasons: string[] = [];
    const r = await liveShare(F, {
      read: async () => {
        throw new Error("fetch failed");
      },
      fallback: "10",
      onFallback: (x) => reasons.push(x),
    });
    expect(r).toEqual({ share: "10", source: "env" });
    expect(reasons).toEqual(["the store could not be read (fetch failed)"]);
  });

  it.each([
    ["the item is missing", undefined, "the item is not in the store"],
    ["the item lacks the feature", { other: "10" }, `the item has no share for ${F}`],
    ["the share is not a share", { [F]: "10+20" }, `the item's share for ${F} is not a valid share`],
    ["the share is a number", { [F]: 50 }, `the item's share for ${F} is not a valid share`],
  ])("falls back to the env value when %s", async (_what, value, reason) => {
    const reasons: string[] = [];
    expect(await liveShare(F, { read: async () => value, fallback: "beta+25", onFallback: (x) => reasons.push(x) })).toEqual({ share: "beta+25", source: "env" });
    expect(reasons).toEqual([reason]);
  });

  it("is off when neither the item nor the env value is usable", async () => {
    expect(await liveShare(F, { read: async () => null, fallback: undefined })).toEqual({ share: "0", source: "default" });
    expect(await liveShare(F, { read: async () => null, fallback: "150" })).toEqual({ share: "0", source: "default" });
  });
});

describe("isLiveEnabled", () => {
  it("buckets with the live share: a kill in the item turns everyone off whatever the env says", async () => {
    const ids = Array.from({ length: 200 }, (_, i) => `user-${i}`);
    const live = async (value: unknown) => Promise.all(ids.map((id) => isLiveEnabled(F, id, { read: async () => value, fallback: "100" })));
    expect((await live({ [F]: "0" })).filter(Boolean)).toHaveLength(0);
    expect(await live({ [F]: "50" })).toEqual(ids.map((id) => inRollout(F, id, "50")));
    // Unreadable: the build's 100 applies.
    expect((await live(undefined)).every(Boolean)).toBe(true);
  });

  it("passes cohorts through: a beta rung reaches beta users only", async () => {
    const opts = { read: async () => ({ [F]: "beta" }), fallback: "0" };
    expect(await isLiveEnabled(F, "u1", { ...opts, cohorts: ["beta"] })).toBe(true);
    expect(await isLiveEnabled(F, "u1", opts)).toBe(false);
  });
});

describe("the item's shape", () => {
  it("reads shares and kill records, and leaves out (naming) what is neither", () => {
    const record = { share: "0", from: "50", by: "a", at: "t", reason: "r" };
    const item = readLiveItem({ [F]: "0", x: 5, [KILLS_FIELD]: { [F]: record, bad: { share: 1 } } });
    expect(item).toEqual({ shares: { [F]: "0" }, kills: { [F]: record }, ignored: ["x", `${KILLS_FIELD}.bad`] });
    expect(readLiveItem("not an object")).toEqual({ shares: {}, kills: {}, ignored: [] });
  });

  it("stores features sorted and $kills only when there is one", () => {
    expect(JSON.stringify(liveItemValue({ shares: { b: "1", a: "2" }, kills: {} }))).toBe('{"a":"2","b":"1"}');
  });
});
