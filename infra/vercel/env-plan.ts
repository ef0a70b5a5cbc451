/**
 * What a stack declares on Vercel for one app, decided before any resource exists. Pure: no Pulumi.
 * The `VercelApp` component turns this plan into resources; the `rollout` and `plan` tools call the
 * same functions to print what a move changes.
 *
 * Decisions:
 * - `production` gets the stack's values and current rungs; `preview` follows production unless the
 *   stack overrides it (`previewPhases`, `previewSettings`, an `<app>.<KEY>.preview` secret);
 *   `development` gets production's values, but never a sensitive var (Vercel forbids it).
 * - One env var resource per key and target set. Which targets share a resource is decided from the
 *   declaration and the override *keys*, never by comparing values, so a phase move changes a value
 *   in place and never renames or splits a resource.
 * - Non-secret values are mirrored into the var's `comment` (Pulumi shows every env value as
 *   `[secret]`; the comment lets a reviewer read the change). Comments name the source, not the rung,
 *   so a move that leaves a value alone leaves its var alone.
 * - The production deployment's `meta` holds one entry per production key (the value, or a keyed
 *   digest for a secret) and a hash of them all: any production change, and only such a change,
 *   replaces the deployment, and the preview diff names the keys.
 */
import * as crypto from "crypto";
import type { AppDecl, CronDecl, Target } from "../apps/types";
import { TARGETS } from "../apps/types";
import { ConfigError, NAMESPACE, type StackConfig } from "../config";
import { deliveredValues, deliversTo } from "../rollout/ladder";
import { prometheusDeclarationProblems } from "../rollout/gates";
import { liveDeclarationProblems } from "../rollout/live";
import { EDGE_CONFIG_ENV, LIVE_ITEM_ENV } from "../sdk/live";
import { validateCrons } from "./crons";
import { AppDeclarationError } from "./declaration-error";

export { AppDeclarationError };

/** Where a var's value comes from. Secrets are references: the plan never holds a secret. */
export type EnvValue =
  | { kind: "plain"; value: string }
  /**
   * A stack secret, by its `StackConfig.secrets` key (`<app>.<KEY>` or `<app>.<KEY>.preview`), and
   * where known a version of its value (a fingerprint of the ciphertext, never the value).
   */
  | { kind: "secret"; secretKey: string; version?: string }
  /** The app's generated CRON_SECRET (`random.RandomPassword`). */
  | { kind: "cronSecret" }
  /** The connection string of the stack's Edge Config token (`EDGE_CONFIG`; see `live-plan.ts`). */
  | { kind: "edgeConfig" };

export type EnvOrigin =
  | { kind: "setting"; key: string; override: boolean }
  | { kind: "secret"; secretKey: string }
  | { kind: "cronSecret"; rotation: number }
  | { kind: "live"; item: string }
  | { kind: "feature"; feature: string; rung: string; override: boolean };

/** One `ProjectEnvironmentVariable`. */
export interface EnvVarPlan {
  key: string;
  /**
   * The resource's slot: `main` holds production (or the declared targets), `preview` a preview
   * override, `development` the readable development copy of a var that a team's sensitive-env policy
   * makes sensitive (Vercel refuses sensitive vars on development). The resource name is
   * `<app>-env-<KEY>` plus `-preview` or `-development` for those slots.
   */
  slot: "main" | "preview" | "development";
  /** In Vercel's order: production, preview, development. */
  targets: Target[];
  sensitive: boolean;
  value: EnvValue;
  origin: EnvOrigin;
  /** ≤ 1000 characters (Vercel's limit). */
  comment: string;
  /** Pulumi `import` ID from `rollout-stack:imports` (adopt an existing var). */
  importId?: string;
}

export interface CronSecretPlan {
  /** ≥ 32; letters and digits only (Vercel sends it verbatim in an Authorization header). */
  length: number;
  special: false;
  /** Present from the start, so adding a rotation later does not change the input shape. */
  keepers: { rotation: string };
}

