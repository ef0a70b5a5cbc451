/** The module part of our dynamic resources' type tokens: `pulumi-nodejs:dynamic/vercel:<Type>`. */
export const DYNAMIC_MODULE = "vercel";

/**
 * The provider resources `VercelApp` and `LiveValues` create: their type tokens and the inputs whose change makes the
 * provider replace them, as plain data (no Pulumi import) for the plan report. The rules are the
 * provider's schema (`RequiresReplace` plan modifiers in terraform-provider-vercel, which the
 * Pulumi bridge turns into replacements); `random` replaces a resource on any input change.
 */
export const TYPES = {
  app: "rollout-stack:vercel:App",
  project: "vercel:index/project:Project",
  env: "vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable",
  deployment: "vercel:index/deployment:Deployment",
  crons: "vercel:index/projectCrons:ProjectCrons",
  password: "random:index/randomPassword:RandomPassword",
  live: "rollout-stack:vercel:LiveValues",
  edgeConfig: "vercel:index/edgeConfig:EdgeConfig",
  edgeConfigToken: "vercel:index/edgeConfigToken:EdgeConfigToken",
  liveItem: "pulumi-nodejs:dynamic/vercel:LiveItem",
} as const;

/**
 * Inputs of our `LiveItem` whose change makes a new item (written first, then the old key removed);
 * its handler's `diff` uses this list. Here, not in the handler, so the program never loads the
 * handler (and the Vercel SDK) to learn it.
 */
export const LIVE_ITEM_REPLACE_ON = ["storeId", "item", "team"] as const;

/** Any input. */
export const ANY_INPUT = "*";

/** Type token → the inputs whose change replaces the resource (`*`: any input). */
export const REPLACE_RULES: Readonly<Record<string, readonly string[]>> = {
  [TYPES.project]: ["teamId"],
  [TYPES.env]: ["projectId", "key", "sensitive", "customEnvironmentIds", "teamId"],
  [TYPES.deployment]: [ANY_INPUT],
  [TYPES.crons]: ["projectId", "teamId"],
  [TYPES.password]: [ANY_INPUT],
  [TYPES.edgeConfig]: ["teamId"],
  [TYPES.edgeConfigToken]: ["edgeConfigId", "label", "teamId"],
  [TYPES.liveItem]: LIVE_ITEM_REPLACE_ON,
};

/** Inputs that change nothing on the provider (a Deployment copies `deleteOnDestroy` on update). */
export const INERT_INPUTS: Readonly<Record<string, readonly string[]>> = { [TYPES.deployment]: ["deleteOnDestroy"] };
