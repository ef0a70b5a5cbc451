/**
 * The Edge Config side of a stack, decided before any resource exists. Pure: no Pulumi, no network.
 *
 * One store per team (stores are scarce: Hobby 1, Pro 3, Enterprise 10), created by one stack
 * (`edgeConfig.store: create`) and referenced by ID from the others; each stack writes one item
 * (`rollout_<stack>`) holding its live features' shares (shape: `infra/sdk/live.ts`). Every app with
 * a live feature gets the store's connection string as the sensitive `EDGE_CONFIG` env var and the
 * item's key as `ROLLOUT_LIVE_ITEM`, on production only: preview deployments keep their build-time
 * values (a preview may run other rungs than production, and the item holds production's).
 */
import type { AppDecl } from "../apps/types";
import { ConfigError, NAMESPACE, type StackConfig, type VercelPlan } from "../config";
import { liveFeaturesOf, liveShares, worstCaseItemBytes, itemBytes, liveItemValue } from "../rollout/live";

/**
 * Vercel's maximum store size per plan ("8 KB / 64 KB / 512 KB", https://vercel.com/docs/pricing/edge-config),
 * read as thousands of bytes, the smaller reading: a stack that fits it fits either.
 */
export const EDGE_CONFIG_STORE_LIMITS: Readonly<Record<VercelPlan, number>> = { hobby: 8_000, pro: 64_000, enterprise: 512_000 };
/** Stores a team may have (same page): why the stacks share one. */
export const EDGE_CONFIG_STORES_PER_TEAM: Readonly<Record<VercelPlan, number>> = { hobby: 1, pro: 3, enterprise: 10 };
/** The name of the store a `create` stack makes. */
export const STORE_NAME = "rollout-stack";

export interface LivePlan {
  /** `create`: this stack creates the store; otherwise the ID of the store another stack created. */
  store: { create: true; name: string } | { create: false; id: string };
  item: string;
  /** `<app>/<feature>` → share on production, the item's value (kill records aside). */
  shares: Record<string, string>;
  /** `<app>/<feature>` → the first rung's share: a reconcile may always lower a killed feature to it. */
  firstShares: Record<string, string>;
  /** Apps that read the item (they get `EDGE_CONFIG` and `ROLLOUT_LIVE_ITEM`). */
  apps: string[];
  /**
   * The item's weight against the plan's store limit: now, and at worst (every feature at its longest
   * share with a kill record at the record limits). Other stacks' items share the store.
   */
  size: { bytes: number; worstCase: number; limit: number; plan: VercelPlan };
}

/** The apps of a stack that have live features. */
export function liveApps(apps: readonly AppDecl[]): AppDecl[] {
  return apps.filter((a) => a.features.some((f) => f.live));
}

/**
 * The stack's Edge Config plan, or null when it has nothing to write (local mode, no live feature, or
 * no `edgeConfig` key: then live features travel by env vars only, and the plan says so in `warnings`).
 * Throws `ConfigError` when the item could outgrow the plan's store limit.
 */
export function planLive(config: StackConfig): { live: LivePlan | null; warnings: string[] } {
  if (config.mode !== "cloud") return { live: null, warnings: [] };
  const features = liveFeaturesOf(config.apps);
  if (!features.length) return { live: null, warnings: [] };
  if (!config.edgeConfig) {
    return {
      live: null,
      warnings: [
        `live features (${features.map((f) => f.key).join(", ")}) are delivered by env vars only: this stack sets no ${NAMESPACE}:edgeConfig, so a kill needs a deployment; set edgeConfig.store (create, or the shared store's ID) for kills in seconds`,
      ],
    };
  }
  const { edgeConfig, vercel } = config;
  const shares = liveShares(config.apps, config.phases);
  const firstShares = liveShares(config.apps, {});
  const worstCase = worstCaseItemBytes(edgeConfig.item, config.apps);
  const limit = EDGE_CONFIG_STORE_LIMITS[vercel.plan];
  if (worstCase > limit) {
    throw new ConfigError(config.stack, [
      {
        key: `${NAMESPACE}:edgeConfig`,
        message: `item ${edgeConfig.item} can reach ${worstCase} bytes (${features.length} live features with kill records); a ${vercel.plan} store holds ${limit}: make fewer features live or move to a larger plan`,
      },
    ]);
  }
  return {
    live: {
      store: edgeConfig.create ? { create: true, name: STORE_NAME } : { create: false, id: edgeConfig.id! },
      item: edgeConfig.item,
      shares,
      firstShares,
      apps: liveApps(config.apps).map((a) => a.name),
      size: { bytes: itemBytes(edgeConfig.item, liveItemValue({ shares, kills: {} })), worstCase, limit, plan: vercel.plan },
    },
    warnings: [],
  };
}