export interface VercelAppPlan {
  app: string;
  stack: string;
  project: {
    name: string;
    framework: string;
    gitRepository: { type: string; repo: string; productionBranch: string };
    /** `prod` projects cannot be deleted by dropping the app from the stack. */
    protect: boolean;
    importId?: string;
  };
  env: EnvVarPlan[];
  /** KEY → value on the production target (what a production deployment is built with). */
  production: Readonly<Record<string, EnvValue>>;
  cronSecret?: CronSecretPlan;
  /**
   * `ProjectCrons` exists wherever the app has crons, enabled only with a production CRON_SECRET:
   * Vercel enables a project's crons unless told otherwise, so leaving the resource out would run them
   * against routes that cannot authenticate the caller. `reason` is the one line the plan prints.
   */
  crons: { enabled: boolean; reason: string; jobs: readonly CronDecl[] };
  /** Rung per feature on production, and on preview where the stack overrides it. */
  rungs: { production: Readonly<Record<string, string>>; preview: Readonly<Record<string, string>> };
  /**
   * Built from `ref`. The provider deletes a replaced or destroyed deployment only when
   * `deleteOnDestroy` is true (terraform-provider-vercel v5.4.1 `vercel/resource_deployment.go`,
   * `Delete`), so unset already keeps it for Instant Rollback; `false` is written out so a reviewer
   * and the policy pack see the choice rather than rely on a default.
   */
  deployment: { ref: string; deleteOnDestroy: boolean };
  /**
   * What this stack's production env weighs against Vercel's per-deployment limit: UTF-8 bytes of
   * keys and values, each secret whose value is unknown offline counted as `ASSUMED_SECRET_BYTES`.
   * Vars set outside the stack (dashboard, integrations) count on Vercel too, so `margin` is an upper bound.
   */
  envSize: { bytes: number; limit: number; assumedSecrets: number; margin: number };
  /** Non-fatal findings for the operator (the component logs them with `pulumi.log.warn`). */
  warnings: string[];
}

export const MAX_COMMENT = 1000;
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
/**
 * Names Vercel's function runtimes reserve, exactly as documented
 * (https://vercel.com/docs/environment-variables/reserved-environment-variables). The same page
 * allows AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION and
 * AWS_DEFAULT_REGION, so a prefix rule such as `AWS_*` would refuse apps that use the AWS SDK.
 */
export const RESERVED_ENV: ReadonlySet<string> = new Set([
  "AWS_SECRET_KEY",
  "AWS_EXECUTION_ENV",
  "AWS_LAMBDA_LOG_GROUP_NAME",
  "AWS_LAMBDA_LOG_STREAM_NAME",
  "AWS_LAMBDA_FUNCTION_NAME",
  "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
  "AWS_LAMBDA_FUNCTION_VERSION",
  "NOW_REGION",
  "TZ",
  "LAMBDA_TASK_ROOT",
  "LAMBDA_RUNTIME_DIR",
]);
/**
 * What the provider accepts as a project name (terraform-provider-vercel v5.4.1,
 * `vercel/resource_project.go`: `LengthBetween(1, 52)` and `^[a-z0-9\-]{0,100}$`), checked here so
 * a stack fails at plan time with the key to change rather than in the provider during `pulumi up`.
 */
export const MAX_PROJECT_NAME = 52;
const PROJECT_NAME_CHARS = /^[a-z0-9-]+$/;
const CRON_SECRET_LENGTH = 32;
/**
 * Vercel's "64 KB" of env vars per deployment, all combined, dashboard and CLI vars included
 * (https://vercel.com/docs/environment-variables); read as 64 × 1024 bytes, which the docs do not spell out.
 */
export const MAX_ENV_BYTES = 64 * 1024;
/**
 * The plan never reads a secret, so each stack secret counts as 1 KiB: more than a Supabase JWT, an
 * API key or a Postgres URL; a larger secret (a PEM key) eats into the margin the warning shows.
 */
export const ASSUMED_SECRET_BYTES = 1024;
/** Above this share of the limit the plan warns, leaving room for vars set outside the stack. */
const ENV_SIZE_WARN_SHARE = 0.75;

