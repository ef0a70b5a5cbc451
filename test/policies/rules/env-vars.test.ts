import { describe, expect, it } from "vitest";
import { envVarsDeleteBeforeReplace, noPublicSecrets, secretEnvVarsSensitive } from "../../../policies/rules/env-vars";
import { TYPES } from "../../../policies/rules/support";
import { ANON_JWT, REDIS_URL_WITH_PASSWORD, SB_SECRET, SERVICE_ROLE_JWT } from "../fixtures";
import { type ResourceInput, UNKNOWN, runResourcePolicy, secret } from "../harness";

function envVar(props: Record<string, unknown>, opts: ResourceInput["opts"] = { deleteBeforeReplace: true }): ResourceInput {
  const key = String(props.key);
  return {
    type: TYPES.envVar,
    name: `app-env-${key}`,
    props: { projectId: "prj_123", targets: ["production", "preview"], ...props },
    opts,
  };
}

const messages = (o: { violations: { message: string }[] }) => o.violations.map((v) => v.message);

describe("secret-env-vars-sensitive", () => {
  const policy = secretEnvVarsSensitive();

  it("is mandatory unless told otherwise", () => {
    expect(policy.enforcementLevel).toBe("mandatory");
    expect(secretEnvVarsSensitive({ enforcementLevel: "advisory" }).enforcementLevel).toBe("advisory");
  });

  it.each([
    ["a sensitive secret", { key: "SUPABASE_SERVICE_ROLE_KEY", value: secret(SERVICE_ROLE_JWT), sensitive: true }],
    ["a plain setting", { key: "SESSION_CLEANUP_THRESHOLD_HOURS", value: "24", sensitive: false, targets: ["production", "preview", "development"] }],
    ["a sensitive connection URL", { key: "REDIS_URL", value: secret(REDIS_URL_WITH_PASSWORD), sensitive: true }],
    ["a public var (left to no-public-secrets)", { key: "NEXT_PUBLIC_SUPABASE_ANON_KEY", value: ANON_JWT, sensitive: false }],
  ])("passes %s", async (_label, props) => {
    expect(await runResourcePolicy(policy, envVar(props))).toEqual({ violations: [] });
  });

  it("flags a secret-looking name that is not sensitive, without echoing the value", async () => {
    const out = await runResourcePolicy(policy, envVar({ key: "OPENAI_API_KEY", value: secret("sk-not-so-secret-really-123456"), sensitive: false }));
    expect(messages(out)).toEqual([
      "env var OPENAI_API_KEY is not sensitive, but its name ends in a KEY that is not an anon, publishable or public key: set sensitive: true (production and preview targets only), or list the key in notSecretKeys if it is not a secret.",
    ]);
  });

  it("flags a secret-looking value under an innocent name", async () => {
    const out = await runResourcePolicy(policy, envVar({ key: "REDIS_URL", value: secret(REDIS_URL_WITH_PASSWORD), sensitive: false }));
    expect(messages(out)).toEqual([
      "env var REDIS_URL is not sensitive, but its value looks like a connection URL with a password: set sensitive: true (production and preview targets only).",
    ]);
    expect(JSON.stringify(out)).not.toContain("hunter2");
  });

  it("accepts allow-listed names from the factory and from the pack config", async () => {
    const input = envVar({ key: "ANALYTICS_PARTITION_KEY", value: "true", sensitive: false });
    expect(messages(await runResourcePolicy(policy, input))).toHaveLength(1);
    expect(await runResourcePolicy(secretEnvVarsSensitive({ notSecretKeys: ["ANALYTICS_PARTITION_KEY"] }), input)).toEqual({ violations: [] });
    expect(await runResourcePolicy(policy, input, { notSecretKeys: ["ANALYTICS_PARTITION_KEY"] })).toEqual({ violations: [] });
  });

  it("does not need a secret's value when the name decides (a RandomPassword result unknown in preview)", async () => {
    expect(await runResourcePolicy(policy, envVar({ key: "CRON_SECRET", value: UNKNOWN.string, sensitive: true }))).toEqual({ violations: [] });
    const out = await runResourcePolicy(policy, envVar({ key: "CRON_SECRET", value: UNKNOWN.string, sensitive: false }));
    expect(out.unknown).toBeUndefined();
    expect(messages(out)).toHaveLength(1);
  });

  it("reports an unknown value it must judge as unknown (advisory), not as a pass or a crash", async () => {
    const out = await runResourcePolicy(policy, envVar({ key: "UPSTREAM_URL", value: UNKNOWN.string, sensitive: false }));
    expect(out).toEqual({ violations: [], unknown: "string value at .value can't be known during preview" });
  });

  it("reports an unknown sensitive flag as unknown", async () => {
    const out = await runResourcePolicy(policy, envVar({ key: "OPENAI_API_KEY", value: "x", sensitive: UNKNOWN.boolean }));
    expect(out).toEqual({ violations: [], unknown: "boolean value at .sensitive can't be known during preview" });
  });

  it("is not applicable to other types", async () => {
    const out = await runResourcePolicy(policy, { type: TYPES.deployment, name: "d", props: { production: true } });
    expect(out.notApplicable).toContain(TYPES.envVar);
  });
});

