/**
 * Provider handler of `DataApiExposure`: adds the declared exposed schemas to the project's PostgREST
 * `db_schema` through the Management API, keeping every schema already listed. It records which
 * schemas it added, and on update or delete removes only those (never one the dashboard added).
 * Not used on the local stack. Bundled into the dynamic provider.
 */
import { managementApiFromEnv, planExposure, planRemoval, readExposedSchemas, writeExposedSchemas } from "../../data-api";
import type { Handler } from "../../../dynamic/provider";

export interface DataApiInputs {
  /** Supabase project ref (`rollout-stack:databases.<db>.projectRef`). */
  projectRef: string;
  /** Schemas to expose, sorted. */
  schemas: string[];
}

export interface DataApiOutputs extends DataApiInputs {
  /** The project's exposed schemas after the last write (or read). */
  dbSchema: string[];
  /** Schemas this resource added (it removes only these). */
  added: string[];
}

async function converge(news: DataApiInputs, previouslyAdded: readonly string[]): Promise<DataApiOutputs> {
  const api = managementApiFromEnv();
  const current = await readExposedSchemas(api, news.projectRef);
  // Schemas we added earlier and no longer declare go; the rest of the list is not ours.
  const withdrawn = previouslyAdded.filter((s) => !news.schemas.includes(s));
  const kept = planRemoval(current, withdrawn);
  const { next, added } = planExposure(kept, news.schemas);
  const stillOurs = previouslyAdded.filter((s) => news.schemas.includes(s) && current.includes(s));
  const dbSchema = JSON.stringify(next) === JSON.stringify(current) ? current : await writeExposedSchemas(api, news.projectRef, next);
  return { ...news, dbSchema, added: [...new Set([...stillOurs, ...added])].sort() };
}

/** Inputs whose change replaces the resource (its `diff` asks for a replacement); the plan report reads it. */
export const REPLACE_ON = ["projectRef"] as const;

export const handler: Handler<DataApiInputs, DataApiOutputs> = {
  async diff(_id, olds, news) {
    const replaces = REPLACE_ON.filter((k) => olds[k] !== news[k]);
    if (replaces.length) return { changes: true, replaces };
    // State written by `pulumi import` or by hand has the inputs only: nothing known to be exposed yet.
    const missing = news.schemas.some((s) => !(olds.dbSchema ?? []).includes(s));
    return { changes: missing || JSON.stringify(olds.schemas) !== JSON.stringify(news.schemas) };
  },
  async create(inputs) {
    return { id: `${inputs.projectRef}/postgrest`, outs: await converge(inputs, []) };
  },
  async update(_id, olds, news) {
    return { outs: await converge(news, olds.added ?? []) };
  },
  /** Refresh: the project's current list (a schema removed in the dashboard shows as a change). */
  async read(id, props) {
    const dbSchema = await readExposedSchemas(managementApiFromEnv(), props.projectRef);
    return { id, props: { ...props, dbSchema } };
  },
  async delete(_id, props) {
    const api = managementApiFromEnv();
    const current = await readExposedSchemas(api, props.projectRef);
    const next = planRemoval(current, props.added ?? []);
    if (next.length !== current.length) await writeExposedSchemas(api, props.projectRef, next);
  },
};
