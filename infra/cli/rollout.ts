/**
 * `npm run rollout -- <command> ...`: move features along their ladders by editing the stack file, with
 * guards. A thin shell over `infra/rollout/commands.ts`: parse arguments, call, print, set the exit code
 * (0 ok, 1 refused or failed with the reason, 2 usage).
 */
import { ConfigError } from "../config";
import {
  exposureReport,
  loadStack,
  performMove,
  rolloutStatus,
  UsageError,
  verifyStack,
  type MoveOutcome,
  type StatusReport,
  type Verb,
  type VerifyReport,
  type Workspace,
} from "../rollout/commands";
import { GitError } from "../rollout/history";
import type { WatchReport } from "../rollout/watch";
import { LadderDeclarationError } from "../rollout/ladder";
import { formatDuration, gatePassed, MoveError, type GateResult } from "../rollout/moves";
import { DEPRECATED_GATES_DATABASE_URL_PREFIX, GATES_DATABASE_URL_PREFIX } from "../rollout/gates";
import { PROMETHEUS_ENV } from "../rollout/prometheus";
import { shareOf } from "../rollout/live";
import { describeExposure } from "../rollout/exposure";
import { killNow, LiveKillUnavailable, type KillNowResult } from "../vercel/live-kill";
import { VercelApiError } from "../vercel/edge-config-api";
import { reachMarkdown } from "../plan/markdown";
import { actorOf } from "./actor";
import { command, runAsScript } from "./args";

export const USAGE = `usage: npm run rollout -- <command> [options]

commands:
  status [FEATURE...] --stack S [--json]       rung, since, soak left, next rung, gate results, and who
                                               advancing would reach (apps that declare a population)
  advance FEATURE --stack S [--ack GATE=REASON ...]
                                               one rung forward (after soak, with gates passing)
  rollback FEATURE --stack S [--reason R] [--now]
                                               one rung back, at once
  kill FEATURE --stack S [--reason R] [--now]  to the first rung, at once, from anywhere
  set FEATURE RUNG --stack S                   any rung: allowed if it is one of the moves above
  watch --stack S [--json] [--no-commit]       evaluate the kill triggers of every feature above its first
                                               rung; on a trip, kill it (live: --now) and write the kill to
                                               the branch rollout-kill/<stack>/<app>/<feature>; never advances
  exposure --stack S --base GITREF --head GITREF [--json]
                                               who the phase moves from base to head reach, for a pull
                                               request's trusted job: both stack files read from git as
                                               data, the population queries of this checkout's code
  verify --stack S --base GITREF [--skip-sql-gates]
                                               fail if the stack file's change base..HEAD breaks a rule

FEATURE is <app>/<feature> (or a feature name only one app has).

options:
  --stack S            the stack: stacks/Pulumi.<S>.yaml
  --reason R           why (goes into the commit message); required with --force
  --ack GATE=REASON    acknowledge an attest gate of the rung being left (repeatable)
  --force              make a move the rules refuse (needs --reason; recorded as a Rollout-Force trailer)
  --commit             commit the stack file with the message and trailers (otherwise the command is printed)
  --dry-run            check and print, do not write
  --now                kill/rollback: also write the share to the stack's Edge Config item at once (live
                       features: in effect within seconds, no deployment); the stack-file change still
                       goes through review, and until it is merged pulumi up will not raise the feature
  --edge-config-id ID  the store for --now (default: the stack's edgeConfig.store, else
                       ROLLOUT_EDGE_CONFIG_ID, else \`pulumi stack output edgeConfigId\`)
  --database-url URL   a read-only URL of the app's database for sql gates, kill triggers and exposure
                       counts (default: env ${GATES_DATABASE_URL_PREFIX}<DATABASE>)
  --prometheus-url URL the Prometheus query API for prometheus gates and kill triggers (stacks with
                       prometheus: true; default: env ${PROMETHEUS_ENV.url})
  --main REF           whose first-parent history dates the phases (default: origin/<productionBranch>,
                       <productionBranch>, HEAD: the first that exists)
  --base GITREF        verify, exposure: the commit to compare with (the last deployed commit, or the PR's base)
  --head GITREF        exposure: the commit whose stack file is the change (the PR's head; never checked out)
  --cwd DIR            the project root holding stacks/ (default: the current directory)
  --skip-sql-gates     verify: sql gates without a database URL pass as "skipped" (pull requests without
                       database access); the verify before pulumi up must run without it
  --no-commit          watch: kill, but write no branch
  --json               machine-readable output (status, verify, watch, exposure)
  -h, --help           this text

environment:
  VERCEL_API_TOKEN     --now: a Vercel token that can write the team's Edge Config (never printed)
  ROLLOUT_ACTOR        --now: who kills, recorded in the item (default: $GITHUB_ACTOR, git user.email, $USER)
  ${GATES_DATABASE_URL_PREFIX}<DATABASE>
                       a read-only URL of the database for its sql gates, per database: the name
                       upper-cased, other characters as _ (e.g. ${GATES_DATABASE_URL_PREFIX}CHAT_SESSIONS)
  ${PROMETHEUS_ENV.url}
                       the Prometheus (or Mimir, Thanos, VictoriaMetrics, Grafana Cloud) query API base URL
  ${PROMETHEUS_ENV.token} | ${PROMETHEUS_ENV.user} + ${PROMETHEUS_ENV.password}
                       its credentials: a bearer token, or basic auth (never printed)
  ${PROMETHEUS_ENV.headers}
                       extra headers as a JSON object, e.g. {"X-Scope-OrgID": "tenant-1"} (Mimir)
  ${PROMETHEUS_ENV.caFile}
                       a CA bundle (PEM) for its TLS certificate
  ${DEPRECATED_GATES_DATABASE_URL_PREFIX}<DATABASE>
                       its old name: still read when the new one is unset, with a notice; removed in
                       the next release

exit codes: 0 ok, 1 refused or failed (the reason is printed), 2 usage`;

