import { describe, expect, it } from "vitest";
import { secretKeyReason, secretValueKind } from "../../../policies/rules/secrets";
import { ANON_JWT, REDIS_URL_WITH_PASSWORD, SB_SECRET, SERVICE_ROLE_JWT, jwt } from "../fixtures";

describe("secretKeyReason", () => {
  describe.each([
    ["SUPABASE_SERVICE_ROLE_KEY", "its name says it is a service-role key"],
    ["NEXT_PUBLIC_SUPABASE_SERVICE_ROLE_KEY", "its name says it is a service-role key"],
    ["CRON_SECRET", "its name ends in SECRET"],
    ["GITHUB_TOKEN", "its name ends in TOKEN"],
    ["NEXT_PUBLIC_API_TOKEN", "its name ends in TOKEN"],
    ["db_password", "its name ends in PASSWORD"],
    ["OPENAI_API_KEY", "its name ends in a KEY that is not an anon, publishable or public key"],
    ["STRIPE_KEY", "its name ends in a KEY that is not an anon, publishable or public key"],
    ["SECRET_KEY_BASE", "its name contains SECRET_KEY"],
    ["GCP_PRIVATE_KEY_PEM", "its name contains PRIVATE_KEY"],
    ["DATABASE_URL", "its name is a database connection string"],
    ["POSTGRES_URL_NON_POOLING", "its name is a database connection string"],
    ["SUPABASE_DB_URL", "its name is a database connection string"],
  ])("%s is secret-looking", (key, reason) => {
    it("says why", () => expect(secretKeyReason(key)).toBe(reason));
  });

  it.each([
    "NEXT_PUBLIC_SUPABASE_ANON_KEY",
    "NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY",
    "VAPID_PUBLIC_KEY",
    "NEXT_PUBLIC_SUPABASE_URL",
    "SESSION_CLEANUP_THRESHOLD_HOURS",
    "USE_ENHANCED_METADATA_CONTEXT",
    "NEXT_PUBLIC_EARLY_SESSION_CREATION_PERCENT",
    "REDIS_URL",
    "KEYBOARD_LAYOUT",
    // Secret words in the middle name features, not credentials (analy-ticket's flag).
    "NEXT_PUBLIC_SP_AUTOMATIC_TOKEN_REFRESH",
    "PASSWORD_MIN_LENGTH",
    "ENABLE_KEY_ROTATION",
    "AWS_ACCESS_KEY_ID",
  ])("%s is not secret-looking", (key) => {
    expect(secretKeyReason(key)).toBeUndefined();
  });

  it("honours the notSecret allow-list", () => {
    expect(secretKeyReason("ANALYTICS_PARTITION_KEY")).toBeDefined();
    expect(secretKeyReason("ANALYTICS_PARTITION_KEY", ["ANALYTICS_PARTITION_KEY"])).toBeUndefined();
  });
});

describe("secretValueKind", () => {
  it.each([
    [SERVICE_ROLE_JWT, "a Supabase service_role JWT"],
    [SB_SECRET, "a Supabase secret key (sb_secret_…)"],
    [REDIS_URL_WITH_PASSWORD, "a connection URL with a password"],
    ["postgresql://postgres:pw@db.abc.supabase.co:5432/postgres", "a connection URL with a password"],
    [["sk", "live", "0123456789abcdefghij"].join("_"), "a Stripe secret key"],
    [`sk-proj-${"a".repeat(40)}`, "an OpenAI-style API key (sk-…)"],
    [`ghp_${"A".repeat(36)}`, "a GitHub token"],
    [["-----BEGIN", "PRIVATE", "KEY-----\nMIIE"].join(" "), "a PEM private key"],
  ])("recognises %#", (value, kind) => {
    expect(secretValueKind(value)).toBe(kind);
  });

  it.each([
    ["the anon JWT", ANON_JWT],
    ["a JWT without a role", jwt({ sub: "user" })],
    ["a project URL", "https://abcdefghijklmnopqrst.supabase.co"],
    ["a URL with a user but no password", "redis://default@cache.internal:6379"],
    ["a percent", "50"],
    ["a boolean", "true"],
    ["three words with dots", "eyJ.not.base64"],
    ["a short sk- word", "sk-1"],
  ])("leaves %s alone", (_label, value) => {
    expect(secretValueKind(value)).toBeUndefined();
  });
});
