/**
 * `plan`: renders a stack offline and reports what it does, alone or against a base commit.
 *
 * - head: the working tree at `root` (its code and stack file, uncommitted edits included);
 * - base (`--base REF`): the commit's whole tree, checked out as a temporary git worktree, rendered by
 *   its own code. A base without the stack file, or whose render fails, counts as empty (said so in
 *   the report); a head that fails is an error.
 * Both render in child processes at the same time (`run.ts`). The report (`report.ts`) is printed as
 * markdown (`markdown.ts`) or JSON; every printed string goes through the redactor (`redact.ts`).
 */
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { CATALOG } from "../apps";
import type { FeatureDecl } from "../apps/types";
import { ConfigError } from "../config";
import { UsageError } from "../errors";
import { fileAt, isGitRepo } from "../rollout/history";
import { reachOfMoves, type ReachSources } from "../rollout/reach";
import { environmentsOf, readStackFile, StackFileError } from "../stack-file";
import { renderMarkdown } from "./markdown";
import { listStacks, readProjectFile, stackFileRel } from "./project";
import { redactor, secretsInEnvironment, secretsInStackFile, secretsInStackFileAt, type Redactor } from "./redact";
import { buildReport, type BaseInfo, type PlanReport } from "./report";
import { RenderError, renderTree } from "./run";
import type { PlanSnapshot } from "./snapshot";
import { resolveBase, withBaseTree } from "./worktree";

export { BaseRefError } from "./worktree";
export { RenderError } from "./run";
export type { PlanReport } from "./report";


export interface PlanOptions {
  /** The working tree's project root (holds `Pulumi.yaml`). */
  root: string;
  stack: string;
  /** A git ref whose tree is the base (the PR's base commit, the deployed commit). */
  base?: string;
  /** Per-render time limit. @default 300000 */
  timeoutMs?: number;
  /** Environment whose secret-looking variables are redacted from the output. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** The redactor to use. @default planRedactor(options) */
  redact?: Redactor;
  /**
   * A read-only URL of the apps' database for exposure counts (`--database-url`); else each database's
   * `ROLLOUT_GATES_DATABASE_URL_<DATABASE>` in `env`; else the offline form.
   */
  databaseUrl?: string;
}

export interface PlanOutcome {
  report: PlanReport;
  /** Redacts known secret values (apply to anything printed). */
  redact: Redactor;
}

function fallbackFeatures(): Record<string, FeatureDecl> {
  const out: Record<string, FeatureDecl> = {};
  for (const app of CATALOG) for (const f of app.features) out[`${app.name}/${f.name}`] = f;
  return out;
}

function headInfo(root: string): PlanReport["head"] {
  if (!isGitRepo(root)) return { commit: null, dirty: false };
  const commit = spawnSync("git", ["rev-parse", "--verify", "--quiet", "HEAD"], { cwd: root, encoding: "utf8" });
  const status = spawnSync("git", ["status", "--porcelain", "--", "."], { cwd: root, encoding: "utf8" });
  return { commit: commit.status === 0 ? commit.stdout.trim() : null, dirty: status.status === 0 && status.stdout.trim() !== "" };
}

/** Error text a reviewer can act on: the tree's temporary path removed, long traces cut. */
function tidy(message: string, treeRoot: string, label: string): string {
  const lines = message.split(treeRoot + path.sep).join("").split(treeRoot).join(label).split("\n");
  return lines.length > 25 ? [...lines.slice(0, 25), `… (${lines.length - 25} more lines)`].join("\n") : lines.join("\n");
}

/**
 * The redactor for a plan: secret-looking values of the head's and the base's stack files and of the
 * environment. Never throws (an unreadable file or ref contributes nothing), so the CLI can build it
 * before anything else and redact every error too.
 */
export function planRedactor(options: PlanOptions): Redactor {
  const secrets = secretsInEnvironment(options.env ?? process.env);
  try {
    const root = path.resolve(options.root);
    const project = readProjectFile(root);
    if (project) {
      const rel = stackFileRel(project, options.stack);
      const file = path.join(root, rel);
      secrets.push(...secretsInStackFileAt(file));
      if (options.base !== undefined && isGitRepo(root)) {
        const text = fileAt(root, options.base, rel);
        if (text !== undefined) secrets.push(...secretsInStackFile(text));
      }
    }
  } catch {
    // Only the redactor's coverage is affected; the plan itself reports these problems.
  }
  return redactor(secrets);
}

/** The ESC environments the head stack file imports; none when it cannot be read or parsed (the render says why). */
function headEnvironments(file: string, label: string): string[] {
  try {
    return environmentsOf(readStackFile(file, label)?.environment);
  } catch (e) {
    if (e instanceof StackFileError) return [];
    throw e;
  }
}

