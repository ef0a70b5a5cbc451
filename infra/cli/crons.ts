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
import { ConfigError, loadStackConfigFile, NAMESPACE, type VercelPlan } from "../config";
import { listStacks, readStackFile, stackFileName, StackFileError, STACKS_DIR } from "../stack-file";
import { CronDeclarationError, cronsDiff, validateCrons, VercelJsonError, withCrons } from "../vercel/crons";
import { command, processIo, runAsScript, UsageError, type OptionValues } from "./args";

export const USAGE = `usage: npm run crons -- --app <app> (--write <vercel.json> | --check <vercel.json>) [--plan hobby|pro|enterprise]

Puts the app's declared crons into the app repository's vercel.json (every other key kept), or checks
that it holds them (for the app repository's CI).

options:
  --app APP     the app, one of the catalog's (apps below)
  --write PATH  write the app's declared crons into PATH (other keys kept; created if missing)
  --check PATH  exit 1 with a diff when PATH's crons differ from the declaration
  --plan P      validate schedules for plan P (default: the strictest plan of the stacks managing the app)
  -h, --help    this text

exit codes: 0 ok, 1 the file differs or cannot be read, or a declared cron is invalid, 2 usage
apps: ${CATALOG.map((a) => a.name).join(", ")}`;

/** What `main` needs besides the common io. */
export interface CronsOptions {
  /** Project root holding `stacks/` (to find the plans of the stacks that manage the app). @default this project */
  root?: string;
}

const OPTIONS = {
  app: { type: "string" },
  write: { type: "string" },
  check: { type: "string" },
  plan: { type: "string" },
} as const;

interface Args {
  app: AppDecl;
  mode: "write" | "check";
  file: string;
  plan?: VercelPlan;
}

function cronsArgs(values: OptionValues<typeof OPTIONS>, cwd: string): Args {
  if (values.write !== undefined && values.check !== undefined) throw new UsageError("give one of --write or --check");
  const p = values.plan;
  if (p !== undefined && p !== "hobby" && p !== "pro" && p !== "enterprise") throw new UsageError(`--plan ${p}: expected hobby, pro or enterprise`);
  if (!values.app) throw new UsageError("--app is required");
  const app = CATALOG.find((a) => a.name === values.app);
  if (!app) throw new UsageError(`unknown app "${values.app}" (apps: ${CATALOG.map((a) => a.name).join(", ")})`);
  const mode = values.write !== undefined ? "write" : values.check !== undefined ? "check" : undefined;
  const file = values.write ?? values.check;
  if (!mode || !file) throw new UsageError("give --write PATH or --check PATH");
  return { app, mode, file: path.resolve(cwd, file), plan: p };
}

const STRICTNESS: VercelPlan[] = ["hobby", "pro", "enterprise"];

/**
 * Whether an invalid stack file may manage `app`, judged without trusting its config: a file that
 * parses but breaks a config rule manages it when its `apps` list says so (or is unreadable); a file
 * that does not parse at all, when its bytes mention the app's name anywhere.
 */
function mayManage(file: string, app: string, error: ConfigError): boolean {
  try {
    if (error instanceof StackFileError) return fs.statSync(file).size > 16 * 1024 * 1024 || fs.readFileSync(file).includes(app);
    const apps = readStackFile(file)?.config[`${NAMESPACE}:apps`];
    return !Array.isArray(apps) || apps.some((a) => typeof a !== "string" || a === app);
  } catch {
    return true;
  }
}

/**
 * The strictest plan among the cloud stacks that manage the app (pro when none does). An invalid stack
 * file that does not manage the app is skipped (and listed in `skipped`): one broken stack must not stop
 * the checks of apps it has nothing to do with. One that may manage it fails with its ConfigError.
 */
export function strictestPlan(app: string, root: string): { plan: VercelPlan; stacks: string[]; skipped?: string[] } {
  const dir = path.join(root, STACKS_DIR);
  const found: { stack: string; plan: VercelPlan }[] = [];
  const skipped: string[] = [];
  for (const stack of listStacks(dir)) {
    const file = path.join(dir, stackFileName(stack));
    let config;
    try {
      config = loadStackConfigFile(stack, { file });
    } catch (e) {
      if (e instanceof ConfigError && !mayManage(file, app, e)) {
        skipped.push(stack);
        continue;
      }
      throw e;
    }
    if (config.mode === "cloud" && config.apps.some((a) => a.name === app)) found.push({ stack, plan: config.vercel.plan });
  }
  const extra = skipped.length ? { skipped } : {};
  if (!found.length) return { plan: "pro", stacks: [], ...extra };
  const plan = STRICTNESS.find((p) => found.some((s) => s.plan === p))!;
  return { plan, stacks: found.filter((s) => s.plan === plan).map((s) => s.stack), ...extra };
}

/** Runs the command; returns the exit code. */
export const main = command({ name: "crons", usage: USAGE, options: OPTIONS }, ({ values }, io, options: CronsOptions = {}) => {
  const args = cronsArgs(values, io.cwd);
  const root = options.root ?? path.resolve(__dirname, "../..");
  const { app, mode, file } = args;
  const rel = path.relative(io.cwd, file) || file;
  try {
    const { plan, stacks, skipped } = args.plan ? { plan: args.plan, stacks: [], skipped: undefined } : strictestPlan(app.name, root);
    for (const s of skipped ?? []) io.err(`crons: note: stack "${s}" is not valid and does not manage ${app.name}, so it was skipped (npm run plan -- --stack ${s} shows its problems)`);
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
});

// npm runs scripts in the project root; INIT_CWD is where the developer typed the command, which
// relative vercel.json paths are relative to.
if (require.main === module) runAsScript("crons", main, processIo({ cwd: process.env.INIT_CWD ?? process.cwd() }));
