/** Rules on Vercel deployments (`vercel.Deployment`). */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { type RuleOptions, TYPES, onTypes } from "./support";

/**
 * `production-deployment-retained`: a production deployment sets `deleteOnDestroy: false`
 * explicitly. Every env change replaces the production `Deployment` resource (an explicit
 * redeploy); with `deleteOnDestroy: true` each replacement would delete the previous
 * deployment, the very one Instant Rollback needs. The provider retains by default today; the
 * rule asks for the explicit `false` so a changed default cannot silently start deleting.
 */
export function productionDeploymentsRetained(options: RuleOptions = {}): ResourceValidationPolicy {
  return {
    name: "production-deployment-retained",
    description: "Production deployments must set deleteOnDestroy: false (keep them for Instant Rollback).",
    enforcementLevel: options.enforcementLevel ?? "mandatory",
    severity: "high",
    remediationSteps: "Set `deleteOnDestroy: false` on the production `vercel.Deployment`.",
    validateResource: onTypes([TYPES.deployment], (args, report) => {
      if (args.props.production !== true) return;
      const deleteOnDestroy: unknown = args.props.deleteOnDestroy;
      if (deleteOnDestroy === false) return;
      report(
        deleteOnDestroy === true
          ? `production deployment ${args.name}: deleteOnDestroy is true, so each redeploy deletes the deployment Instant Rollback returns to. Set deleteOnDestroy: false.`
          : `production deployment ${args.name}: deleteOnDestroy is not set. The provider keeps deployments by default today; set deleteOnDestroy: false so the retention is visible in review and survives a change of default.`,
      );
    }),
  };
}