/** The Vercel project name a stack gives an app: `<app>` in `prod`, `<app>-<stack>` elsewhere. */
export function projectName(app: string, stack: string): string {
  return stack === "prod" ? app : `${app}-${stack}`;
}

function orderTargets(targets: Iterable<Target>): Target[] {
  const set = new Set(targets);
  return TARGETS.filter((t) => set.has(t));
}

/** Mirrors a non-secret value into a comment, shortening long values so the comment stays ≤ 1000. */
export function mirrorValue(value: string): string {
  const quoted = JSON.stringify(value);
  if (quoted.length <= 700) return quoted;
  return `${JSON.stringify(value.slice(0, 200))}… (${value.length} characters, sha256 ${sha256(value).slice(0, 16)})`;
}

function sha256(text: string): string {
  return crypto.createHash("sha256").update(text).digest("hex");
}

interface Candidate {
  key: string;
  declared: Target[];
  sensitive: boolean;
  source: string;
  /** Value for the main slot (production's) and, when overridden, for the preview slot. */
  main: { value: EnvValue; origin: EnvOrigin };
  preview?: { value: EnvValue; origin: EnvOrigin };
}

/** A value the parsed config guarantees; its absence is a bug in the caller (a config not from parseStackConfig). */
function given(values: Readonly<Record<string, string>>, key: string): string {
  const value = values[key];
  if (value === undefined) throw new Error(`${key} is missing from a parsed cloud config (parseStackConfig guarantees it)`);
  return value;
}

