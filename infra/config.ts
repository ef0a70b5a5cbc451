/**
 * Typed stack config: the only module that reads Pulumi config.
 *
 * Raw config is untrusted input. One strict schema turns it into a frozen `StackConfig`; every problem
 * is reported at once, one line per key path, each saying what to do. Strict only in our namespace
 * (`rollout-stack:*`); provider keys such as `vercel:apiToken` pass through untouched.
 *
 * Two sources feed the same parser:
 * - the Pulumi program: `pulumi.runtime` config (strings; structured values as JSON) and its secret keys;
 * - tools (`rollout`, `plan`, `local`, tests): the stack YAML file itself, where a `secure:` value is a
 *   secret whose plaintext is not known (a placeholder).
 */
import { z } from "zod";
import { CATALOG, catalogByName } from "./apps";
import type { AppDecl, EnvVarDecl } from "./apps/types";
import { ConfigError, type ConfigProblem } from "./config-error";
import { findRung, ladderOf, normalizeRungValue, rungNames } from "./rollout/ladder";
import { defaultItemKey, ITEM_KEY } from "./rollout/live";
import { isSecureValue, NAMESPACE, readStackFile, STACK_FILE_LIMITS, stackFileEntries, stackFilePath, type RawEntry } from "./stack-file";

// Re-exported: these lived here first, and the Pulumi program and many callers import them from here.
export { ConfigError, NAMESPACE };
export type { ConfigProblem, RawEntry };

/**
 * A secret config value. Its plaintext is reachable only through `reveal()`; printing, string
 * interpolation and JSON show a mask, so a secret cannot leak through a log line or an error.
 */
export class SecretValue {
  readonly #value: string | undefined;
  constructor(
    /** Full config key, e.g. `rollout-stack:metadata-context.OPENAI_API_KEY`. */
    readonly key: string,
    value: string | undefined,
  ) {
    this.#value = value;
    Object.freeze(this);
  }
  /** False when read from a stack file (ciphertext only): tools use a placeholder. */
  get known(): boolean {
    return this.#value !== undefined;
  }
  reveal(): string {
    if (this.#value === undefined) throw new Error(`${this.key} is a secret whose value is not available here`);
    return this.#value;
  }
  toString(): string {
    return "[secret]";
  }
  toJSON(): string {
    return "[secret]";
  }
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `SecretValue(${this.key})`;
  }
}

export type Mode = "cloud" | "local";
export type VercelPlan = "hobby" | "pro" | "enterprise";

export interface AppImports {
  /** Vercel project ID to adopt (`prj_...`). */
  project?: string;
  /** Env var import IDs (`prj_.../env_...`), keyed `<KEY>` or `<KEY>.<target>` for a split var. */
  env: Readonly<Record<string, string>>;
}

export interface StackConfig {
  readonly stack: string;
  /** `local`: databases on the embedded Postgres only, no Vercel. */
  readonly mode: Mode;
  /** The managed apps, resolved from the catalog, in the order the stack lists them. */
  readonly apps: readonly AppDecl[];
  /** `sensitiveEnvPolicy`: the team enforces sensitive env vars (production and preview vars must be sensitive). */
  readonly vercel: { readonly team: string; readonly plan: VercelPlan; readonly productionBranch: string; readonly sensitiveEnvPolicy: boolean };
  /**
   * The stack's metrics are in Prometheus (`prometheus: true`): `prometheus` gates and kill triggers are
   * evaluated on it (URL and credentials from `ROLLOUT_PROMETHEUS_*`). Otherwise such a gate is an
   * `attest` gate of the same name and such a trigger is not evaluated.
   */
  readonly prometheus: boolean;
  /** `<app>/<feature>` → rung name, for every feature of every managed app (production). */
  readonly phases: Readonly<Record<string, string>>;
  /** `<app>/<feature>` → rung for the preview target, where it differs from production. */
  readonly previewPhases: Readonly<Record<string, string>>;
  /** `<app>/<KEY>` → value of every `setting` env var of the managed apps (defaults filled in). */
  readonly settings: Readonly<Record<string, string>>;
  /** `<app>/<KEY>` → preview-target value, where it differs. */
  readonly previewSettings: Readonly<Record<string, string>>;
  readonly imports: Readonly<Record<string, AppImports>>;
  /** `<app>` → rotation counter for its CRON_SECRET (a `RandomPassword` keeper). */
  readonly cronSecretRotation: Readonly<Record<string, number>>;
  /**
   * Per database (by `DatabaseDecl.name`): Supabase project ref, the connection URL secret, and
   * `includeAll` (apply out-of-order migration files, as `supabase db push --include-all`).
   */
  readonly databases: Readonly<Record<string, { readonly projectRef?: string; readonly url?: SecretValue; readonly includeAll?: boolean }>>;
  /**
   * The Edge Config store that carries live features' shares (`edgeConfig: { store, item }`): `create`
   * (this stack creates the team's shared store; its ID is the stack output `edgeConfigId`) or the ID of
   * a store another stack created, and the item this stack writes (default `rollout_<stack>`).
   * Undefined: live features are delivered by env vars only.
   */
  readonly edgeConfig?: { readonly create: boolean; readonly id?: string; readonly item: string };
  /** `<app>.<KEY>` and `<app>.<KEY>.preview` → secret env values. */
  readonly secrets: Readonly<Record<string, SecretValue>>;
}

