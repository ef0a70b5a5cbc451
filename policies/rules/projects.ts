/** Rules on Vercel projects (`vercel.Project`). */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { type RuleOptions, TYPES, onTypes } from "./support";

/** The provider's bounds (terraform-provider-vercel v5.4.1, `vercel/resource_project.go`). */
const MAX_NAME = 52;
const NAME_CHARS = /^[a-z0-9-]*$/;

/**
 * `vercel-project-name`: a project name the provider accepts: 1 to 52 characters of lowercase
 * letters, digits and "-". The planner refuses such names already; this rule catches a component or
 * a `project` transform that renders one anyway, before the provider fails mid-update.
 */
export function vercelProjectNames(options: RuleOptions = {}): ResourceValidationPolicy {
  return {
    name: "vercel-project-name",
    description: `Vercel project names must be 1 to ${MAX_NAME} lowercase letters, digits or "-" (the provider's rule).`,
    enforcementLevel: options.enforcementLevel ?? "mandatory",
    severity: "medium",
    remediationSteps: "Shorten the app or stack name (projects outside prod are named <app>-<stack>), using lowercase letters, digits and - only.",
    validateResource: onTypes([TYPES.project], (args, report) => {
      const name: unknown = args.props.name;
      if (typeof name !== "string") return;
      const problems: string[] = [];
      if (!NAME_CHARS.test(name)) problems.push('may hold only lowercase letters, digits and "-"');
      if (name.length < 1 || name.length > MAX_NAME) problems.push(`is ${name.length} characters; the provider allows 1 to ${MAX_NAME}`);
      for (const p of problems) report(`Vercel project ${args.name}: name ${JSON.stringify(name)} ${p}.`);
    }),
  };
}