describe("no-public-secrets", () => {
  const policy = noPublicSecrets();

  it.each([
    ["the anon key", { key: "NEXT_PUBLIC_SUPABASE_ANON_KEY", value: ANON_JWT, sensitive: false }],
    ["the project URL", { key: "NEXT_PUBLIC_SUPABASE_URL", value: "https://abcdefghijklmnopqrst.supabase.co", sensitive: false }],
    ["a rollout percent", { key: "NEXT_PUBLIC_EARLY_SESSION_CREATION_PERCENT", value: "10", sensitive: false }],
    ["a server-side secret (not public)", { key: "SUPABASE_SERVICE_ROLE_KEY", value: secret(SERVICE_ROLE_JWT), sensitive: true }],
  ])("passes %s", async (_label, props) => {
    expect(await runResourcePolicy(policy, envVar(props))).toEqual({ violations: [] });
  });

  it("flags a service-role key under a public name, by name and by value, never printing it", async () => {
    const out = await runResourcePolicy(policy, envVar({ key: "NEXT_PUBLIC_SUPABASE_SERVICE_ROLE_KEY", value: secret(SERVICE_ROLE_JWT), sensitive: false }));
    expect(messages(out)).toEqual([
      "env var NEXT_PUBLIC_SUPABASE_SERVICE_ROLE_KEY is inlined into the browser bundle (NEXT_PUBLIC_), but its name says it is a service-role key: drop the prefix and read it on the server.",
      "env var NEXT_PUBLIC_SUPABASE_SERVICE_ROLE_KEY is inlined into the browser bundle (NEXT_PUBLIC_), but its value looks like a Supabase service_role JWT: drop the prefix, read it on the server, and rotate the credential if it was deployed.",
    ]);
    expect(JSON.stringify(out)).not.toContain(SERVICE_ROLE_JWT.split(".")[1]);
  });

  it("flags a secret value under an innocent public name (the anon key slot holding the secret key)", async () => {
    const out = await runResourcePolicy(policy, envVar({ key: "NEXT_PUBLIC_SUPABASE_ANON_KEY", value: SB_SECRET, sensitive: false }));
    expect(messages(out)).toEqual([
      "env var NEXT_PUBLIC_SUPABASE_ANON_KEY is inlined into the browser bundle (NEXT_PUBLIC_), but its value looks like a Supabase secret key (sb_secret_…): drop the prefix, read it on the server, and rotate the credential if it was deployed.",
    ]);
    expect(JSON.stringify(out)).not.toContain(SB_SECRET);
  });

  it("flags a sensitive public var", async () => {
    const out = await runResourcePolicy(policy, envVar({ key: "NEXT_PUBLIC_FEATURE_X", value: "on", sensitive: true }));
    expect(messages(out)).toEqual([
      "env var NEXT_PUBLIC_FEATURE_X is sensitive but NEXT_PUBLIC_: Next.js inlines it into the browser bundle, where anyone can read it. Drop the prefix, or make it a non-sensitive public value.",
    ]);
  });

  it("reports an unknown public value as unknown, after what it could already decide", async () => {
    expect(await runResourcePolicy(policy, envVar({ key: "NEXT_PUBLIC_SUPABASE_URL", value: UNKNOWN.string, sensitive: false }))).toEqual({
      violations: [],
      unknown: "string value at .value can't be known during preview",
    });
    const out = await runResourcePolicy(policy, envVar({ key: "NEXT_PUBLIC_API_TOKEN", value: UNKNOWN.string, sensitive: false }));
    expect(messages(out)).toHaveLength(1);
    expect(out.unknown).toBe("string value at .value can't be known during preview");
  });

  it("never reads the value of a server-side var (no advisory noise for generated secrets)", async () => {
    expect(await runResourcePolicy(policy, envVar({ key: "CRON_SECRET", value: UNKNOWN.string, sensitive: true }))).toEqual({ violations: [] });
  });
});

describe("env-var-delete-before-replace", () => {
  const policy = envVarsDeleteBeforeReplace();
  const props = { key: "SESSION_CLEANUP_THRESHOLD_HOURS", value: "24", sensitive: false };

  it("passes a var replaced delete-first", async () => {
    expect(await runResourcePolicy(policy, envVar(props, { deleteBeforeReplace: true }))).toEqual({ violations: [] });
  });

  it.each([
    ["left out", {}],
    ["false", { deleteBeforeReplace: false }],
  ])("flags deleteBeforeReplace %s", async (_label, opts) => {
    expect(messages(await runResourcePolicy(policy, envVar(props, opts)))).toEqual([
      "env var app-env-SESSION_CLEANUP_THRESHOLD_HOURS lacks deleteBeforeReplace: true; replacing it (a change of key, sensitive or custom environments) would create the new var first and fail with ENV_ALREADY_EXISTS.",
    ]);
  });

  it("judges options only: unknown values change nothing", async () => {
    const unknownProps = { key: UNKNOWN.string, value: UNKNOWN.string, sensitive: UNKNOWN.boolean, projectId: UNKNOWN.string };
    expect(await runResourcePolicy(policy, envVar(unknownProps, { deleteBeforeReplace: true }))).toEqual({ violations: [] });
    expect(messages(await runResourcePolicy(policy, envVar(unknownProps, {})))).toHaveLength(1);
  });
});
