/**
 * The whole catalog, rendered by the real program for every real stack file, passes the pack with no
 * violation. Resources come from the shared mock harness (inputs, engine-level options, URNs); the
 * per-property dependencies the engine would record are captured from the registration requests, so
 * the stack rules link CRON_SECRET to its RandomPassword and crons to their project as in a preview.
 * A mutated copy of the same render shows the feed is live: the rules do catch what they should.
 */
import { beforeAll, describe, expect, it, vi } from "vitest";
import { loadStackConfigFile } from "../../infra/config";
import { type ResourceValidationPolicy, type StackValidationPolicy, TYPES, rolloutPolicies } from "../../policies/pack";
import { type Render, renderProgram, stackFileConfig } from "../support/pulumi";
import { SERVICE_ROLE_JWT } from "./fixtures";
import { type Outcome, type StackResourceInput, runResourcePolicy, runStackPolicy } from "./harness";

const STACKS = ["local", "dev", "staging", "prod"] as const;

interface Rendered {
  render: Render;
  /** `type::name` → property → URNs, as the registration request carried them. */
  propertyDependencies: Map<string, Record<string, string[]>>;
}

async function renderWithDependencies(stack: string): Promise<Rendered> {
  const parsed = loadStackConfigFile(stack);
  const required = Object.entries(parsed.secrets)
    .filter(([, v]) => !v.known)
    .map(([k]) => `rollout-stack:${k}`);
  const propertyDependencies = new Map<string, Record<string, string[]>>();
  const render = await renderProgram({
    stack,
    config: stackFileConfig(stack, required),
    program: async () => {
      // The harness has wrapped the mock monitor by now; wrap it once more to keep what the engine would
      // store as propertyDependencies. The harness restores the original monitor method afterwards.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const monitor = (require("@pulumi/pulumi/runtime/settings") as { getMonitor(): any }).getMonitor();
      const register = monitor.registerResource.bind(monitor);
      monitor.registerResource = (req: any, callback: unknown) => {
        const deps: Record<string, string[]> = {};
        for (const [k, v] of req.getPropertydependenciesMap().entries()) deps[k] = [...v.getUrnsList()];
        propertyDependencies.set(`${req.getType()}::${req.getName()}`, deps);
        return register(req, callback);
      };
      vi.resetModules();
      return { ...(await import("../../infra/index")) };
    },
  });
  return { render, propertyDependencies };
}

/** The render as the engine would describe it to the pack: inputs for resource policies, outputs for stack policies. */
function toStack({ render, propertyDependencies }: Rendered): StackResourceInput[] {
  const urns = new Set(render.resources.map((r) => r.urn));
  const known = (list: string[]) => list.filter((u) => urns.has(u));
  return render.resources.map((r) => ({
    type: r.type,
    name: r.name,
    urn: r.urn,
    props: r.custom ? r.state : r.inputs,
    opts: { deleteBeforeReplace: r.opts.deleteBeforeReplace, protect: r.opts.protect ?? false, ...(r.opts.parent ? { parent: r.opts.parent } : {}) },
    ...(r.opts.parent && urns.has(r.opts.parent) ? { parent: r.opts.parent } : {}),
    dependencies: known(r.opts.dependsOn),
    propertyDependencies: Object.fromEntries(Object.entries(propertyDependencies.get(`${r.type}::${r.name}`) ?? {}).map(([k, v]) => [k, known(v)])),
  }));
}

interface PackResult {
  violations: string[];
  unknown: string[];
  /** Policy name → how many resources (or 1 for a stack policy) it actually judged. */
  applied: Record<string, number>;
}

async function runPack(resources: StackResourceInput[], inputsOf: (r: StackResourceInput) => Record<string, unknown>): Promise<PackResult> {
  const result: PackResult = { violations: [], unknown: [], applied: {} };
  const note = (policy: string, target: string, out: Outcome) => {
    if (out.notApplicable !== undefined) return;
    result.applied[policy] = (result.applied[policy] ?? 0) + 1;
    for (const v of out.violations) result.violations.push(`${policy} ${target}: ${v.message}`);
    if (out.unknown !== undefined) result.unknown.push(`${policy} ${target}: ${out.unknown}`);
  };
  for (const policy of rolloutPolicies()) {
    if ("validateStack" in policy) {
      note(policy.name, "(stack)", await runStackPolicy(policy as StackValidationPolicy, resources));
    } else {
      for (const r of resources) note(policy.name, r.urn!, await runResourcePolicy(policy as ResourceValidationPolicy, { ...r, props: inputsOf(r) }));
    }
  }
  return result;
}

