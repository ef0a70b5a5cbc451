/** What leaves a render: inputs Pulumi marks secret masked by keyed fingerprints; secret outputs masked. */
import { describe, expect, it } from "vitest";
import { fingerprint, isMasked, maskedInputs, snapshotOutputs, snapshotResource, type RecordedLike } from "../../infra/plan/snapshot";

const ENV = "vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable";
const opts: RecordedLike["opts"] = { parent: "urn:parent", protect: undefined, deleteBeforeReplace: true, importId: "", retainOnDelete: undefined, replaceOnChanges: [] };
const envVar = (inputs: Record<string, unknown>, secretInputs = ["value"]): RecordedLike => ({ urn: "urn:x", type: ENV, name: "a-env-K", custom: true, inputs, secretInputs, opts });

describe("maskedInputs", () => {
  it.each([
    ["a sensitive var", { key: "K", value: "s3cr3t-value", sensitive: true, comment: "secret from stack config" }, ["value"]],
    // The SDK marks every env value secret: a plain value is masked too (the report reads plain values from the model).
    ["a non-sensitive var, even with its value in the comment", { key: "K", value: "50", sensitive: false, comment: '"50" from feature x; managed by rollout-stack' }, ["value"]],
  ])("%s", (_, inputs, masked) => {
    expect(maskedInputs(envVar(inputs))).toEqual(masked);
  });

  it("masks exactly the inputs Pulumi marked secret, on any resource", () => {
    expect(maskedInputs({ ...envVar({ a: 1, b: 2 }, ["b"]), type: "random:index/randomPassword:RandomPassword" })).toEqual(["b"]);
    expect(maskedInputs(envVar({ key: "K", comment: "c" }, []))).toEqual([]);
    // A marker on an input the resource does not have is no input to mask.
    expect(maskedInputs(envVar({ key: "K" }, ["value", "key"]))).toEqual(["key"]);
  });
});

describe("snapshotResource", () => {
  it("replaces masked values by a keyed fingerprint, drops a dynamic provider's code, normalises options", () => {
    const r: RecordedLike = {
      urn: "urn:m",
      type: "pulumi-nodejs:dynamic/supabase:Migrations",
      name: "db-migrations",
      custom: true,
      inputs: { __provider: "exports.handler = function () { /* ... */ }", database: "db", token: "abcdef-secret" },
      secretInputs: ["token"],
      opts: { ...opts, retainOnDelete: true, protect: true },
    };
    const s = snapshotResource(r, "key-1");
    expect(s.inputs).toEqual({ database: "db", token: { $secret: fingerprint("key-1", "abcdef-secret") } });
    expect(isMasked(s.inputs.token)).toBe(true);
    expect(JSON.stringify(s)).not.toContain("abcdef-secret");
    expect(s.options).toEqual({ protect: true, deleteBeforeReplace: true, retainOnDelete: true, importId: "", replaceOnChanges: [] });
    expect(s.parent).toBe("urn:parent");
  });

  it("fingerprints say equal or not, and depend on the run's key", () => {
    expect(fingerprint("k", "a")).toBe(fingerprint("k", "a"));
    expect(fingerprint("k", "a")).not.toBe(fingerprint("k", "b"));
    expect(fingerprint("k", "a")).not.toBe(fingerprint("other", "a"));
    expect(fingerprint("k", { x: 1 })).toMatch(/^[0-9a-f]{16}$/);
  });

  it("masks secret stack outputs", () => {
    expect(snapshotOutputs({ a: 1, b: "hidden-value" }, ["b"], "k")).toEqual({ a: 1, b: { $secret: fingerprint("k", "hidden-value") } });
  });
});
