import { describe, expect, it } from "vitest";
import { cronsNeedCronSecret } from "../../../policies/rules/crons";
import { TYPES } from "../../../policies/rules/support";
import { UNKNOWN, runStackPolicy, urnOf } from "../harness";
import { appStack } from "./stack-fixtures";

const NO_SECRET =
  "crons of chat-sessions-crons are enabled, but its project has no CRON_SECRET env var targeting production: the cron routes cannot authenticate Vercel Cron. Add CRON_SECRET or set enabled: false.";

describe("crons-need-cron-secret", () => {
  const policy = cronsNeedCronSecret();

  it.each(["exact", "coarse"] as const)("passes enabled crons with a production CRON_SECRET on the same project (%s links)", async (links) => {
    expect(await runStackPolicy(policy, appStack({ links }))).toEqual({ violations: [] });
  });

  it("matches by literal project ID when there are no links (an adopted project)", async () => {
    expect(await runStackPolicy(policy, appStack({ links: "none", projectId: "prj_adopted" }))).toEqual({ violations: [] });
  });

  it("passes disabled crons without a secret", async () => {
    expect(await runStackPolicy(policy, appStack({ cronSecret: null, crons: { enabled: false } }))).toEqual({ violations: [] });
  });

  it("flags enabled crons without CRON_SECRET, on the crons' URN", async () => {
    expect((await runStackPolicy(policy, appStack({ cronSecret: null }))).violations).toEqual([{ message: NO_SECRET, urn: urnOf(TYPES.projectCrons, "chat-sessions-crons") }]);
  });

  it("flags a CRON_SECRET that does not target production (crons run only there)", async () => {
    expect((await runStackPolicy(policy, appStack({ cronSecret: { targets: ["preview"] } }))).violations.map((v) => v.message)).toEqual([NO_SECRET]);
  });

  it("flags a CRON_SECRET that belongs to another project", async () => {
    const stack = [...appStack({ cronSecret: null }), ...appStack({ app: "reports", crons: null })];
    expect((await runStackPolicy(policy, stack)).violations.map((v) => v.message)).toEqual([NO_SECRET]);
    const byId = [...appStack({ links: "none", cronSecret: null }), ...appStack({ app: "reports", links: "none", crons: null })];
    expect((await runStackPolicy(policy, byId)).violations.map((v) => v.message)).toEqual([NO_SECRET]);
  });

  it("reports unknown values it needs as unknown (advisory)", async () => {
    expect(await runStackPolicy(policy, appStack({ crons: { enabled: UNKNOWN.boolean } }))).toEqual({
      violations: [],
      unknown: "boolean value at .enabled can't be known during preview",
    });
    // A new project's ID is unknown during preview; without dependency links the rule cannot match it.
    expect(await runStackPolicy(policy, appStack({ links: "none", projectId: UNKNOWN.string }))).toEqual({
      violations: [],
      unknown: "string value at .projectId can't be known during preview",
    });
  });

  it("needs no IDs when the engine links the resources: an unknown project ID is fine", async () => {
    expect(await runStackPolicy(policy, appStack({ projectId: UNKNOWN.string }))).toEqual({ violations: [] });
  });

  it("is not applicable without ProjectCrons", async () => {
    expect((await runStackPolicy(policy, appStack({ crons: null }))).notApplicable).toBe("The stack declares no ProjectCrons");
  });
});
