/**
 * The engine tier's world: a copy of the project (Pulumi.yaml, stacks/, migrations/, infra/, the
 * policy pack's sources) in a temporary directory, with `node_modules` linked; a file backend, a
 * PULUMI_HOME and a passphrase secrets provider there too, so a user's `~/.pulumi` is never touched;
 * and an embedded Postgres started as `npm run local` starts it (its databases created and
 * bootstrapped, nothing migrated: `pulumi up` does the rest), whose URLs are in the copy's
 * `.local/database-urls.json`, where the providers look on the local stack.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, inject } from "vitest";
import type { Engine } from "../../infra/engine/engine";
import { engineEnv } from "../../infra/engine/engine";
import { loadStackConfigFile } from "../../infra/config";
import { databasesOf } from "../../infra/supabase/declaration";
import { ensureLocalDatabase, freePort, startLocalPostgres, stopLocalPostgres, type LocalPostgres } from "../../infra/supabase/local-postgres";

const ROOT = path.resolve(__dirname, "../..");

declare module "vitest" {
  export interface ProvidedContext {
    engine: Engine;
  }
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout and stderr in arrival order. */
  output: string;
}

export interface EngineProject {
  /** The project copy; the CLI runs here. */
  dir: string;
  /** The backend, PULUMI_HOME and logs live under here. */
  home: string;
  server: LocalPostgres;
  /** Database name → URL as `postgres` (what `.local/database-urls.json` holds). */
  urls: Record<string, string>;
  databases: string[];
  env: NodeJS.ProcessEnv;
  /** Starts `pulumi <args>` in the project; resolves when it exits. */
  pulumi(args: readonly string[], extraEnv?: NodeJS.ProcessEnv): Promise<Run>;
  /** Like `pulumi`, but rejects with the output unless it exits 0. */
  ok(args: readonly string[], extraEnv?: NodeJS.ProcessEnv): Promise<Run>;
  /** Replaces `from` (which must occur) in a project file. */
  edit(file: string, from: string, to: string): void;
  write(file: string, text: string): void;
  read(file: string): string;
  writeUrls(urls: Record<string, string>): void;
  stop(): Promise<void>;
}

/** Copied, so tests can edit them; everything else the program needs is linked. */
const COPIED = ["Pulumi.yaml", "package.json", "package-lock.json", "tsconfig.json", "stacks", "migrations", "infra"];
const LINKED = ["node_modules"];
const POLICY_COPIED = ["PulumiPolicy.yaml", "package.json", "tsconfig.json", "index.ts", "pack.ts", "rules"];

/**
 * The environment of every engine-tier `pulumi`: its own file backend and `PULUMI_HOME` under `home`, a
 * passphrase secrets provider, no update check or plugin download, and the variables `scrub` names unset.
 */
function isolatedEnv(engine: ReturnType<typeof inject<"engine">>, home: string, scrub: (key: string) => boolean): NodeJS.ProcessEnv {
  const backend = path.join(home, "backend");
  fs.mkdirSync(backend);
  return {
    ...engineEnv(engine),
    PULUMI_BACKEND_URL: `file://${backend}`,
    PULUMI_HOME: path.join(home, "pulumi-home"),
    PULUMI_CONFIG_PASSPHRASE: "engine-tier-passphrase",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
    ...Object.fromEntries(Object.keys(process.env).filter(scrub).map((k) => [k, undefined])),
  };
}

/** Like the runner, but rejects with the output unless pulumi exits 0. */
function okRunner(pulumi: ReturnType<typeof pulumiRunner>) {
  return async (args: readonly string[], extraEnv?: NodeJS.ProcessEnv): Promise<Run> => {
    const r = await pulumi(args, extraEnv);
    if (r.code !== 0) throw new Error(`pulumi ${args.join(" ")} exited ${r.code}:\n${r.output}`);
    return r;
  };
}

/** Runs `pulumi <args> --non-interactive` in `cwd`; resolves with its exit code and output when it exits. */
function pulumiRunner(engine: ReturnType<typeof inject<"engine">>, cwd: string, env: NodeJS.ProcessEnv) {
  return (args: readonly string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<Run> =>
    new Promise((resolve, reject) => {
      const child = spawn(engine.pulumi, [...args, "--non-interactive"], { cwd, env: { ...env, ...extraEnv }, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      let output = "";
      child.stdout.on("data", (d: Buffer) => ((stdout += d), (output += d)));
      child.stderr.on("data", (d: Buffer) => ((stderr += d), (output += d)));
      child.on("error", reject);
      child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr, output }));
    });
}

