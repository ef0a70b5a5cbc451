/**
 * Live shares: what the app reads at request time from the stack's Edge Config item, and the one
 * definition of that item's shape (the tools write it, the app reads it). Dependency-free like
 * `bucketing.ts`: pass it the Edge Config read of your choice.
 *
 * The item (key in the app's `ROLLOUT_LIVE_ITEM` env var, e.g. `rollout_prod`) is an object:
 *
 *   { "metadata-context/enhanced-context": "10",
 *     "$kills": { "metadata-context/enhanced-context": { share, from, by, at, reason, trigger? } } }
 *
 * one share per live feature (`"0"`, `"10"`, `"beta+25"`, `"100"`: the same values as the feature's
 * percent env var), the shape the Flags SDK's Edge Config adapter reads with `edgeConfigItemKey` set
 * to the item key; `$kills` records kills made in seconds (`rollout kill --now`) until their stack-file
 * change is deployed. The app never needs `$kills`: the share already says "0".
 *
 * Which value wins: the item's share; when the store cannot be read, the item is missing, or it has no
 * valid share for the feature, the env value the deployment was built with (`fallback`).
 */
import { inRollout, parseShare, type InRolloutOptions } from "./bucketing";

/** The env var that names the stack's item (set by the stack on every app with live features). */
export const LIVE_ITEM_ENV = "ROLLOUT_LIVE_ITEM";
/** The env var holding the Edge Config connection string (read by `@vercel/edge-config`). */
export const EDGE_CONFIG_ENV = "EDGE_CONFIG";
/** The field of the item that records kills; never a feature key (feature keys are `<app>/<feature>`). */
export const KILLS_FIELD = "$kills";

/** A kill written straight to the store, kept in the item until the stack file agrees. */
export interface KillRecord {
  /** The share the feature was set to (its first rung's, or the rung a `rollback --now` went to). */
  share: string;
  /** The share before the kill. */
  from: string;
  /** Who: the git user, `$GITHUB_ACTOR` or `rollout watch`. */
  by: string;
  /** When (ISO 8601). */
  at: string;
  reason: string;
  /** The kill trigger that tripped, e.g. `error-share: 7.5 > 5` (kills by `rollout watch`). */
  trigger?: string;
}

/** The item's value, read: shares by feature and kill records by feature. */
export interface LiveItem {
  shares: Record<string, string>;
  kills: Record<string, KillRecord>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function isKillRecord(v: unknown): v is KillRecord {
  if (!isObject(v)) return false;
  return ["share", "from", "by", "at", "reason"].every((k) => typeof v[k] === "string") && (v.trigger === undefined || typeof v.trigger === "string");
}

/**
 * Reads an item value as stored. Entries that are not a feature share or a kill record are left out
 * (and named in `ignored`), so a hand edit in the dashboard cannot make the reader throw.
 */
export function readLiveItem(value: unknown): LiveItem & { ignored: string[] } {
  const out: LiveItem & { ignored: string[] } = { shares: {}, kills: {}, ignored: [] };
  if (!isObject(value)) return out;
  for (const [key, v] of Object.entries(value)) {
    if (key === KILLS_FIELD) {
      if (!isObject(v)) {
        out.ignored.push(key);
        continue;
      }
      for (const [feature, record] of Object.entries(v)) {
        if (isKillRecord(record)) out.kills[feature] = { ...record };
        else out.ignored.push(`${KILLS_FIELD}.${feature}`);
      }
    } else if (typeof v === "string" && validShare(v)) {
      out.shares[key] = v;
    } else {
      out.ignored.push(key);
    }
  }
  return out;
}

/** The value to store for an item: features in sorted order, `$kills` only when there is one. */
export function liveItemValue(item: LiveItem): Record<string, unknown> {
  const value: Record<string, unknown> = {};
  for (const key of Object.keys(item.shares).sort()) value[key] = item.shares[key];
  const kills = Object.keys(item.kills).sort();
  if (kills.length) value[KILLS_FIELD] = Object.fromEntries(kills.map((k) => [k, { ...item.kills[k] }]));
  return value;
}

function validShare(share: string): boolean {
  try {
    parseShare(share);
    return true;
  } catch {
    return false;
  }
}

export interface LiveShareOptions {
  /**
   * Reads the stack's item, e.g. with `@vercel/edge-config`:
   * `() => createClient(process.env.EDGE_CONFIG).get(process.env.ROLLOUT_LIVE_ITEM!)`.
   */
  read: () => Promise<unknown>;
  /** The feature's build-time value, e.g. `process.env.ENABLE_METADATA_ROLLOUT_PERCENTAGE`. */
  fallback: string | undefined;
  /** Told why the fallback was used (store unreachable, item missing, invalid value). @default ignored */
  onFallback?: (reason: string) => void;
}

export interface LiveShare {
  share: string;
  source: "edge-config" | "env" | "default";
}

/**
 * The feature's share now: the item's, else the env value, else `"0"` (off) when neither is usable.
 * Never throws: a failing read is a fallback, reported through `onFallback`.
 */
export async function liveShare(feature: string, options: LiveShareOptions): Promise<LiveShare> {
  let reason: string;
  try {
    const value = await options.read();
    if (value === undefined || value === null) {
      reason = "the item is not in the store";
    } else {
      const raw = isObject(value) ? value[feature] : undefined;
      if (typeof raw === "string" && validShare(raw)) return { share: raw, source: "edge-config" };
      reason = raw === undefined ? `the item has no share for ${feature}` : `the item's share for ${feature} is not a valid share`;
    }
  } catch (e) {
    reason = `the store could not be read (${e instanceof Error ? e.message : String(e)})`;
  }
  options.onFallback?.(reason);
  if (options.fallback !== undefined && validShare(options.fallback)) return { share: options.fallback, source: "env" };
  return { share: "0", source: "default" };
}

/** Whether a user has the feature now: `inRollout` on the live share (see `liveShare`). */
export async function isLiveEnabled(feature: string, id: string, options: LiveShareOptions & InRolloutOptions): Promise<boolean> {
  const { share } = await liveShare(feature, options);
  return inRollout(feature, id, share, { cohorts: options.cohorts });
}