/** Renders the stack (and the base) and builds the report. Throws `UsageError`, `BaseRefError`, `ConfigError`, `RenderError`. */
export async function runPlan(options: PlanOptions): Promise<PlanOutcome> {
  const root = path.resolve(options.root);
  if (!/^[A-Za-z0-9._-]+$/.test(options.stack)) throw new UsageError(`--stack ${JSON.stringify(options.stack)} is not a stack name`);
  const project = readProjectFile(root);
  if (!project) throw new UsageError(`${root} has no Pulumi.yaml; run plan from the project root (or pass --cwd)`);
  const rel = stackFileRel(project, options.stack);
  const headFile = path.join(root, rel);
  if (!fs.existsSync(headFile)) {
    throw new ConfigError(options.stack, [{ key: rel, message: `no stack file; check --stack (stacks: ${listStacks(root, project).join(", ") || "none"})` }]);
  }

  const redact = options.redact ?? planRedactor(options);
  if (options.base !== undefined) resolveBase(root, options.base);

  const key = crypto.randomBytes(32).toString("hex");
  const render = (tree: string) => renderTree({ root: tree, stack: options.stack, fingerprintKey: key, timeoutMs: options.timeoutMs });
  const headRender = render(root).catch((e: unknown) => {
    // A config error is the ConfigError text as is; anything else says which tree failed.
    if (e instanceof RenderError && e.kind !== "config") throw new RenderError(e.kind, `the stack does not render: ${tidy(e.message, root, ".")}`);
    const envs = headEnvironments(headFile, rel);
    if (e instanceof RenderError && envs.length) {
      throw new RenderError(
        "config",
        `${e.message}\n(the stack imports ESC environment(s) ${envs.join(", ")}, which the offline plan cannot read: it fills in secrets only; keep non-secret keys in the stack file)`,
      );
    }
    throw e;
  });
  const baseRender: Promise<{ snapshot: PlanSnapshot | null; info: BaseInfo } | null> =
    options.base === undefined
      ? Promise.resolve(null)
      : withBaseTree(root, options.base, async (tree) => {
          const info: BaseInfo = { ref: options.base!, commit: tree.commit, stackFile: false };
          // A base stack file that is not readable YAML fails the plan: shown as "everything added" it
          // would pass review unnoticed. (Read by this module, whose errors quote no line of the file.)
          try {
            readStackFile(path.join(tree.root, rel), `${rel}@${options.base}`);
          } catch (e) {
            if (!(e instanceof StackFileError)) throw e;
            throw new RenderError("config", `the base ${options.base} has a stack file that cannot be read, so there is nothing to compare with; fix it there or pick another --base:\n${e.message}`);
          }
          try {
            const snapshot = await render(tree.root);
            info.stackFile = snapshot.stackFile !== null;
            return { snapshot: snapshot.stackFile ? snapshot : null, info };
          } catch (e) {
            if (!(e instanceof RenderError)) throw e;
            info.stackFile = true;
            info.error = tidy(e.message, tree.root, "<base>");
            return { snapshot: null, info };
          }
        });
  // Both renders run at once; wait for both so that the worktree is always removed before returning.
  const [head, base] = await Promise.allSettled([headRender, baseRender]);
  if (head.status === "rejected") throw head.reason;
  if (base.status === "rejected") throw base.reason;

  const fallback = fallbackFeatures();
  const report = buildReport({
    stack: options.stack,
    base: base.value?.snapshot ?? null,
    head: head.value,
    baseInfo: base.value?.info ?? null,
    headInfo: headInfo(root),
    fallbackFeatures: fallback,
  });
  const reach = await reachOfMoves(report.phases, reachSources(options.stack, head.value, base.value, fallback), {
    databaseUrl: options.databaseUrl,
    env: options.env ?? process.env,
  });
  for (const r of reach) report.phases.find((p) => p.key === r.key && p.target === r.target)!.exposure = r.exposure;
  return { report, redact };
}

/**
 * Where the moves' populations come from: with a base, the base commit's declarations only (the
 * query a reviewer already approved; a change's own query would run unreviewed SQL with the URL);
 * without one, the working tree's. Rungs are read with the same tree's ladders, else the other's.
 */
function reachSources(
  stack: string,
  head: PlanSnapshot,
  base: { snapshot: PlanSnapshot | null; info: BaseInfo } | null,
  fallback: Record<string, FeatureDecl>,
): ReachSources {
  if (!base) {
    return { feature: (key) => head.features?.[key] ?? fallback[key], population: (app) => head.populations?.[app] };
  }
  const snap = base.snapshot;
  return {
    feature: (key) => snap?.features?.[key] ?? head.features?.[key] ?? fallback[key],
    population: (app) => {
      const declared = snap?.populations?.[app];
      if (declared) return declared;
      // The head declares one the base does not have: say why there is no count rather than run it.
      if (!head.populations?.[app]) return undefined;
      if (base.info.error) return `the base ${base.info.ref} could not be rendered, so its population query for ${app} is unknown`;
      if (!snap) return `the base ${base.info.ref} has no stack file for ${stack}; counts use the base's population queries only`;
      return `the population of ${app} is new in this change; counts use the base ${base.info.ref}'s population query, and it declares none`;
    },
  };
}

/** The report in the requested format, redacted. */
export function formatReport(outcome: PlanOutcome, format: "md" | "json"): string {
  const text = format === "json" ? `${JSON.stringify(outcome.report, null, 2)}\n` : renderMarkdown(outcome.report);
  return outcome.redact(text);
}
