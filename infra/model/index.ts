/**
 * `planStack(config)`: one pure model of everything a stack declares, decided before any resource
 * exists. Per app, the Vercel plan (project, env per target, CRON_SECRET, crons, production
 * deployment); per database, the database plan (migration files with hashes, schemas and grants,
 * buckets, policies, managed SQL, checks, Data API exposure).
 *
 * Who reads it: the Pulumi program hands each component its part (`infra/index.ts`); `rollout` and
 * `plan` compare two models with `diffPlans` (`./diff.ts`) to say what a change does. The policy pack
 * does not: it checks the rendered resources independently.
 *
 * Pure: no Pulumi, no network. It reads the migration files (their hashes are part of what the stack
 * declares). The model is plain JSON-able data and holds no secret value: a secret is a reference to
 * its config key, optionally with a version (a fingerprint) so that a changed secret shows as changed.
 * Why a model first: docs/architecture.md, section 3.3.
 */
import * as path from "path";
import type { StackConfig } from "../config";
import { databasesOf, planDatabaseOnStack, type StackDatabasePlan } from "../supabase/declaration";
import { migrationDirRefs } from "../supabase/migrations";
import { describeAppEffect, diffPlans } from "./diff";
import { planVercelApp, type EnvValue, type VercelAppPlan } from "../vercel/env-plan";
import { planLive, type LivePlan } from "../vercel/live-plan";

export const MODEL_FORMAT = "rollout-stack.model/v1";

/**
 * Where an app's values reach it: an env var of its Vercel project (`env`, read at build and boot),
 * or the stack's Edge Config item (`edgeConfig`, read at request time; live features only).
 */
export type Channel = "env" | "edgeConfig";

export interface AppModel {
  app: string;
  /** The app's database, when it declares one. */
  database?: string;
  /** The Vercel side; null on a local stack (databases only, no Vercel). */
  vercel: VercelAppPlan | null;
}

export interface StackPlan {
  format: typeof MODEL_FORMAT;
  stack: string;
  mode: StackConfig["mode"];
  /** In the order the stack lists them. */
  apps: AppModel[];
  /** Distinct databases of the managed apps, in first-declared order. */
  databases: StackDatabasePlan[];
  /** The Edge Config item of live features; null without live features or without `edgeConfig`. */
  live: LivePlan | null;
  /** Stack-wide findings for the operator (per-app ones are in each Vercel plan). */
  warnings: string[];
}

export interface PlanStackOptions {
  /** Project root holding `migrations/`. @default this repository */
  root?: string;
  /**
   * A version per secret config key (`<app>.<KEY>`, `<app>.<KEY>.preview`), e.g. a fingerprint of its
   * ciphertext: recorded on the secret's references so that a re-encrypted (changed) secret diffs.
   */
  secretVersions?: Readonly<Record<string, string>>;
}

const ROOT = path.resolve(__dirname, "../..");

function withSecretVersions(plan: VercelAppPlan, versions: Readonly<Record<string, string>>): VercelAppPlan {
  const versioned = (v: EnvValue): EnvValue => (v.kind === "secret" && versions[v.secretKey] !== undefined ? { ...v, version: versions[v.secretKey] } : v);
  return {
    ...plan,
    env: plan.env.map((e) => ({ ...e, value: versioned(e.value) })),
    production: Object.fromEntries(Object.entries(plan.production).map(([k, v]) => [k, versioned(v)])),
  };
}

/**
 * The model of a parsed stack config. Throws what the planners throw: `ConfigError`,
 * `AppDeclarationError` (and `CronDeclarationError`), `DeclarationError`.
 */
export function planStack(config: StackConfig, options: PlanStackOptions = {}): StackPlan {
  const root = options.root ?? ROOT;
  const databases = databasesOf(config.apps).map((decl) => {
    const dir = `migrations/${decl.name}`;
    return planDatabaseOnStack(decl, config, { dir, ...migrationDirRefs(root, dir) });
  });
  const apps = config.apps.map((app): AppModel => {
    const vercel = config.mode === "cloud" ? planVercelApp(app, config) : null;
    return { app: app.name, database: app.database?.name, vercel: vercel && options.secretVersions ? withSecretVersions(vercel, options.secretVersions) : vercel };
  });
  const { live, warnings } = planLive(config);
  return { format: MODEL_FORMAT, stack: config.stack, mode: config.mode, apps, databases, live, warnings };
}

/**
 * The effect of a move on one app, as lines for people: the two stack configs' models, diffed. The
 * plan report reads the same diff (`diffPlans`).
 */
export function moveEffectLines(before: StackConfig, after: StackConfig, app: string, feature?: string): string[] {
  const next = planStack(after);
  return describeAppEffect(diffPlans(planStack(before), next), next, app, feature);
}
