/**
 * Runs the pack's policies without the Pulumi engine, the way the policy server does
 * (`@pulumi/policy/server.js`, `makeAnalyzeRpcFun` / `makeAnalyzeStackRpcFun`):
 * - props go through the SDK's own `deserializeProperties` (secret markers unwrapped, undefined
 *   dropped) and `unknownCheckingProxy` (reading an unknown throws `UnknownValueError`);
 * - an `UnknownValueError` becomes an advisory "can't run during preview" (kept in `unknown`);
 * - `notApplicable()` throws and is reported as not applicable;
 * - stack resources get `parent`, `dependencies` and `propertyDependencies` linked as objects.
 * The SDK is loaded from where the pack resolves it (`policies/node_modules` when installed), so the
 * proxy and its error are the very ones the rules meet in the policy host.
 */
import * as path from "path";
import type { PolicyResource, ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy } from "../../policies/pack";

export const POLICIES_DIR = path.resolve(__dirname, "../../policies");

/** Requires a module as the policy pack resolves it. */
export function requireFromPack<T>(id: string): T {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(require.resolve(id, { paths: [POLICIES_DIR] })) as T;
}

const policySdkDir = path.dirname(require.resolve("@pulumi/policy", { paths: [POLICIES_DIR] }));
const proxy = requireFromPack<{
  unknownCheckingProxy<T>(t: T): T;
  UnknownValueError: new (...args: any[]) => Error;
  unknownStringValue: string;
  unknownNumberValue: string;
  unknownBooleanValue: string;
  unknownArrayValue: string;
  unknownObjectValue: string;
}>(path.join(policySdkDir, "proxy"));
const deserialize = requireFromPack<{ deserializeProperties(struct: unknown, proxySecrets: boolean): Record<string, any> }>(path.join(policySdkDir, "deserialize"));
const { Struct } = requireFromPack<{ Struct: { fromJavaScript(v: Record<string, unknown>): unknown } }>("google-protobuf/google/protobuf/struct_pb");

/** Values the engine sends for inputs not known during preview (the SDK's sentinels). */
export const UNKNOWN = {
  string: proxy.unknownStringValue,
  number: proxy.unknownNumberValue,
  boolean: proxy.unknownBooleanValue,
  array: proxy.unknownArrayValue,
  object: proxy.unknownObjectValue,
} as const;

const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** A value as the engine sends a secret: wrapped in a secret marker (policies see it unwrapped). */
export function secret(value: unknown): Record<string, unknown> {
  return { [SIG_KEY]: SECRET_SIG, value };
}

/** Props as the policy server hands them to a rule. */
function engineProps(props: Record<string, unknown>): Record<string, any> {
  const defined = JSON.parse(JSON.stringify(props)) as Record<string, unknown>;
  return proxy.unknownCheckingProxy(deserialize.deserializeProperties(Struct.fromJavaScript(defined), false));
}

export function urnOf(type: string, name: string, stack = "test"): string {
  return `urn:pulumi:${stack}::rollout-stack::${type}::${name}`;
}

export interface ResourceInput {
  type: string;
  name: string;
  props: Record<string, unknown>;
  opts?: { deleteBeforeReplace?: boolean; protect?: boolean; parent?: string };
  /** Full URN (default: built from type and name). */
  urn?: string;
}

export interface StackResourceInput extends ResourceInput {
  /** The parent's `name` (or URN) in the same list. */
  parent?: string;
  /** Names (or URNs) of resources in the same list. */
  dependencies?: string[];
  /** Property → names (or URNs). Leave out for "no per-property information". */
  propertyDependencies?: Record<string, string[]>;
}

export interface Outcome {
  violations: { message: string; urn?: string }[];
  /** The advisory message the server would report for an unknown value, if the rule hit one. */
  unknown?: string;
  notApplicable?: string;
}

class NotApplicable extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

function options(o: ResourceInput["opts"] = {}) {
  return {
    protect: o.protect ?? false,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
    ...(o.deleteBeforeReplace === undefined ? {} : { deleteBeforeReplace: o.deleteBeforeReplace }),
    ...(o.parent === undefined ? {} : { parent: o.parent }),
  };
}

function notApplicable(reason?: string): never {
  throw new NotApplicable(reason ?? "");
}

async function capture(run: (report: (message: string, urn?: string) => void) => Promise<void> | void): Promise<Outcome> {
  const outcome: Outcome = { violations: [] };
  try {
    await run((message, urn) => outcome.violations.push(urn === undefined ? { message } : { message, urn }));
  } catch (e) {
    if (e instanceof proxy.UnknownValueError) outcome.unknown = e.message;
    else if (e instanceof NotApplicable) outcome.notApplicable = e.reason;
    else throw e;
  }
  return outcome;
}

/** Builds the args a resource policy receives for one resource. */
export function resourceArgs(input: ResourceInput, config: Record<string, unknown> = {}): ResourceValidationArgs {
  return {
    type: input.type,
    props: engineProps(input.props),
    urn: input.urn ?? urnOf(input.type, input.name),
    name: input.name,
    opts: options(input.opts),
    stackTags: new Map(),
    isType: (cls: unknown) => (cls as { __pulumiType?: string }).__pulumiType === input.type,
    asType: () => undefined,
    getConfig: <T extends object>() => config as T,
    notApplicable,
  };
}

/** Runs a resource policy's validations on one resource. */
export function runResourcePolicy(policy: ResourceValidationPolicy, input: ResourceInput, config: Record<string, unknown> = {}): Promise<Outcome> {
  const validations = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource];
  return capture(async (report) => {
    for (const v of validations) await v?.(resourceArgs(input, config), report);
  });
}

/** Builds the stack args a stack policy receives, with parents and dependencies linked. */
export function stackArgs(inputs: StackResourceInput[], config: Record<string, unknown> = {}): StackValidationArgs {
  const resources: PolicyResource[] = inputs.map((input) => ({
    type: input.type,
    props: engineProps(input.props),
    urn: input.urn ?? urnOf(input.type, input.name),
    name: input.name,
    opts: options(input.opts),
    dependencies: [],
    propertyDependencies: {},
    isType: (cls: unknown) => (cls as { __pulumiType?: string }).__pulumiType === input.type,
    asType: () => undefined,
  }));
  const lookup = (ref: string): PolicyResource => {
    const found = resources.find((r) => r.urn === ref || r.name === ref);
    if (!found) throw new Error(`test stack has no resource ${ref}`);
    return found;
  };
  inputs.forEach((input, i) => {
    const r = resources[i];
    if (input.parent !== undefined) r.parent = lookup(input.parent);
    r.dependencies = (input.dependencies ?? []).map(lookup);
    for (const [k, refs] of Object.entries(input.propertyDependencies ?? {})) r.propertyDependencies[k] = refs.map(lookup);
  });
  return { resources, stackTags: new Map(), getConfig: <T extends object>() => config as T, notApplicable };
}

/** Runs a stack policy on a whole stack. */
export function runStackPolicy(policy: StackValidationPolicy, inputs: StackResourceInput[], config: Record<string, unknown> = {}): Promise<Outcome> {
  return capture((report) => policy.validateStack(stackArgs(inputs, config), report));
}
