import { describe, expect, it } from "vitest";
import { CATALOG } from "../../infra/apps";
import { ladderOf } from "../../infra/rollout/ladder";
import { bucketingSql, exposureCountSql, IN_ROLLOUT_BY_BUCKET } from "../../infra/rollout/bucketing-sql";
import { bucket, inRollout, murmur3x86_32, parseShare, ShareError, utf8Bytes } from "../../infra/sdk/bucketing";
import vectors from "../fixtures/bucketing-vectors.json";
import { prng } from "../support/prng";
import { propertySize } from "../support/property";


/** IDs: half sequential (`user-<n>`, the worst case for weak hashes), half random UUIDs. */
function sampleIds(n: number): string[] {
  const rand = prng(42);
  const hex = (len: number) => Array.from({ length: len }, () => Math.floor(rand() * 16).toString(16)).join("");
  return Array.from({ length: n }, (_, i) => (i % 2 ? `user-${i}` : `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`));
}

describe("bucketing spec: golden vectors (test/fixtures/bucketing-vectors.json)", () => {
  it.each(vectors.murmur3)("murmur3_x86_32($input, seed $seed) = $hash (published reference)", ({ input, seed, hash }) => {
    expect(murmur3x86_32(utf8Bytes(input), seed)).toBe(hash);
  });

  it.each(vectors.unleash)("bucket($feature, $id) = $bucket, as Unleash's client spec says", ({ feature, id, bucket: expected }) => {
    expect(bucket(feature, id)).toBe(expected);
  });

  it("covers empty, non-ASCII and every tail length", () => {
    const ids = vectors.buckets.map((v) => v.id);
    expect(ids).toContain("");
    expect(ids.some((id) => /[^\x00-\x7f]/.test(id))).toBe(true);
    expect(new Set(ids.map((id) => utf8Bytes(`x:${id}`).length % 4))).toEqual(new Set([0, 1, 2, 3]));
  });

  it.each(vectors.buckets.map((v) => [JSON.stringify(v.feature), JSON.stringify(v.id).slice(0, 40), v] as const))(
    "bucket(%s, %s)",
    (_f, _i, v) => {
      expect(murmur3x86_32(utf8Bytes(`${v.feature}:${v.id}`))).toBe(v.hash);
      expect(bucket(v.feature, v.id)).toBe(v.bucket);
    },
  );

  it.each(vectors.shares)("inRollout($feature, $id, $share, $cohorts) = $in", ({ feature, id, share, cohorts, in: expected }) => {
    expect(inRollout(feature, id, share, { cohorts })).toBe(expected);
  });

  it("pins the spec's boundary: an ID whose bucket equals the percent is in at that percent, out one below (the SQL test reads the same vectors)", () => {
    const boundary = vectors.shares.filter((v) => !v.cohorts.length && /^\d+$/.test(v.share) && bucket(v.feature, v.id) === Number(v.share));
    expect(boundary.length).toBeGreaterThanOrEqual(3);
    for (const v of boundary) {
      expect(v.in).toBe(true);
      const below = vectors.shares.find((w) => w.feature === v.feature && w.id === v.id && w.share === String(Number(v.share) - 1));
      expect(below?.in).toBe(false);
    }
  });
});

describe("utf8Bytes", () => {
  it.each(["", "ascii", "éàü", "日本語", "😀👍🏽", "e\u0301", "a\ud800b", "\udc00x\ud83d", "\ud800\ue000", "\udbff\uffff", "\ud83d\ud83d\ude00", "x\ud800"])("matches TextEncoder for %j", (s) => {
    expect(Array.from(utf8Bytes(s))).toEqual(Array.from(new TextEncoder().encode(s)));
  });

  it.each([
    ["\u007f", [0x7f]],
    ["\u0080", [0xc2, 0x80]],
    ["\u07ff", [0xdf, 0xbf]],
    ["\u0800", [0xe0, 0xa0, 0x80]],
    ["\uffff", [0xef, 0xbf, 0xbf]],
    ["\u{10000}", [0xf0, 0x90, 0x80, 0x80]],
    ["\u{10ffff}", [0xf4, 0x8f, 0xbf, 0xbf]],
    ["\ud800\udc00", [0xf0, 0x90, 0x80, 0x80]],
    ["\udbff\udfff", [0xf4, 0x8f, 0xbf, 0xbf]],
    // Lone surrogates are U+FFFD, as TextEncoder writes them.
    ["\ud800", [0xef, 0xbf, 0xbd]],
    ["\udfff", [0xef, 0xbf, 0xbd]],
    ["\udbffa", [0xef, 0xbf, 0xbd, 0x61]],
    // A high surrogate followed by anything but a low surrogate (here just above the low range) is lone too.
    ["\ud800\ue000", [0xef, 0xbf, 0xbd, 0xee, 0x80, 0x80]],
    ["\udbff\uffff", [0xef, 0xbf, 0xbd, 0xef, 0xbf, 0xbf]],
    // A lone high surrogate at the end of the string.
    ["x\ud800", [0x78, 0xef, 0xbf, 0xbd]],
  ])("encodes the length boundary %j as %j", (s, bytes) => {
    expect(Array.from(utf8Bytes(s))).toEqual(bytes);
  });
});