export interface ParseOptions {
  /** Apps known to this repository. @default the built-in catalog */
  catalog?: readonly AppDecl[];
  /** Fail when a required secret is missing (the Pulumi program); tools use placeholders. @default false */
  requireSecrets?: boolean;
}

const RUNG = z.union([z.string(), z.number().int()], { error: "must be a rung: a name such as \"off\" or \"live\", or a whole percent such as 10" });
const FLAT_MAP = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()], { error: "must be a plain value (text, a number or true/false)" }));

const schema = z.strictObject({
  apps: z.array(z.string()),
  mode: z.enum(["cloud", "local"]).default("cloud"),
  vercelTeam: z.string().default(""),
  vercelPlan: z.enum(["hobby", "pro", "enterprise"]).default("pro"),
  productionBranch: z.string().min(1).default("main"),
  // A boolean in a stack file; the engine hands the program "true"/"false" strings.
  vercelSensitiveEnvPolicy: z.union([z.boolean(), z.enum(["true", "false"])]).default(false).transform((v) => v === true || v === "true"),
  prometheus: z.union([z.boolean(), z.enum(["true", "false"])]).default(false).transform((v) => v === true || v === "true"),
  phases: z.record(z.string(), RUNG).default({}),
  previewPhases: z.record(z.string(), RUNG).default({}),
  settings: FLAT_MAP.default({}),
  previewSettings: FLAT_MAP.default({}),
  imports: z
    .record(z.string(), z.strictObject({ project: z.string().optional(), env: z.record(z.string(), z.string()).default({}) }))
    .default({}),
  // Range and integrality are checked after the schema, with a message that names the limit.
  cronSecretRotation: z.record(z.string(), z.union([z.number(), z.string().regex(/^\d+$/)])).default({}),
  databases: z
    .record(
      z.string(),
      z.strictObject({
        projectRef: z.string().regex(/^[a-z0-9]{20}$/).optional(),
        // `pulumi config set --path` without `--type bool` writes the string.
        includeAll: z.union([z.boolean(), z.enum(["true", "false"]).transform((v) => v === "true")]).optional(),
      }),
    )
    .default({}),
  edgeConfig: z
    .strictObject({
      store: z.union([z.literal("create"), z.string().regex(/^ecfg_[A-Za-z0-9]+$/, 'must be "create" (this stack creates the shared store) or a store ID such as ecfg_abc123 (the creating stack\'s output edgeConfigId)')]),
      item: z.string().regex(ITEM_KEY, "must match ^[A-Za-z0-9_-]{1,256}$ (Edge Config item keys: letters, digits, _ and -)").optional(),
    })
    .optional(),
});
const STRUCTURAL_KEYS = new Set(Object.keys(schema.shape));

const SECRET_KEY = /^([a-z0-9-]+)\.([A-Z][A-Z0-9_]*)(\.preview)?$/;
/** Names that plain JavaScript objects treat specially: as keys they vanish or change the object. */
const RESERVED_KEYS = new Set(["__proto__", "constructor", "prototype"]);
/** Unknown keys listed one by one; past this, counted (a hostile file can hold thousands). */
export const MAX_LISTED_UNKNOWN_KEYS = 20;

