/**
 * Provider handler of `Schema`: creates the schema if missing, grants USAGE to the declared roles and
 * makes the declared per-table grants exact (`convergeSchema`). Delete does nothing (the component
 * also sets `retainOnDelete`): a schema holds tables. Bundled into the dynamic provider.
 */
import { withDatabase } from "../../connection";
import { convergeSchema } from "../../converge";
import type { SchemaSpec } from "../../sql/grants";
import type { Handler } from "../../../dynamic/provider";

export interface SchemaInputs extends SchemaSpec {
  database: string;
}

export interface SchemaOutputs extends SchemaInputs {
  /** Statements the last create/update ran (empty when the database already matched). */
  lastActions: string[];
}

const key = (s: SchemaInputs) => JSON.stringify([s.exposed, s.usage ?? null, s.grants]);

/** Inputs whose change replaces the resource (its `diff` asks for a replacement); the plan report reads it. */
export const REPLACE_ON = ["database", "name"] as const;

export const handler: Handler<SchemaInputs, SchemaOutputs> = {
  async diff(_id, olds, news) {
    const replaces = REPLACE_ON.filter((k) => olds[k] !== news[k]);
    if (replaces.length) return { changes: true, replaces };
    return { changes: key(olds) !== key(news) };
  },
  async create(inputs, ctx) {
    const { database, ...spec } = inputs;
    const result = await withDatabase(database, ctx, (client) => convergeSchema(client, spec));
    return { id: `${database}/schema/${spec.name}`, outs: { ...inputs, lastActions: result.actions } };
  },
  async update(_id, _olds, news, ctx) {
    const { database, ...spec } = news;
    const result = await withDatabase(database, ctx, (client) => convergeSchema(client, spec));
    return { outs: { ...news, lastActions: result.actions } };
  },
  async delete() {
    // Retained: dropping a schema drops its tables.
  },
};
