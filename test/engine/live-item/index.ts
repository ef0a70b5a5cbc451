/**
 * One `LiveItem` (infra/vercel/live.ts) from stack config, for the engine tier
 * (`test/engine/live-item.test.ts`): the real program declares it next to Vercel provider resources
 * (the store, its token), whose plugin is not available offline, so the item is tested here alone,
 * through the real dynamic-provider host. Config keys (namespace `live-item`): `storeId`, `item`,
 * `team`, `shares` and `firstShares` (objects of feature → share, as strings).
 */
import * as pulumi from "@pulumi/pulumi";
import { LiveItem } from "../../../infra/vercel/live";

const config = new pulumi.Config();

const item = new LiveItem("live-item", {
  storeId: config.require("storeId"),
  item: config.require("item"),
  team: config.require("team"),
  shares: config.requireObject<Record<string, string>>("shares"),
  firstShares: config.requireObject<Record<string, string>>("firstShares"),
});

/** The shares the state holds for the item (what `pulumi refresh` read back, after one). */
export const shares = item.shares;