/** Edit distance (insertions, deletions, substitutions), for "did you mean" on namespaces. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/**
 * A namespace that is probably ours mistyped (`rolout-stack`, `Rollout-Stack`) or left out (`:apps`,
 * which Pulumi accepts and no program reads): its keys would be ignored as a provider's. Provider
 * namespaces (`vercel`, `supabase`, ...) are nowhere near.
 */
export function isNamespaceTypo(ns: string): boolean {
  return ns !== NAMESPACE && (ns === "" || editDistance(ns.toLowerCase(), NAMESPACE) <= 3);
}

/**
 * True when `name` is a branch name git accepts (`git check-ref-format --branch` rules): no control
 * characters, spaces or any of ~^:?*[\, no "..", "@{" or "//", no component starting with "." or
 * ending with ".lock", not starting with "-" or ending with "/" or ".", not "@" or "HEAD".
 */
export function isValidBranchName(name: string): boolean {
  if (!name || name === "@" || name === "HEAD" || name.startsWith("-")) return false;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0020\u007f~^:?*[\\]/.test(name) || name.includes("..") || name.includes("@{")) return false;
  if (name.endsWith(".")) return false;
  return name.split("/").every((part) => part !== "" && !part.startsWith(".") && !part.endsWith(".lock"));
}
const DATABASE_URL_KEY = /^([a-z0-9-]+)\.databaseUrl$/;

/** Whether `value` holds maps or lists more than `levels` deep (it looks no deeper than that). */
function nestsDeeperThan(value: unknown, levels: number): boolean {
  if (value === null || typeof value !== "object") return false;
  return levels === 0 || Object.values(value).some((v) => nestsDeeperThan(v, levels - 1));
}

function hasSecureLeaf(value: unknown): boolean {
  if (value === null || typeof value !== "object") return false;
  return isSecureValue(value) || Object.values(value as Record<string, unknown>).some(hasSecureLeaf);
}

/**
 * Parses raw config entries (keys are full `namespace:name`) into a `StackConfig`, or throws one
 * `ConfigError` listing every problem.
 */
