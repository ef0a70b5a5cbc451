/**
 * `npm run crons -- --app A --write PATH | --check PATH [--plan hobby|pro|enterprise]`
 *
 * Crons live in the app repository's `vercel.json` (builds read that file, not ours). The app's
 * declaration is the source: `--write` puts the declared `crons` block into the file, keeping every
 * other key; `--check` (for the app repository's CI) fails with a diff when the file differs.
 * Schedules are validated for the strictest Vercel plan among the stacks that manage the app (or
 * `--plan`).
 *
 * Exit codes: 0 ok (written, or in agreement); 1 the file differs, cannot be read or parsed, or a
 * declared cron is invalid; 2 usage error.
 */
import * as fs from "fs";
import * as path from "path";
import { CATALOG } from "../apps";
import type { AppDecl } from "../apps/types";
import { ConfigError, listStacks, loadStackConfigFile, type VercelPlan } from "../config";
import { CronDeclarationError, cronsDiff, validateCrons, VercelJsonError, withCrons } from "../vercel/crons";

const USAGE = `usage: npm run crons -- --app <app> (--write <vercel.json> | --check <vercel.json>) [--plan hobby|pro|enterprise]
  --write PATH  write the app's declared crons into PATH (other keys kept; created if missing)
  --check PATH  exit 1 with a diff when PATH's crons differ from the declaration
  --plan P      validate schedules for plan P (default: the strictest plan of the stacks managing the app)
apps: ${CATALOG.map((a) => a.name).join(", ")}`;

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  cwd: string;
  /** Project root holding `stacks/` (to find the plans of the stacks that manage the app). */
  root: string;
}

class UsageError extends Error {}

interface Args {
  app: AppDecl;
  mode: "write" | "check";
  file: string;
  plan?: VercelPlan;
}

function parseArgs(argv: readonly string[], cwd: string): Args {
  let appName: string | undefined;
  let mode: Args["mode"] | undefined;
  let file: string | undefined;
  let plan: VercelPlan | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) throw new UsageError(`${arg} needs a value`);
      return v;
    };
    if (arg === "--app") appName = value();
    else if (arg === "--write" || arg === "--check") {
      if (mode) throw new UsageError("give one of --write or --check");
      mode = arg === "--write" ? "write" : "check";
      file = value();
    } else if (arg === "--plan") {
      const p = value();
      if (p !== "hobby" && p !== "pro" && p !== "enterprise") throw new UsageError(`--plan ${p}: expected hobby, pro or enterprise`);
      plan = p;
    } else if (arg === "--help" || arg === "-h") throw new UsageError("");
    else throw new UsageError(`unknown argument ${arg}`);
  }
  if (!appName) throw new UsageError("--app is required");
  const app = CATALOG.find((a) => a.name === appName);
  if (!app) throw new UsageError(`unknown app "${appName}"`);
  if (!mode || !file) throw new UsageError("give --write PATH or --check PATH");
  return { app, mode, file: path.resolve(cwd, file), plan };
}

const STRICTNESS: VercelPlan[] = ["hobby", "pro", "enterprise"];

/** The strictest plan among the cloud stacks that manage the app (pro when none does). */
export function strictestPlan(app: string, root: string): { plan: VercelPlan; stacks: string[] } {
  const dir = path.join(root, "stacks");
  const found: { stack: string; plan: VercelPlan }[] = [];
  for (const stack of listStacks(dir)) {
    const config = loadStackConfigFile(stack, { file: path.join(dir, `Pulumi.${stack}.yaml`) });
    if (config.mode === "cloud" && config.apps.some((a) => a.name === app)) found.push({ stack, plan: config.vercel.plan });
  }
  if (!found.length) return { plan: "pro", stacks: [] };
  const plan = STRICTNESS.find((p) => found.some((s) => s.plan === p))!;
  return { plan, stacks: found.filter((s) => s.plan === plan).map((s) => s.stack) };
}

/** Runs the command; returns the exit code (no `process.exit` here, so tests can call it). */
export function main(argv: readonly string[], io: Io): number {
  let args: Args;
  try {
    args = parseArgs(argv, io.cwd);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    if (e.message) io.err(`crons: ${e.message}`);
    io.err(USAGE);
    return 2;
  }
  const { app, mode, file } = args;
  const rel = path.relative(io.cwd, file) || file;
  try {
    const { plan, stacks } = args.plan ? { plan: args.plan, stacks: [] } : strictestPlan(app.name, io.root);
    validateCrons(app, plan);
    const text = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
    const planNote = stacks.length ? ` (${plan} plan: ${stacks.join(", ")})` : ` (${plan} plan)`;
    if (mode === "check") {
      const diff = cronsDiff(text, app, rel);
      if (text === undefined && app.crons.length > 0) {
        io.err(`${rel}: missing; run \`npm run crons -- --app ${app.name} --write ${rel}\``);
        diff.forEach((l) => io.err(l));
        return 1;
      }
      if (diff.length) {
        io.err(`${rel}: crons differ from the declaration of ${app.name} (- file, + declared); run \`npm run crons -- --app ${app.name} --write ${rel}\``);
        diff.forEach((l) => io.err(l));
        return 1;
      }
      io.out(`${rel}: crons match ${app.name} (${app.crons.length} job${app.crons.length === 1 ? "" : "s"})${planNote}`);
      return 0;
    }
    const next = withCrons(text, app, rel);
    if (next === text) {
      io.out(`${rel}: already up to date (${app.crons.length} job${app.crons.length === 1 ? "" : "s"})${planNote}`);
      return 0;
    }
    fs.writeFileSync(file, next);
    io.out(`${rel}: wrote ${app.crons.length} cron job${app.crons.length === 1 ? "" : "s"} for ${app.name}${planNote}`);
    for (const c of app.crons) io.out(`  ${c.schedule}  ${c.path}`);
    return 0;
  } catch (e) {
    if (e instanceof CronDeclarationError || e instanceof VercelJsonError || e instanceof ConfigError) {
      io.err(`crons: ${e.message}`);
      return 1;
    }
    if (e instanceof Error && (e as NodeJS.ErrnoException).code && (e as NodeJS.ErrnoException).path) {
      io.err(`crons: cannot access ${(e as NodeJS.ErrnoException).path}: ${(e as NodeJS.ErrnoException).code}`);
      return 1;
    }
    throw e;
  }
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2), {
    out: (l) => console.log(l),
    err: (l) => console.error(l),
    cwd: process.env.INIT_CWD ?? process.cwd(),
    root: path.resolve(__dirname, "../.."),
  });
}