describe("parseShare", () => {
  it.each([
    ["0", { percent: 0, cohorts: [] }],
    ["10", { percent: 10, cohorts: [] }],
    ["100", { percent: 100, cohorts: [] }],
    ["beta", { percent: 0, cohorts: ["beta"] }],
    ["beta+25", { percent: 25, cohorts: ["beta"] }],
    ["beta+staff+50", { percent: 50, cohorts: ["beta", "staff"] }],
  ])("%s", (share, parsed) => {
    expect(parseShare(share)).toEqual(parsed);
  });

  it.each([
    ["", "empty"],
    ["101", "neither a percent"],
    ["10+20", "two percents"],
    ["Beta", "neither a percent"],
    ["beta+", "neither a percent"],
    ["05", "neither a percent"],
    [" 10", "neither a percent"],
  ])("refuses %j (%s)", (share, why) => {
    expect(() => parseShare(share)).toThrow(ShareError);
    expect(() => parseShare(share)).toThrow(why);
  });

  it("its refusal reads as a ShareError naming the share, what is wrong and what is expected (String(e), a stack trace's first line)", () => {
    let error: unknown;
    try {
      inRollout("shop/checkout", "user-1", "beta+25%");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ShareError);
    expect((error as ShareError).share).toBe("beta+25%");
    const text = 'ShareError: "beta+25%" is not a rollout share ("25%" is neither a percent 0..100 nor a cohort name); expected e.g. "0", "10", "100", "beta" or "beta+25"';
    expect(String(error)).toBe(text);
    expect((error as Error).stack?.split("\n")[0]).toBe(text);
  });
});

// 100,000 IDs (5,000 under the mutation profile). Tolerances are six standard errors of a share at
// that size, so the lighter run tests the same properties, only less tightly.
const SAMPLE = propertySize(100_000, 5_000);
const sixSigma = (p: number) => 600 * Math.sqrt((p * (1 - p)) / SAMPLE);

describe(`bucketing properties over ${SAMPLE.toLocaleString("en-US")} IDs`, () => {
  const ids = sampleIds(SAMPLE);
  const percents = [...new Set(CATALOG.flatMap((a) => a.features.flatMap((f) => ladderOf(f).rungs.flatMap((r) => (r.kind === "percent" ? [r.percent] : [])))))].sort(
    (a, b) => a - b,
  );
  const features = CATALOG.flatMap((a) => a.features.map((f) => `${a.name}/${f.name}`));
  const bucketsOf = new Map(features.map((f) => [f, ids.map((id) => bucket(f, id))]));
  const cohort = (feature: string, share: string, cohorts: (id: string) => string[] = () => []) =>
    new Set(ids.filter((id) => inRollout(feature, id, share, { cohorts: cohorts(id) })));

  it("every percent of every seed ladder is covered", () => {
    expect(percents).toEqual([5, 10, 20, 25, 50, 100]);
  });

  it.each(features)("%s: each rung's share is within 1 point of its percent, buckets 1..100", (feature) => {
    const buckets = bucketsOf.get(feature)!;
    expect(Math.min(...buckets)).toBe(1);
    expect(Math.max(...buckets)).toBe(100);
    for (const p of percents) {
      const share = (100 * buckets.filter((b) => b <= p).length) / ids.length;
      expect(Math.abs(share - p), `${feature} at ${p}%: ${share}%`).toBeLessThanOrEqual(Math.max(1, sixSigma(0.5)));
    }
  });

  it("raising a percent only adds users; lowering only removes them", () => {
    const rand = prng(7);
    for (let trial = 0; trial < 10; trial++) {
      const feature = features[Math.floor(rand() * features.length)];
      const low = Math.floor(rand() * 100);
      const high = low + 1 + Math.floor(rand() * (100 - low));
      const small = cohort(feature, String(low));
      const big = cohort(feature, String(high));
      // Raising low → high loses nobody; lowering high → low only removes (nobody new appears).
      expect([...small].filter((id) => !big.has(id)), `${feature}: ${low} → ${high}`).toEqual([]);
      expect(big.size).toBeGreaterThanOrEqual(small.size);
    }
  });

  it("a rollback restores exactly the earlier cohort (10 → 50 → 10)", () => {
    const feature = "metadata-context/enhanced-context";
    const before = [...cohort(feature, "10")];
    const during = cohort(feature, "50");
    const after = [...cohort(feature, "10")];
    expect(after).toEqual(before);
    expect(during.size).toBeGreaterThan(before.length);
  });

  it("beta+25 is exactly beta ∪ 25% of everyone; beta alone is the beta cohort", () => {
    const feature = "analy-ticket/advanced";
    const isBeta = (id: string) => (bucket("beta-membership", id) <= 3 ? ["beta"] : []);
    const beta = cohort(feature, "beta", isBeta);
    const union = cohort(feature, "beta+25", isBeta);
    const quarter = cohort(feature, "25");
    expect([...beta].every((id) => isBeta(id).length === 1)).toBe(true);
    expect(beta.size).toBeGreaterThan(0.02 * SAMPLE);
    expect(union).toEqual(new Set([...beta, ...quarter]));
  });

  it("different features draw independent cohorts (10% ∩ 10% ≈ 1%)", () => {
    const a = cohort(features[0], "10");
    const b = cohort(features[1], "10");
    const both = [...a].filter((id) => b.has(id)).length;
    expect(Math.abs((100 * both) / ids.length - 1)).toBeLessThan(Math.max(0.3, sixSigma(0.01)));
  });
});

