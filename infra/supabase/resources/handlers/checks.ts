/**
 * Provider handler of `Checks`: runs last (it depends on every other database resource) and fails
 * the update, naming each problem, when a table of an exposed schema lacks RLS, a view there is not
 * `security_invoker`, or a declared check is not true (`verifyDatabase`). Its inputs include a
 * digest of the rest of the declaration, so the checks run again whenever anything else changes.
 * Bundled into the dynamic provider.
 */
import { withDatabase } from "../../connection";
import { verifyDatabase } from "../../converge";
import type { CheckDecl } from "../../sql/verify";
import type { Handler } from "../../../dynamic/provider";

export interface ChecksInputs {
  database: string;
  exposedSchemas: string[];
  checks: CheckDecl[];
  /** A digest of the database's other resources' inputs. */
  declaration: string;
}

export interface ChecksOutputs extends ChecksInputs {
  /** Declared checks that passed on the last run. */
  passed: string[];
}

const key = (c: ChecksInputs) => JSON.stringify([c.database, c.exposedSchemas, c.checks, c.declaration]);

async function run(inputs: ChecksInputs, ctx: Parameters<typeof withDatabase>[1]): Promise<ChecksOutputs> {
  const result = await withDatabase(inputs.database, ctx, (client) =>
    verifyDatabase(client, { name: inputs.database, exposedSchemas: inputs.exposedSchemas, checks: inputs.checks }),
  );
  return { ...inputs, passed: result.actions };
}

/** Inputs whose change replaces the resource: none, the checks re-run in place; the plan report reads it. */
export const REPLACE_ON = [] as const;

export const handler: Handler<ChecksInputs, ChecksOutputs> = {
  async diff(_id, olds, news) {
    return { changes: key(olds) !== key(news) };
  },
  async create(inputs, ctx) {
    return { id: `${inputs.database}/checks`, outs: await run(inputs, ctx) };
  },
  async update(_id, _olds, news, ctx) {
    return { outs: await run(news, ctx) };
  },
  async delete() {
    // Nothing to undo.
  },
};