export function parseStackConfig(stack: string, raw: Readonly<Record<string, RawEntry>>, options: ParseOptions = {}): StackConfig {
  const problems: ConfigProblem[] = [];
  const problem = (key: string, message: string, code?: string) => problems.push(code ? { key, message, code } : { key, message });
  /** A missing value, unless its key was already reported (given, but malformed). */
  const missing = (key: string, message: string) => {
    if (!problems.some((p) => p.key === key)) problem(key, `missing; ${message}`);
  };
  let unknownKeys = 0;
  const unknownKey = (key: string, message: string) => {
    if (++unknownKeys <= MAX_LISTED_UNKNOWN_KEYS) problem(key, message, "unknown-key");
  };
  // Copies a structured value into ordinary objects without the reserved names, each reported: zod
  // (and any plain object) would drop a `__proto__` key silently.
  const withoutReservedKeys = (value: unknown, where: string): unknown => {
    if (value === null || typeof value !== "object") return value;
    if (Array.isArray(value)) return value.map((v, i) => withoutReservedKeys(v, `${where}[${i}]`));
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      if (RESERVED_KEYS.has(key)) {
        problem(`${where}.${key}`, `"${key}" is a reserved name that a JavaScript object cannot hold as a key (it would vanish); remove the line or correct the key`, "reserved-key");
        continue;
      }
      out[key] = withoutReservedKeys(v, `${where}.${key}`);
    }
    return out;
  };
  const catalog = catalogByName(options.catalog ?? CATALOG);
  const k = (name: string) => `${NAMESPACE}:${name}`;

  const structural: Record<string, unknown> = {};
  const secretEntries: Record<string, RawEntry> = {};
  for (const [fullKey, entry] of Object.entries(raw)) {
    const colon = fullKey.indexOf(":");
    const ns = colon < 0 ? NAMESPACE : fullKey.slice(0, colon);
    const name = fullKey.slice(colon + 1);
    if (Object.prototype.hasOwnProperty.call(entry, "secure")) {
      // Pulumi cannot decrypt an empty or non-string ciphertext: say so now, naming only its shape.
      const c = entry.secure;
      const shape = c === null || c === undefined ? "null" : Array.isArray(c) ? "a list" : typeof c === "object" ? "a map" : typeof c !== "string" ? `a ${typeof c}` : c.trim() === "" ? "empty" : undefined;
      if (shape) {
        problem(fullKey, `its secure: value is ${shape}, not a ciphertext; set the secret again with \`pulumi config set --secret ${name} <value> --stack ${stack}\``, "bad-secure-value");
        continue;
      }
    }
    if (ns !== NAMESPACE) {
      if (isNamespaceTypo(ns)) {
        problem(fullKey, `namespace "${ns}" is not "${NAMESPACE}" (a typo?): as written this key belongs to no one and is ignored; rename it to ${k(name)}`, "namespace-typo");
      }
      continue; // provider keys (vercel:apiToken, supabase:accessToken, ...) are not ours
    }
    if (STRUCTURAL_KEYS.has(name)) {
      // The engine hands structured values over as JSON, which can nest without bound: refuse what no
      // stack file could hold before walking it.
      if (nestsDeeperThan(entry.value, STACK_FILE_LIMITS.maxDepth)) {
        problem(k(name), `nests maps or lists more than ${STACK_FILE_LIMITS.maxDepth} levels deep; a stack config value nests a few levels`, "too-deep");
        continue;
      }
      if (entry.secret || hasSecureLeaf(entry.value)) {
        problem(
          k(name),
          hasSecureLeaf(entry.value)
            ? "holds a secure: value inside a structured value, which makes the whole value secret; put each secret in its own top-level key (e.g. `pulumi config set --secret <app>.<KEY> ...`)"
            : "must not be a secret (it is reviewed in plain text); set it with `pulumi config set` without --secret",
        );
        continue;
      }
      structural[name] = withoutReservedKeys(entry.value, k(name));
    } else if (SECRET_KEY.test(name) || DATABASE_URL_KEY.test(name)) {
      secretEntries[name] = entry;
    } else {
      unknownKey(
        k(name),
        `unknown key in the ${NAMESPACE} namespace (a typo?); known keys: ${[...STRUCTURAL_KEYS].join(", ")}, <app>.<ENV_KEY>[.preview] and <database>.databaseUrl secrets`,
      );
    }
  }

  if (!("apps" in structural)) {
    problem(k("apps"), "missing; list the apps this stack manages, e.g. `rollout-stack:apps: [chat-sessions]` (or [] for none)");
    structural.apps = [];
  }
  // Each key is checked on its own, so one malformed key does not hide the problems of the others.
  const checked: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(schema.shape)) {
    const result = (field as z.ZodType).safeParse(structural[name]);
    if (result.success) {
      checked[name] = result.data;
      continue;
    }
    for (const issue of result.error.issues) {
      const where = [k(name), ...issue.path.map(String)].join(".");
      if (issue.code === "unrecognized_keys") {
        for (const key of issue.keys) unknownKey(`${where}.${key}`, "unknown key (a typo?)");
      } else {
        problem(where, issue.message);
      }
    }
    // A map keeps its good entries, so the checks below see what the stack does set; anything else
    // (or a map whose fault is not in one entry: the reparse fails again) falls back to its default.
    const given = structural[name];
    const bad = new Set(result.error.issues.map((issue) => issue.path[0]));
    const rest =
      typeof given === "object" && given !== null && !Array.isArray(given)
        ? (field as z.ZodType).safeParse(Object.fromEntries(Object.entries(given).filter(([key]) => !bad.has(key))))
        : undefined;
    checked[name] = rest?.success ? rest.data : ((field as z.ZodType).safeParse(undefined).data ?? (name === "apps" ? [] : undefined));
  }
  const c = schema.parse(checked);
  if (!isValidBranchName(c.productionBranch)) {
    problem(
      k("productionBranch"),
      "is not a valid git branch name (git check-ref-format --branch: no spaces, control characters, .. or ~^:?*[\\, not starting with - or ., not ending with / . or .lock); set the branch pulumi up deploys from, e.g. main",
      "bad-branch-name",
    );
  }

  // Apps: known to the catalog, listed once.
  const apps: AppDecl[] = [];
  c.apps.forEach((name, i) => {
    const app = catalog.get(name);
    if (!app) problem(`${k("apps")}[${i}]`, `"${name}" is not an app of the catalog (${[...catalog.keys()].join(", ")})`);
    else if (apps.includes(app)) problem(`${k("apps")}[${i}]`, `"${name}" is listed twice`);
    else apps.push(app);
  });
  const managed = new Map(apps.map((a) => [a.name, a]));
  const featureOf = (key: string) => {
    const [appName, featureName, ...rest] = key.split("/");
    const app = managed.get(appName);
    const feature = app?.features.find((f) => f.name === featureName);
    return { app, appName, feature, extra: rest.length > 0 };
  };

  // The provider's own team key decides where resources go; it must agree with ours.
  const providerTeam = raw["vercel:team"]?.value;
  if (typeof providerTeam === "string" && c.vercelTeam && providerTeam !== c.vercelTeam) {
    problem("vercel:team", `"${providerTeam}" differs from ${k("vercelTeam")} "${c.vercelTeam}"; set both to the same team`);
  }
  if (c.mode === "cloud" && apps.length > 0 && !c.vercelTeam) {
    problem(k("vercelTeam"), "missing; set the Vercel team slug or ID that owns the projects (`pulumi config set vercelTeam acme`)");
  }

  // Phases: every feature of every managed app, each a rung of its ladder.
  const phases: Record<string, string> = {};
  const checkPhases = (which: "phases" | "previewPhases", given: Record<string, string | number>, out: Record<string, string>) => {
    for (const [key, value] of Object.entries(given)) {
      const where = `${k(which)}.${key}`;
      const { app, appName, feature, extra } = featureOf(key);
      if (!app || extra) {
        problem(where, catalog.has(appName) && !extra ? `app "${appName}" is not in ${k("apps")}; add it there or remove this line` : `not an <app>/<feature> of this stack's apps`);
        continue;
      }
      if (!feature) {
        problem(where, `"${app.name}" has no feature "${key.split("/")[1]}" (features: ${app.features.map((f) => f.name).join(", ")})`);
        continue;
      }
      const ladder = ladderOf(feature);
      const rung = normalizeRungValue(value);
      if (rung === undefined || !findRung(ladder, rung)) {
        const hint = /^\d+$/.test(String(value)) && Number(value) > 100 ? " (a percent is at most 100)" : "";
        problem(where, `${JSON.stringify(value)} is not a phase of this ladder (${rungNames(ladder).join(", ")})${hint}`);
        continue;
      }
      out[key] = rung;
    }
  };
  checkPhases("phases", c.phases, phases);
  const previewPhases: Record<string, string> = {};
  checkPhases("previewPhases", c.previewPhases, previewPhases);
  if (c.mode === "cloud") {
    for (const app of apps) {
      for (const feature of app.features) {
        const key = `${app.name}/${feature.name}`;
        if (!(key in c.phases)) {
          missing(`${k("phases")}.${key}`, `every feature needs a phase, e.g. \`${key}: "${feature.rungs[0].name}"\` (rungs: ${feature.rungs.map((r) => r.name).join(", ")})`);
        }
      }
    }
  }

  // Settings: declared `setting` env vars of managed apps, formats checked, defaults filled.
  const envDeclOf = (key: string): { app?: AppDecl; decl?: EnvVarDecl } => {
    const [appName, envKey] = key.split("/");
    const app = managed.get(appName);
    return { app, decl: app?.env.find((e) => e.key === envKey) };
  };
  const checkSettings = (which: "settings" | "previewSettings", given: Record<string, string | number | boolean>, out: Record<string, string>) => {
    for (const [key, value] of Object.entries(given)) {
      const where = `${k(which)}.${key}`;
      const { app, decl } = envDeclOf(key);
      if (!app) {
        problem(where, `not an <app>/<KEY> of this stack's apps (${apps.map((a) => a.name).join(", ") || "none"})`);
        continue;
      }
      if (!decl || decl.source.from !== "setting") {
        const settings = app.env.filter((e) => e.source.from === "setting").map((e) => e.key);
        problem(
          where,
          decl?.source.from === "secret"
            ? `is a secret: remove it here and run \`pulumi config set --secret ${app.name}.${key.split("/")[1]} <value>\``
            : `"${app.name}" has no setting "${key.split("/")[1]}" (settings: ${settings.join(", ") || "none"})`,
        );
        continue;
      }
      const text = String(value);
      if (decl.source.format === "integer" && !/^[1-9][0-9]*$/.test(text)) {
        problem(where, `${JSON.stringify(value)} is not a positive whole number`);
        continue;
      }
      if (decl.source.format === "url" && !/^https?:\/\/[^\s]+$/.test(text)) {
        problem(where, `${JSON.stringify(value)} is not an http(s) URL`);
        continue;
      }
      out[key] = text;
    }
  };
  const settings: Record<string, string> = {};
  checkSettings("settings", c.settings, settings);
  const previewSettings: Record<string, string> = {};
  checkSettings("previewSettings", c.previewSettings, previewSettings);
  if (c.mode === "cloud") {
    for (const app of apps) {
      for (const e of app.env) {
        if (e.source.from !== "setting") continue;
        const key = `${app.name}/${e.key}`;
        if (key in settings) continue;
        if (e.source.default !== undefined) settings[key] = e.source.default;
        else missing(`${k("settings")}.${key}`, `set it, e.g. \`${key}: <value>\` under ${k("settings")} (${e.description})`);
      }
    }
  }

  // Secrets: top-level keys, each a real secret, each one the catalog asks for.
  const secrets: Record<string, SecretValue> = {};
  const databases: Record<string, { projectRef?: string; url?: SecretValue; includeAll?: boolean }> = {};
  const declaredDatabases = new Set(apps.flatMap((a) => (a.database ? [a.database.name] : [])));
  for (const [name, entry] of Object.entries(secretEntries)) {
    const where = k(name);
    if (!entry.secret) {
      problem(where, `is a secret but is stored in plain text: remove it from the stack file and run \`pulumi config set --secret ${name} <value>\` (then rotate the value: it was committed)`);
      continue;
    }
    const text = entry.value === undefined ? undefined : String(entry.value);
    const db = DATABASE_URL_KEY.exec(name);
    if (db) {
      if (!declaredDatabases.has(db[1])) {
        problem(where, `no managed app declares database "${db[1]}" (databases: ${[...declaredDatabases].join(", ") || "none"})`);
        continue;
      }
      databases[db[1]] = { ...databases[db[1]], url: new SecretValue(where, text) };
      continue;
    }
    const [, appName, envKey] = SECRET_KEY.exec(name)!;
    const app = managed.get(appName);
    const decl = app?.env.find((e) => e.key === envKey);
    if (!app || !decl || decl.source.from !== "secret") {
      problem(where, app ? `"${appName}" declares no secret env var ${envKey} (secrets: ${app.env.filter((e) => e.source.from === "secret").map((e) => e.key).join(", ") || "none"})` : `"${appName}" is not in ${k("apps")}`);
      continue;
    }
    secrets[name] = new SecretValue(where, text);
  }
  if (c.mode === "cloud") {
    for (const app of apps) {
      for (const e of app.env) {
        const key = `${app.name}.${e.key}`;
        if (e.source.from === "secret" && !(key in secrets)) {
          if (options.requireSecrets) problem(k(key), `missing secret; run \`pulumi config set --secret ${key} <value> --stack ${stack}\` (or provide it from an ESC environment)`);
          else secrets[key] = new SecretValue(k(key), undefined);
        }
      }
    }
  }
  for (const [db, value] of Object.entries(c.databases)) {
    if (!declaredDatabases.has(db)) {
      problem(`${k("databases")}.${db}`, `no managed app declares database "${db}" (databases: ${[...declaredDatabases].join(", ") || "none"})`);
      continue;
    }
    databases[db] = { ...databases[db], ...value };
  }

  // Imports and rotation: only for managed apps and their env keys.
  const imports: Record<string, AppImports> = {};
  for (const [appName, value] of Object.entries(c.imports)) {
    const app = managed.get(appName);
    if (!app) {
      problem(`${k("imports")}.${appName}`, `"${appName}" is not in ${k("apps")}`);
      continue;
    }
    const keys = new Set([...app.env.map((e) => e.key), ...app.features.flatMap((f) => f.delivery.map((d) => d.key))]);
    for (const envKey of Object.keys(value.env)) {
      const [bare, target, ...rest] = envKey.split(".");
      if (!keys.has(bare) || rest.length > 0 || (target !== undefined && !["production", "preview", "development"].includes(target))) {
        problem(`${k("imports")}.${appName}.env.${envKey}`, `not an env var of "${appName}" (write <KEY> or <KEY>.<target>)`);
      }
    }
    imports[appName] = { project: value.project, env: { ...value.env } };
  }
  const cronSecretRotation: Record<string, number> = {};
  for (const [appName, value] of Object.entries(c.cronSecretRotation)) {
    const app = managed.get(appName);
    if (!app?.env.some((e) => e.source.from === "cronSecret")) {
      problem(`${k("cronSecretRotation")}.${appName}`, `"${appName}" is not a managed app with a CRON_SECRET`);
      continue;
    }
    const n = Number(value);
    // Past 2^53-1 a number silently rounds (…993 reads as …992), so the counter could not move.
    if (!Number.isSafeInteger(n) || n < 0) {
      problem(`${k("cronSecretRotation")}.${appName}`, `must be a whole number from 0 to ${Number.MAX_SAFE_INTEGER} (2^53-1); bump it by one to rotate the secret`, "bad-rotation-counter");
      continue;
    }
    cronSecretRotation[appName] = n;
  }
  if (unknownKeys > MAX_LISTED_UNKNOWN_KEYS) {
    const more = unknownKeys - MAX_LISTED_UNKNOWN_KEYS;
    problem(`${NAMESPACE}:…`, `… and ${more} more unknown key${more === 1 ? "" : "s"} (the first ${MAX_LISTED_UNKNOWN_KEYS} are listed above)`, "unknown-key");
  }

  let edgeConfig: StackConfig["edgeConfig"];
  if (c.edgeConfig) {
    const item = c.edgeConfig.item ?? defaultItemKey(stack);
    if (!ITEM_KEY.test(item)) {
      problem(`${k("edgeConfig")}.item`, `the default item key "${item}" is not a valid Edge Config key (letters, digits, _ and -); set edgeConfig.item, e.g. rollout_${stack.replace(/[^A-Za-z0-9_-]/g, "_")}`);
    }
    edgeConfig = c.edgeConfig.store === "create" ? { create: true, item } : { create: false, id: c.edgeConfig.store, item };
  }

  if (problems.length) throw new ConfigError(stack, problems);
  return deepFreeze({
    stack,
    mode: c.mode,
    apps,
    vercel: { team: c.vercelTeam, plan: c.vercelPlan, productionBranch: c.productionBranch, sensitiveEnvPolicy: c.vercelSensitiveEnvPolicy },
    prometheus: c.prometheus,
    phases,
    previewPhases,
    settings,
    previewSettings,
    imports,
    cronSecretRotation,
    databases,
    ...(edgeConfig ? { edgeConfig } : {}),
    secrets,
  });
}

