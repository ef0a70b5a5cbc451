/**
 * The plan report as markdown for a pull request comment. Pure.
 *
 * The first line is the one-line summary; the second is a stable marker (`PLAN_MARKER`, an HTML
 * comment GitHub does not display) naming the stack, so tools can find a stack's plan in a comment.
 * Changes come first (phases, env, redeploy, crons, database, secrets); the full resource list is
 * folded. Whole declarations (a new app, a render without `--base`) are folded too.
 */
import { stripControlChars } from "../text";
import type { LiveChange } from "../model/diff";
import { describeExposure } from "../rollout/exposure";
import type { DatabaseChange, ItemChange, PhaseChange, PlanReport, ResourceUpdate, ValueChange, VercelAppChange } from "./report";

/** `<!-- rollout-stack:plan stack=<name> -->` on the second line of every markdown plan. */
export function planMarker(stack: string): string {
  return `<!-- rollout-stack:plan stack=${stack} -->`;
}

const MAX_CELL = 160;

/** Inline code that survives any content: backtick fences longer than any run inside, pipes escaped, no control characters. */
export function code(text: string, max = MAX_CELL): string {
  let t = stripControlChars(text.replace(/\r?\n/g, " ⏎ "));
  if (t.length > max) t = `${t.slice(0, max - 1)}…`;
  const longest = Math.max(0, ...(t.match(/`+/g) ?? []).map((r) => r.length));
  const fence = "`".repeat(longest + 1);
  const pad = t.startsWith("`") || t.endsWith("`") || t === "" ? " " : "";
  return `${fence}${pad}${t.replace(/\|/g, "\\|")}${pad}${fence}`;
}

/**
 * Free text (a warning, a reason, a phase move) as markdown that shows exactly that text: HTML and
 * markdown syntax escaped, `@mentions` and `#references` defused (a fork must not ping people or link
 * issues through a value it controls), control characters replaced, one line.
 */
export function prose(text: string): string {
  return stripControlChars(text.replace(/\r?\n/g, " "))
    .replace(/[\\`*_[\]|~]/g, (c) => `\\${c}`)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/([@#])/g, "$1\u200b");
}

function list(items: string[]): string {
  return items.map((i) => `- ${i}`).join("\n");
}

function folded(summary: string, body: string): string {
  return `<details><summary>${summary}</summary>\n\n${body}\n\n</details>`;
}

function envTable(env: ValueChange[]): string {
  const rows = env.map((e) => {
    const before = e.secret ? (e.change === "added" ? "—" : "(secret)") : e.before === undefined ? "—" : code(e.before);
    const after = e.secret ? (e.change === "removed" ? "—" : e.change === "added" ? "(secret) set" : "(secret) changed") : e.after === undefined ? "(removed)" : code(e.after);
    return `| ${e.target} | ${code(e.key)} | ${before} | ${after} |`;
  });
  return ["| Target | Key | Before | After |", "|---|---|---|---|", ...rows].join("\n");
}

function vercelSection(v: VercelAppChange): string {
  const head = `##### ${code(v.app)} — Vercel project ${code(v.project)}${v.change === "changed" ? "" : ` (${v.change === "added" ? "new" : "no longer managed"})`}`;
  const parts: string[] = [head];
  if (v.env.length) {
    const table = envTable(v.env);
    parts.push(v.change === "added" ? folded(`${v.env.length} env values`, table) : table);
  }
  if (v.redeploy) parts.push(`**Production redeploy:** ${v.redeploy.redeploy ? "yes" : "no"}: ${code(v.redeploy.reason, 500)}`);
  if (v.crons) {
    const c = v.crons;
    const lines: string[] = [];
    // The state and its reason always lead: a reviewer of any cron change must see whether they run.
    const was = c.enabledBefore === null || c.enabledBefore === c.enabledAfter ? "" : ` (were ${c.enabledBefore ? "enabled" : "disabled"})`;
    if (c.reason !== null) lines.push(`crons ${prose(c.reason)}${was}`);
    for (const j of c.added) lines.push(`added ${code(j.path)} at ${code(j.schedule)} (UTC)`);
    for (const j of c.removed) lines.push(`removed ${code(j.path)} (was ${code(j.schedule)})`);
    for (const j of c.rescheduled) lines.push(`${code(j.path)}: ${code(j.from)} → ${code(j.to)} (UTC)`);
    lines.push("the app's `vercel.json` must match: `npm run crons -- --app " + v.app + " --check vercel.json`");
    parts.push(`**Crons:**\n${list(lines)}`);
  }
  return parts.join("\n\n");
}

function itemLine(i: ItemChange): string {
  const what = `${i.change} ${code(i.name)}`;
  const details = `${i.details.length ? `: ${i.details.map((d) => code(d, 300)).join(", ")}` : ""}${i.note ? ` (${prose(i.note)})` : ""}`;
  const statement = i.statement && i.change !== "removed" ? `\n  \`\`\`sql\n  ${i.statement.replace(/\n/g, "\n  ")}\n  \`\`\`` : "";
  return `${what}${details}${statement}`;
}

function databaseSection(d: DatabaseChange): string {
  const lines: string[] = [];
  const m = d.migrations;
  if (m.run.length) {
    lines.push(`**Migrations to run** (${m.run.length}${d.change === "added" ? ", those not yet in the database's ledger" : ""}):\n${m.run.map((f) => `  - ${code(f.file, 300)}`).join("\n")}`);
  }
  if (m.edited.length) lines.push(`**Migration files edited** (refused as drift where applied):\n${m.edited.map((f) => `  - ${code(f.file, 300)}`).join("\n")}`);
  if (m.removed.length) lines.push(`**Migration files removed** (the ledger keeps them; the engine refuses an applied version with no file):\n${m.removed.map((f) => `  - ${code(f.file, 300)}`).join("\n")}`);
  const group = (title: string, items: ItemChange[]) => items.length && lines.push(`**${title}:**\n${items.map((i) => `  - ${itemLine(i).replace(/\n/g, "\n  ")}`).join("\n")}`);
  group("Schemas", d.schemas);
  group("Buckets", d.buckets);
  group("Policies", d.policies);
  group("Other", d.other);
  const body = list(lines);
  const title = `##### Database ${code(d.database)}${d.change === "changed" ? "" : ` (${d.change === "added" ? "new" : "no longer managed"})`}`;
  return `${title}\n\n${d.change === "added" ? folded(`${m.run.length} migrations, ${d.schemas.length} schemas, ${d.buckets.length} buckets, ${d.policies.length} policies`, body) : body}`;
}

function resourceTable(rows: { change: string; type: string; name: string; detail: string }[]): string {
  return ["| Change | Type | Name | Why |", "|---|---|---|---|", ...rows.map((r) => `| ${r.change} | ${code(r.type)} | ${code(r.name)} | ${r.detail} |`)].join("\n");
}

function resourcesSection(report: PlanReport): string {
  const r = report.resources;
  const why = (u: ResourceUpdate, replace: boolean) =>
    [replace ? `replaced: ${u.replaceBecause.map((k) => code(k)).join(", ")} changed` : "", !replace && u.inputs.length ? `inputs ${u.inputs.map((k) => code(k)).join(", ")}` : "", u.options.length ? `options ${u.options.map((k) => code(k)).join(", ")}` : ""]
      .filter(Boolean)
      .join("; ");
  const loud = [
    ...r.replaced.map((u) => ({ change: "replace", type: u.type, name: u.name, detail: why(u, true) })),
    ...r.removed.map((u) => ({ change: "remove", type: u.type, name: u.name, detail: "" })),
  ];
  const quiet = [
    ...r.added.map((u) => ({ change: "add", type: u.type, name: u.name, detail: "" })),
    ...r.updated.map((u) => ({ change: "update", type: u.type, name: u.name, detail: why(u, false) })),
  ];
  const parts = [`#### Resources\n\n${r.added.length} to add, ${r.updated.length} to update, ${r.replaced.length} to replace, ${r.removed.length} to remove, ${r.unchanged} unchanged.`];
  if (loud.length) parts.push(resourceTable(loud));
  if (quiet.length) parts.push(folded(`${quiet.length} added or updated in place`, resourceTable(quiet)));
  return parts.join("\n\n");
}

function liveSection(l: LiveChange): string {
  const head = `#### Edge Config item ${code(l.item)}${l.change === "changed" ? "" : ` (${l.change === "added" ? "new" : "no longer written"})`}\n\nLive shares, read by the apps at request time: in effect within about 10 s of \`pulumi up\`, no build. Store: ${code(l.store)}.`;
  const rows = l.shares.map((s) => `| ${code(s.feature)} | ${s.before === undefined ? "—" : code(s.before)} | ${s.after === undefined ? "(removed)" : code(s.after)} |`);
  const parts = [head];
  if (rows.length) parts.push(["| Feature | Before | After |", "|---|---|---|", ...rows].join("\n"));
  if (l.settings.length) parts.push(list(l.settings.map((x) => code(x, 300))));
  return parts.join("\n\n");
}

/** The markers around a stack's "who the moves reach" section, which a trusted job may replace with counts. */
export function reachMarkers(stack: string): { begin: string; end: string } {
  return { begin: `<!-- rollout-stack:reach stack=${stack} -->`, end: `<!-- /rollout-stack:reach stack=${stack} -->` };
}

/**
 * The "who the moves reach" section: one line per move with an exposure, between `reachMarkers`.
 * `source` says whose population queries counted, e.g. "the base commit 1a2b3c4d5e6f". Shared by the
 * plan and `rollout exposure` (the pull request's trusted count), so either can stand in for the other.
 */
export function reachMarkdown(stack: string, moves: readonly Pick<PhaseChange, "key" | "target" | "from" | "to" | "exposure">[], source: string): string {
  const { begin, end } = reachMarkers(stack);
  const shown = moves.filter((m) => m.exposure);
  const lines = shown.map((m) => {
    return `${code(m.key)}${m.target === "preview" ? " (preview)" : ""} ${code(`${m.from ?? "(new)"} → ${m.to}`)}: ${prose(describeExposure(m.exposure!))}`;
  });
  const counted = shown.some((m) => m.exposure!.kind === "counts");
  const intro = counted
    ? `Counted on the app's database with the population query of ${prose(source)}: read-only, one query per move, no IDs leave the database; counts under 10 are shown as "fewer than 10".`
    : `Population queries of ${prose(source)}; counted only with a read-only database URL.`;
  return `${begin}
#### Who the moves reach

${intro}

${list(lines)}
${end}`;
}

/** The report as markdown. */
export function renderMarkdown(report: PlanReport): string {
  const out: string[] = [`**Plan** · ${prose(report.summary)}\n${planMarker(report.stack)}`];
  if (report.warnings.length) out.push(report.warnings.map((w) => `> **Warning:** ${prose(w)}`).join("\n>\n"));
  if (report.phases.length) {
    out.push(`#### Phases\n\n${list(report.phases.map((p) => `${code(p.key)}${p.target === "preview" ? " (preview)" : ""}: ${prose(p.text)}`))}`);
  }
  if (report.phases.some((p) => p.exposure)) {
    out.push(reachMarkdown(report.stack, report.phases, report.base ? `the base ${report.base.ref === report.base.commit ? "" : `${report.base.ref} `}(${report.base.commit.slice(0, 12)})` : "this tree (no base)"));
  }
  if (report.vercel.length) out.push(`#### Vercel\n\n${report.vercel.map(vercelSection).join("\n\n")}`);
  if (report.live) out.push(liveSection(report.live));
  if (report.databases.length) out.push(`#### Databases\n\n${report.databases.map(databaseSection).join("\n\n")}`);
  if (report.secrets.length) {
    out.push(`#### Secrets\n\n${list(report.secrets.map((s) => `${code(s.key)} ${s.change} (value not shown${s.change === "changed" ? "; a re-encrypted value counts as changed" : ""})`))}`);
  }
  const r = report.resources;
  if (r.added.length + r.removed.length + r.replaced.length + r.updated.length) out.push(resourcesSection(report));
  const base = report.base ? `base ${code(report.base.commit.slice(0, 12))}` : "no base";
  if (report.notes.length) out.push(folded(`Notes (${report.notes.length})`, list(report.notes.map(prose))));
  out.push(`<sub>Offline render under Pulumi mocks (${base}); secret values are never read or shown.</sub>`);
  return `${out.join("\n\n")}\n`;
}
