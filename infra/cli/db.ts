/**
 * `npm run db -- push|status|repair --database-url URL --dir DIR [--dry-run]`: the migration engine
 * on any Postgres (a Supabase project through its direct host or session pooler, or a local one).
 *
 *   push      apply the pending files (each in one transaction with its ledger row);
 *             --include-all also applies new files older than the newest applied one
 *   status    show every version: applied, pending, or why a push would refuse
 *   repair    --applied V [V...] records local files as applied without running them;
 *             --reverted V [V...] forgets versions (like `supabase migration repair`)
 *
 * The URL may also come from the environment, which keeps it out of shell history:
 * ROLLOUT_MIGRATIONS_DATABASE_URL (the migration owner's URL), else the deprecated DATABASE_URL.
 * Exit codes: 0 ok, 1 failure or refusal (with the reason and the fix), 2 usage error.
 */
import type { Client } from "pg";
import { formatIgnoredMigration, MigrationError, pushMigrations, readMigrationDir, repairMigrations, statusMigrations, type EntryStatus } from "../supabase/migrations";
import { unusableUrlProblem } from "../supabase/connection";
import { command, runAsScript, UsageError, type CliIo, type OptionValues } from "./args";

/** The migration owner's URL: the role that runs the migrations and owns what they create. */
export const MIGRATIONS_URL_ENV = "ROLLOUT_MIGRATIONS_DATABASE_URL";
/** Its old name, still read when the new one is unset, with a notice (until the next release). */
export const DEPRECATED_MIGRATIONS_URL_ENV = "DATABASE_URL";

export const USAGE = `usage: npm run db -- <command> --database-url URL --dir DIR [options]

commands:
  push                      apply pending migrations            [--dry-run] [--include-all]
  status                    list versions and what a push would do
  repair --applied V...     record local files as applied (no SQL is run)
  repair --reverted V...    remove versions from the ledger (no SQL is run)

options:
  --database-url URL        Postgres URL of the migration owner (default: the environment, below);
                            never the transaction pooler (port 6543)
  --dir DIR                 migrations directory, e.g. migrations/chat-sessions
  --dry-run                 push: show what would be applied, change nothing
  --include-all             push: also apply new files older than the newest applied one
                            (refused by default), as \`supabase db push --include-all\` does
  -h, --help                this text

environment:
  ${MIGRATIONS_URL_ENV}
                            the URL when --database-url is not given (keeps it out of shell history);
                            the role migrations run as (postgres on Supabase)
  ${DEPRECATED_MIGRATIONS_URL_ENV}              its old name: still read when ${MIGRATIONS_URL_ENV}
                            is unset, with a notice; removed in the next release

exit codes: 0 ok, 1 failure or refusal (the reason and the fix are printed), 2 usage`;

const OPTIONS = {
  "database-url": { type: "string" },
  dir: { type: "string" },
  "dry-run": { type: "boolean" },
  "include-all": { type: "boolean" },
  applied: { type: "string", multiple: true },
  reverted: { type: "string", multiple: true },
} as const;

interface DbArgs {
  command: "push" | "status" | "repair";
  url: string;
  dir: string;
  dryRun: boolean;
  includeAll: boolean;
  repair?: { status: "applied" | "reverted"; versions: string[] };
}

/**
 * The URL: --database-url, else the migration owner's variable, else the deprecated one (said on
 * stderr, by name only: a URL's value is never printed).
 */
function databaseUrl(explicit: string | undefined, io: CliIo): string | undefined {
  if (explicit) return explicit;
  if (io.env[MIGRATIONS_URL_ENV]) return io.env[MIGRATIONS_URL_ENV];
  const old = io.env[DEPRECATED_MIGRATIONS_URL_ENV];
  if (old) io.err(`db: notice: ${DEPRECATED_MIGRATIONS_URL_ENV} is deprecated; set ${MIGRATIONS_URL_ENV} instead (the old name is read until the next release)`);
  return old || undefined;
}

function dbArgs(values: OptionValues<typeof OPTIONS>, positionals: string[], io: CliIo): DbArgs {
  const [command, ...rest] = positionals;
  if (command !== "push" && command !== "status" && command !== "repair") {
    throw new UsageError(command ? `unknown command "${command}"` : "missing command");
  }
  let repair: DbArgs["repair"];
  if (values.applied || values.reverted) {
    const flag = values.applied ? "--applied" : "--reverted";
    if (command !== "repair") throw new UsageError(`${flag} is an option of repair`);
    if (values.applied && values.reverted) throw new UsageError("give either --applied or --reverted, once");
    // The versions after the first (`--applied V1 V2`) arrive as words after the command.
    const versions = [...(values.applied ?? values.reverted ?? []), ...rest];
    const bad = versions.find((v) => !/^[0-9]+$/.test(v));
    if (bad !== undefined) throw new UsageError(`"${bad}" is not a migration version (the digits before _ in the file name)`);
    repair = { status: values.applied ? "applied" : "reverted", versions };
  } else if (rest.length) throw new UsageError(`unexpected argument "${rest[0]}"`);
  const dir = values.dir;
  const dryRun = values["dry-run"] ?? false;
  if (dryRun && command !== "push") throw new UsageError("--dry-run is an option of push");
  const includeAll = values["include-all"] ?? false;
  if (includeAll && command !== "push") throw new UsageError("--include-all is an option of push");
  if (command === "repair" && !repair) throw new UsageError("repair needs --applied V... or --reverted V...");
  const url = databaseUrl(values["database-url"], io);
  if (!url) throw new UsageError(`missing --database-url (or ${MIGRATIONS_URL_ENV})`);
  if (!dir) throw new UsageError("missing --dir");
  return { command, url, dir, dryRun, includeAll, repair };
}

