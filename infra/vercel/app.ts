/**
 * `VercelApp`: one app's Vercel project on one stack, with its env vars, CRON_SECRET, production
 * deployment and crons. Every decision is made by the pure planner (`env-plan.ts`) before a resource
 * exists; this component only turns that plan into resources.
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as vercel from "@pulumiverse/vercel";
import type { AppDecl, CronDecl } from "../apps/types";
import type { StackConfig } from "../config";
import {
  deploymentMeta,
  envResourceName,
  META_HASH_KEY,
  planVercelApp,
  secretDigest,
  type EnvVarPlan,
  type VercelAppPlan,
} from "./env-plan";

/** Hooks that adjust a child's args for provider fields this component does not model. */
export interface VercelAppTransforms {
  /** e.g. `(a) => ({ ...a, skewProtection: "12 hours" })`. */
  project?: (args: vercel.ProjectArgs) => vercel.ProjectArgs;
  /** Called for each env var with its plan entry; e.g. to add a `gitBranch` to a preview var. */
  envVar?: (args: vercel.ProjectEnvironmentVariableArgs, plan: EnvVarPlan) => vercel.ProjectEnvironmentVariableArgs;
  deployment?: (args: vercel.DeploymentArgs) => vercel.DeploymentArgs;
}

export interface VercelAppArgs {
  /** The app's declaration (a catalog entry from `infra/apps/`). */
  app: AppDecl;
  /**
   * The parsed stack config (phases, settings, preview overrides, imports, rotation knobs). Its secrets
   * must be known (`loadPulumiStackConfig()` requires them); they reach Vercel only as Pulumi secrets.
   */
  config: StackConfig;
  /** This app's part of `planStack(config)`. @default planned here from `app` and `config` */
  plan?: VercelAppPlan;
  /** Per-child args hooks. @default none */
  transforms?: VercelAppTransforms;
  /**
   * The stack's Edge Config connection string (`LiveValues.connectionString`), for the `EDGE_CONFIG`
   * var of an app with live features. Required when the plan has such a var.
   */
  edgeConfigConnection?: pulumi.Input<string>;
  /**
   * Resources the production deployment waits for, e.g. the app's `SupabaseDatabase`, so new code goes
   * live only after its migrations, policies and checks converged. @default []
   */
  deployAfter?: pulumi.Resource[];
}

/** What a reviewer reads in `pulumi stack output` for one app. Secrets are masked. */
export interface VercelAppSummary {
  project: string;
  /** Feature → rung on production; `previewRungs` lists preview overrides only. */
  rungs: Record<string, string>;
  previewRungs: Record<string, string>;
  /** Production env: KEY → value, `[secret]` for secret values. */
  env: Record<string, string>;
  /** Whether the crons run, and why (see `VercelAppPlan.crons`). */
  crons: { enabled: boolean; reason: string; jobs: CronDecl[] };
  deployment: {
    ref: string;
    envHash: string;
    /** Why the production deployment exists and when it is replaced. */
    reason: string;
    /** The deployment's meta: `env.<KEY>` → value or `hmac:<digest>` for secrets, and `envHash`. */
    meta: Record<string, string>;
  };
}

export class VercelApp extends pulumi.ComponentResource {
  /** The decisions behind every child (pure data; no secret values). */
  readonly plan: VercelAppPlan;
  readonly project: vercel.Project;
  /** Env var resources by resource name (`<name>-env-<KEY>`, `...-preview`). */
  readonly envVars: Readonly<Record<string, vercel.ProjectEnvironmentVariable>>;
  readonly cronSecret?: random.RandomPassword;
  readonly deployment: vercel.Deployment;
  readonly crons?: vercel.ProjectCrons;
  readonly summary: pulumi.Output<VercelAppSummary>;

  constructor(name: string, args: VercelAppArgs, opts?: pulumi.ComponentResourceOptions) {
    super("rollout-stack:vercel:App", name, {}, opts);
    const plan = args.plan ?? planVercelApp(args.app, args.config);
    const transforms = args.transforms ?? {};
    this.plan = plan;
    for (const warning of plan.warnings) void pulumi.log.warn(warning, this);

    this.project = this.createProject(name, plan, transforms);
    this.cronSecret = this.createCronSecret(name, plan);
    const values = this.envValues(plan, args.config, args.edgeConfigConnection);
    this.envVars = this.createEnv(name, plan, values, transforms);
    const meta = this.productionMeta(name, plan, values);
    this.deployment = this.createDeployment(name, plan, meta, transforms, args.deployAfter ?? []);
    this.crons = this.createCrons(name, plan);

    this.summary = meta.apply((m) => summarize(plan, m));
    this.registerOutputs({ projectId: this.project.id, summary: this.summary });
  }

