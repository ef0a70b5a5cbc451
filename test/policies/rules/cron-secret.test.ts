import { describe, expect, it } from "vitest";
import { cronSecretFromRandomPassword } from "../../../policies/rules/cron-secret";
import { TYPES } from "../../../policies/rules/support";
import { UNKNOWN, runStackPolicy, urnOf } from "../harness";
import { appStack } from "./stack-fixtures";

const messages = (o: { violations: { message: string }[] }) => o.violations.map((v) => v.message);

describe("cron-secret-from-random-password", () => {
  const policy = cronSecretFromRandomPassword();

  it.each([
    ["linked per property (what the engine records)", "exact"],
    ["linked by resource dependencies only", "coarse"],
    ["not linked at all, found as the component's *-cron-secret password", "none"],
  ] as const)("passes a RandomPassword(32, special: false) %s", async (_label, links) => {
    expect(await runStackPolicy(policy, appStack({ links }))).toEqual({ violations: [] });
  });

  it("passes longer passwords and a custom minimum", async () => {
    expect(await runStackPolicy(policy, appStack({ password: { length: 64 } }))).toEqual({ violations: [] });
    const strict = cronSecretFromRandomPassword({ minLength: 48 });
    expect(strict.description).toContain("length >= 48");
    expect(messages(await runStackPolicy(strict, appStack()))).toEqual([
      "RandomPassword chat-sessions-cron-secret (CRON_SECRET of chat-sessions-env-CRON_SECRET) has length 32: use at least 48.",
    ]);
  });

  it("flags a short password and the special-characters default, on the password's URN", async () => {
    const out = await runStackPolicy(policy, appStack({ password: { length: 16, special: undefined } }));
    expect(out.violations).toEqual([
      { message: "RandomPassword chat-sessions-cron-secret (CRON_SECRET of chat-sessions-env-CRON_SECRET) has length 16: use at least 32.", urn: urnOf(TYPES.randomPassword, "chat-sessions-cron-secret") },
      {
        message:
          "RandomPassword chat-sessions-cron-secret (CRON_SECRET of chat-sessions-env-CRON_SECRET) may contain special characters (special defaults to true): set special: false, since the secret travels in an Authorization header and shell scripts.",
        urn: urnOf(TYPES.randomPassword, "chat-sessions-cron-secret"),
      },
    ]);
  });

  it("flags minSpecial", async () => {
    expect(messages(await runStackPolicy(policy, appStack({ password: { minSpecial: 2 } })))).toEqual([
      "RandomPassword chat-sessions-cron-secret (CRON_SECRET of chat-sessions-env-CRON_SECRET) sets minSpecial 2: remove it.",
    ]);
  });

  it("flags a literal value even when a proper password sits next to it (the engine's per-property link wins)", async () => {
    const stack = appStack();
    const envVar = stack.find((r) => r.name === "chat-sessions-env-CRON_SECRET")!;
    envVar.propertyDependencies = { ...envVar.propertyDependencies, value: [] };
    envVar.dependencies = ["chat-sessions-project"];
    const out = await runStackPolicy(policy, stack);
    expect(out.violations).toEqual([
      {
        message:
          "CRON_SECRET (chat-sessions-env-CRON_SECRET) does not come from a random.RandomPassword: a hand-set or config value is guessable and never rotated. Generate it with random.RandomPassword({ length: 32, special: false }).",
        urn: urnOf(TYPES.envVar, "chat-sessions-env-CRON_SECRET"),
      },
    ]);
  });

  it("flags a RandomString, whose id is the secret in plaintext", async () => {
    expect(messages(await runStackPolicy(policy, appStack({ passwordType: TYPES.randomString })))).toEqual([
      "CRON_SECRET (chat-sessions-env-CRON_SECRET) comes from a random.RandomString, whose id holds the value in plaintext: use random.RandomPassword({ length: 32, special: false }).",
    ]);
  });

  it("reports an unknown length as unknown (advisory), never as a pass", async () => {
    expect(await runStackPolicy(policy, appStack({ password: { length: UNKNOWN.number } }))).toEqual({
      violations: [],
      unknown: "number value at .length can't be known during preview",
    });
  });

  it("does not read the secret's value: a result unknown during preview is fine", async () => {
    expect(await runStackPolicy(policy, appStack({ cronSecret: { value: UNKNOWN.string }, password: { result: UNKNOWN.string } }))).toEqual({ violations: [] });
  });

  it("checks every app's CRON_SECRET separately", async () => {
    const stack = [...appStack(), ...appStack({ app: "reports", password: { length: 20 } })];
    expect(messages(await runStackPolicy(policy, stack))).toEqual([
      "RandomPassword reports-cron-secret (CRON_SECRET of reports-env-CRON_SECRET) has length 20: use at least 32.",
    ]);
  });

  it("is not applicable to a stack without CRON_SECRET", async () => {
    expect((await runStackPolicy(policy, appStack({ cronSecret: null, crons: null }))).notApplicable).toBe("The stack declares no CRON_SECRET env var");
  });
});