describe("bucketingSql", () => {
  it("installs into a non-exposed schema, revokes PUBLIC and grants explicitly", () => {
    const sql = bucketingSql({ schema: "rollout", grantTo: ["authenticated", "service_role"] });
    expect(sql).toContain('create schema if not exists "rollout";');
    const functions = [
      '"rollout".murmur3_32_resume(bigint, integer, bytea, text, boolean)',
      '"rollout".murmur3_32(bytea, bigint)',
      '"rollout".utf8(text)',
      '"rollout".parse_share(text)',
      `"rollout".${IN_ROLLOUT_BY_BUCKET}(integer, text, text[])`,
      '"rollout".bucket(text, text)',
      '"rollout".in_rollout(text, text, text, text[])',
    ].join(", ");
    expect(sql).toContain(`revoke all on function ${functions} from public;`);
    expect(sql).toContain('grant usage on schema "rollout" to "authenticated", "service_role";');
    expect(sql).toContain(`grant execute on function ${functions} to "authenticated", "service_role";`);
    expect(sql).not.toMatch(/grant[^;]*to public/i);
    // Every function created is revoked from PUBLIC and granted (inlined bodies run with the caller's rights).
    const created = [...sql.matchAll(/create or replace function "rollout"\.(\w+)\(/g)].map((m) => m[1]);
    expect(created.sort()).toEqual(["bucket", "in_rollout", IN_ROLLOUT_BY_BUCKET, "murmur3_32", "murmur3_32_resume", "parse_share", "utf8"].sort());
  });

  it("resolves no name through the caller's search_path: SQL-standard bodies, pinned search_path, or pg_catalog throughout", () => {
    const sql = bucketingSql();
    const definitions = sql.split(/(?=create or replace function )/).slice(1);
    for (const definition of definitions) {
      const name = /function "rollout"\.(\w+)/.exec(definition)![1];
      if (/^language sql\b/m.test(definition)) {
        // Parsed at creation (names bound then) and inlinable: no SET clause, a `return` body.
        expect(definition, name).toMatch(/^return /m);
        expect(definition, name).not.toContain("set search_path");
      } else if (name === "murmur3_32_resume") {
        // The hash loop: no SET clause (it would cost a GUC save/restore per call), so every function is
        // pg_catalog-qualified and every operator is OPERATOR(pg_catalog.x).
        const body = definition.slice(definition.indexOf("$fn$"), definition.lastIndexOf("$fn$"));
        expect(definition).not.toContain("set search_path");
        expect(body.match(/\b(?<!pg_catalog\.)(get_byte|length|convert_to)\(/g)).toBeNull();
        const bare = body
          .replace(/OPERATOR\(pg_catalog\.[^)\s]+\)/g, " ")
          .replace(/:=|::|\.\.|-\d/g, " ")
          .match(/[-+*/&|#<>~=!]/g);
        expect(bare, "an operator outside OPERATOR(pg_catalog.…)").toBeNull();
      } else {
        expect(definition, name).toContain("language plpgsql");
        expect(definition, name).toContain("set search_path = ''");
      }
    }
    expect(definitions).toHaveLength(7);
  });

  it("quotes identifiers and grants nothing when asked for no roles", () => {
    expect(() => bucketingSql({ schema: "" })).toThrow("invalid SQL identifier");
    expect(() => bucketingSql({ grantTo: ["authenticated", ""] })).toThrow("invalid SQL identifier");
    expect(bucketingSql({ grantTo: ['we"ird'] })).toContain('grant usage on schema "rollout" to "we""ird";');
    const sql = bucketingSql({ schema: 'my "flags"', grantTo: [] });
    expect(sql).toContain('create schema if not exists "my ""flags""";');
    expect(sql).not.toMatch(/^grant /m);
  });
});

describe("exposureCountSql", () => {
  it("hashes each ID once (a subquery kept apart) and judges both shares with the one share rule", () => {
    const sql = exposureCountSql("select id, cohorts from app.users", { schema: "flags" });
    expect(sql.match(/"flags"\.bucket\(\$1, p\.id\)/g)).toHaveLength(1);
    expect(sql.match(new RegExp(`"flags"\\.${IN_ROLLOUT_BY_BUCKET}\\(q\\.bucket, \\$[23], q\\.cohorts\\)`, "g"))).toHaveLength(2);
    expect(sql).toContain("from (select id, cohorts from app.users) p");
    expect(sql).toMatch(/offset '0'\) q\) x$/);
    expect(exposureCountSql("select 1")).toContain('"rollout".bucket(');
  });
});
