/**
 * The pack's policies, one factory per rule. Kept apart from `index.ts` (which starts the policy
 * server) so tests and other packs can import the list without serving it.
 */
import type { Policies } from "@pulumi/policy";
import { bucketsPrivate, type BucketRuleOptions } from "./rules/buckets";
import { cronSecretFromRandomPassword, type CronSecretRuleOptions } from "./rules/cron-secret";
import { cronsNeedCronSecret } from "./rules/crons";
import { edgeConfigConnectionSensitive, edgeConfigItem } from "./rules/edge-config";
import { productionDeploymentsRetained } from "./rules/deployments";
import { vercelProjectNames } from "./rules/projects";
import { envVarsDeleteBeforeReplace, noPublicSecrets, secretEnvVarsSensitive, type SecretRuleOptions } from "./rules/env-vars";
import type { RuleOptions } from "./rules/support";

export {
  bucketsPrivate,
  cronSecretFromRandomPassword,
  cronsNeedCronSecret,
  edgeConfigConnectionSensitive,
  edgeConfigItem,
  productionDeploymentsRetained,
  envVarsDeleteBeforeReplace,
  noPublicSecrets,
  secretEnvVarsSensitive,
  vercelProjectNames,
};
export { TYPES, type RuleOptions } from "./rules/support";
// The SDK types, re-exported so callers (the tests) use the same copy of @pulumi/policy as the rules.
export type { PolicyResource, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";

/** Per-rule options, keyed by policy name. */
export interface RolloutPolicyOptions {
  "cron-secret-from-random-password"?: CronSecretRuleOptions;
  "secret-env-vars-sensitive"?: SecretRuleOptions;
  "no-public-secrets"?: SecretRuleOptions;
  "env-var-delete-before-replace"?: RuleOptions;
  "production-deployment-retained"?: RuleOptions;
  "buckets-private"?: BucketRuleOptions;
  "crons-need-cron-secret"?: RuleOptions;
  "vercel-project-name"?: RuleOptions;
  "edge-config-item"?: RuleOptions;
  "edge-config-connection-sensitive"?: RuleOptions;
}

/** Every rule of the pack, each `mandatory` unless its options say otherwise. */
export function rolloutPolicies(options: RolloutPolicyOptions = {}): Policies {
  return [
    cronSecretFromRandomPassword(options["cron-secret-from-random-password"]),
    secretEnvVarsSensitive(options["secret-env-vars-sensitive"]),
    noPublicSecrets(options["no-public-secrets"]),
    envVarsDeleteBeforeReplace(options["env-var-delete-before-replace"]),
    productionDeploymentsRetained(options["production-deployment-retained"]),
    bucketsPrivate(options["buckets-private"]),
    cronsNeedCronSecret(options["crons-need-cron-secret"]),
    vercelProjectNames(options["vercel-project-name"]),
    edgeConfigItem(options["edge-config-item"]),
    edgeConfigConnectionSensitive(options["edge-config-connection-sensitive"]),
  ];
}