const OPTIONS = {
  stack: { type: "string" },
  reason: { type: "string" },
  ack: { type: "string", multiple: true },
  force: { type: "boolean" },
  commit: { type: "boolean" },
  "dry-run": { type: "boolean" },
  "database-url": { type: "string" },
  "prometheus-url": { type: "string" },
  main: { type: "string" },
  base: { type: "string" },
  head: { type: "string" },
  cwd: { type: "string" },
  json: { type: "boolean" },
  "skip-sql-gates": { type: "boolean" },
  now: { type: "boolean" },
  "no-commit": { type: "boolean" },
  "edge-config-id": { type: "string" },
} as const;

function parseAcks(values: string[] | undefined): Map<string, string> {
  const acks = new Map<string, string>();
  for (const v of values ?? []) {
    const eq = v.indexOf("=");
    const gate = eq < 0 ? v : v.slice(0, eq);
    const reason = eq < 0 ? "" : v.slice(eq + 1).trim();
    if (!gate || !reason) throw new UsageError(`--ack ${v}: write --ack <gate>=<what you checked>, e.g. --ack upload-success="98.7% over 7 days (dashboard X)"`);
    acks.set(gate, reason);
  }
  return acks;
}

function gateLine(g: GateResult): string {
  const mark = g.status === "skipped" ? "–" : gatePassed(g) ? "✓" : "✗";
  return `${mark} gate ${g.gate} (${g.kind}, ${g.status}): ${g.detail}`;
}

function printStatus(report: StatusReport, out: (s: string) => void): void {
  out(`stack ${report.stack}: phases dated by ${report.mainRef ? `the first-parent history of ${report.mainRef}` : "no git history (not a repository)"}; now ${report.now}`);
  const rows = report.rows.map((r) => {
    const since = r.since ? `${r.since.slice(0, 16).replace("T", " ")}Z` : "not on main";
    const soak = r.soakHours === 0 ? "—" : r.soakLeftMs === 0 ? `done (${formatDuration(r.soakHours * 3_600_000)})` : `${formatDuration(r.soakLeftMs)} of ${formatDuration(r.soakHours * 3_600_000)}`;
    const gates = r.gates.length ? r.gates.map((g) => `${g.gate}:${g.status}`).join(" ") : "—";
    const state = !r.next ? "last rung" : r.ready ? "ready" : "hold";
    return [r.key, r.rung, since, soak, r.next ?? "—", state, gates];
  });
  const head = ["FEATURE", "RUNG", "SINCE", "SOAK LEFT", "NEXT", "ADVANCE", "GATES"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const r of [head, ...rows]) out(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join("  ").trimEnd());
  const attest = report.rows.some((r) => r.gates.some((g) => g.status === "needs-ack"));
  const unchecked = report.rows.some((r) => r.gates.some((g) => g.status === "unchecked"));
  // Metric gates with their value, threshold and verdict (the table shows the status only).
  for (const r of report.rows) for (const g of r.gates) if (g.kind === "prometheus") out(`gate ${g.gate} of ${r.key} (prometheus, ${g.status}): ${g.detail}`);
  for (const r of report.rows) if (r.exposure && r.next) out(`reach of ${r.key} → ${r.next}: ${describeExposure(r.exposure)}`);
  if (attest) out("needs-ack: an attest gate; acknowledge it on the move: rollout advance FEATURE --ack GATE=\"<what you checked>\"");
  if (unchecked) out(`unchecked: an sql gate with no database URL; set ${GATES_DATABASE_URL_PREFIX}<DATABASE> or pass --database-url`);
}