function deepFreeze<T>(value: T): T {
  // A primitive is frozen already.
  if (value && !(value instanceof SecretValue) && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** Reads and parses a stack file, as the CLIs and tests do (secrets are placeholders). Throws `ConfigError`. */
export function loadStackConfigFile(stack: string, options: ParseOptions & { file?: string } = {}): StackConfig {
  const file = options.file ?? stackFilePath(stack);
  const stackFile = readStackFile(file);
  if (!stackFile) throw new ConfigError(stack, [{ key: file, message: `no stack file; create it (pulumi stack init ${stack}) or check --stack` }]);
  return parseStackConfig(stack, stackFileEntries(stackFile), options);
}

/**
 * Reads the running Pulumi program's config (the Pulumi program's entry point). Structured values
 * arrive as JSON strings; secret keys come from the engine.
 */
export function loadPulumiStackConfig(options: ParseOptions = {}): StackConfig {
  // Required lazily so that pure users of this module never load the Pulumi SDK.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
  // isConfigSecret is exported by the runtime but not typed (@internal).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const runtimeConfig = require("@pulumi/pulumi/runtime/config") as { isConfigSecret(k: string): boolean };
  const raw: Record<string, RawEntry> = {};
  for (const [key, text] of Object.entries(pulumi.runtime.allConfig())) {
    raw[key] = { value: decodeConfigValue(text), secret: runtimeConfig.isConfigSecret(key) };
  }
  return parseStackConfig(pulumi.getStack(), raw, { requireSecrets: true, ...options });
}

/** Pulumi passes every value as a string; structured values and numbers are JSON. */
export function decodeConfigValue(text: string): unknown {
  const t = text.trim();
  if (t.startsWith("{") || t.startsWith("[")) {
    try {
      return JSON.parse(t);
    } catch {
      // not JSON: a plain string that starts with a bracket
    }
  }
  return text;
}
