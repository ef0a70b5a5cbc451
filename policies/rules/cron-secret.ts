/** `CRON_SECRET` is generated: a `random.RandomPassword`, long enough, without special characters. */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { type RuleOptions, TYPES, propertySources } from "./support";

/** The env var key Vercel Cron sends as `Authorization: Bearer $CRON_SECRET`. */
export const CRON_SECRET = "CRON_SECRET";

/** Options of `cron-secret-from-random-password`. */
export interface CronSecretRuleOptions extends RuleOptions {
  /**
   * Minimum password length.
   * @default 32
   */
  minLength?: number;
}

/** Is this env var resource the `CRON_SECRET`? (Reads `key`, a literal in our program.) */
export function isCronSecretVar(r: PolicyResource): boolean {
  return r.type === TYPES.envVar && r.props.key === CRON_SECRET;
}

/**
 * Where a `CRON_SECRET` var's value comes from. The engine records, per property, which resources a
 * value was computed from (`propertyDependencies.value`): that is the link when present, and a
 * literal value then has no source at all. Without per-property information (an older engine, a
 * hand-made stack), the var's dependencies and the `*cron-secret` RandomPasswords that share its
 * parent component stand in.
 */
export function cronSecretSources(envVar: PolicyResource, resources: readonly PolicyResource[]): PolicyResource[] {
  const exact = propertySources(envVar, "value", "valueWo");
  if (exact !== undefined) return exact;
  const parent = envVar.parent?.urn;
  const siblings = parent === undefined ? [] : resources.filter((r) => r.parent?.urn === parent && r.type === TYPES.randomPassword && /cron-secret$/.test(r.name));
  return [...new Set([...envVar.dependencies, ...siblings])];
}

/**
 * `cron-secret-from-random-password`: each `CRON_SECRET` env var takes its value from a
 * `random.RandomPassword` with `length >= minLength` and `special: false` (the random provider
 * defaults `special` to true; a `RandomString` would keep the secret in its plaintext `id`).
 * A stack policy: the link between the var and the password is only visible across resources.
 */
export function cronSecretFromRandomPassword(options: CronSecretRuleOptions = {}): StackValidationPolicy {
  const minLength = options.minLength ?? 32;
  return {
    name: "cron-secret-from-random-password",
    description: `CRON_SECRET must come from a random.RandomPassword of length >= ${minLength} without special characters.`,
    enforcementLevel: options.enforcementLevel ?? "mandatory",
    severity: "high",
    remediationSteps: `Generate it with new random.RandomPassword(\`\${name}-cron-secret\`, { length: ${minLength}, special: false }) and pass its result as the env var's value.`,
    validateStack: (args, report) => {
      const vars = args.resources.filter(isCronSecretVar);
      if (vars.length === 0) return args.notApplicable("The stack declares no CRON_SECRET env var");
      for (const envVar of vars) {
        const sources = cronSecretSources(envVar, args.resources);
        if (sources.some((s) => s.type === TYPES.randomString)) {
          report(`CRON_SECRET (${envVar.name}) comes from a random.RandomString, whose id holds the value in plaintext: use random.RandomPassword({ length: ${minLength}, special: false }).`, envVar.urn);
          continue;
        }
        const passwords = sources.filter((s) => s.type === TYPES.randomPassword);
        if (passwords.length === 0) {
          report(`CRON_SECRET (${envVar.name}) does not come from a random.RandomPassword: a hand-set or config value is guessable and never rotated. Generate it with random.RandomPassword({ length: ${minLength}, special: false }).`, envVar.urn);
          continue;
        }
        for (const p of passwords) {
          const length: unknown = p.props.length;
          if (typeof length !== "number" || length < minLength) {
            report(`RandomPassword ${p.name} (CRON_SECRET of ${envVar.name}) has length ${String(length)}: use at least ${minLength}.`, p.urn);
          }
          if (p.props.special !== false) {
            report(`RandomPassword ${p.name} (CRON_SECRET of ${envVar.name}) may contain special characters (special defaults to true): set special: false, since the secret travels in an Authorization header and shell scripts.`, p.urn);
          } else if (typeof p.props.minSpecial === "number" && p.props.minSpecial > 0) {
            report(`RandomPassword ${p.name} (CRON_SECRET of ${envVar.name}) sets minSpecial ${p.props.minSpecial}: remove it.`, p.urn);
          }
        }
      }
    },
  };
}
