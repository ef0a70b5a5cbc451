/**
 * One offline render of one stack of one source tree, in its own process (`plan` starts one per tree:
 * the working tree, and the base commit's worktree). Run as
 *   node -r ts-node/register/transpile-only infra/plan/child.ts <request.json>
 * with the tree as the working directory. It loads the TREE's program (`main` in its `Pulumi.yaml`),
 * its stack file and, when present, its config module and catalog; the harness is this file's own.
 *
 * Config is the stack file's, as the engine would pass it, except secrets: a `secure:` value becomes a
 * placeholder derived from a keyed fingerprint of its ciphertext (so a changed secret shows as
 * "changed"), and a secret the program requires that the file lacks (from ESC, say) a fixed
 * placeholder. Nothing is decrypted; no secret value exists in this process.
 *
 * The result (a `PlanSnapshot`, or an error) is written as JSON to the request's `out` file.
 */
import * as fs from "fs";
import * as path from "path";
import type { AppDecl, FeatureDecl } from "../apps/types";
import type { StackPlan } from "../model";
import type { PopulationSource } from "../rollout/exposure";
import { environmentsOf, isSecureValue, parseStackFile, rungsOf } from "../stack-file";
import { ProjectFileError, readProjectFile, stackFileRel } from "./project";
import { FINGERPRINT_ENV, type ChildRequest, type ChildResult } from "./protocol";
import { fakeSecret, renderProgram, type ProgramConfig } from "./render";
import { fingerprint, SNAPSHOT_VERSION, snapshotOutputs, snapshotResource, type PlanSnapshot, type StackFileFacts } from "./snapshot";

class SetupError extends Error {}

/** The config the program gets, and the facts the report reads, from the stack file text. */
function configFromStackFile(bytes: Buffer, rel: string, namespace: string, key: string): { config: ProgramConfig; facts: StackFileFacts } {
  // Throws a StackFileError (reported as a config error) for a file that is not readable YAML.
  const stackFile = parseStackFile(bytes, rel);
  const config: ProgramConfig = {};
  const secrets: Record<string, string> = {};
  for (const [k, value] of Object.entries(stackFile.config)) {
    if (isSecureValue(value)) {
      const fp = fingerprint(key, String(value.secure));
      secrets[k] = fp;
      config[k] = { value: `${fakeSecret(k)}-${fp.slice(0, 12)}`, secret: true };
    } else {
      config[k] = { value };
    }
  }
  const raw = stackFile.config;
  const apps = raw[`${namespace}:apps`];
  return {
    config,
    facts: {
      path: rel,
      apps: Array.isArray(apps) ? apps.map(String) : [],
      phases: rungsOf(raw[`${namespace}:phases`]),
      previewPhases: rungsOf(raw[`${namespace}:previewPhases`]),
      secrets,
      environments: environmentsOf(stackFile.environment),
    },
  };
}

