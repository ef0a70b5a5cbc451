import { describe, expect, it } from "vitest";
import { type ResourceValidationPolicy, type StackValidationPolicy, rolloutPolicies } from "../../policies/pack";

describe("rolloutPolicies", () => {
  it("lists every rule once, mandatory by default, each resource or stack policy", () => {
    const policies = rolloutPolicies();
    expect(policies.map((p) => [p.name, p.enforcementLevel, "validateStack" in p ? "stack" : "resource"])).toEqual([
      ["cron-secret-from-random-password", "mandatory", "stack"],
      ["secret-env-vars-sensitive", "mandatory", "resource"],
      ["no-public-secrets", "mandatory", "resource"],
      ["env-var-delete-before-replace", "mandatory", "resource"],
      ["production-deployment-retained", "mandatory", "resource"],
      ["buckets-private", "mandatory", "resource"],
      ["crons-need-cron-secret", "mandatory", "stack"],
      ["vercel-project-name", "mandatory", "resource"],
      ["edge-config-item", "mandatory", "resource"],
      ["edge-config-connection-sensitive", "mandatory", "resource"],
    ]);
    for (const p of policies) {
      expect(p.description.length).toBeGreaterThan(20);
      expect(p.remediationSteps?.length).toBeGreaterThan(20);
      expect(typeof ((p as ResourceValidationPolicy).validateResource ?? (p as StackValidationPolicy).validateStack)).toBe("function");
    }
  });

  it("passes per-rule options to each factory", () => {
    const policies = rolloutPolicies({ "buckets-private": { enforcementLevel: "advisory" }, "cron-secret-from-random-password": { minLength: 64 } });
    expect(policies.find((p) => p.name === "buckets-private")?.enforcementLevel).toBe("advisory");
    expect(policies.find((p) => p.name === "cron-secret-from-random-password")?.description).toContain("length >= 64");
    expect(policies.filter((p) => p.enforcementLevel === "mandatory")).toHaveLength(policies.length - 1);
  });
});
