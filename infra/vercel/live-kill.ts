/**
 * `rollout kill --now` (and `rollback --now`, and `rollout watch` on a trip): the share written straight
 * to the stack's Edge Config item, with the kill recorded in it, in one read and one write. The
 * stack-file edit is the caller's (the ordinary kill); this is the part that takes seconds.
 *
 * Which store: `--edge-config-id`, else the ID in the stack's `edgeConfig.store`, else
 * `ROLLOUT_EDGE_CONFIG_ID`, else the creating stack's output (`pulumi stack output edgeConfigId`, when
 * a `pulumi` CLI is on PATH and logged in). Which token: `VERCEL_API_TOKEN` (never printed).
 */
import { execFileSync } from "child_process";
import type { StackConfig } from "../config";
import { killItem, liveFeaturesOf, type KillRecord } from "../rollout/live";
import { liveItemValue } from "../sdk/live";
import { apiOptionsFromEnv, edgeConfigApi, VERCEL_TOKEN_ENV, type EdgeConfigItemsApi } from "./edge-config-api";

/** The environment variable naming the store when the stack file does not (stacks that create it). */
export const EDGE_CONFIG_ID_ENV = "ROLLOUT_EDGE_CONFIG_ID";

/** The instant kill cannot be made (not live, no store, no token): the message says why and what to do. */
export class LiveKillUnavailable extends Error {}

export interface KillNowRequest {
  config: StackConfig;
  /** `<app>/<feature>` */
  feature: string;
  record: KillRecord;
  /** `--edge-config-id`. */
  storeId?: string;
  /** The project root (where `pulumi stack output` runs). */
  root: string;
  env: NodeJS.ProcessEnv;
  /** For tests: the API client. @default from the environment */
  api?: EdgeConfigItemsApi;
}

export interface KillNowResult {
  storeId: string;
  item: string;
  feature: string;
  share: string;
  /** The item already held this kill: nothing was written. */
  noop: boolean;
  /** Milliseconds from the read to the acknowledged write. */
  ms: number;
}

/** The store's ID for a stack, by the precedence above; throws `LiveKillUnavailable` when none is found. */
export function resolveStoreId(config: StackConfig, explicit: string | undefined, env: NodeJS.ProcessEnv, root: string): string {
  if (explicit) return explicit;
  if (config.edgeConfig?.id) return config.edgeConfig.id;
  if (env[EDGE_CONFIG_ID_ENV]) return env[EDGE_CONFIG_ID_ENV]!;
  try {
    const out = execFileSync("pulumi", ["stack", "output", "edgeConfigId", "--stack", config.stack, "--cwd", root], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 30_000,
    }).trim();
    if (/^ecfg_[A-Za-z0-9]+$/.test(out)) return out;
  } catch {
    // no pulumi on PATH, not logged in, or no such output: fall through to the message
  }
  throw new LiveKillUnavailable(
    `stack ${config.stack} creates its Edge Config store, and its ID is not known here: pass --edge-config-id ecfg_… or set ${EDGE_CONFIG_ID_ENV} (pulumi stack output edgeConfigId --stack ${config.stack})`,
  );
}

/** Checks that an instant kill is possible for the feature (before anything is written). */
export function liveKillTarget(config: StackConfig, feature: string): { item: string } {
  if (!liveFeaturesOf(config.apps).some((f) => f.key === feature)) {
    throw new LiveKillUnavailable(`${feature} is not live (its app declaration does not say live: true): only its env vars carry it, so the kill takes effect after the stack-file change is deployed`);
  }
  if (config.mode !== "cloud" || !config.edgeConfig) {
    throw new LiveKillUnavailable(`stack ${config.stack} has no rollout-stack:edgeConfig: its live features travel by env vars only, so the kill takes effect after the stack-file change is deployed`);
  }
  return { item: config.edgeConfig.item };
}

/** Writes the kill to the item (read, `killItem`, one upsert). Throws `LiveKillUnavailable` or the API's error. */
export async function killNow(req: KillNowRequest): Promise<KillNowResult> {
  const { item } = liveKillTarget(req.config, req.feature);
  if (!req.api && !req.env[VERCEL_TOKEN_ENV]) {
    throw new LiveKillUnavailable(`${VERCEL_TOKEN_ENV} is not set: the instant kill needs a Vercel token that can write the team's Edge Config`);
  }
  const storeId = resolveStoreId(req.config, req.storeId, req.env, req.root);
  const api = req.api ?? edgeConfigApi(apiOptionsFromEnv(req.env, req.config.vercel.team));
  const started = Date.now();
  const current = await api.readItem(storeId, item);
  const write = killItem(current, req.feature, req.record);
  if (!write.noop) await api.upsertItem(storeId, item, liveItemValue(write.item));
  return { storeId, item, feature: req.feature, share: req.record.share, noop: write.noop, ms: Date.now() - started };
}