export async function createEngineProject(name: string): Promise<EngineProject> {
  const engine = inject("engine");
  const home = fs.mkdtempSync(path.join(os.tmpdir(), `rollout-engine-${name}-`));
  // Postgres runs as the OS user `postgres` when we are root: the parent must be traversable by it.
  fs.chmodSync(home, 0o777);
  const dir = path.join(home, "project");
  fs.mkdirSync(dir);
  for (const f of COPIED) fs.cpSync(path.join(ROOT, f), path.join(dir, f), { recursive: true });
  for (const f of LINKED) fs.symlinkSync(path.join(ROOT, f), path.join(dir, f));
  if (!fs.existsSync(path.join(ROOT, "policies", "node_modules"))) throw new Error("policies/node_modules is missing: run `npm ci` in policies/ (as .ci/run does)");
  fs.mkdirSync(path.join(dir, "policies"));
  for (const f of POLICY_COPIED) fs.cpSync(path.join(ROOT, "policies", f), path.join(dir, "policies", f), { recursive: true });
  fs.symlinkSync(path.join(ROOT, "policies", "node_modules"), path.join(dir, "policies", "node_modules"));

  // The local stack's databases, created and bootstrapped as `npm run local`'s first step does.
  const databases = databasesOf(loadStackConfigFile("local", { file: path.join(dir, "stacks", "Pulumi.local.yaml") }).apps).map((d) => d.name);
  const clusterDir = path.join(dir, ".local", "postgres");
  const server = await startLocalPostgres({ dir: clusterDir, port: await freePort(), persistent: true, fast: true });
  for (const db of databases) await ensureLocalDatabase(server.adminUrl(), db);
  const urls = Object.fromEntries(databases.map((db) => [db, server.url(db)]));

  // A user's CI variables would take precedence over the stack's databases.
  const env = isolatedEnv(engine, home, (k) => k.startsWith("ROLLOUT_STACK_"));
  const pulumi = pulumiRunner(engine, dir, env);

  const project: EngineProject = {
    dir,
    home,
    server,
    urls,
    databases,
    env,
    pulumi,
    ok: okRunner(pulumi),
    edit(file, from, to) {
      const text = project.read(file);
      if (!text.includes(from)) throw new Error(`${file} does not contain ${JSON.stringify(from)}`);
      project.write(file, text.replace(from, to));
    },
    write: (file, text) => {
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      fs.writeFileSync(path.join(dir, file), text);
    },
    read: (file) => fs.readFileSync(path.join(dir, file), "utf8"),
    writeUrls: (u) => project.write(".local/database-urls.json", JSON.stringify(u, null, 2) + "\n"),
    async stop() {
      await stopLocalPostgres(clusterDir).catch(() => undefined);
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
  project.writeUrls(urls);
  return project;
}

/**
 * A test file's project: created (with `stack init <stack>`) before its tests, removed after them.
 * The getter is valid inside tests and hooks.
 */
export function useEngineProject(name: string, stack = "local"): () => EngineProject {
  let project: EngineProject | undefined;
  beforeAll(async () => {
    project = await createEngineProject(name);
    await project.ok(["stack", "init", stack]);
  });
  afterAll(() => project?.stop());
  return () => {
    if (!project) throw new Error("the engine project is not set up yet (use it inside a test or hook)");
    return project;
  };
}

/** Every file under `dir`, recursively, as text (for "this secret appears nowhere" checks). */
export function readTree(dir: string): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push({ file: p, text: fs.readFileSync(p).toString("latin1") });
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out;
}

/** `pulumi preview --json`'s steps, as `op type name` strings (sorted), leaving out `same`. */
export function changedSteps(previewJson: string): string[] {
  const parsed = JSON.parse(previewJson) as { steps?: { op: string; urn: string }[] };
  return (parsed.steps ?? [])
    .filter((s) => s.op !== "same")
    .map((s) => {
      const parts = s.urn.split("::");
      return `${s.op} ${parts[2].split(":").pop()} ${parts[3]}`;
    })
    .sort();
}

/**
 * A small Pulumi program of the tests' own (its `Pulumi.yaml` and `index.ts` in `program`, a
 * project-relative folder such as `test/engine/live-item`), for resources the real program cannot
 * declare offline (e.g. `LiveItem`, whose siblings need the Vercel provider plugin). It runs as the
 * real project does: the program folder and `infra/` copied at the same relative paths (its imports of
 * `infra/` and the dynamic providers' bundles resolve as in the repository), `node_modules` linked, the
 * project's `package.json` and `tsconfig.json`, the same file backend, PULUMI_HOME and passphrase as
 * `createEngineProject`. No Postgres: such a program needs none.
 */
export interface ProgramProject {
  /** The copy's root (holds `infra/`, `node_modules`). */
  dir: string;
  /** The program folder in the copy; the CLI runs here. */
  programDir: string;
  /** The backend, PULUMI_HOME and logs live under here. */
  home: string;
  env: NodeJS.ProcessEnv;
  /** Starts `pulumi <args>` in the program folder; resolves when it exits. */
  pulumi(args: readonly string[], extraEnv?: NodeJS.ProcessEnv): Promise<Run>;
  /** Like `pulumi`, but rejects with the output unless it exits 0. */
  ok(args: readonly string[], extraEnv?: NodeJS.ProcessEnv): Promise<Run>;
  /** A file of the program folder. */
  write(file: string, text: string): void;
  read(file: string): string;
  stop(): Promise<void>;
}

/** Copied for a test program besides its own folder: what its imports of the project need. */
const PROGRAM_COPIED = ["package.json", "package-lock.json", "tsconfig.json", "infra"];

/** Copies the project's `infra/` and the program folder to a temporary directory and sets up the backend (see `ProgramProject`). */
export async function createProgramProject(name: string, program: string): Promise<ProgramProject> {
  const engine = inject("engine");
  const home = fs.mkdtempSync(path.join(os.tmpdir(), `rollout-engine-${name}-`));
  const dir = path.join(home, "project");
  fs.mkdirSync(dir);
  for (const f of PROGRAM_COPIED) fs.cpSync(path.join(ROOT, f), path.join(dir, f), { recursive: true });
  for (const f of LINKED) fs.symlinkSync(path.join(ROOT, f), path.join(dir, f));
  const programDir = path.join(dir, program);
  fs.cpSync(path.join(ROOT, program), programDir, { recursive: true });

  // A user's own settings would take precedence over the test's.
  const env = isolatedEnv(engine, home, (k) => k.startsWith("ROLLOUT_") || k.startsWith("VERCEL_"));
  const pulumi = pulumiRunner(engine, programDir, env);

  const project: ProgramProject = {
    dir,
    programDir,
    home,
    env,
    pulumi,
    ok: okRunner(pulumi),
    write: (file, text) => fs.writeFileSync(path.join(programDir, file), text),
    read: (file) => fs.readFileSync(path.join(programDir, file), "utf8"),
    async stop() {
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
  return project;
}
