/**
 * `LiveValues`: the Edge Config side of a stack, from its plan (`live-plan.ts`): the shared store (when
 * this stack creates it), this stack's read token, and its item (`LiveItem`, our resource: updated in
 * place, with the authority rule). The token's connection string is what each app with live features
 * gets as its sensitive `EDGE_CONFIG` env var (`VercelApp`'s `edgeConfigConnection`).
 */
import * as pulumi from "@pulumi/pulumi";
import * as vercel from "@pulumiverse/vercel";
import { bundledProvider } from "../dynamic/provider";
import type { LiveItemInputs } from "./live-item-handler";
import type { LivePlan } from "./live-plan";
import { DYNAMIC_MODULE, TYPES } from "./resource-types";

/** The stack's Edge Config item, written through the items PATCH endpoint (see `live-item-handler.ts`). */
export class LiveItem extends pulumi.dynamic.Resource {
  declare readonly shares: pulumi.Output<Record<string, string>>;
  constructor(name: string, args: { [K in keyof LiveItemInputs]: pulumi.Input<LiveItemInputs[K]> }, opts?: pulumi.CustomResourceOptions) {
    super(bundledProvider("infra/vercel/live-item-handler.ts"), name, args, opts, DYNAMIC_MODULE, TYPES.liveItem.split(":").pop()!);
  }
}

export interface LiveValuesArgs {
  plan: LivePlan;
  /** The Vercel team (slug or ID) that owns the store. */
  team: string;
}

export class LiveValues extends pulumi.ComponentResource {
  readonly plan: LivePlan;
  /** The store this stack created; undefined when it references another stack's. */
  readonly store?: vercel.EdgeConfig;
  readonly storeId: pulumi.Output<string>;
  readonly token: vercel.EdgeConfigToken;
  /** Secret: the token's connection string (`EDGE_CONFIG`). */
  readonly connectionString: pulumi.Output<string>;
  readonly item: LiveItem;

  constructor(name: string, args: LiveValuesArgs, opts?: pulumi.ComponentResourceOptions) {
    super(TYPES.live, name, {}, opts);
    const { plan } = args;
    this.plan = plan;
    if (plan.store.create) {
      // The team's shared store outlives this stack: the other stacks' items live in it too.
      this.store = new vercel.EdgeConfig(`${name}-store`, { name: plan.store.name }, { parent: this, retainOnDelete: true });
      this.storeId = this.store.id;
    } else {
      this.storeId = pulumi.output(plan.store.id);
    }
    this.token = new vercel.EdgeConfigToken(`${name}-token`, { edgeConfigId: this.storeId, label: `rollout-stack ${plan.item}` }, { parent: this });
    this.connectionString = pulumi.secret(this.token.connectionString);
    this.item = new LiveItem(
      `${name}-item`,
      { storeId: this.storeId, item: plan.item, team: args.team, shares: { ...plan.shares }, firstShares: { ...plan.firstShares } },
      { parent: this },
    );
    this.registerOutputs({ storeId: this.storeId, item: plan.item });
  }
}