/** Every env var of an app on a stack, with its values, targets, sensitivity and comments. */
export function planAppEnv(app: AppDecl, config: StackConfig): { env: EnvVarPlan[]; production: Record<string, EnvValue>; cronSecret?: CronSecretPlan } {
  const problems: string[] = [];
  const configProblems: { key: string; message: string }[] = [];
  const candidates: Candidate[] = [];
  const rotation = config.cronSecretRotation[app.name] ?? 0;
  let cronSecret: CronSecretPlan | undefined;

  for (const decl of app.env) {
    const src = decl.source;
    const sensitive = src.from === "setting" ? decl.sensitive : true;
    if (src.from !== "setting" && !decl.sensitive) problems.push(`${decl.key}: a ${src.from === "secret" ? "secret" : "CRON_SECRET"} must be declared sensitive`);
    const declared = orderTargets(decl.targets ?? (sensitive ? ["production", "preview"] : TARGETS));
    if (sensitive && declared.includes("development")) {
      problems.push(`${decl.key}: sensitive vars cannot target development (Vercel rejects them); drop "development" from its targets`);
    }
    const settingKey = `${app.name}/${decl.key}`;
    if (src.from === "setting") {
      // A cloud stack's config holds every setting (parseStackConfig fills defaults, refuses the rest).
      const value = given(config.settings, settingKey);
      const overridden = settingKey in config.previewSettings;
      candidates.push({
        key: decl.key,
        declared,
        sensitive,
        source: `setting ${settingKey}`,
        main: { value: { kind: "plain", value }, origin: { kind: "setting", key: settingKey, override: false } },
        preview: overridden ? { value: { kind: "plain", value: config.previewSettings[settingKey] }, origin: { kind: "setting", key: settingKey, override: true } } : undefined,
      });
    } else if (src.from === "secret") {
      const secretKey = `${app.name}.${decl.key}`;
      const previewKey = `${secretKey}.preview`;
      candidates.push({
        key: decl.key,
        declared,
        sensitive,
        source: `secret ${NAMESPACE}:${secretKey}`,
        main: { value: { kind: "secret", secretKey }, origin: { kind: "secret", secretKey } },
        preview: previewKey in config.secrets ? { value: { kind: "secret", secretKey: previewKey }, origin: { kind: "secret", secretKey: previewKey } } : undefined,
      });
    } else {
      if (cronSecret) problems.push(`${decl.key}: an app has one generated CRON_SECRET`);
      cronSecret = { length: CRON_SECRET_LENGTH, special: false, keepers: { rotation: String(rotation) } };
      candidates.push({
        key: decl.key,
        declared,
        sensitive,
        source: "generated CRON_SECRET",
        main: { value: { kind: "cronSecret" }, origin: { kind: "cronSecret", rotation } },
      });
    }
  }

  for (const feature of app.features) problems.push(...liveDeclarationProblems(feature), ...prometheusDeclarationProblems(feature));
  // Live features: the store's connection string and the item's key, on production only (the item holds
  // production's shares; preview deployments keep their build-time values).
  if (config.edgeConfig && app.features.some((f) => f.live)) {
    const item = config.edgeConfig.item;
    candidates.push(
      {
        key: EDGE_CONFIG_ENV,
        declared: ["production"],
        sensitive: true,
        source: "the stack's Edge Config token",
        main: { value: { kind: "edgeConfig" }, origin: { kind: "live", item } },
      },
      {
        key: LIVE_ITEM_ENV,
        declared: ["production"],
        sensitive: false,
        source: "the stack's Edge Config item",
        main: { value: { kind: "plain", value: item }, origin: { kind: "live", item } },
      },
    );
  }

  for (const feature of app.features) {
    const featureKey = `${app.name}/${feature.name}`;
    // A cloud stack's config has a phase for every feature (parseStackConfig refuses a missing one).
    const rung = given(config.phases, featureKey);
    const previewRung = config.previewPhases[featureKey];
    for (const d of feature.delivery) {
      const declared = orderTargets(TARGETS.filter((t) => deliversTo(d, t)));
      // Each target's value comes from the rung that applies to it; development follows production.
      const mainTarget = declared.includes("production") ? "production" : declared[0];
      const mainValue = deliveredValues(feature, rung, mainTarget)[d.key];
      candidates.push({
        key: d.key,
        declared,
        sensitive: false,
        source: `feature ${featureKey}`,
        main: { value: { kind: "plain", value: mainValue }, origin: { kind: "feature", feature: featureKey, rung, override: false } },
        preview:
          previewRung !== undefined && declared.includes("preview")
            ? {
                value: { kind: "plain", value: deliveredValues(feature, previewRung, "preview")[d.key] },
                origin: { kind: "feature", feature: featureKey, rung: previewRung, override: true },
              }
            : undefined,
      });
    }
  }

  const sources = new Map<string, string>();
  for (const c of candidates) {
    if (!ENV_KEY.test(c.key)) problems.push(`${c.key}: not a name Vercel accepts (letters, digits and _, not starting with a digit)`);
    else if (RESERVED_ENV.has(c.key)) problems.push(`${c.key}: reserved by Vercel's function runtimes (${[...RESERVED_ENV].join(", ")}); rename it`);
    const other = sources.get(c.key);
    if (other) problems.push(`${c.key}: declared twice (${other} and ${c.source}); each key has one source`);
    sources.set(c.key, c.source);
    if (c.declared.length === 0) problems.push(`${c.key}: targets nothing`);
  }
  if (problems.length) throw new AppDeclarationError(app.name, problems);

  const imports = config.imports[app.name]?.env ?? {};
  const usedImports = new Set<string>();
  const takeImport = (key: string, slot: EnvVarPlan["slot"], targets: Target[]): string | undefined => {
    const names = slot === "main" ? [key, ...targets.map((t) => `${key}.${t}`)] : [`${key}.${slot}`];
    const found = names.filter((n) => n in imports);
    found.forEach((n) => usedImports.add(n));
    if (found.length > 1) configProblems.push({ key: `${NAMESPACE}:imports.${app.name}.env`, message: `${found.join(" and ")} name the same var; keep one` });
    return found.length ? imports[found[0]] : undefined;
  };

  const managed = `managed by rollout-stack (stack ${config.stack})`;
  const commentFor = (value: EnvValue, origin: EnvOrigin): string => {
    let text: string;
    if (value.kind === "plain") {
      const from =
        origin.kind === "setting"
          ? `${origin.override ? "previewSettings" : "settings"} ${origin.key}`
          : origin.kind === "feature"
            ? `feature ${origin.feature}${origin.override ? " (previewPhases)" : ""}`
            : "edgeConfig.item (the live item)"; // the one other plain value: ROLLOUT_LIVE_ITEM (origin "live")
      text = `${mirrorValue(value.value)} from ${from}; ${managed}`;
    } else if (value.kind === "edgeConfig") {
      text = `Edge Config connection string (read-only token of the stack's store; live item ${origin.kind === "live" ? origin.item : "?"}); ${managed}`;
    } else if (value.kind === "secret") {
      text = `secret from stack config ${NAMESPACE}:${value.secretKey}; ${managed}`;
    } else {
      text = `generated CRON_SECRET (RandomPassword, rotation ${rotation}); ${managed}`;
    }
    return text.length <= MAX_COMMENT ? text : `${text.slice(0, MAX_COMMENT - 1)}…`;
  };

  const env: EnvVarPlan[] = [];
  const production: Record<string, EnvValue> = {};
  // A team that enforces sensitive env vars refuses non-sensitive production and preview vars, and
  // Vercel refuses sensitive ones on development: such a var becomes sensitive and its development
  // target moves to a readable copy of its own.
  const enforced = config.vercel.sensitiveEnvPolicy;
  for (const c of candidates) {
    const previewSplit = c.preview !== undefined && c.declared.includes("preview");
    const forced = enforced && !c.sensitive && c.declared.some((t) => t !== "development");
    const developmentSplit = forced && c.declared.includes("development");
    const mainTargets = c.declared.filter((t) => !(previewSplit && t === "preview") && !(developmentSplit && t === "development"));
    if (mainTargets.length) {
      env.push({
        key: c.key,
        slot: "main",
        targets: mainTargets,
        sensitive: c.sensitive || forced,
        value: c.main.value,
        origin: c.main.origin,
        comment: commentFor(c.main.value, c.main.origin),
        importId: takeImport(c.key, "main", mainTargets),
      });
    }
    if (previewSplit) {
      env.push({
        key: c.key,
        slot: "preview",
        targets: ["preview"],
        sensitive: c.sensitive || forced,
        value: c.preview!.value,
        origin: c.preview!.origin,
        comment: commentFor(c.preview!.value, c.preview!.origin),
        importId: takeImport(c.key, "preview", ["preview"]),
      });
    }
    if (developmentSplit) {
      env.push({
        key: c.key,
        slot: "development",
        targets: ["development"],
        sensitive: false,
        value: c.main.value,
        origin: c.main.origin,
        comment: commentFor(c.main.value, c.main.origin),
        importId: takeImport(c.key, "development", ["development"]),
      });
    }
    if (c.declared.includes("production")) production[c.key] = c.main.value;
  }
  for (const name of Object.keys(imports)) {
    if (!usedImports.has(name)) {
      configProblems.push({
        key: `${NAMESPACE}:imports.${app.name}.env.${name}`,
        message: `no env var resource matches (vars: ${env.map((e) => (e.slot === "main" ? e.key : `${e.key}.${e.slot}`)).join(", ")}); a preview-only import needs a preview override`,
      });
    }
  }
  if (configProblems.length) throw new ConfigError(config.stack, configProblems);
  return { env, production, cronSecret };
}

