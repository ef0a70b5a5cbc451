/**
 * Provider handler of `Migrations`: the migration engine (`../../migrations`) behind a resource.
 * - inputs: every file as `{version, name, sha256}` (+ database and directory): a rerun with the same
 *   files is a no-op, and the preview shows the files added;
 * - create/update read the ledger again and apply what is pending (the engine's plan), after
 *   checking each file still has the hash the preview saw;
 * - a failure part-way throws Pulumi's partial-failure error (`id`, `properties`, `reasons`): the
 *   state then records exactly the files the ledger holds, and the next `up` resumes;
 * - delete does nothing to the database (the ledger and the tables stay).
 * Bundled into the dynamic provider: imports only `infra/supabase/` modules.
 */
import { projectRoot, withDatabase, type RuntimeContext } from "../../connection";
import { pushMigrations, readLedger, type MigrationFile } from "../../migrations";
import type { MigrationFileRef } from "../../declaration";
import type { Handler } from "../../../dynamic/provider";

export type { MigrationFileRef };

export interface MigrationsInputs {
  /** Database name (`DatabaseDecl.name`): picks the URL, never contains it. */
  database: string;
  /** Project-relative directory, e.g. `migrations/health-companion`. */
  dir: string;
  files: MigrationFileRef[];
  /**
   * Apply new files older than the newest applied version too (`rollout-stack:databases.<db>.includeAll`,
   * as `supabase db push --include-all`); absent when not set.
   */
  includeAll?: boolean;
}

export interface MigrationsOutputs extends MigrationsInputs {
  /** Versions applied by the last create/update (empty when everything was already applied). */
  appliedByLastRun: string[];
}

function sameFiles(a: readonly MigrationFileRef[], b: readonly MigrationFileRef[]): boolean {
  const key = (files: readonly MigrationFileRef[]) => JSON.stringify(files.map((f) => [f.version, f.name, f.sha256]));
  return key(a) === key(b);
}

/**
 * Loads exactly the files the inputs name (a file added on disk since is not among them), each
 * checked against the sha256 its input carries: the program hashed the files when it computed the
 * inputs (what the preview showed), and a file edited in between is refused, every such file named
 * with both hashes, before anything is sent. The SQL applied is the bytes that matched.
 */
export function loadInputFiles(inputs: MigrationsInputs, ctx: RuntimeContext): MigrationFile[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const fs = require("fs") as typeof import("fs");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const path = require("path") as typeof import("path");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createHash } = require("crypto") as typeof import("crypto");
  const root = projectRoot(ctx);
  const changed: string[] = [];
  const files = inputs.files.map((f) => {
    const rel = `${inputs.dir}/${f.version}_${f.name}.sql`;
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(path.join(root, rel));
    } catch {
      throw new Error(`${rel} is listed in the Migrations resource but cannot be read from ${root}; run pulumi in the project (the folder of Pulumi.yaml or below it), or set ROLLOUT_STACK_ROOT`);
    }
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    if (sha256 !== f.sha256) changed.push(`${rel} changed on disk after this update computed its inputs: expected sha256 ${f.sha256}, found ${sha256}`);
    return { version: f.version, name: f.name, path: rel, sql: bytes.toString("utf8"), sha256 };
  });
  if (changed.length) {
    throw new Error(
      `migrations of "${inputs.database}" refused, nothing was applied:\n${changed.map((c) => `- ${c}`).join("\n")}\n` +
        `  fix: leave migration files alone while \`pulumi up\` runs, then run it again (its preview shows the files as they are now)`,
    );
  }
  return files;
}

async function apply(id: string, inputs: MigrationsInputs, ctx: RuntimeContext): Promise<MigrationsOutputs> {
  const files = loadInputFiles(inputs, ctx);
  return withDatabase(inputs.database, ctx, async (client) => {
    try {
      const result = await pushMigrations(client, files, { includeAll: !!inputs.includeAll });
      return { ...inputs, appliedByLastRun: result.applied.map((a) => a.version) };
    } catch (e) {
      const err = e as Error & { applied?: { version: string }[] };
      if (err.name !== "MigrationError") throw e;
      // What the database holds now decides what the state records.
      const recorded = new Set((await readLedger(client)).rows.map((r) => r.version));
      const properties: MigrationsOutputs = {
        ...inputs,
        files: inputs.files.filter((f) => recorded.has(f.version)),
        appliedByLastRun: (err.applied ?? []).map((a) => a.version),
      };
      // Pulumi's partial failure (ResourceInitFailed): the resource exists with these properties.
      throw Object.assign(new Error(err.message), { id, properties, reasons: [err.message] });
    }
  });
}

/** Inputs whose change replaces the resource (its `diff` asks for a replacement); the plan report reads it. */
export const REPLACE_ON = ["database"] as const;

export const handler: Handler<MigrationsInputs, MigrationsOutputs> = {
  async check(_olds, news) {
    const failures: { property: string; reason: string }[] = [];
    const versions = news.files.map((f) => f.version);
    if (new Set(versions).size !== versions.length) failures.push({ property: "files", reason: "two files share a version" });
    if (!/^[A-Za-z0-9._/-]+$/.test(news.dir) || news.dir.startsWith("/") || news.dir.split("/").includes("..")) {
      failures.push({ property: "dir", reason: `"${news.dir}" must be a project-relative directory, e.g. migrations/${news.database}` });
    }
    return { inputs: news, failures };
  },

  async diff(_id, olds, news) {
    const replaces = REPLACE_ON.filter((k) => olds[k] !== news[k]);
    if (replaces.length) return { changes: true, replaces };
    return { changes: olds.dir !== news.dir || !!olds.includeAll !== !!news.includeAll || !sameFiles(olds.files, news.files) };
  },

  async create(inputs, ctx) {
    const id = `migrations/${inputs.database}`;
    return { id, outs: await apply(id, inputs, ctx) };
  },

  async update(id, _olds, news, ctx) {
    return { outs: await apply(id, news, ctx) };
  },

  /** Refresh: the state keeps only the files the ledger still records. */
  async read(id, props, ctx) {
    const recorded = await withDatabase(props.database, ctx, async (client) => new Set((await readLedger(client)).rows.map((r) => r.version)));
    return { id, props: { ...props, files: props.files.filter((f) => recorded.has(f.version)) } };
  },

  async delete() {
    // Nothing: dropping the resource (an app leaves the stack) must never undo migrations.
  },
};