  private createProject(name: string, plan: VercelAppPlan, transforms: VercelAppTransforms): vercel.Project {
    const projectArgs: vercel.ProjectArgs = {
      name: plan.project.name,
      framework: plan.project.framework,
      gitRepository: { ...plan.project.gitRepository },
    };
    return new vercel.Project(`${name}-project`, transforms.project ? transforms.project(projectArgs) : projectArgs, {
      parent: this,
      // Dropping an app from the prod stack must never delete its production project.
      protect: plan.project.protect,
      import: plan.project.importId,
    });
  }

  /**
   * The CRON_SECRET. Its logical name never changes (a new URN would generate a new secret); it rotates
   * only when the stack's `cronSecretRotation` knob changes its keeper.
   */
  private createCronSecret(name: string, plan: VercelAppPlan): random.RandomPassword | undefined {
    if (!plan.cronSecret) return undefined;
    return new random.RandomPassword(
      `${name}-cron-secret`,
      { length: plan.cronSecret.length, special: plan.cronSecret.special, keepers: { ...plan.cronSecret.keepers } },
      { parent: this },
    );
  }

  /** Each planned var's value as an input: plain strings, or Pulumi secrets for secret sources. */
  private envValues(plan: VercelAppPlan, config: StackConfig, edgeConfigConnection: pulumi.Input<string> | undefined): Map<EnvVarPlan, pulumi.Input<string>> {
    const values = new Map<EnvVarPlan, pulumi.Input<string>>();
    for (const v of plan.env) {
      if (v.value.kind === "plain") {
        values.set(v, v.value.value);
      } else if (v.value.kind === "secret") {
        const secret = config.secrets[v.value.secretKey];
        if (!secret?.known) {
          throw new Error(`${plan.app}: secret ${secret?.key ?? v.value.secretKey} is not available; the program must load config with loadPulumiStackConfig()`);
        }
        values.set(v, pulumi.secret(secret.reveal()));
      } else if (v.value.kind === "edgeConfig") {
        if (edgeConfigConnection === undefined) throw new Error(`${plan.app}: ${v.key} needs the stack's Edge Config connection string (VercelAppArgs.edgeConfigConnection)`);
        values.set(v, pulumi.secret(edgeConfigConnection));
      } else {
        values.set(v, this.cronSecret!.result);
      }
    }
    return values;
  }

  private createEnv(
    name: string,
    plan: VercelAppPlan,
    values: Map<EnvVarPlan, pulumi.Input<string>>,
    transforms: VercelAppTransforms,
  ): Record<string, vercel.ProjectEnvironmentVariable> {
    const vars: Record<string, vercel.ProjectEnvironmentVariable> = {};
    for (const v of plan.env) {
      const resourceName = envResourceName(name, v);
      const envArgs: vercel.ProjectEnvironmentVariableArgs = {
        projectId: this.project.id,
        key: v.key,
        value: values.get(v)!,
        targets: v.targets,
        sensitive: v.sensitive,
        comment: v.comment,
      };
      // A preview override or development copy is created after its main var dropped that target
      // (Vercel refuses two vars with the same key and target).
      const main = v.slot !== "main" ? vars[envResourceName(name, { key: v.key, slot: "main" })] : undefined;
      vars[resourceName] = new vercel.ProjectEnvironmentVariable(resourceName, transforms.envVar ? transforms.envVar(envArgs, v) : envArgs, {
        parent: this,
        // Changing `sensitive` replaces the var; created before the old one is gone, Vercel answers
        // ENV_ALREADY_EXISTS.
        deleteBeforeReplace: true,
        import: v.importId,
        dependsOn: main ? [main] : undefined,
      });
    }
    return vars;
  }