/** The whole Vercel side of one app on one stack. Throws `ConfigError`, `AppDeclarationError` or `CronDeclarationError`. */
export function planVercelApp(app: AppDecl, config: StackConfig): VercelAppPlan {
  const name = projectName(app.name, config.stack);
  const nameProblems = projectNameProblems(name);
  if (nameProblems.length) {
    throw new ConfigError(config.stack, [{ key: `${NAMESPACE}:apps`, message: `${app.name}: Vercel project name "${name}" ${nameProblems.join("; ")}` }]);
  }
  const { env, production, cronSecret } = planAppEnv(app, config);
  const jobs = validateCrons(app, config.vercel.plan);
  const cronSecretOnProduction = env.some((v) => v.value.kind === "cronSecret" && v.targets.includes("production"));
  const productionRungs: Record<string, string> = {};
  const previewRungs: Record<string, string> = {};
  for (const f of app.features) {
    productionRungs[f.name] = config.phases[`${app.name}/${f.name}`];
    const preview = config.previewPhases[`${app.name}/${f.name}`];
    if (preview !== undefined) previewRungs[f.name] = preview;
  }
  const envSize = productionEnvSize(production);
  if (envSize.bytes > MAX_ENV_BYTES) {
    throw new ConfigError(config.stack, [
      { key: `${NAMESPACE}:settings`, message: `${app.name}: production env is ${envSize.bytes} bytes; Vercel allows ${MAX_ENV_BYTES} per deployment (${sizeNote(envSize)}): shorten the largest values` },
    ]);
  }
  const sizeWarnings =
    envSize.bytes > MAX_ENV_BYTES * ENV_SIZE_WARN_SHARE
      ? [`${app.name}: production env is ${envSize.bytes} bytes of Vercel's ${MAX_ENV_BYTES} per deployment (margin ${envSize.margin}; ${sizeNote(envSize)}); vars set outside the stack count too`]
      : [];
  return {
    app: app.name,
    stack: config.stack,
    envSize,
    warnings: [...previewWarnings(app.name, env), ...sensitivePolicyWarnings(app.name, config, env), ...sizeWarnings],
    project: {
      name,
      framework: app.vercel.framework,
      gitRepository: { ...app.vercel.gitRepository, productionBranch: config.vercel.productionBranch },
      protect: config.stack === "prod",
      importId: config.imports[app.name]?.project,
    },
    env,
    production,
    cronSecret,
    crons: cronsState(jobs, cronSecretOnProduction),
    rungs: { production: productionRungs, preview: previewRungs },
    deployment: { ref: config.vercel.productionBranch, deleteOnDestroy: false },
  };
}

