/**
 * Live features, decided in one place: which features are live, the share each stack gives them, and
 * the two writes of the stack's Edge Config item: the reconcile that `pulumi up` makes (with the
 * authority rule) and the kill that `rollout kill --now` makes. Pure: no Vercel, no Pulumi; the item's
 * shape is the app SDK's (`infra/sdk/live.ts`).
 *
 * The authority rule: a kill written to the store wins until its stack-file change is deployed. While
 * the item records a kill of a feature, a reconcile may write only the killed share (the stack file
 * agrees: the record is cleared) or the feature's first rung (lower still); anything else is refused,
 * as is dropping the feature from the item.
 */
import type { AppDecl, FeatureDecl } from "../apps/types";
import { KILLS_FIELD, liveItemValue, readLiveItem, type KillRecord, type LiveItem } from "../sdk/live";
import { stripControlChars } from "../text";
import { findRung, ladderOf, percentValue } from "./ladder";

export { KILLS_FIELD, liveItemValue, readLiveItem, type KillRecord, type LiveItem };

/** Edge Config item keys (Vercel's rule): letters, digits, `_` and `-`, 1 to 256 characters. */
export const ITEM_KEY = /^[A-Za-z0-9_-]{1,256}$/;

/** The item a stack writes unless its config names another: `rollout_<stack>`. */
export function defaultItemKey(stack: string): string {
  return `rollout_${stack}`;
}

/** Longest texts a kill record keeps (longer ones are cut), so the item's worst case is known in advance. */
export const KILL_RECORD_LIMITS = { by: 100, reason: 300, trigger: 200 } as const;

/**
 * Why a feature cannot be live (empty when it can): it needs one `percent` delivery (the env twin the
 * app falls back to) and no `NEXT_PUBLIC_*` delivery (inlined into the browser bundle at build time,
 * so no request-time value could change it).
 */
export function liveDeclarationProblems(feature: FeatureDecl): string[] {
  if (!feature.live) return [];
  const problems: string[] = [];
  const inlined = feature.delivery.filter((d) => d.key.startsWith("NEXT_PUBLIC_")).map((d) => d.key);
  if (inlined.length) {
    problems.push(
      `feature ${feature.name} is declared live but delivers ${inlined.join(", ")}: NEXT_PUBLIC_* values are inlined at build time and cannot change at request time; drop live, or deliver a server-side key`,
    );
  }
  const percents = feature.delivery.filter((d) => d.kind === "percent");
  if (percents.length !== 1) {
    problems.push(
      `feature ${feature.name} is declared live and needs exactly one percent delivery (the env value the app falls back to when Edge Config cannot be read); it has ${percents.length}`,
    );
  }
  return problems;
}

/** The live features of the stack's apps, keyed `<app>/<feature>`. */
export function liveFeaturesOf(apps: readonly AppDecl[]): { app: AppDecl; feature: FeatureDecl; key: string }[] {
  return apps.flatMap((app) => app.features.filter((f) => f.live).map((feature) => ({ app, feature, key: `${app.name}/${feature.name}` })));
}

/** The share a feature's rung gives, as the item stores it (the percent env value's twin). */
export function shareOf(feature: FeatureDecl, rung: string): string {
  const r = findRung(ladderOf(feature), rung);
  if (!r) throw new Error(`${feature.name}: "${rung}" is not a rung`);
  return percentValue(r);
}

/** `<app>/<feature>` → share on production, for every live feature (phases: the stack's production phases). */
export function liveShares(apps: readonly AppDecl[], phases: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { feature, key } of liveFeaturesOf(apps)) out[key] = shareOf(feature, phases[key] ?? feature.rungs[0].name);
  return out;
}

/** A reconcile the authority rule refuses, for the error message. */
export interface Refusal {
  feature: string;
  /** What the stack file asks for; undefined when it drops the feature from the item. */
  desired?: string;
  kill: KillRecord;
}

export interface Reconciled {
  /** The value to write (unchanged features included: the write replaces the item's value whole). */
  item: LiveItem;
  /** Features whose kill record is cleared because the stack file now agrees. */
  cleared: string[];
  refused: Refusal[];
  /** True when the value to write equals the current one (no write needed). */
  unchanged: boolean;
}

/**
 * What `pulumi up` writes: the stack's shares (`desired`, for every live feature), under the authority
 * rule. `current` is the item's value as stored (undefined when there is none); `firstShares` gives each
 * feature's first-rung share (a reconcile may always go there).
 */