function printMove(o: MoveOutcome, out: (s: string) => void, opts: { dryRun: boolean }): void {
  const header = `${o.key}: ${o.from} → ${o.to} (${o.kind})`;
  if (o.noop) {
    out(`${o.key} is already at ${o.to}; nothing to do`);
    return;
  }
  if (o.check.soak) {
    const s = o.check.soak;
    if (s.requiredHours > 0) {
      out(
        `${s.ok ? "✓" : "✗"} soak of ${o.from}: ${formatDuration(s.requiredHours * 3_600_000)} required; ${s.since ? `on main since ${s.since.toISOString()} (${o.start.sha?.slice(0, 7)})` : "not on main yet"}${s.ok ? "" : `, ${formatDuration(s.leftMs)} left`}`,
      );
    }
  }
  for (const g of o.check.gates) out(gateLine(g));
  if (o.refused) {
    out(`refused: ${header}`);
    for (const p of o.check.problems) out(`  - ${p}`);
    out(`To override, force it with a reason: --force --reason "<why>" (recorded as a Rollout-Force trailer; verify accepts it).`);
    return;
  }
  if (o.check.forced) {
    out(`FORCED: ${header}, despite:`);
    for (const p of o.check.problems) out(`  - ${p}`);
  }
  out(o.written ? `${header}: wrote ${o.file}` : `${header}: allowed${opts.dryRun ? " (dry run: nothing written)" : ""}`);
  // Required here, not at the top: planning the whole stack is the slowest thing this CLI loads, and
  // `kill --now` writes the item before it prints the effect.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { moveEffectLines } = require("../model") as typeof import("../model");
  for (const line of moveEffectLines(o.before, o.after, o.app, o.feature)) out(line);
  if (o.exposure) out(`reach: ${describeExposure(o.exposure)}`);
  if (o.committed) {
    out(`committed ${o.committed.slice(0, 7)}: ${o.commitMessage.split("\n")[0]}`);
    out("Open a pull request; CI runs `npm run rollout -- verify` before `pulumi up`.");
  } else if (o.written) {
    out("Commit it (or rerun with --commit), open a pull request; CI runs `rollout verify` before `pulumi up`:");
    out(o.commitCommand);
  }
}

function printVerify(r: VerifyReport, out: (s: string) => void): void {
  out(`verify ${r.stack}: ${r.base.slice(0, 7)}..${r.head.slice(0, 7)}`);
  for (const p of r.problems) out(`  ✗ ${p}`);
  for (const f of r.findings) {
    const label = { ok: "ok", forced: "FORCED", refused: "REFUSED", removed: "removed" }[f.status];
    const move = f.status === "removed" ? `${f.key} (was ${f.from})` : `${f.key} ${f.from ?? "(new)"} → ${f.to}${f.kind ? ` (${f.kind})` : ""}`;
    out(`  ${label.padEnd(7)} ${move}${f.forceReason ? `: ${f.forceReason}` : ""}`);
    for (const g of f.gates) out(`          ${gateLine(g)}`);
    for (const p of f.problems) out(`          - ${p}`);
  }
  const broken = r.findings.filter((f) => f.status === "refused").length;
  if (r.ok) out(`verify: OK (${r.findings.length} change${r.findings.length === 1 ? "" : "s"})`);
  else out(`verify: FAILED (${broken} rule break${broken === 1 ? "" : "s"}${r.problems.length ? `, ${r.problems.length} other problem${r.problems.length === 1 ? "" : "s"}` : ""})`);
}

/**
 * The `--now` half of a kill or rollback: the share of the rung the move went to, written to the item.
 * A kill that cannot be made now (not live, no store or token) is reported, not thrown: the env kill
 * is already in the stack file and stays the fallback.
 */