function productionEnvSize(production: Readonly<Record<string, EnvValue>>): VercelAppPlan["envSize"] {
  let bytes = 0;
  let assumedSecrets = 0;
  for (const [key, v] of Object.entries(production)) {
    bytes += Buffer.byteLength(key, "utf8");
    if (v.kind === "plain") bytes += Buffer.byteLength(v.value, "utf8");
    else if (v.kind === "cronSecret") bytes += CRON_SECRET_LENGTH;
    else {
      bytes += ASSUMED_SECRET_BYTES;
      assumedSecrets++;
    }
  }
  return { bytes, limit: MAX_ENV_BYTES, assumedSecrets, margin: MAX_ENV_BYTES - bytes };
}

function sizeNote(size: VercelAppPlan["envSize"]): string {
  return `${size.assumedSecrets} secret${size.assumedSecrets === 1 ? "" : "s"} counted as ${ASSUMED_SECRET_BYTES} bytes`;
}

/** Why a project name would be refused by the provider (empty when it is fine), each with the fix. */
export function projectNameProblems(name: string): string[] {
  const problems: string[] = [];
  if (!PROJECT_NAME_CHARS.test(name)) problems.push(`may hold only lowercase letters, digits and "-" (the provider's rule); rename the stack or the app`);
  if (name.length > MAX_PROJECT_NAME) problems.push(`is ${name.length} characters; Vercel allows ${MAX_PROJECT_NAME}: shorten the app or stack name (a stack other than prod names its projects <app>-<stack>)`);
  return problems;
}

/**
 * Vercel Cron calls production deployments only, with `Authorization: Bearer $CRON_SECRET`; a route
 * can check the caller only when production has that var. Without it the crons are declared disabled
 * rather than left out, because Vercel runs a project's crons unless they are disabled.
 */
function cronsState(jobs: readonly CronDecl[], cronSecretOnProduction: boolean): VercelAppPlan["crons"] {
  if (!jobs.length) return { enabled: false, reason: "no crons declared", jobs };
  if (cronSecretOnProduction) {
    return { enabled: true, reason: "enabled: the generated CRON_SECRET targets production, so the cron routes can check Vercel Cron's Authorization header", jobs };
  }
  return {
    enabled: false,
    reason: 'disabled: no CRON_SECRET targets production, so the cron routes could not tell Vercel Cron from anyone else; declare CRON_SECRET (source { from: "cronSecret" }) on the app to enable them',
    jobs,
  };
}

