/**
 * `npm run plan -- --stack S [--base GITREF] [--format md|json]`: what a stack declares, or what a
 * change moves, rendered offline under Pulumi mocks (no Pulumi CLI, no cloud, no secrets). A thin shell
 * over `infra/plan/`: parse arguments, run, print the report on stdout (nothing else goes there), set
 * the exit code: 0 ok, 1 failure (the reason on stderr; a bad stack file prints its ConfigError), 2 usage.
 */
import * as fs from "fs";
import * as path from "path";
import { ConfigError } from "../config";
import { formatReport, planRedactor, RenderError, runPlan } from "../plan";
import { redactor } from "../plan/redact";
import { stopActiveRenders } from "../plan/run";
import { removeActiveWorktrees } from "../plan/worktree";
import { GATES_DATABASE_URL_PREFIX } from "../rollout/gates";
import { GitError } from "../rollout/history";
import { command, runAsScript, UsageError, type OptionValues } from "./args";

export const USAGE = `usage: npm run plan -- --stack S [--base GITREF] [--format md|json] [--database-url URL]

Renders the stack offline (the program under Pulumi mocks; secrets and ESC values are placeholders)
and reports in words what it does: phases moved, env values per target, the production redeploy and
its reason, crons, migrations that will run, schemas, buckets and policies, other resources.

options:
  --stack S         the stack: its Pulumi.<S>.yaml in the project's stack directory
  --base GITREF     compare with this commit's whole tree (its code and stack file), checked out as a
                    temporary git worktree; without it, everything the stack declares is listed as new
  --format md|json  markdown for a pull request comment (default), or JSON for tools
                    (shape: PlanReport in infra/plan/report.ts, "format": "rollout-stack.plan/v1")
  --json-file PATH  also write the JSON report to PATH (both formats from one render)
  --database-url URL
                    a read-only URL of the apps' database: each phase move of an app that declares a
                    population gets its exposure counted (who gains the feature, who loses it, who
                    has it after), with the base commit's population query (this tree's without
                    --base); default: env ${GATES_DATABASE_URL_PREFIX}<DATABASE>; without either, the
                    move in points of users
  --cwd DIR         the project root (default: the current directory)
  --timeout SEC     per render (default 300)
  -h, --help        this text

exit codes: 0 ok, 1 failure (the reason is printed), 2 usage`;

const OPTIONS = {
  stack: { type: "string" },
  base: { type: "string" },
  format: { type: "string" },
  cwd: { type: "string" },
  "json-file": { type: "string" },
  timeout: { type: "string" },
  "database-url": { type: "string" },
} as const;

function planArgs(values: OptionValues<typeof OPTIONS>) {
  if (!values.stack) throw new UsageError("--stack is required");
  const format = values.format ?? "md";
  if (format !== "md" && format !== "json") throw new UsageError(`--format ${format}: use md or json`);
  const timeout = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeout !== undefined && !(Number.isFinite(timeout) && timeout > 0)) throw new UsageError(`--timeout ${values.timeout}: a number of seconds`);
  if (values.base !== undefined && values.base.trim() === "") throw new UsageError("--base needs a git ref (empty: is BASE_SHA set?)");
  return { stack: values.stack, base: values.base, format: format as "md" | "json", jsonFile: values["json-file"], cwd: values.cwd, timeoutMs: timeout && timeout * 1000, databaseUrl: values["database-url"] };
}

/** Runs the command; returns the exit code. The report is the only thing written to `io.out`. */
export const main = command({ name: "plan", usage: USAGE, options: OPTIONS }, async ({ values }, io) => {
  const args = planArgs(values);
  // Ctrl-C or a cancelled CI job: remove the base worktree before going.
  const onSignal = (signal: NodeJS.Signals) => {
    stopActiveRenders();
    removeActiveWorktrees();
    io.err(`plan: interrupted (${signal})`);
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const options = { root: path.resolve(io.cwd, args.cwd ?? "."), stack: args.stack, base: args.base, timeoutMs: args.timeoutMs, env: io.env };
  // Built first, so that errors are redacted too.
  // The URL is a secret too (its password), though no variable name says so.
  const fromFiles = planRedactor(options);
  const fromArgs = redactor(args.databaseUrl ? [args.databaseUrl] : []);
  const redact = (text: string) => fromArgs(fromFiles(text));
  try {
    const outcome = await runPlan({ ...options, redact, databaseUrl: args.databaseUrl });
    if (args.jsonFile) fs.writeFileSync(path.resolve(io.cwd, args.jsonFile), formatReport(outcome, "json"));
    // The report ends with a newline; `out` adds one per line.
    io.out(formatReport(outcome, args.format).replace(/\n$/, ""));
    return 0;
  } catch (e) {
    // Usage errors of the plan module (a bad stack name, a base that is not a commit: BaseRefError) exit 2, redacted.
    if (e instanceof UsageError) throw new UsageError(redact(e.message));
    if (e instanceof ConfigError || e instanceof RenderError || e instanceof GitError) {
      io.err(`plan: ${redact(e.message)}`);
      return 1;
    }
    // A bug: show the stack, still redacted.
    io.err(`plan: unexpected error (a bug): ${redact(e instanceof Error ? (e.stack ?? e.message) : String(e))}`);
    return 1;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
});

if (require.main === module) runAsScript("plan", main);