async function instantKill(ws: Workspace, o: MoveOutcome, reason: string | undefined, storeId: string | undefined, env: NodeJS.ProcessEnv): Promise<{ result?: KillNowResult; unavailable?: string }> {
  const feature = o.after.apps.find((a) => a.name === o.app)!.features.find((f) => f.name === o.feature)!;
  try {
    const result = await killNow({
      config: o.after,
      feature: o.key,
      storeId,
      root: ws.root,
      env,
      record: {
        share: shareOf(feature, o.to),
        from: shareOf(feature, o.from),
        by: actorOf(env, ws.root),
        at: ws.now.toISOString(),
        reason: reason?.trim() || `rollout ${o.kind} --now (no reason given)`,
      },
    });
    return { result };
  } catch (e) {
    if (e instanceof LiveKillUnavailable || e instanceof VercelApiError) return { unavailable: e.message };
    throw e;
  }
}

function printNow(o: MoveOutcome, now: { result?: KillNowResult; unavailable?: string }, out: (s: string) => void): void {
  if (now.unavailable) {
    out(`not killed now: ${now.unavailable}`);
    out(o.written || o.noop ? `fallback: the env kill (${o.file}) takes effect once it is merged and pulumi up has deployed it` : "fallback: the env kill (the stack-file change above)");
    return;
  }
  const r = now.result!;
  out(
    r.noop
      ? `already killed now: Edge Config item ${r.item} (store ${r.storeId}) holds ${o.key} at ${JSON.stringify(r.share)} with its kill record; nothing written`
      : `killed now: Edge Config item ${r.item} (store ${r.storeId}): ${o.key} → ${JSON.stringify(r.share)}, write acknowledged in ${r.ms} ms; Vercel propagates it within about 10 s, no deployment`,
  );
  out("Until the stack-file change is merged and deployed, pulumi up refuses to raise this feature (the kill is recorded in the item).");
}

function printWatch(r: WatchReport, out: (s: string) => void): void {
  out(`watch ${r.stack} at ${r.now}: ${r.features.length} feature${r.features.length === 1 ? "" : "s"} with kill triggers, ${r.tripped} tripped`);
  for (const f of r.features) {
    const state = f.unchecked ? "unchecked" : f.tripped ? "TRIPPED" : "ok";
    out(`  ${state.padEnd(9)} ${f.key} at ${f.rung}${f.live ? " (live)" : ""}`);
    if (f.unchecked) out(`            ${f.unchecked}`);
    for (const t of f.triggers) out(`            ${t.status === "trip" ? "✗" : t.status === "ok" ? "✓" : "–"} ${t.trigger} (${t.status}): ${t.detail}`);
    if (f.kill?.error) out(`            instant kill failed: ${f.kill.error}`);
    else if (f.kill?.delivery === "edge-config") {
      const r = f.kill.result as KillNowResult | undefined;
      out(
        r?.noop
          ? `            already killed in Edge Config item ${r.item} (nothing written)`
          : `            killed in Edge Config${r ? ` item ${r.item}: share ${JSON.stringify(r.share)}, write acknowledged in ${r.ms} ms` : ""} (in effect within about 10 s)`,
      );
    } else if (f.kill) out("            killed by env: in effect once the kill branch is merged and deployed");
    if (f.branch) out(`            branch ${f.branch.name} ${f.branch.status} at ${f.branch.commit.slice(0, 7)}`);
    for (const n of f.notes ?? []) out(`            ${n}`);
  }
}

