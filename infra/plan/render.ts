/**
 * The Pulumi mock harness: render a program (or one component) offline and get back every resource it
 * registered, with its inputs, what the mock answered, and its resource options. The offline `plan`
 * command renders stacks with it (`./child.ts`); the tests use it through `test/support/pulumi.ts`.
 *
 * - Mocks are recorded and strict: `newResource` records; an unknown `call` (invoke) throws.
 * - Mocks do not receive resource options, so the harness records them twice:
 *   - `rawOpts`: the options object the program passed, from a spy on
 *     `require("@pulumi/pulumi/runtime/resource").registerResource` (DESIGN "Testing");
 *   - `opts`: what the engine would receive (parent URN, `dependsOn` resolved to URNs, `protect`,
 *     `deleteBeforeReplace`, `import`, ...), read from the registration request the mock monitor gets.
 * - Secret markers are unwrapped; `secretInputs` says which top-level inputs were secret.
 * - Each render resets the runtime (`setMocks`) and the config (`setAllConfig`): renders do not bleed
 *   into each other. Loading the program module freshly is the caller's job (`vi.resetModules()` +
 *   `await import(...)` under vitest, `requireFresh` under ts-node).
 *
 * No vitest import here: the `plan` command runs this harness under plain ts-node.
 */
import * as crypto from "crypto";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { isSecureValue, readStackFile, stackFilePath } from "../stack-file";

export { isSecureValue };

/** Resource options as the engine receives them (URNs, not objects). */
export interface EngineOptions {
  parent: string;
  /** Direct dependencies: explicit `dependsOn` (components expanded to their children) and inputs. */
  dependsOn: string[];
  protect: boolean | undefined;
  deleteBeforeReplace: boolean;
  /** The `import` option (an ID to adopt), or "" when absent. */
  importId: string;
  retainOnDelete: boolean | undefined;
  ignoreChanges: string[];
  replaceOnChanges: string[];
  additionalSecretOutputs: string[];
  aliases: string[];
  provider: string;
}

export interface RecordedResource {
  type: string;
  name: string;
  urn: string;
  id: string | undefined;
  custom: boolean;
  /** Inputs as the provider would get them, secret markers unwrapped. */
  inputs: Record<string, any>;
  /** Top-level input names whose value was a secret. */
  secretInputs: string[];
  /** State the mock returned (inputs plus faked outputs). */
  state: Record<string, any>;
  /** What the engine would receive. */
  opts: EngineOptions;
  /** The options object the program passed to the resource constructor. */
  rawOpts: pulumi.CustomResourceOptions & pulumi.ComponentResourceOptions;
}

export interface Render {
  stack: string;
  project: string;
  /** Every registered resource (the root stack and components included), in registration order. */
  resources: RecordedResource[];
  /** The program's exports (stack outputs), resolved; secrets unwrapped. */
  outputs: Record<string, any>;
  /** Top-level output names that were secret. */
  secretOutputs: string[];
  /** Warnings and errors the program logged through `pulumi.log`. */
  logs: { severity: string; message: string }[];
  /** All custom resources of a type token, e.g. `vercel:index/project:Project`. */
  ofType(type: string): RecordedResource[];
  /** The resource with this type and name; throws when missing. */
  get(type: string, name: string): RecordedResource;
  find(type: string, name: string): RecordedResource | undefined;
}

/** Fakes the outputs a provider would compute for a resource type (id and extra state). */
export type Fake = (args: pulumi.runtime.MockResourceArgs) => { id?: string; state?: Record<string, any> };

/** Deterministic stand-in for a random value: the same inputs always give the same fake. */
export function fakeToken(seed: string, length: number, alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"): string {
  let out = "";
  let block = Buffer.alloc(0);
  let counter = 0;
  while (out.length < length) {
    if (block.length === 0) block = crypto.createHash("sha256").update(`${seed}#${counter++}`).digest();
    out += alphabet[block[0] % alphabet.length];
    block = block.subarray(1);
  }
  return out;
}