const rendered = new Map<string, Rendered>();

beforeAll(async () => {
  for (const stack of STACKS) rendered.set(stack, await renderWithDependencies(stack));
}, 120_000);

describe.each(STACKS)("the %s stack as rendered", (stack) => {
  it("passes every rule of the pack, with no value left unjudged", async () => {
    const r = rendered.get(stack)!;
    const inputs = new Map(r.render.resources.map((x) => [x.urn, x.inputs]));
    const result = await runPack(toStack(r), (x) => inputs.get(x.urn!) ?? {});
    expect(result.violations).toEqual([]);
    expect(result.unknown).toEqual([]);

    // Not vacuous: each rule judged every resource of its kind the stack declares.
    const count = (type: string) => r.render.ofType(type).length;
    const envVars = count(TYPES.envVar);
    const config = loadStackConfigFile(stack);
    const appsWithCrons = config.mode === "cloud" ? config.apps.filter((a) => a.crons.length > 0).length : 0;
    expect(result.applied["secret-env-vars-sensitive"] ?? 0).toBe(envVars);
    expect(result.applied["no-public-secrets"] ?? 0).toBe(envVars);
    expect(result.applied["env-var-delete-before-replace"] ?? 0).toBe(envVars);
    expect(result.applied["production-deployment-retained"] ?? 0).toBe(count(TYPES.deployment));
    expect(result.applied["buckets-private"] ?? 0).toBe(r.render.resources.filter((x) => x.type === TYPES.bucket).length);
    expect(result.applied["cron-secret-from-random-password"] ?? 0).toBe(appsWithCrons > 0 ? 1 : 0);
    expect(result.applied["crons-need-cron-secret"] ?? 0).toBe(count(TYPES.projectCrons) > 0 ? 1 : 0);
    expect(result.applied["vercel-project-name"] ?? 0).toBe(count(TYPES.project));
    expect(result.applied["edge-config-item"] ?? 0).toBe(count(TYPES.liveItem));
    expect(result.applied["edge-config-connection-sensitive"] ?? 0).toBe(envVars);
    if (stack === "prod") expect(count(TYPES.liveItem)).toBe(1);
    if (config.mode === "cloud") {
      expect(envVars).toBeGreaterThan(0);
      expect(count(TYPES.deployment)).toBe(config.apps.length);
    }
  });
});

describe("the feed is live: the same prod render, broken on purpose", () => {
  it("catches a dropped deleteBeforeReplace, a public service-role key, a weak CRON_SECRET and a deleting deployment", async () => {
    const r = rendered.get("prod")!;
    const stack = toStack(r);
    const inputs = new Map(r.render.resources.map((x) => [x.urn, { ...x.inputs }]));
    const envVar = (key: string) => stack.find((x) => x.type === TYPES.envVar && x.props.key === key && (x.props.targets as string[]).includes("production"))!;

    const threshold = envVar("SESSION_CLEANUP_THRESHOLD_HOURS");
    threshold.opts = { ...threshold.opts, deleteBeforeReplace: false };
    const anon = envVar("NEXT_PUBLIC_SUPABASE_ANON_KEY");
    inputs.get(anon.urn!)!.value = SERVICE_ROLE_JWT;
    const password = stack.find((x) => x.type === TYPES.randomPassword && x.name.endsWith("-cron-secret"))!;
    password.props = { ...password.props, length: 16 };
    const deployment = stack.find((x) => x.type === TYPES.deployment)!;
    inputs.get(deployment.urn!)!.deleteOnDestroy = true;

    const result = await runPack(stack, (x) => inputs.get(x.urn!) ?? {});
    expect(result.violations.map((v) => v.split(" ")[0]).sort()).toEqual([
      "cron-secret-from-random-password",
      "env-var-delete-before-replace",
      "no-public-secrets",
      "production-deployment-retained",
    ]);
    expect(result.violations.join("\n")).not.toContain(SERVICE_ROLE_JWT.split(".")[1]);
  });

  it("links CRON_SECRET to its password through the engine's per-property dependencies", () => {
    const stack = toStack(rendered.get("prod")!);
    const cronSecretVars = stack.filter((x) => x.type === TYPES.envVar && x.props.key === "CRON_SECRET");
    expect(cronSecretVars.length).toBeGreaterThan(0);
    for (const v of cronSecretVars) {
      const sources = (v.propertyDependencies?.value ?? []).map((urn) => stack.find((x) => x.urn === urn)?.type);
      expect(sources).toEqual([TYPES.randomPassword]);
    }
  });
});
