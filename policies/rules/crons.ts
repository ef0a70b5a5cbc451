/** Crons run only where the project has a `CRON_SECRET` to check. */
import type { StackValidationPolicy } from "@pulumi/policy";
import { CRON_SECRET, isCronSecretVar } from "./cron-secret";
import { type RuleOptions, TYPES, projectRefs } from "./support";

/**
 * `crons-need-cron-secret`: `vercel.ProjectCrons` is enabled only on a project that has a
 * `CRON_SECRET` env var targeting `production` (Vercel Cron runs production deployments only and
 * sends the secret as `Authorization: Bearer …`). Without it the cron routes either reject every call
 * or, worse, accept anyone's. Project links come from the engine's dependency information, else from
 * a literal `projectId`; an ID unknown during preview makes the rule advisory.
 */
export function cronsNeedCronSecret(options: RuleOptions = {}): StackValidationPolicy {
  return {
    name: "crons-need-cron-secret",
    description: "Vercel crons may be enabled only on projects with a production CRON_SECRET env var.",
    enforcementLevel: options.enforcementLevel ?? "mandatory",
    severity: "high",
    remediationSteps: "Declare CRON_SECRET (source cronSecret) on the app, targeting production, or set ProjectCrons enabled: false.",
    validateStack: (args, report) => {
      const crons = args.resources.filter((r) => r.type === TYPES.projectCrons);
      if (crons.length === 0) return args.notApplicable("The stack declares no ProjectCrons");
      const secrets = args.resources.filter(isCronSecretVar).filter((v) => {
        const targets: unknown = v.props.targets;
        return Array.isArray(targets) && targets.includes("production");
      });
      for (const c of crons) {
        if (c.props.enabled !== true) continue;
        const project = projectRefs(c);
        const covered = secrets.some((s) => [...projectRefs(s)].some((ref) => project.has(ref)));
        if (!covered) {
          report(`crons of ${c.name} are enabled, but its project has no ${CRON_SECRET} env var targeting production: the cron routes cannot authenticate Vercel Cron. Add CRON_SECRET or set enabled: false.`, c.urn);
        }
      }
    },
  };
}