function shortHash(text: string): string {
  return crypto.createHash("sha256").update(text).digest("hex").slice(0, 12);
}

/**
 * Built-in fakes for the providers this project uses. A `RandomPassword`'s result depends on its name
 * and inputs (keepers included): changing a keeper yields a new value, as a replacement would.
 */
export const DEFAULT_FAKES: Record<string, Fake> = {
  "random:index/randomPassword:RandomPassword": (a) => {
    const length = Number(a.inputs.length ?? 16);
    const alphabet = `${a.inputs.upper === false ? "" : "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}${a.inputs.lower === false ? "" : "abcdefghijklmnopqrstuvwxyz"}${
      a.inputs.numeric === false || a.inputs.number === false ? "" : "0123456789"
    }${a.inputs.special === false ? "" : a.inputs.overrideSpecial ?? "!@#$%&*()-_=+[]{}<>:?"}`;
    const result = fakeToken(`${a.name}:${JSON.stringify(a.inputs)}`, length, alphabet);
    return { id: "none", state: { result, bcryptHash: `$2a$10$fake${shortHash(result)}` } };
  },
  "vercel:index/project:Project": (a) => ({ id: a.id || `prj_${shortHash(String(a.inputs.name ?? a.name))}` }),
  "vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable": (a) => ({ id: a.id || `env_${shortHash(a.name)}` }),
  "vercel:index/deployment:Deployment": (a) => {
    const id = `dpl_${shortHash(`${a.name}:${JSON.stringify(a.inputs)}`)}`;
    return { id, state: { url: `${id}.vercel.app`, domains: [] } };
  },
  "vercel:index/projectCrons:ProjectCrons": (a) => ({ id: a.id || String(a.inputs.projectId ?? a.name) }),
  "vercel:index/edgeConfig:EdgeConfig": (a) => ({ id: a.id || `ecfg_${shortHash(String(a.inputs.name ?? a.name))}` }),
  // The token and its connection string are secret outputs of the real provider; here they are fakes.
  "vercel:index/edgeConfigToken:EdgeConfigToken": (a) => {
    const token = fakeToken(`${a.name}:${JSON.stringify(a.inputs)}`, 36, "abcdef0123456789");
    return { id: a.id || token, state: { token, connectionString: `https://edge-config.vercel.com/${String(a.inputs.edgeConfigId)}?token=${token}` } };
  },
};

export interface RenderOptions {
  /** Stack name (`pulumi.getStack()`). */
  stack: string;
  /** @default "rollout-stack" */
  project?: string;
  /** Full config keys → values (`rollout-stack:phases` → object); see `stackFileConfig`. */
  config?: ProgramConfig;
  /** `pulumi preview` instead of `pulumi up`: unknown values stay unknown. @default false */
  preview?: boolean;
  /** Extra or overriding fakes by type token. */
  fakes?: Record<string, Fake>;
  /** Invoke results by token; any other invoke throws (strict mocks). */
  calls?: Record<string, (inputs: any) => Record<string, any>>;
  /** The program: creates resources, returns the stack outputs (a module's exports, say). */
  program: () => Promise<Record<string, any> | void> | Record<string, any> | void;
}

/** One config entry as a program sees it. */
export interface ConfigEntry {
  value: unknown;
  secret?: boolean;
}
export type ProgramConfig = Record<string, ConfigEntry>;

/** Encodes config as the engine hands it to a program: strings, structured values as JSON. */
export function encodeConfig(config: ProgramConfig): { values: Record<string, string>; secretKeys: string[] } {
  const values: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [key, entry] of Object.entries(config)) {
    values[key] = typeof entry.value === "string" ? entry.value : JSON.stringify(entry.value);
    if (entry.secret) secretKeys.push(key);
  }
  return { values, secretKeys };
}

const ROOT = path.resolve(__dirname, "../..");