/**
 * Preview settings point preview deployments elsewhere (seed 003: the staging database) while a
 * secret still gives preview the production value: usually a production credential used against the
 * wrong backend. Not an error: some secrets are meant to be shared.
 */
function previewWarnings(app: string, env: readonly EnvVarPlan[]): string[] {
  const overridden = env.filter((v) => v.slot === "preview" && v.origin.kind === "setting").map((v) => v.key);
  const shared = env.filter((v) => v.slot === "main" && v.value.kind === "secret" && v.targets.includes("preview")).map((v) => v.key);
  if (!overridden.length || !shared.length) return [];
  return [
    `${app}: preview overrides ${overridden.join(", ")} but gets the production value of secret ${shared.join(", ")}; ` +
      `if previews use another backend, set ${shared.map((k) => `${NAMESPACE}:${app}.${k}.preview`).join(", ")} (pulumi config set --secret)`,
  ];
}

/** Under a team's sensitive-env policy, the plan says which vars it made sensitive and which got a development copy. */
function sensitivePolicyWarnings(app: string, config: StackConfig, env: readonly EnvVarPlan[]): string[] {
  if (!config.vercel.sensitiveEnvPolicy) return [];
  const readable = env.filter((v) => v.sensitive && v.value.kind === "plain");
  const copies = env.filter((v) => v.slot === "development").map((v) => v.key);
  return [
    `${app}: the team enforces sensitive env vars (${NAMESPACE}:vercelSensitiveEnvPolicy): ${readable.length} production/preview vars are sensitive (values readable in their comments only); ` +
      `a development copy is split off for ${copies.join(", ") || "none"}`,
  ];
}

/** Resource names (`<name>-env-<KEY>`, `-preview` for the override slot): part of the public contract. */
export function envResourceName(componentName: string, v: Pick<EnvVarPlan, "key" | "slot">): string {
  return `${componentName}-env-${v.key}${v.slot === "main" ? "" : `-${v.slot}`}`;
}

/** Vercel deployment `meta` prefix for one production key. */
export const META_ENV_PREFIX = "env.";
/** Meta key of the hash over every production entry. */
export const META_HASH_KEY = "envHash";
/** Vercel keeps at most 100 meta entries per deployment; beyond 99 keys only the hash is kept. */
export const MAX_META_ENTRIES = 100;
const MAX_META_VALUE = 256;

/**
 * A keyed digest of a secret value: shows that a secret changed without exposing it, even when the
 * secret has little entropy (the key is a generated per-app secret, kept in state).
 */
export function secretDigest(digestKey: string, envKey: string, value: string): string {
  return crypto.createHmac("sha256", digestKey).update(`${envKey}\0${value}`).digest("hex").slice(0, 16);
}

/**
 * The production deployment's `meta`: `env.<KEY>` → the value (non-secret) or `hmac:<digest>`
 * (secret, from `secretDigests`), and `envHash` over all of them. Changes iff a production value changes.
 */
export function deploymentMeta(production: Readonly<Record<string, EnvValue>>, secretDigests: Readonly<Record<string, string>>): Record<string, string> {
  const entries: [string, string][] = Object.keys(production)
    .sort()
    .map((key) => {
      const v = production[key];
      if (v.kind === "plain") {
        return [key, v.value.length <= MAX_META_VALUE ? v.value : `sha256:${sha256(v.value).slice(0, 16)} (${v.value.length} characters)`];
      }
      const digest = secretDigests[key];
      if (digest === undefined) throw new Error(`deploymentMeta: no digest for secret ${key}`);
      return [key, `hmac:${digest}`];
    });
  const hash = sha256(JSON.stringify(entries)).slice(0, 16);
  if (entries.length > MAX_META_ENTRIES - 1) return { [META_HASH_KEY]: hash, [`${META_ENV_PREFIX}count`]: String(entries.length) };
  return { ...Object.fromEntries(entries.map(([k, v]) => [`${META_ENV_PREFIX}${k}`, v])), [META_HASH_KEY]: hash };
}
