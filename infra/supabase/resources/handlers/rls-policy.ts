/**
 * Provider handler of `RlsPolicy`: one policy. Create and update are drop + create in one
 * transaction (`convergePolicy`); delete drops it. The outputs keep the policy as Postgres stored it
 * (deparsed), so a refresh detects a policy edited by hand by comparing stored forms, never source
 * text. Bundled into the dynamic provider.
 */
import { withDatabase } from "../../connection";
import { convergePolicy, dropPolicy, readPolicy } from "../../converge";
import { samePolicy, type PolicySpec, type StoredPolicy } from "../../sql/policies";
import type { Handler } from "../../../dynamic/provider";

export interface RlsPolicyInputs extends PolicySpec {
  database: string;
  /** The `create policy` statement (what a reviewer reads in the preview). */
  statement: string;
}

export interface RlsPolicyOutputs extends RlsPolicyInputs {
  /** The policy as `pg_policies` showed it after the last create/update. */
  stored: StoredPolicy;
  /** Set by a refresh when the stored policy no longer matches `stored` (edited outside Pulumi). */
  drifted?: boolean;
}

const definition = (p: RlsPolicyInputs) => JSON.stringify([p.command, p.roles, p.using, p.withCheck]);

function specOf(p: RlsPolicyInputs): PolicySpec {
  return { name: p.name, schema: p.schema, table: p.table, command: p.command, roles: p.roles, using: p.using, withCheck: p.withCheck };
}

/** Inputs whose change replaces the resource (its `diff` asks for a replacement); the plan report reads it. */
export const REPLACE_ON = ["database", "schema", "table", "name"] as const;

export const handler: Handler<RlsPolicyInputs, RlsPolicyOutputs> = {
  async diff(_id, olds, news) {
    const replaces = REPLACE_ON.filter((k) => olds[k] !== news[k]);
    if (replaces.length) return { changes: true, replaces };
    return { changes: definition(olds) !== definition(news) || olds.drifted === true };
  },
  async create(inputs, ctx) {
    const result = await withDatabase(inputs.database, ctx, (client) => convergePolicy(client, specOf(inputs)));
    return { id: `${inputs.database}/policy/${inputs.schema}.${inputs.table}/${inputs.name}`, outs: { ...inputs, stored: result.stored } };
  },
  async update(_id, _olds, news, ctx) {
    const result = await withDatabase(news.database, ctx, (client) => convergePolicy(client, specOf(news)));
    return { outs: { ...news, stored: result.stored } };
  },
  async read(id, props, ctx) {
    const stored = await withDatabase(props.database, ctx, (client) => readPolicy(client, props));
    if (!stored) return { id: "" };
    const { drifted: _drifted, ...rest } = props;
    return { id, props: samePolicy(stored, props.stored) ? rest : { ...rest, drifted: true } };
  },
  async delete(_id, props, ctx) {
    await withDatabase(props.database, ctx, (client) => dropPolicy(client, props));
  },
};