/** Fake value for a secret config key: recognisable, never a real secret. */
export function fakeSecret(key: string): string {
  return `fake-secret-${key.replace(/[^A-Za-z0-9]+/g, "-")}`;
}

/** A stack file's `secure:` entry (`{ secure: <ciphertext> }`), whose value a render never has. */

/**
 * The raw config of a real stack file (`stacks/Pulumi.<stack>.yaml`), as the engine would pass it:
 * `secure:` values and every secret the catalog requires but the file does not hold get fake values
 * (`fakeSecret(key)`), so the program, which requires its secrets, renders every real stack.
 *
 * @param requiredSecrets full keys (`rollout-stack:<app>.<KEY>`) to add when missing, e.g. the
 *   secrets `loadStackConfigFile(stack).secrets` lists as not known.
 */
export function stackFileConfig(stack: string, requiredSecrets: readonly string[] = [], file = stackFilePath(stack, ROOT)): ProgramConfig {
  const stackFile = readStackFile(file);
  if (!stackFile) throw new Error(`${file}: no such stack file`);
  const config: ProgramConfig = {};
  for (const [key, value] of Object.entries(stackFile.config)) {
    config[key] = isSecureValue(value) ? { value: fakeSecret(key), secret: true } : { value };
  }
  for (const key of requiredSecrets) {
    if (!(key in config)) config[key] = { value: fakeSecret(key), secret: true };
  }
  return config;
}

/** Deep copy of a config with one structured key's entry changed, e.g. a phase move. */
export function withConfig(config: ProgramConfig, key: string, change: (value: any) => unknown): ProgramConfig {
  const copy: ProgramConfig = JSON.parse(JSON.stringify(config));
  copy[key] = { ...copy[key], value: change(copy[key]?.value === undefined ? undefined : JSON.parse(JSON.stringify(copy[key].value))) };
  return copy;
}

const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

