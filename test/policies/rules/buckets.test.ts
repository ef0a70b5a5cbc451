import { describe, expect, it } from "vitest";
import { bucketsPrivate, isBucket } from "../../../policies/rules/buckets";
import { TYPES } from "../../../policies/rules/support";
import { UNKNOWN, runResourcePolicy } from "../harness";

const bucket = (props: Record<string, unknown>, type: string = TYPES.bucket) => ({
  type,
  name: "conversation-raw-storage-bucket-conversation-files",
  props: { __provider: "serialized provider", bucketId: "conversation-files", ...props },
});

describe("buckets-private", () => {
  const policy = bucketsPrivate();

  it("passes a private bucket", async () => {
    expect(await runResourcePolicy(policy, bucket({ public: false }))).toEqual({ violations: [] });
  });

  it("flags a public bucket with how to allow it", async () => {
    const out = await runResourcePolicy(policy, bucket({ public: true }));
    expect(out.violations.map((v) => v.message)).toEqual([
      "bucket conversation-files is public: anyone with a URL reads every object, whatever the storage.objects policies say. Make it private, or allow-list it in the pack config (publicBuckets).",
    ]);
  });

  it("allows buckets listed in the pack config or the factory options, and only those", async () => {
    const avatars = bucket({ bucketId: "avatars", public: true });
    expect(await runResourcePolicy(policy, avatars, { publicBuckets: ["avatars"] })).toEqual({ violations: [] });
    expect(await runResourcePolicy(bucketsPrivate({ publicBuckets: ["avatars"] }), avatars)).toEqual({ violations: [] });
    expect((await runResourcePolicy(policy, bucket({ public: true }), { publicBuckets: ["avatars"] })).violations).toHaveLength(1);
  });

  it("reads the bucket id from `id` or `name` when there is no `bucketId`", async () => {
    const out = await runResourcePolicy(policy, { type: TYPES.bucket, name: "b", props: { id: "avatars", public: true } }, { publicBuckets: ["avatars"] });
    expect(out).toEqual({ violations: [] });
  });

  it("reports an unknown `public` as unknown, and an unknown id of a public bucket too", async () => {
    expect(await runResourcePolicy(policy, bucket({ public: UNKNOWN.boolean }))).toEqual({ violations: [], unknown: "boolean value at .public can't be known during preview" });
    expect(await runResourcePolicy(policy, bucket({ bucketId: UNKNOWN.string, public: true }))).toEqual({
      violations: [],
      unknown: "string value at .bucketId can't be known during preview",
    });
    // A private bucket needs no id: unknown ids are fine.
    expect(await runResourcePolicy(policy, bucket({ bucketId: UNKNOWN.string, public: false }))).toEqual({ violations: [] });
  });

  it("recognises generic dynamic resources that are buckets, and nothing else", async () => {
    expect((await runResourcePolicy(policy, bucket({ public: true }, TYPES.genericDynamic))).violations).toHaveLength(1);
    expect(isBucket({ type: TYPES.genericDynamic, name: "db-migrations", props: { files: [] } })).toBe(false);
    expect(isBucket({ type: "pulumi-nodejs:dynamic/supabase:Schema", name: "db-schema-public", props: { public: true } })).toBe(false);
    expect((await runResourcePolicy(policy, { type: TYPES.envVar, name: "bucket-ish", props: { public: true } })).notApplicable).toBe(
      "Policy only applies to Supabase Storage buckets",
    );
  });
});
