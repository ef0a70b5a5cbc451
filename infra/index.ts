/**
 * The Pulumi program: stack config → typed config → app declarations → the stack model
 * (`planStack`) → components → resources. Loaded by the Pulumi Node host through the project's
 * ts-node (`Pulumi.yaml`). The design and its reasons: docs/architecture.md.
 */
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, loadPulumiStackConfig } from "./config";
import { planStack } from "./model";
import { SupabaseDatabase, type SupabaseDatabaseSummary } from "./supabase/database";
import { DeclarationError } from "./supabase/declaration";
import { LiveValues, VercelApp, type VercelAppSummary } from "./vercel";
import { AppDeclarationError } from "./vercel/declaration-error";

/**
 * A bad stack file or declaration is the user's to fix: Pulumi shows its message alone (a RunError),
 * not as an unhandled exception with a stack trace.
 */
function reported<T>(build: () => T): T {
  try {
    return build();
  } catch (e) {
    if (e instanceof ConfigError || e instanceof AppDeclarationError || e instanceof DeclarationError) throw new pulumi.RunError(e.message);
    throw e;
  }
}

const config = reported(loadPulumiStackConfig);
const model = reported(() => planStack(config));

// Supabase: one component per declared database of the managed apps, on every stack (local included).
const databases = model.databases.map((plan) => new SupabaseDatabase(plan.name, { plan }));
const databaseOf = (name: string | undefined) => databases.filter((d) => d.plan.name === name);

for (const warning of model.warnings) void pulumi.log.warn(warning);

// Live features: the shared Edge Config store (created here or referenced), this stack's token and item.
const live = model.live ? new LiveValues("live", { plan: model.live, team: config.vercel.team }) : undefined;

// Vercel: one component per managed app, none on the local stack (databases only). A new production
// deployment waits for the app's database, so code ships after the schema it needs.
const vercelApps = model.apps.flatMap((a, i) =>
  a.vercel
    ? [new VercelApp(a.app, { app: config.apps[i], config, plan: a.vercel, deployAfter: databaseOf(a.database), edgeConfigConnection: live?.connectionString })]
    : [],
);

/** What the stack manages, readable in `pulumi stack output` and in previews. */
export const stack = config.stack;
export const mode = config.mode;
export const apps = config.apps.map((a) => a.name);
export const phases = config.phases;
/** Per app: project, rungs, production env (secrets masked), crons, and why production redeploys. */
export const vercel: pulumi.Output<Record<string, VercelAppSummary>> = pulumi
  .all(vercelApps.map((a) => a.summary))
  .apply((summaries) => Object.fromEntries(vercelApps.map((a, i) => [a.plan.app, summaries[i]])));
/** The Edge Config store's ID (other stacks reference it as `edgeConfig.store`) and this stack's item; null without live values. */
export const edgeConfigId = live ? live.storeId : null;
export const liveItem = live ? { item: live.plan.item, shares: live.plan.shares } : null;
/** Per database: migrations, schemas, buckets, policies, checks, and the Data API exposure. */
export const supabase: Record<string, SupabaseDatabaseSummary> = Object.fromEntries(databases.map((d) => [d.plan.name, d.summary]));