function isSecretMarker(v: unknown): v is { value: unknown } {
  return v !== null && typeof v === "object" && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

/** Removes secret markers (at any depth). */
export function unwrapSecrets(value: any): any {
  if (isSecretMarker(value)) return unwrapSecrets(value.value);
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (value !== null && typeof value === "object" && !(SIG_KEY in value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
  }
  return value;
}

function containsSecret(value: any): boolean {
  if (isSecretMarker(value)) return true;
  if (Array.isArray(value)) return value.some(containsSecret);
  if (value !== null && typeof value === "object") return Object.values(value).some(containsSecret);
  return false;
}

let renderQueue: Promise<unknown> = Promise.resolve();

/**
 * Renders a program under strict, recorded mocks. Renders are serialized: the Pulumi runtime is a
 * process-wide singleton.
 */
export function renderProgram(options: RenderOptions): Promise<Render> {
  const run = renderQueue.then(() => renderOnce(options));
  renderQueue = run.catch(() => undefined);
  return run;
}

async function renderOnce(options: RenderOptions): Promise<Render> {
  const project = options.project ?? "rollout-stack";
  const fakes = { ...DEFAULT_FAKES, ...(options.fakes ?? {}) };
  const byUrn = new Map<string, RecordedResource>();
  const order: string[] = [];
  const pendingRequests = new Map<string, EngineOptions>();
  const logs: { severity: string; message: string }[] = [];
  const unexpectedInvokes: string[] = [];

  const mocks: pulumi.runtime.Mocks = {
    newResource(args) {
      const fake = fakes[args.type]?.(args) ?? {};
      const id = fake.id ?? (args.id || `${args.name}-id`);
      return { id, state: { ...args.inputs, ...(fake.state ?? {}) } };
    },
    call(args) {
      const handler = options.calls?.[args.token];
      if (!handler) {
        const message = `unexpected invoke ${args.token} (strict mocks: add it to \`calls\`)`;
        unexpectedInvokes.push(message);
        // The runtime reports `err.details` to the program, not `message`.
        throw Object.assign(new Error(message), { details: message });
      }
      return handler(args.inputs);
    },
  };
  await pulumi.runtime.setMocks(mocks, project, options.stack, options.preview ?? false);
  const { values, secretKeys } = encodeConfig(options.config ?? {});
  pulumi.runtime.setAllConfig(values, secretKeys);

  // The engine-side view: wrap the mock monitor so each registration request is recorded.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const settings = require("@pulumi/pulumi/runtime/settings") as { getMonitor(): any; waitForRPCs(): Promise<void> };
  const monitor = settings.getMonitor();
  // URNs as the engine makes them: the parent's full qualified type, the root stack left out (the
  // stock mock keeps only the parent's last type and includes the stack, unlike a real deployment).
  monitor.newUrn = (parent: string, type: string, name: string) => {
    const parentType = parent ? parent.split("::")[2] : "";
    const qualified = parentType && parentType !== "pulumi:pulumi:Stack" ? `${parentType}$${type}` : type;
    return `urn:pulumi:${options.stack}::${project}::${qualified}::${name}`;
  };
  const originalMonitorRegister = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: any, callback: (err: any, res: any) => void) => {
    const inputsStruct = req.getObject()?.toJavaScript() ?? {};
    originalMonitorRegister(req, (err: any, res: any) => {
      if (!err && res) {
        const urn: string = res.getUrn();
        const rawInputs = inputsStruct as Record<string, any>;
        const state = unwrapSecrets(res.getObject()?.toJavaScript() ?? {});
        const engine: EngineOptions = {
          parent: req.getParent(),
          dependsOn: [...req.getDependenciesList()].sort(),
          protect: req.hasProtect?.() === false ? undefined : req.getProtect(),
          deleteBeforeReplace: req.getDeletebeforereplace(),
          importId: req.getImportid(),
          retainOnDelete: req.hasRetainondelete?.() === false ? undefined : req.getRetainondelete(),
          ignoreChanges: req.getIgnorechangesList(),
          replaceOnChanges: req.getReplaceonchangesList(),
          additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
          aliases: (req.getAliasesList?.() ?? []).map((a: any) => a.getUrn?.() || JSON.stringify(a.toObject?.() ?? a)),
          provider: req.getProvider(),
        };
        const record: RecordedResource = {
          type: req.getType(),
          name: req.getName(),
          urn,
          id: res.getId() || undefined,
          custom: req.getCustom(),
          inputs: unwrapSecrets(rawInputs),
          secretInputs: Object.entries(rawInputs)
            .filter(([, v]) => containsSecret(v))
            .map(([k]) => k)
            .sort(),
          state,
          opts: engine,
          rawOpts: {},
        };
        byUrn.set(urn, record);
        order.push(urn);
        pendingRequests.set(`${record.type}::${record.name}`, engine);
      }
      callback(err, res);
    });
  };

  // The program-side view: the options object each resource was constructed with.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const runtimeResource = require("@pulumi/pulumi/runtime/resource") as { registerResource: (...args: any[]) => void };
  const originalRegister = runtimeResource.registerResource;
  const rawOptsByKey = new Map<string, any>();
  runtimeResource.registerResource = function (this: unknown, ...args: any[]) {
    const [, , t, name, , , , , opts] = args;
    rawOptsByKey.set(`${t}::${name}`, opts ?? {});
    return originalRegister.apply(this, args);
  };

  const originalWarn = pulumi.log.warn;
  const originalError = pulumi.log.error;
  (pulumi.log as any).warn = (message: string) => {
    logs.push({ severity: "warning", message });
    return Promise.resolve();
  };
  (pulumi.log as any).error = (message: string) => {
    logs.push({ severity: "error", message });
    return Promise.resolve();
  };

  let outputs: Record<string, any> = {};
  let secretOutputs: string[] = [];
  try {
    let exported: Record<string, any> = {};
    // A program error is kept and rethrown after the stack settles: thrown inside the stack's init it
    // would also reject the runtime's internal promises, which nobody awaits under mocks.
    let programError: unknown;
    await pulumi.runtime.runInPulumiStack(async () => {
      try {
        exported = (await options.program()) ?? {};
      } catch (e) {
        programError = e;
      }
      return programError ? {} : exported;
    });
    if (programError) throw programError;
    outputs = {};
    for (const [k, v] of Object.entries(exported)) {
      const out = pulumi.output(v as any);
      // `isSecret` is public on Output but typed internal.
      const isSecret = await ((out as any).isSecret as Promise<boolean>);
      if (isSecret) secretOutputs.push(k);
      // `promise()` is the runtime's own accessor (typed internal); it resolves nested outputs.
      outputs[k] = unwrapSecrets(await (out as any).promise());
    }
    if (unexpectedInvokes.length) throw new Error(unexpectedInvokes.join("\n"));
    secretOutputs = secretOutputs.sort();
    // Every registration (and its callback) has landed once the runtime's RPC queue drains.
    await settings.waitForRPCs();
  } finally {
    runtimeResource.registerResource = originalRegister;
    monitor.registerResource = originalMonitorRegister;
    (pulumi.log as any).warn = originalWarn;
    (pulumi.log as any).error = originalError;
  }

  const resources = order.map((urn) => {
    const r = byUrn.get(urn)!;
    r.rawOpts = rawOptsByKey.get(`${r.type}::${r.name}`) ?? {};
    return r;
  });
  const find = (type: string, name: string) => resources.find((r) => r.type === type && r.name === name);
  return {
    stack: options.stack,
    project,
    resources,
    outputs,
    secretOutputs,
    logs,
    ofType: (type) => resources.filter((r) => r.type === type),
    find,
    get(type, name) {
      const r = find(type, name);
      if (!r) throw new Error(`no ${type} named ${name}; have: ${resources.map((x) => `${x.type}::${x.name}`).join(", ")}`);
      return r;
    },
  };
}

/**
 * Requires a module with a fresh copy of every project module it loads (for callers outside vitest,
 * e.g. the `plan` command under ts-node). Node's cache for node_modules is kept: the Pulumi runtime
 * must stay one instance.
 */
export function requireFresh<T = unknown>(modulePath: string): T {
  for (const key of Object.keys(require.cache)) {
    if (key.startsWith(ROOT) && !key.includes(`${path.sep}node_modules${path.sep}`) && !key.startsWith(path.join(ROOT, "test"))) {
      delete require.cache[key];
    }
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(modulePath) as T;
}

/** The differences between two renders, by URN: what `pulumi preview` would report, roughly. */
export interface RenderDiff {
  added: string[];
  removed: string[];
  /** URN → the top-level input names whose values differ. */
  changed: Record<string, string[]>;
  /** URN → option names that differ. */
  optionsChanged: Record<string, string[]>;
}

export function diffRenders(before: Render, after: Render): RenderDiff {
  const a = new Map(before.resources.map((r) => [r.urn, r]));
  const b = new Map(after.resources.map((r) => [r.urn, r]));
  const diff: RenderDiff = { added: [], removed: [], changed: {}, optionsChanged: {} };
  for (const urn of b.keys()) if (!a.has(urn)) diff.added.push(urn);
  for (const urn of a.keys()) if (!b.has(urn)) diff.removed.push(urn);
  for (const [urn, x] of a) {
    const y = b.get(urn);
    if (!y) continue;
    const keys = new Set([...Object.keys(x.inputs), ...Object.keys(y.inputs)]);
    const changed = [...keys].filter((k) => JSON.stringify(x.inputs[k]) !== JSON.stringify(y.inputs[k])).sort();
    if (changed.length) diff.changed[urn] = changed;
    const optKeys = Object.keys(x.opts) as (keyof EngineOptions)[];
    const optsChanged = optKeys.filter((k) => JSON.stringify(x.opts[k]) !== JSON.stringify(y.opts[k]));
    if (optsChanged.length) diff.optionsChanged[urn] = optsChanged;
  }
  diff.added.sort();
  diff.removed.sort();
  return diff;
}
