/**
 * Sticky bucketing: who is in a percent rollout. Dependency-free, so an app can import this file in a
 * Next.js server component, in middleware (Edge runtime), in the browser or in Node alike: no `crypto`,
 * no `Buffer`, no `TextEncoder` needed.
 *
 * ## Spec (version 1)
 * 1. `key = feature + ":" + id`, encoded as UTF-8 bytes (a lone UTF-16 surrogate becomes U+FFFD, as
 *    `TextEncoder` does; Postgres `text` cannot hold one, so SQL never sees it).
 * 2. `h = murmur3_x86_32(key, seed 0)`, an unsigned 32-bit integer.
 * 3. `bucket = (h mod 100) + 1`, an integer in 1..100.
 * 4. A user is in a percent rollout when `bucket <= percent` (so 0 is nobody and 100 is everyone).
 *
 * This is Unleash's `flexibleRollout` normalisation (`groupId:id`, murmur3 seed 0, `% 100 + 1`), so its
 * published client-spec fixtures hold here too (test/fixtures/bucketing-vectors.json). Unlike the
 * `murmurhash3js` package, the hash runs over UTF-8 bytes, so non-ASCII IDs bucket the same in every
 * runtime and in Postgres (`rollout.bucket(feature, id)`, `infra/rollout/bucketing-sql.ts`).
 *
 * Consequences: the bucket depends only on `(feature, id)`, never on the percent, so raising a percent
 * only adds users, lowering it only removes users, and going back to an earlier percent restores exactly
 * the earlier cohort. Different features hash differently, so the 10% of one feature is not the 10% of
 * another. Renaming a feature reshuffles its cohort: use the stack key `<app>/<feature>` and keep it.
 *
 * ## Shares
 * A feature's `percent` delivery gives the app a *share* string (`percentValue` in
 * `infra/rollout/ladder.ts`): `"0"`, `"10"`, `"100"`, a cohort `"beta"`, or a union `"beta+25"`
 * ("the beta cohort plus 25% of everyone"). `inRollout` reads it.
 */

/** The spec version, for apps that log which bucketing they evaluated with. */
export const BUCKETING_SPEC = "murmur3_x86_32(utf8(feature:id), seed 0) % 100 + 1; in when bucket <= percent";

/** UTF-8 bytes of a string (lone surrogates become U+FFFD, as `TextEncoder` does). */
export function utf8Bytes(text: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    let cp = text.charCodeAt(i);
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (next - 0xdc00);
        i++;
      } else {
        cp = 0xfffd;
      }
    } else if (cp >= 0xd800 && cp <= 0xdfff) {
      cp = 0xfffd;
    }
    if (cp < 0x80) out.push(cp);
    else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
    else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
    else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
  }
  return Uint8Array.from(out);
}

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

function rotl32(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function scramble(k: number): number {
  return Math.imul(rotl32(Math.imul(k, C1), 15), C2);
}

/** MurmurHash3 x86 32-bit of the bytes, as an unsigned integer (the reference `MurmurHash3_x86_32`). */
export function murmur3x86_32(bytes: Uint8Array, seed = 0): number {
  let h = seed | 0;
  const length = bytes.length;
  const blocks = length & ~3;
  for (let i = 0; i < blocks; i += 4) {
    const k = bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
    h ^= scramble(k);
    h = rotl32(h, 13);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const rest = length & 3;
  if (rest > 0) {
    let k = 0;
    if (rest === 3) k ^= bytes[blocks + 2] << 16;
    if (rest >= 2) k ^= bytes[blocks + 1] << 8;
    k ^= bytes[blocks];
    h ^= scramble(k);
  }
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The user's bucket for a feature, 1..100.
 * @param feature the feature's stable key, e.g. `"metadata-context/enhanced-context"`
 * @param id the user's stable ID (a UUID, an account ID); the empty string is a valid ID
 * @example bucket("metadata-context/enhanced-context", "7d5c0b0e-...") // → 1..100
 */
export function bucket(feature: string, id: string): number {
  return (murmur3x86_32(utf8Bytes(`${feature}:${id}`)) % 100) + 1;
}

/** A parsed share: at most one percent and any number of cohorts, joined by `+`. */
export interface Share {
  /** 0..100 */
  percent: number;
  cohorts: string[];
}

const PERCENT_TOKEN = /^(0|[1-9][0-9]?|100)$/;
const COHORT_TOKEN = /^[a-z][a-z0-9-]*$/;

/** A share string that is not `"<percent>"`, `"<cohort>"` or a `+` union of them. */
export class ShareError extends Error {
  constructor(readonly share: string, detail: string) {
    super(`"${share}" is not a rollout share (${detail}); expected e.g. "0", "10", "100", "beta" or "beta+25"`);
    this.name = "ShareError";
  }
}

/** Parses `"beta+25"` into `{ percent: 25, cohorts: ["beta"] }`; throws `ShareError` on anything else. */
export function parseShare(share: string): Share {
  if (share === "") throw new ShareError(share, "empty");
  let percent: number | undefined;
  const cohorts: string[] = [];
  for (const token of share.split("+")) {
    if (PERCENT_TOKEN.test(token)) {
      if (percent !== undefined) throw new ShareError(share, "two percents");
      percent = Number(token);
    } else if (COHORT_TOKEN.test(token)) {
      cohorts.push(token);
    } else {
      throw new ShareError(share, `"${token}" is neither a percent 0..100 nor a cohort name`);
    }
  }
  return { percent: percent ?? 0, cohorts };
}

/** Options of `inRollout`. */
export interface InRolloutOptions {
  /**
   * The cohorts the user belongs to (e.g. `["beta"]`, from your user table or JWT claims).
   * @default []
   */
  cohorts?: readonly string[];
}

/**
 * Whether a user gets the feature at a share: everyone at 100; a member of a listed cohort; otherwise
 * `bucket(feature, id) <= percent`.
 * @param share the env value the feature's `percent` delivery gives, e.g. `process.env.ENABLE_METADATA_ROLLOUT_PERCENTAGE`
 * @example inRollout("analy-ticket/advanced", user.id, "beta+25", { cohorts: user.cohorts })
 */
export function inRollout(feature: string, id: string, share: string, options: InRolloutOptions = {}): boolean {
  const parsed = parseShare(share);
  if (parsed.percent >= 100) return true;
  const mine = options.cohorts ?? [];
  if (parsed.cohorts.some((c) => mine.includes(c))) return true;
  return parsed.percent > 0 && bucket(feature, id) <= parsed.percent;
}