/** Runs the CLI; returns the exit code. Exported for in-process use; the tests run the real process. */
export const main = command({ name: "rollout", usage: USAGE, options: OPTIONS, positionals: true }, async ({ values: v, positionals }, io) => {
  const [command, ...rest] = positionals;
  // A notice (a deprecated variable read) once per run, however many features it served.
  const noticed = new Set<string>();
  const notice = (line: string) => {
    if (!noticed.has(line)) io.err(`rollout: notice: ${line}`);
    noticed.add(line);
  };
  const ws: Workspace = { root: v.cwd ?? io.cwd, env: io.env, now: new Date(), notice, prometheusUrl: v["prometheus-url"] };
  try {
    if (!command) throw new UsageError("no command (status, advance, rollback, kill, set, watch, exposure, verify)");
    if (!v.stack) throw new UsageError(`${command} needs --stack <name>`);
    switch (command) {
      case "status": {
        const report = await rolloutStatus(ws, { stack: v.stack, features: rest, mainRef: v.main, databaseUrl: v["database-url"] });
        if (v.json) io.out(JSON.stringify(report, null, 2));
        else printStatus(report, io.out);
        return 0;
      }
      case "advance":
      case "rollback":
      case "kill":
      case "set": {
        const [feature, to, ...extra] = rest;
        if (!feature) throw new UsageError(`${command} needs a FEATURE`);
        if (command !== "set" && to !== undefined) throw new UsageError(`${command} takes one FEATURE (to move to a given rung: rollout set FEATURE RUNG)`);
        if (extra.length) throw new UsageError(`unexpected arguments: ${extra.join(" ")}`);
        if (v.now && command !== "kill" && command !== "rollback") throw new UsageError(`--now applies to kill and rollback only (an advance goes through review and pulumi up)`);
        if (v["edge-config-id"] && !v.now) throw new UsageError("--edge-config-id goes with --now");
        const outcome = await performMove(ws, {
          stack: v.stack,
          verb: command as Verb,
          feature,
          to,
          reason: v.reason,
          acks: parseAcks(v.ack),
          force: v.force,
          databaseUrl: v["database-url"],
          mainRef: v.main,
          dryRun: v["dry-run"],
          commit: v.commit,
        });
        let now: { result?: KillNowResult; unavailable?: string } | undefined;
        if (v.now && !outcome.refused && !v["dry-run"]) now = await instantKill(ws, outcome, v.reason, v["edge-config-id"], io.env);
        if (v.json) io.out(JSON.stringify(now ? { ...outcome, now } : outcome, null, 2));
        else {
          printMove(outcome, outcome.refused ? io.err : io.out, { dryRun: !!v["dry-run"] });
          if (now) printNow(outcome, now, now.unavailable ? io.err : io.out);
        }
        return outcome.refused || now?.unavailable ? 1 : 0;
      }
      case "exposure": {
        if (rest.length) throw new UsageError(`exposure takes no FEATURE (it counts every move between --base and --head): ${rest.join(" ")}`);
        if (!v.base || !v.head) throw new UsageError("exposure needs --base GITREF and --head GITREF");
        const report = await exposureReport(ws, { stack: v.stack, base: v.base, head: v.head, databaseUrl: v["database-url"] });
        if (v.json) io.out(JSON.stringify(report, null, 2));
        else io.out(reachMarkdown(report.stack, report.moves, report.code === report.base.commit ? `the base ${report.base.commit.slice(0, 12)}` : `the checkout ${report.code?.slice(0, 12) ?? "(no commit)"}`));
        return 0;
      }
      case "watch": {
        if (rest.length) throw new UsageError(`watch takes no FEATURE (it watches every feature with kill triggers): ${rest.join(" ")}`);
        const { cfg } = loadStack(ws, v.stack);
        // Required here: only watch needs it, and kill --now's start-up time counts.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { watchStack } = require("../rollout/watch") as typeof import("../rollout/watch");
        const report = await watchStack(ws, {
          stack: v.stack,
          databaseUrl: v["database-url"],
          mainRef: v.main,
          commit: !v["no-commit"],
          by: `rollout watch (${actorOf(io.env, ws.root)})`,
          kill: (req) => killNow({ config: cfg, feature: req.feature, record: req.record, storeId: v["edge-config-id"], root: ws.root, env: io.env }),
        });
        if (v.json) io.out(JSON.stringify(report, null, 2));
        else printWatch(report, io.out);
        // A trip whose instant kill failed is the one outcome alerting must not miss.
        return report.features.some((f) => f.kill?.error) ? 1 : 0;
      }
      case "verify": {
        if (!v.base) throw new UsageError("verify needs --base <gitref> (the last deployed commit, or the pull request's base)");
        if (rest.length) throw new UsageError(`verify takes no FEATURE (it checks every change): ${rest.join(" ")}`);
        const report = await verifyStack(ws, { stack: v.stack, base: v.base, skipSqlGates: v["skip-sql-gates"] });
        if (v.json) io.out(JSON.stringify(report, null, 2));
        else printVerify(report, report.ok ? io.out : io.err);
        return report.ok ? 0 : 1;
      }
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (e) {
    // A stack file that cannot be read at all (StackFileError) is a ConfigError too.
    if (e instanceof ConfigError || e instanceof MoveError || e instanceof GitError || e instanceof LadderDeclarationError) {
      io.err(`rollout: ${e.message}`);
      return 1;
    }
    // Usage errors (exit 2) and bugs (exit 1) are answered by command(), the same for every CLI.
    throw e;
  }
});

if (require.main === module) runAsScript("rollout", main);