/** The URL with its password masked, for messages. */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "<unparsable URL>";
  }
}

/** Refuses URLs the engine cannot work through, with the fix (the same rule the providers apply). */
export function checkDatabaseUrl(url: string): string | undefined {
  const problem = unusableUrlProblem(url);
  return problem && `the database URL ${maskUrl(url)} ${problem}`;
}

const STATUS_TEXT: Record<EntryStatus, string> = {
  applied: "applied",
  "applied-unverified": "applied (recorded without statements: edits cannot be detected)",
  pending: "pending",
  drift: "REFUSED: file edited after it was applied",
  "missing-file": "REFUSED: applied, but no local file",
  "out-of-order": "REFUSED: new file older than the newest applied one",
};

/** Runs the command; returns the exit code. */
export const main = command({ name: "db", usage: USAGE, options: OPTIONS, positionals: true }, async ({ values, positionals }, io) => {
  const args = dbArgs(values, positionals, io);
  const out = io.out;
  const urlProblem = checkDatabaseUrl(args.url);
  if (urlProblem) {
    // A malformed URL is a usage error; a well-formed one we refuse (the pooler) is a failure.
    if (!/^postgres(ql)?:\/\/[^\s]+$/.test(args.url)) throw new UsageError(urlProblem);
    io.err(`error: ${urlProblem}`);
    return 1;
  }

  let client: Client | undefined;
  try {
    const { files, ignored } = readMigrationDir(args.dir);
    for (const f of ignored) io.err(`warning: ${formatIgnoredMigration(f)}`);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Client: PgClient } = require("pg") as typeof import("pg");
    client = new PgClient({ connectionString: args.url, application_name: "rollout-stack db" });
    client.on("error", () => undefined); // a dropped connection surfaces through the pending query
    await client.connect();
    out(`database ${maskUrl(args.url)}, ${files.length} file${files.length === 1 ? "" : "s"} in ${args.dir}`);

    if (args.command === "status") {
      const { plan, ledger } = await statusMigrations(client, files);
      if (ledger === "missing") out("no ledger yet (supabase_migrations.schema_migrations): nothing applied");
      for (const e of plan.entries) out(`  ${e.version}  ${e.name.padEnd(40)}  ${STATUS_TEXT[e.status]}`);
      const pending = plan.entries.filter((e) => e.status === "pending").length;
      if (plan.refusals.length) {
        out(new MigrationError({ kind: "refused", refusals: plan.refusals }).message.replace("nothing was applied", "a push would apply nothing"));
        return 1;
      }
      out(pending ? `${pending} pending; run push to apply` : "up to date");
      return 0;
    }

    if (args.command === "repair") {
      const r = args.repair!;
      const { changed, unchanged } = await repairMigrations(client, files, r);
      for (const v of changed) out(`${r.status === "applied" ? "recorded as applied" : "removed from the ledger"}: ${v}`);
      for (const v of unchanged) out(`already ${r.status === "applied" ? "recorded as applied" : "absent"}: ${v}`);
      return 0;
    }

    const result = await pushMigrations(client, files, {
      dryRun: args.dryRun,
      includeAll: args.includeAll,
      onProgress: (e) => {
        if (e.kind === "waiting-for-lock") out("waiting for another migration run to finish (advisory lock)...");
        if (e.kind === "applied") {
          out(`  applied ${e.file.version}_${e.file.name}.sql (${e.file.ms} ms)${e.file.backups.length ? `; backed up ${e.file.backups.join(", ")}` : ""}`);
        }
      },
    });
    if (args.dryRun) {
      if (!result.plan.pending.length) out("nothing to apply (dry run)");
      for (const p of result.plan.pending) {
        const destroys = p.destructive.map((d) => d.command).join(", ");
        out(`  would apply ${p.file.version}_${p.file.name}.sql (${p.statements.length} statements${destroys ? `; destructive: ${destroys}, backed up first` : ""})`);
      }
      return 0;
    }
    const upToDate = result.plan.entries.filter((e) => e.status !== "pending").length;
    out(result.applied.length ? `applied ${result.applied.length} file${result.applied.length === 1 ? "" : "s"}` : `nothing to apply: ${upToDate} applied, up to date`);
    return 0;
  } catch (e) {
    if (e instanceof MigrationError) {
      // Files applied before a failure were already reported as they finished.
      io.err(`error: ${e.message}`);
      return 1;
    }
    const err = e as Error & { code?: string };
    io.err(`error: ${err.message}${err.code ? ` (${err.code})` : ""}`.replaceAll(args.url, maskUrl(args.url)));
    return 1;
  } finally {
    await client?.end().catch(() => undefined);
  }
});

if (require.main === module) runAsScript("db", main);