export function reconcile(current: unknown, desired: Readonly<Record<string, string>>, firstShares: Readonly<Record<string, string>>): Reconciled {
  const now = readLiveItem(current);
  const item: LiveItem = { shares: { ...desired }, kills: {} };
  const cleared: string[] = [];
  const refused: Refusal[] = [];
  for (const [feature, kill] of Object.entries(now.kills)) {
    const want = desired[feature];
    if (want === undefined) refused.push({ feature, kill });
    else if (want === kill.share || want === firstShares[feature]) cleared.push(feature);
    else refused.push({ feature, desired: want, kill });
  }
  const before = JSON.stringify(liveItemValue({ shares: now.shares, kills: now.kills }));
  return { item, cleared, refused, unchanged: refused.length === 0 && before === JSON.stringify(liveItemValue(item)) && now.ignored.length === 0 };
}

/** The refusal, as the one error `pulumi up` prints (the fix included). */
export function refusalMessage(itemKey: string, refused: readonly Refusal[]): string {
  const lines = refused.map((r) => {
    const who = `killed to "${r.kill.share}" by ${r.kill.by} at ${r.kill.at}${r.kill.trigger ? ` (trigger ${r.kill.trigger})` : ""}: ${r.kill.reason}`;
    return r.desired === undefined
      ? `  - ${r.feature}: ${who}; this stack no longer declares it live, which would drop the kill`
      : `  - ${r.feature}: ${who}; the stack file says "${r.desired}"`;
  });
  return [
    `Edge Config item ${itemKey}: refusing to raise killed feature(s) until the kill's stack-file change is merged:`,
    ...lines,
    "Merge the kill's pull request (or set the phase to the killed rung) and run pulumi up again; to re-enable, advance from the first rung after that.",
  ].join("\n");
}

/** Cuts a kill record's free texts to `KILL_RECORD_LIMITS`, without control characters. */
export function boundedKillRecord(record: KillRecord): KillRecord {
  const cut = (s: string, n: number) => {
    const clean = stripControlChars(s);
    return clean.length <= n ? clean : `${clean.slice(0, n - 1)}…`;
  };
  return {
    share: record.share,
    from: record.from,
    by: cut(record.by, KILL_RECORD_LIMITS.by),
    at: record.at,
    reason: cut(record.reason, KILL_RECORD_LIMITS.reason),
    ...(record.trigger !== undefined ? { trigger: cut(record.trigger, KILL_RECORD_LIMITS.trigger) } : {}),
  };
}

export interface KillWrite {
  item: LiveItem;
  /** Nothing to write: the item already holds this kill (a second run). */
  noop: boolean;
}

/**
 * What `kill --now` writes: the feature's share set to `record.share` and the kill recorded, every
 * other feature and record kept. A no-op when the item already holds the same share and a kill record
 * for it (so rerunning a kill, or two watchers tripping, writes once).
 */
export function killItem(current: unknown, feature: string, record: KillRecord): KillWrite {
  const now = readLiveItem(current);
  const existing = now.kills[feature];
  if (now.shares[feature] === record.share && existing && existing.share === record.share) {
    return { item: { shares: now.shares, kills: now.kills }, noop: true };
  }
  return {
    item: { shares: { ...now.shares, [feature]: record.share }, kills: { ...now.kills, [feature]: boundedKillRecord(record) } },
    noop: false,
  };
}

/** Bytes the item takes in the store: its key plus its value as JSON (UTF-8). */
export function itemBytes(itemKey: string, value: unknown): number {
  return Buffer.byteLength(itemKey, "utf8") + Buffer.byteLength(JSON.stringify(value), "utf8");
}

/**
 * The most the item can weigh: every live feature at its longest share, each with a kill record at the
 * record limits. A stack that fits this can always be killed (the kill never fails on size).
 */
export function worstCaseItemBytes(itemKey: string, apps: readonly AppDecl[]): number {
  const longest = (feature: FeatureDecl) => ladderOf(feature).rungs.map(percentValue).reduce((a, b) => (b.length > a.length ? b : a), "");
  const shares: Record<string, string> = {};
  const kills: Record<string, KillRecord> = {};
  for (const { feature, key } of liveFeaturesOf(apps)) {
    const share = longest(feature);
    shares[key] = share;
    kills[key] = {
      share,
      from: share,
      by: "x".repeat(KILL_RECORD_LIMITS.by),
      at: "2000-01-01T00:00:00.000Z",
      // Three UTF-8 bytes per UTF-16 unit is the most a text without control characters can take.
      reason: "\u4e00".repeat(KILL_RECORD_LIMITS.reason),
      trigger: "\u4e00".repeat(KILL_RECORD_LIMITS.trigger),
    };
  }
  return itemBytes(itemKey, liveItemValue({ shares, kills }));
}
