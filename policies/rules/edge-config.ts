/**
 * Rules on live values: the stack's Edge Config item (our `LiveItem` resource) and the `EDGE_CONFIG`
 * env var that carries the store's connection string to the apps.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { type RuleOptions, TYPES, onTypes } from "./support";

/**
 * Vercel's store size per plan ("8 KB / 64 KB / 512 KB", vercel.com/docs/pricing/edge-config), read as
 * thousands of bytes. Restated here because the pack checks what is rendered independently of the
 * planner that made it.
 */
const STORE_LIMITS: Readonly<Record<string, number>> = { hobby: 8_000, pro: 64_000, enterprise: 512_000 };
/** Vercel's item key rule. */
const ITEM_KEY = /^[A-Za-z0-9_-]{1,256}$/;

interface EdgeConfigRuleConfig {
  /** The team's Vercel plan. @default "pro" */
  vercelPlan?: string;
}

/**
 * `edge-config-item`: the live item has a key Vercel accepts and fits the team's store (its key plus its
 * value as JSON, UTF-8). Other stacks' items share the store, so this is a floor, not a guarantee; the
 * planner also reserves room for kill records.
 */
export function edgeConfigItem(options: RuleOptions = {}): ResourceValidationPolicy {
  return {
    name: "edge-config-item",
    description: "The live Edge Config item has a valid key and fits the Vercel plan's store size.",
    enforcementLevel: options.enforcementLevel ?? "mandatory",
    severity: "medium",
    configSchema: { properties: { vercelPlan: { type: "string", enum: Object.keys(STORE_LIMITS), description: "The team's Vercel plan (store size limit)." } } },
    remediationSteps: "Name the item with letters, digits, _ and - (rollout-stack:edgeConfig.item), make fewer features live, or move to a larger plan.",
    validateResource: onTypes([TYPES.liveItem], (args, report) => {
      const item: unknown = args.props.item;
      if (typeof item === "string" && !ITEM_KEY.test(item)) report(`Edge Config item ${JSON.stringify(item)}: Vercel item keys match ^[A-Za-z0-9_-]{1,256}$.`);
      const shares: unknown = args.props.shares;
      if (typeof item !== "string" || shares === null || typeof shares !== "object") return;
      const plan = args.getConfig<EdgeConfigRuleConfig>().vercelPlan ?? "pro";
      const limit = STORE_LIMITS[plan] ?? STORE_LIMITS.pro;
      const bytes = Buffer.byteLength(item, "utf8") + Buffer.byteLength(JSON.stringify(shares), "utf8");
      if (bytes > limit) report(`Edge Config item ${item} is ${bytes} bytes; a ${plan} store holds ${limit}.`);
    }),
  };
}

/**
 * `edge-config-connection-sensitive`: `EDGE_CONFIG` holds a read token for the whole store; it is a
 * sensitive var and never targets development (where Vercel refuses sensitive vars).
 */
export function edgeConfigConnectionSensitive(options: RuleOptions = {}): ResourceValidationPolicy {
  return {
    name: "edge-config-connection-sensitive",
    description: "EDGE_CONFIG (the store's connection string, with its token) must be a sensitive var.",
    enforcementLevel: options.enforcementLevel ?? "mandatory",
    severity: "high",
    remediationSteps: "Let the stack declare EDGE_CONFIG (live features with rollout-stack:edgeConfig): it is sensitive and production-only.",
    validateResource: onTypes([TYPES.envVar], (args, report) => {
      if (args.props.key !== "EDGE_CONFIG") return;
      if (args.props.sensitive !== true) report(`Env var ${args.name}: EDGE_CONFIG carries a token that reads the whole store; set sensitive: true.`);
    }),
  };
}
