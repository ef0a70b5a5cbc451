/**
 * Provider handler of `ManagedSql`: an idempotent SQL unit we own (the rollout bucketing functions),
 * installed when its version marker is missing (`installManagedSql`). Delete does nothing: policies
 * and views may call the functions. Bundled into the dynamic provider.
 */
import { withDatabase } from "../../connection";
import { installManagedSql, type ManagedSqlSpec } from "../../converge";
import type { Handler } from "../../../dynamic/provider";

export interface ManagedSqlInputs extends ManagedSqlSpec {
  database: string;
}

/** Inputs whose change replaces the resource (its `diff` asks for a replacement); the plan report reads it. */
export const REPLACE_ON = ["database", "name", "schema"] as const;

export const handler: Handler<ManagedSqlInputs, ManagedSqlInputs> = {
  async diff(_id, olds, news) {
    const replaces = REPLACE_ON.filter((k) => olds[k] !== news[k]);
    if (replaces.length) return { changes: true, replaces };
    return { changes: olds.version !== news.version };
  },
  async create(inputs, ctx) {
    const { database, ...spec } = inputs;
    await withDatabase(database, ctx, (client) => installManagedSql(client, spec));
    return { id: `${database}/sql/${spec.name}`, outs: inputs };
  },
  async update(_id, _olds, news, ctx) {
    const { database, ...spec } = news;
    await withDatabase(database, ctx, (client) => installManagedSql(client, spec));
    return { outs: news };
  },
  async delete() {
    // Retained: RLS policies and views may depend on these functions.
  },
};