/** Requires a module of the tree if it exists (older trees may lack it). */
function optionalTreeModule<T>(root: string, rel: string): T | undefined {
  let resolved: string;
  try {
    resolved = require.resolve(path.join(root, rel));
  } catch {
    return undefined;
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(resolved) as T;
}

/** Secret keys the tree's config parser says the program needs but the file does not hold. */
function missingSecrets(root: string, stack: string, file: string, namespace: string): string[] {
  const mod = optionalTreeModule<{ loadStackConfigFile?: (stack: string, o: { file: string }) => { secrets: Record<string, { known: boolean }> } }>(root, "infra/config");
  if (typeof mod?.loadStackConfigFile !== "function") return [];
  const parsed = mod.loadStackConfigFile(stack, { file });
  return Object.entries(parsed.secrets ?? {})
    .filter(([, v]) => !v.known)
    .map(([k]) => `${namespace}:${k}`);
}

/**
 * The tree's stack model (`planStack`) with each secret versioned by the fingerprint of its
 * ciphertext, or null when the tree's code predates the model (the report then falls back to the
 * render diff). Called after the render succeeded: the program plans the same model.
 */
function modelOf(root: string, stack: string, file: string, secrets: Record<string, string>, namespace: string): StackPlan | null {
  const config = optionalTreeModule<{ loadStackConfigFile?: (stack: string, o: { file: string }) => unknown }>(root, "infra/config");
  const model = optionalTreeModule<{ planStack?: (config: unknown, o: { root: string; secretVersions: Record<string, string> }) => StackPlan }>(root, "infra/model");
  if (typeof config?.loadStackConfigFile !== "function" || typeof model?.planStack !== "function") return null;
  const prefix = `${namespace}:`;
  const secretVersions = Object.fromEntries(Object.entries(secrets).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
  return JSON.parse(JSON.stringify(model.planStack(config.loadStackConfigFile(stack, { file }), { root, secretVersions }))) as StackPlan;
}

/** The tree's catalog, when its code has one (`infra/apps`'s `CATALOG`). */
function catalogOf(root: string): readonly Partial<AppDecl>[] | undefined {
  const mod = optionalTreeModule<{ CATALOG?: readonly Partial<AppDecl>[] }>(root, "infra/apps");
  return Array.isArray(mod?.CATALOG) ? mod.CATALOG : undefined;
}

function featuresOf(catalog: readonly Partial<AppDecl>[] | undefined, apps: readonly string[]): Record<string, FeatureDecl> | null {
  if (!catalog) return null;
  const out: Record<string, FeatureDecl> = {};
  for (const app of catalog) {
    if (!app.name || !apps.includes(app.name)) continue;
    for (const f of app.features ?? []) out[`${app.name}/${f.name}`] = JSON.parse(JSON.stringify(f)) as FeatureDecl;
  }
  return out;
}

/** The stack's apps' population declarations (none in a tree whose code predates them); null without a catalog. */
function populationsOf(catalog: readonly Partial<AppDecl>[] | undefined, apps: readonly string[]): Record<string, PopulationSource> | null {
  if (!catalog) return null;
  const out: Record<string, PopulationSource> = {};
  for (const app of catalog) {
    const p = app.population;
    if (!app.name || !apps.includes(app.name) || !p || !app.database?.name) continue;
    out[app.name] = { database: app.database.name, population: { query: String(p.query), description: String(p.description) } };
  }
  return out;
}

/** By name: the tree's own config module (another copy of the class) throws these too. */
function isConfigError(e: unknown): e is Error {
  return e instanceof Error && (e.name === "ConfigError" || e.name === "StackFileError");
}

function emptySnapshot(stack: string, project: string): PlanSnapshot {
  return { version: SNAPSHOT_VERSION, stack, project, stackFile: null, features: null, populations: null, resources: [], outputs: {}, logs: [], placeholders: [], model: null };
}

/** Renders the request's stack; never throws (errors become a `ChildResult`). */
export async function renderForPlan(request: ChildRequest, key: string): Promise<ChildResult> {
  const root = path.resolve(request.root);
  try {
    const project = readProjectFile(root);
    if (!project) return { ok: true, snapshot: emptySnapshot(request.stack, "") };
    const rel = stackFileRel(project, request.stack);
    const file = path.join(root, rel);
    const empty = emptySnapshot(request.stack, project.name);
    if (!fs.existsSync(file)) return { ok: true, snapshot: empty };

    // One @pulumi/pulumi for the harness and the program, or the harness would not see registrations.
    const mine = fs.realpathSync(require.resolve("@pulumi/pulumi"));
    let theirs: string;
    try {
      theirs = fs.realpathSync(require.resolve("@pulumi/pulumi", { paths: [root] }));
    } catch {
      throw new SetupError(`@pulumi/pulumi cannot be resolved from ${root} (no node_modules?)`);
    }
    if (mine !== theirs) throw new SetupError(`the tree at ${root} resolves its own @pulumi/pulumi (${theirs}); the plan needs the one in ${mine}`);

    const { config, facts } = configFromStackFile(fs.readFileSync(file), rel, project.name, key);
    let placeholders: string[] = [];
    try {
      placeholders = missingSecrets(root, request.stack, file, project.name).filter((k) => !(k in config));
    } catch (e) {
      if (isConfigError(e)) return { ok: false, error: { kind: "config", message: e.message } };
      throw e;
    }
    for (const k of placeholders) config[k] = { value: fakeSecret(k), secret: true };
    const catalog = catalogOf(root);
    const features = featuresOf(catalog, facts.apps);
    const populations = populationsOf(catalog, facts.apps);

    const main = path.resolve(root, project.main);
    const render = await renderProgram({
      stack: request.stack,
      project: project.name,
      config,
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      program: () => ({ ...(require(main) as Record<string, unknown>) }),
    });
    return {
      ok: true,
      snapshot: {
        ...empty,
        stackFile: facts,
        features,
        populations,
        resources: render.resources.map((r) => snapshotResource(r, key)),
        outputs: snapshotOutputs(render.outputs, render.secretOutputs, key),
        logs: render.logs,
        placeholders: placeholders.sort(),
        model: modelOf(root, request.stack, file, facts.secrets, project.name),
      },
    };
  } catch (e) {
    if (isConfigError(e)) return { ok: false, error: { kind: "config", message: e.message } };
    if (e instanceof SetupError || e instanceof ProjectFileError) return { ok: false, error: { kind: "setup", message: e.message } };
    const err = e as Error;
    return { ok: false, error: { kind: "program", message: err && err.stack ? err.stack : String(e) } };
  }
}

async function main(): Promise<void> {
  const requestFile = process.argv[2];
  if (!requestFile) throw new Error("usage: child.ts <request.json>");
  const request = JSON.parse(fs.readFileSync(requestFile, "utf8")) as ChildRequest;
  const key = process.env[FINGERPRINT_ENV];
  if (!key) throw new Error(`${FINGERPRINT_ENV} is not set`);
  const result = await renderForPlan(request, key);
  fs.writeFileSync(request.out, JSON.stringify(result));
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  });
}
