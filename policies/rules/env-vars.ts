/**
 * Rules on Vercel env vars (`vercel.ProjectEnvironmentVariable`): secrets are `sensitive`, nothing
 * secret ships to the browser, and every var is replaced delete-first.
 */
import type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { PUBLIC_PREFIX, secretKeyReason, secretValueKind } from "./secrets";
import { type RuleOptions, TYPES, onTypes } from "./support";

/** Options of the two secret rules. */
export interface SecretRuleOptions extends RuleOptions {
  /**
   * Keys whose names look secret but are not (false positives of the name check), e.g.
   * `["ENABLE_KEY_ROTATION"]`. Added to the pack config's `notSecretKeys`.
   * @default []
   */
  notSecretKeys?: string[];
}

interface SecretRuleConfig {
  notSecretKeys?: string[];
}

const secretRuleConfigSchema = {
  properties: {
    notSecretKeys: {
      type: "array" as const,
      items: { type: "string" as const },
      description: "Env var keys whose names look secret but are not.",
    },
  },
};

function notSecretKeys(options: SecretRuleOptions, args: ResourceValidationArgs): string[] {
  return [...(options.notSecretKeys ?? []), ...(args.getConfig<SecretRuleConfig>().notSecretKeys ?? [])];
}

/** The value a var sets (`value`, or the write-only `valueWo`), when it is a string. */
function valueOf(props: Record<string, unknown>): string | undefined {
  const v = props.value ?? props.valueWo;
  return typeof v === "string" ? v : undefined;
}

/**
 * `secret-env-vars-sensitive`: an env var whose name or value looks like a secret is `sensitive`
 * (write-only in the dashboard and the API). `NEXT_PUBLIC_*` vars are left to `no-public-secrets`.
 * The value is read only when the name does not already decide, so a secret generated in the same
 * update (unknown during preview) does not make the rule advisory.
 */
export function secretEnvVarsSensitive(options: SecretRuleOptions = {}): ResourceValidationPolicy {
  return {
    name: "secret-env-vars-sensitive",
    description: "Env vars whose name or value looks like a secret must be sensitive.",
    enforcementLevel: options.enforcementLevel ?? "mandatory",
    severity: "high",
    configSchema: secretRuleConfigSchema,
    remediationSteps:
      "Declare the var with `sensitive: true` (a `secret` source in infra/apps/<app>.ts) and target only production and preview: Vercel refuses sensitive development vars.",
    validateResource: onTypes([TYPES.envVar], (args, report) => {
      const key: string = args.props.key;
      if (key.startsWith(PUBLIC_PREFIX)) return;
      if (args.props.sensitive === true) return;
      const byName = secretKeyReason(key, notSecretKeys(options, args));
      if (byName !== undefined) {
        report(`env var ${key} is not sensitive, but ${byName}: set sensitive: true (production and preview targets only), or list the key in notSecretKeys if it is not a secret.`);
        return;
      }
      const value = valueOf(args.props);
      const kind = value === undefined ? undefined : secretValueKind(value);
      if (kind !== undefined) {
        report(`env var ${key} is not sensitive, but its value looks like ${kind}: set sensitive: true (production and preview targets only).`);
      }
    }),
  };
}

/**
 * `no-public-secrets`: no `NEXT_PUBLIC_*` var carries a secret. Next.js inlines those into the
 * browser bundle at build time, so a service-role key there hands every visitor a key that bypasses
 * RLS. Caught by name (`NEXT_PUBLIC_SUPABASE_SERVICE_ROLE_KEY`), by the `sensitive` flag (a public
 * value cannot be sensitive), and by value (a `service_role` JWT, `sb_secret_…`, a URL with a password).
 */
export function noPublicSecrets(options: SecretRuleOptions = {}): ResourceValidationPolicy {
  return {
    name: "no-public-secrets",
    description: "No NEXT_PUBLIC_* env var may carry a secret or a service-role key.",
    enforcementLevel: options.enforcementLevel ?? "mandatory",
    severity: "critical",
    configSchema: secretRuleConfigSchema,
    remediationSteps:
      "Drop the NEXT_PUBLIC_ prefix and read the value server-side (route handlers, server actions); the browser gets the anon key only. If a service-role key was ever deployed this way, rotate it.",
    validateResource: onTypes([TYPES.envVar], (args, report) => {
      const key: string = args.props.key;
      if (!key.startsWith(PUBLIC_PREFIX)) return;
      const byName = secretKeyReason(key, notSecretKeys(options, args));
      if (byName !== undefined) {
        report(`env var ${key} is inlined into the browser bundle (${PUBLIC_PREFIX}), but ${byName}: drop the prefix and read it on the server.`);
      }
      if (args.props.sensitive === true) {
        report(`env var ${key} is sensitive but ${PUBLIC_PREFIX}: Next.js inlines it into the browser bundle, where anyone can read it. Drop the prefix, or make it a non-sensitive public value.`);
      }
      const value = valueOf(args.props);
      const kind = value === undefined ? undefined : secretValueKind(value);
      if (kind !== undefined) {
        report(`env var ${key} is inlined into the browser bundle (${PUBLIC_PREFIX}), but its value looks like ${kind}: drop the prefix, read it on the server, and rotate the credential if it was deployed.`);
      }
    }),
  };
}

/**
 * `env-var-delete-before-replace`: every env var resource has `deleteBeforeReplace: true`.
 * Changing `key`, `sensitive` or `customEnvironmentIds` replaces the var; Pulumi's default
 * create-before-delete then fails with `ENV_ALREADY_EXISTS` (pulumiverse/pulumi-vercel#118). Reads
 * resource options only, so unknown values never affect it.
 */
export function envVarsDeleteBeforeReplace(options: RuleOptions = {}): ResourceValidationPolicy {
  return {
    name: "env-var-delete-before-replace",
    description: "Vercel env vars must be replaced delete-first (deleteBeforeReplace: true).",
    enforcementLevel: options.enforcementLevel ?? "mandatory",
    severity: "medium",
    remediationSteps: "Pass `{ deleteBeforeReplace: true }` in the env var's resource options.",
    validateResource: onTypes([TYPES.envVar], (args, report) => {
      if (args.opts.deleteBeforeReplace !== true) {
        report(`env var ${args.name} lacks deleteBeforeReplace: true; replacing it (a change of key, sensitive or custom environments) would create the new var first and fail with ENV_ALREADY_EXISTS.`);
      }
    }),
  };
}
