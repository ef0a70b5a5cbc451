/**
 * The stack's Edge Config item as a dynamic resource (`pulumi-nodejs:dynamic/vercel:LiveItem`), run in
 * the dynamic-provider process from a bundle (`infra/dynamic/`). Why not the provider's
 * `vercel.EdgeConfigItem`: it replaces on every change, and its delete removes the key after the new
 * value is written (or before, with deleteBeforeReplace), so an advance would switch features off for
 * a moment or for good. This resource upserts the whole value in place (the items PATCH endpoint) and
 * never deletes the key during an update.
 *
 * Every write reads the item first and applies the authority rule (`reconcile` in
 * `infra/rollout/live.ts`): a kill made with `rollout kill --now` stands until the stack file agrees.
 *
 * Credentials: the Vercel token comes from the provider's own config (`vercel:apiToken`) or
 * `VERCEL_API_TOKEN`, as for the Vercel provider; it is never an input, so it never reaches the state.
 */
import type { Handler, RuntimeContext } from "../dynamic/provider";
import { readLiveItem, reconcile, refusalMessage } from "../rollout/live";
import { liveItemValue } from "../sdk/live";
import { apiOptionsFromEnv, edgeConfigApi, type EdgeConfigItemsApi } from "./edge-config-api";
import { LIVE_ITEM_REPLACE_ON } from "./resource-types";

export interface LiveItemInputs {
  /** The store's ID (`ecfg_…`): the created store's output, or the ID another stack's config names. */
  storeId: string;
  /** The item key, e.g. `rollout_prod`. */
  item: string;
  /** The Vercel team (slug or `team_…` ID) that owns the store. */
  team: string;
  /** `<app>/<feature>` → share, as the stack file says (production). */
  shares: Record<string, string>;
  /** `<app>/<feature>` → the first rung's share (a killed feature may always be lowered there). */
  firstShares: Record<string, string>;
  /**
   * Features the store records a kill for, as the last refresh read them (state only, never an input).
   * A recorded kill makes the next `pulumi up` write (or refuse), even when the shares already agree:
   * that write is what clears the record once the stack file agrees.
   */
  killed?: string[];
}


/** The API for a run: the token from the provider config or the environment. */
function apiFor(inputs: Pick<LiveItemInputs, "team">, ctx: RuntimeContext): EdgeConfigItemsApi {
  const env = { ...(ctx.env ?? process.env) };
  const configured = ctx.config?.("vercel:apiToken");
  if (configured) env.VERCEL_API_TOKEN = configured;
  return edgeConfigApi(apiOptionsFromEnv(env, inputs.team));
}

/** Reads the item, applies the authority rule, and writes the stack's shares unless refused or unchanged. */
async function write(inputs: LiveItemInputs, ctx: RuntimeContext): Promise<LiveItemInputs> {
  const api = apiFor(inputs, ctx);
  const current = await api.readItem(inputs.storeId, inputs.item);
  const next = reconcile(current, inputs.shares, inputs.firstShares);
  if (next.refused.length) throw new Error(refusalMessage(inputs.item, next.refused));
  if (!next.unchanged) await api.upsertItem(inputs.storeId, inputs.item, liveItemValue(next.item));
  // The outputs are the inputs as written: no `killed` (the write cleared every record it could).
  const { killed: _written, ...outs } = inputs;
  return outs;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export const handler: Handler<LiveItemInputs, LiveItemInputs> = {
  async diff(_id, olds, news) {
    const replaces = LIVE_ITEM_REPLACE_ON.filter((k) => olds[k] !== news[k]);
    if (replaces.length) return { changes: true, replaces: [...replaces] };
    return { changes: !same(olds.shares, news.shares) || !same(olds.firstShares, news.firstShares) || (olds.killed?.length ?? 0) > 0 };
  },
  async create(inputs, ctx) {
    return { id: `${inputs.storeId}/${inputs.item}`, outs: await write(inputs, ctx) };
  },
  async update(_id, _olds, news, ctx) {
    return { outs: await write(news, ctx) };
  },
  /** Refresh: the shares the store holds now (a dashboard edit or an unmerged kill shows as drift). */
  async read(id, props, ctx) {
    const value = await apiFor(props, ctx).readItem(props.storeId, props.item);
    if (value === undefined) return { id: "" };
    const stored = readLiveItem(value);
    const killed = Object.keys(stored.kills).sort();
    // No `undefined` values: the engine's protobuf Struct refuses them ("Unexpected struct type").
    const { killed: _old, ...rest } = props;
    return { id, props: { ...rest, shares: stored.shares, ...(killed.length ? { killed } : {}) } };
  },
  /**
   * Removes the item (the apps fall back to their build-time env values), unless it records a kill that
   * the stack file never agreed to: removing it would undo the kill.
   */
  async delete(_id, props, ctx) {
    const api = apiFor(props, ctx);
    const current = await api.readItem(props.storeId, props.item);
    if (current === undefined) return;
    const kills = readLiveItem(current).kills;
    const refused = Object.entries(kills).map(([feature, kill]) => ({ feature, kill }));
    if (refused.length) throw new Error(refusalMessage(props.item, refused));
    await api.deleteItem(props.storeId, props.item);
  },
};
