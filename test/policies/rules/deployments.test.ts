import { describe, expect, it } from "vitest";
import { productionDeploymentsRetained } from "../../../policies/rules/deployments";
import { TYPES } from "../../../policies/rules/support";
import { UNKNOWN, runResourcePolicy } from "../harness";

const deployment = (props: Record<string, unknown>) => ({
  type: TYPES.deployment,
  name: "chat-sessions-production",
  props: { projectId: "prj_123", ref: "main", ...props },
});

describe("production-deployment-retained", () => {
  const policy = productionDeploymentsRetained();

  it.each([
    ["a production deployment with deleteOnDestroy: false", { production: true, deleteOnDestroy: false }],
    ["a preview deployment that deletes on destroy", { production: false, deleteOnDestroy: true }],
    ["a deployment that does not say production", {}],
  ])("passes %s", async (_label, props) => {
    expect(await runResourcePolicy(policy, deployment(props))).toEqual({ violations: [] });
  });

  it.each([
    ["true", { production: true, deleteOnDestroy: true }, "deleteOnDestroy is true, so each redeploy deletes the deployment Instant Rollback returns to. Set deleteOnDestroy: false."],
    // Unset keeps deployments today (the provider deletes only when the flag is true): the rule asks for it to be explicit.
    ["left out", { production: true }, "deleteOnDestroy is not set. The provider keeps deployments by default today; set deleteOnDestroy: false so the retention is visible in review and survives a change of default."],
  ])("flags deleteOnDestroy %s", async (_label, props, what) => {
    const out = await runResourcePolicy(policy, deployment(props));
    expect(out.violations.map((v) => v.message)).toEqual([`production deployment chat-sessions-production: ${what}`]);
  });

  it("reports unknown values as unknown", async () => {
    expect(await runResourcePolicy(policy, deployment({ production: UNKNOWN.boolean, deleteOnDestroy: false }))).toEqual({
      violations: [],
      unknown: "boolean value at .production can't be known during preview",
    });
    expect(await runResourcePolicy(policy, deployment({ production: true, deleteOnDestroy: UNKNOWN.boolean }))).toEqual({
      violations: [],
      unknown: "boolean value at .deleteOnDestroy can't be known during preview",
    });
  });

  it("can be advisory, and skips other types", async () => {
    expect(productionDeploymentsRetained({ enforcementLevel: "advisory" }).enforcementLevel).toBe("advisory");
    expect((await runResourcePolicy(policy, { type: TYPES.envVar, name: "v", props: {} })).notApplicable).toContain(TYPES.deployment);
  });
});
