/**
 * What every rule shares: the type tokens the stack registers, the factory options, and small helpers
 * for reading the engine's view of a stack.
 *
 * Unknown values: during `pulumi preview` the engine hands policies inputs wrapped in a proxy that
 * throws `UnknownValueError` when a rule reads a value that is not known yet (an output of a resource
 * still to be created). The policy server turns that error into an **advisory** "can't run policy
 * during preview" diagnostic, whatever the policy's enforcement level (`@pulumi/policy/server.js`).
 * Rules therefore read only the fields they need, in an order that avoids unknowns where it can
 * (name before value, links before IDs), and never catch that error: swallowing it would turn
 * "not checked yet" into "passed".
 *
 * Only types are imported from `@pulumi/policy` here: the rules run unchanged in the policy host and
 * in the unit tests, whichever copy of the SDK resolves.
 */
import type { EnforcementLevel, PolicyResource, ResourceValidation, ResourceValidationArgs, ReportViolation } from "@pulumi/policy";

/** Resource type tokens the program registers (checked against the installed SDKs' `__pulumiType`). */
export const TYPES = {
  envVar: "vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable",
  deployment: "vercel:index/deployment:Deployment",
  projectCrons: "vercel:index/projectCrons:ProjectCrons",
  project: "vercel:index/project:Project",
  randomPassword: "random:index/randomPassword:RandomPassword",
  randomString: "random:index/randomString:RandomString",
  vercelApp: "rollout-stack:vercel:App",
  supabaseDatabase: "rollout-stack:supabase:Database",
  /** The stack's Edge Config item (our dynamic resource, `module = "vercel"`). */
  liveItem: "pulumi-nodejs:dynamic/vercel:LiveItem",
  /** Our Supabase bucket (a dynamic resource with a custom token, `module = "supabase"`). */
  bucket: "pulumi-nodejs:dynamic/supabase:Bucket",
  /** The token of a dynamic resource registered without a custom type. */
  genericDynamic: "pulumi-nodejs:dynamic:Resource",
} as const;

/** Options every rule factory takes. */
export interface RuleOptions {
  /**
   * What a violation does: `mandatory` fails the preview/update, `advisory` warns, `disabled` skips.
   * The pack's config file (`--policy-pack-config`) can override it per policy.
   * @default "mandatory"
   */
  enforcementLevel?: EnforcementLevel;
}

/**
 * Wraps a validation so it runs only on resources whose type is one of `types`, and reports "not
 * applicable" (as `validateResourceOfType` does) for the others. With a single token the function
 * carries `__pulumiType`, which lets the policy server skip other types without calling it.
 */
export function onTypes(types: readonly string[], validate: ResourceValidation): ResourceValidation {
  const fn: ResourceValidation = (args: ResourceValidationArgs, report: ReportViolation) => {
    if (!types.includes(args.type)) {
      return args.notApplicable(`Policy only applies to resources of type ${types.map((t) => `'${t}'`).join(" or ")}`);
    }
    return validate(args, report);
  };
  if (types.length === 1) (fn as ResourceValidation & { __pulumiType?: string }).__pulumiType = types[0];
  return fn;
}

/**
 * Resources a property of `r` was computed from, when the engine says so.
 * `undefined` means "no per-property information" (an older engine or a hand-made stack): callers then
 * fall back to coarser links. An empty array means "the engine knows: a plain value, from no resource".
 */
export function propertySources(r: PolicyResource, ...properties: string[]): PolicyResource[] | undefined {
  let found = false;
  const out: PolicyResource[] = [];
  for (const p of properties) {
    const deps = r.propertyDependencies[p];
    if (deps !== undefined) {
      found = true;
      out.push(...deps);
    }
  }
  return found ? out : undefined;
}

/** The Vercel projects a resource refers to through its `projectId`, as URNs (`urn:...`) or, failing that, the literal ID (`id:...`). */
export function projectRefs(r: PolicyResource): Set<string> {
  const sources = propertySources(r, "projectId") ?? r.dependencies;
  const projects = sources.filter((d) => d.type === TYPES.project).map((d) => `urn:${d.urn}`);
  if (projects.length > 0) return new Set(projects);
  // No link to a Project resource: an adopted project given by ID, or no dependency information.
  // Reading the ID may hit an unknown during preview, which is then reported as advisory.
  const id: unknown = r.props.projectId;
  return typeof id === "string" && id !== "" ? new Set([`id:${id}`]) : new Set();
}