  /**
   * The deployment meta, computed from every production value. Secret values enter only as keyed
   * digests under a per-app generated key, and the result is deliberately not secret: a reviewer must
   * see which keys changed, and a secret meta would hide the whole diff.
   */
  private productionMeta(name: string, plan: VercelAppPlan, values: Map<EnvVarPlan, pulumi.Input<string>>): pulumi.Output<Record<string, string>> {
    const secretValues: Record<string, pulumi.Input<string>> = {};
    for (const v of plan.env) {
      if (v.value.kind !== "plain" && v.targets.includes("production")) secretValues[v.key] = values.get(v)!;
    }
    if (Object.keys(secretValues).length === 0) return pulumi.output(deploymentMeta(plan.production, {}));
    const digestKey = new random.RandomPassword(`${name}-env-digest-key`, { length: 32, special: false }, { parent: this });
    const meta = pulumi.all([digestKey.result, pulumi.all(secretValues)]).apply(([key, secrets]) =>
      deploymentMeta(plan.production, Object.fromEntries(Object.entries(secrets).map(([k, value]) => [k, secretDigest(key, k, value)]))),
    );
    return pulumi.unsecret(meta);
  }

  /**
   * The production deployment: Vercel applies env changes to new deployments only, and inlines
   * NEXT_PUBLIC_* at build time, so any production value change must build a new deployment. `meta`
   * changes exactly then, and Deployment replaces on any meta change. The previous deployment stays
   * for Instant Rollback: the provider deletes one only when `deleteOnDestroy` is true, so unset would
   * keep it too; `false` is explicit so a reviewer sees the choice.
   */
  private createDeployment(
    name: string,
    plan: VercelAppPlan,
    meta: pulumi.Output<Record<string, string>>,
    transforms: VercelAppTransforms,
    deployAfter: pulumi.Resource[],
  ): vercel.Deployment {
    const deploymentArgs: vercel.DeploymentArgs = {
      projectId: this.project.id,
      ref: plan.deployment.ref,
      production: true,
      deleteOnDestroy: plan.deployment.deleteOnDestroy,
      meta,
    };
    const productionVars = plan.env.filter((v) => v.targets.includes("production")).map((v) => this.envVars[envResourceName(name, v)]);
    return new vercel.Deployment(`${name}-production`, transforms.deployment ? transforms.deployment(deploymentArgs) : deploymentArgs, {
      parent: this,
      dependsOn: [...productionVars, ...deployAfter],
    });
  }

  /**
   * Every app with crons gets a `ProjectCrons`, enabled only with a production CRON_SECRET: Vercel
   * enables a project's crons unless they are disabled, so omitting the resource would leave the cron
   * routes open to anyone. Enabled crons wait for the CRON_SECRET var, so the first run can check it.
   */
  private createCrons(name: string, plan: VercelAppPlan): vercel.ProjectCrons | undefined {
    if (!plan.crons.jobs.length) return undefined;
    const secretVar = plan.crons.enabled ? plan.env.find((v) => v.value.kind === "cronSecret" && v.targets.includes("production")) : undefined;
    return new vercel.ProjectCrons(
      `${name}-crons`,
      { projectId: this.project.id, enabled: plan.crons.enabled },
      { parent: this, dependsOn: secretVar ? [this.envVars[envResourceName(name, secretVar)]] : [] },
    );
  }
}

/** The reviewer-facing summary of a plan and its deployment meta (secrets masked). */
export function summarize(plan: VercelAppPlan, meta: Record<string, string>): VercelAppSummary {
  const env: Record<string, string> = {};
  for (const [key, v] of Object.entries(plan.production)) env[key] = v.kind === "plain" ? v.value : "[secret]";
  const keyCount = Object.keys(plan.production).length;
  return {
    project: plan.project.name,
    rungs: { ...plan.rungs.production },
    previewRungs: { ...plan.rungs.preview },
    env,
    crons: { enabled: plan.crons.enabled, reason: plan.crons.reason, jobs: plan.crons.jobs.map((c) => ({ ...c })) },
    deployment: {
      ref: plan.deployment.ref,
      envHash: meta[META_HASH_KEY],
      reason: `production deployment of ${plan.deployment.ref} with env ${meta[META_HASH_KEY]} (${keyCount} keys); a change to any production value replaces it`,
      meta,
    },
  };
}
