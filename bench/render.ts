/**
 * Render bench, two measurements under Pulumi mocks, offline:
 *
 * 1. Linearity: the whole catalog rendered at 1×, 2×, 4× and 8× its size (each app cloned as
 *    `<app>-1..-N`, with its own database `<database>-1..-N`), by a program built from the components
 *    `infra/index.ts` uses (`SupabaseDatabase`, `VercelApp`) with a config parsed from
 *    `stacks/Pulumi.prod.yaml` scaled the same way. Target: time per resource stays flat (within
 *    `LINEAR_TOLERANCE` of the 1× baseline measured in the same run).
 * 2. Minimal diff: the real program (`infra/index.ts`) on the real prod stack file, rendered before and
 *    after each seed move. Target: exactly the moved keys' env vars (value, comment) and the app's
 *    production deployment (meta) change; nothing else; every CRON_SECRET keeps its URN, inputs and
 *    value. A miss is a correctness failure: the bench reports it and `npm run bench` exits 1.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { CATALOG } from "../infra/apps";
import type { AppDecl } from "../infra/apps/types";
import { loadStackConfigFile, NAMESPACE, parseStackConfig, type RawEntry, type StackConfig } from "../infra/config";
import { diffRenders, fakeSecret, renderProgram, requireFresh, stackFileConfig, withConfig, type ProgramConfig, type Render } from "../infra/plan/render";
import { deliveredValues } from "../infra/rollout/ladder";
import { rawEntriesFromYaml, stackFilePath } from "../infra/stack-file";
import { SupabaseDatabase } from "../infra/supabase/database";
import { databasesOf } from "../infra/supabase/declaration";
import { LiveValues, planLive, VercelApp } from "../infra/vercel";
import { TYPES as T } from "../infra/vercel/resource-types";
import type { Bench } from "./index";
import { fmt, median, ms } from "./timing";

const SCALES = [1, 2, 4, 8];
const RUNS = 5;
/** Per-resource time at N× may be at most this multiple of the 1× baseline to call the growth linear. */
const LINEAR_TOLERANCE = 1.5;
const STACK = "prod";
const PROGRAM = path.resolve(__dirname, "../infra/index");


// ---------------------------------------------------------------------------------------------------
// 1. Linearity

/** The catalog N times over: `<app>-<i>`, each with its own database `<database>-<i>`. */
function scaledCatalog(n: number): { apps: AppDecl[]; migrationsOf: Map<string, string> } {
  const apps: AppDecl[] = [];
  const migrationsOf = new Map<string, string>();
  for (let i = 1; i <= n; i++) {
    for (const app of CATALOG) {
      const clone: AppDecl = JSON.parse(JSON.stringify(app));
      clone.name = `${app.name}-${i}`;
      clone.vercel.gitRepository.repo = `${app.vercel.gitRepository.repo}-${i}`;
      if (clone.database) {
        clone.database.name = `${app.database!.name}-${i}`;
        // A clone's database runs the original's migration files.
        migrationsOf.set(clone.database.name, `migrations/${app.database!.name}`);
      }
      apps.push(clone);
    }
  }
  return { apps, migrationsOf };
}

/** Renames the keys of a structured config value (`<app>/...`, `<app>`, `<database>`) for clone `i`. */
function renameKeys(value: unknown, rename: (key: string) => string): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [rename(k), v]));
}

/**
 * The prod stack file's raw config with every app-, feature-, setting- and database-keyed entry
 * repeated for clones 1..n, plus a fake value for every secret the scaled catalog requires.
 */
function scaledRawConfig(n: number, apps: readonly AppDecl[]): Record<string, RawEntry> {
  const base = rawEntriesFromYaml(fs.readFileSync(stackFilePath(STACK), "utf8"));
  const k = (name: string) => `${NAMESPACE}:${name}`;
  const raw: Record<string, RawEntry> = {};
  for (const [key, entry] of Object.entries(base)) {
    if (!key.startsWith(`${NAMESPACE}:`)) raw[key] = entry;
  }
  const byApp = (key: string, i: number) => {
    const [app, ...rest] = key.split("/");
    return [`${app}-${i}`, ...rest].join("/");
  };
  const repeat = (name: string, rename: (key: string, i: number) => string) => {
    const entry = base[k(name)];
    if (!entry) return;
    const merged: Record<string, unknown> = {};
    for (let i = 1; i <= n; i++) Object.assign(merged, renameKeys(entry.value, (key) => rename(key, i)));
    raw[k(name)] = { value: merged, secret: false };
  };
  for (const [name, entry] of Object.entries(base)) {
    if (!name.startsWith(`${NAMESPACE}:`)) continue;
    const bare = name.slice(NAMESPACE.length + 1);
    if (bare === "apps") {
      const listed = entry.value as string[];
      raw[name] = { value: Array.from({ length: n }, (_, j) => listed.map((a) => `${a}-${j + 1}`)).flat(), secret: false };
    } else if (["phases", "previewPhases", "settings", "previewSettings"].includes(bare)) {
      repeat(bare, byApp);
    } else if (bare === "edgeConfig") {
      raw[name] = entry;
    } else if (["databases", "imports", "cronSecretRotation"].includes(bare)) {
      repeat(bare, (key, i) => `${key}-${i}`);
    } else if (!entry.secret) {
      raw[name] = entry;
    }
  }
  for (const app of apps) {
    for (const e of app.env) {
      if (e.source.from === "secret") raw[k(`${app.name}.${e.key}`)] = { value: fakeSecret(`${app.name}.${e.key}`), secret: true };
    }
  }
  return raw;
}

function programConfig(raw: Record<string, RawEntry>): ProgramConfig {
  return Object.fromEntries(Object.entries(raw).map(([key, e]) => [key, { value: e.value, secret: e.secret }]));
}

/** What `infra/index.ts` builds, for an explicit config and catalog. */
function catalogProgram(config: StackConfig, migrationsOf: ReadonlyMap<string, string>) {
  return () => {
    const databases = databasesOf(config.apps).map(
      (decl) => new SupabaseDatabase(decl.name, { database: decl, config, migrationsDir: migrationsOf.get(decl.name) }),
    );
    const { live: livePlan } = planLive(config);
    const live = livePlan ? new LiveValues("live", { plan: livePlan, team: config.vercel.team }) : undefined;
    const apps = config.apps.map(
      (app) =>
        new VercelApp(app.name, { app, config, deployAfter: databases.filter((d) => d.plan.name === app.database?.name), edgeConfigConnection: live?.connectionString }),
    );
    return {
      apps: config.apps.map((a) => a.name),
      phases: config.phases,
      vercel: pulumi.all(apps.map((a) => a.summary)).apply((s) => Object.fromEntries(apps.map((a, i) => [a.plan.app, s[i]]))),
      supabase: Object.fromEntries(databases.map((d) => [d.plan.name, d.summary])),
    };
  };
}

interface Scaled {
  scale: number;
  apps: number;
  render: () => Promise<Render>;
}

function scaledRender(n: number): Scaled {
  const { apps, migrationsOf } = scaledCatalog(n);
  const raw = scaledRawConfig(n, apps);
  const config = parseStackConfig(STACK, raw, { catalog: apps, requireSecrets: true });
  if (config.apps.length !== apps.length) throw new Error(`scaled config manages ${config.apps.length} apps, expected ${apps.length}`);
  const program = catalogProgram(config, migrationsOf);
  return { scale: n, apps: apps.length, render: () => renderProgram({ stack: STACK, config: programConfig(raw), program }) };
}

/** Type → count, for comparing two renders' shapes. */
function typeCounts(render: Render): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of render.resources) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
  return counts;
}

async function linearity(out: (line: string) => void, realProd: Render): Promise<string[]> {
  const failures: string[] = [];
  const scaled = SCALES.map(scaledRender);

  // The 1× program must be the real program's shape, or the bench measures something else.
  const one = await scaled[0].render();
  const a = typeCounts(one);
  const b = typeCounts(realProd);
  const differs = [...new Set([...a.keys(), ...b.keys()])].filter((t) => a.get(t) !== b.get(t));
  if (differs.length) {
    const msg = `the 1× bench program differs from infra/index.ts on prod: ${differs.map((t) => `${t} ${a.get(t) ?? 0} vs ${b.get(t) ?? 0}`).join("; ")}`;
    out(`  ${msg}`);
    failures.push(msg);
  } else {
    out(`  1× renders the same resources as infra/index.ts on prod: ${one.resources.length} resources of ${a.size} types`);
  }

  // The SDK's own cost per resource under mocks, for scale: as many plain resources, no components.
  const floorCount = one.resources.length - 1;
  const floor = () =>
    renderProgram({
      stack: STACK,
      program: () => void Array.from({ length: floorCount }, (_, i) => new random.RandomPassword(`floor-${i}`, { length: 32, special: false })),
    });

  // Warm-up (module JIT, dynamic-provider serialization cache): one render at each scale, not measured.
  for (const s of scaled) await s.render();
  await floor();

  // Rounds over all scales, so drift (other processes on the 2 cores) hits every scale alike.
  const times = new Map<number, number[]>(SCALES.map((n) => [n, []]));
  const counts = new Map<number, number>();
  const floorTimes: number[] = [];
  let floorResources = 0;
  for (let run = 0; run < RUNS; run++) {
    const t = process.hrtime.bigint();
    floorResources = (await floor()).resources.length;
    floorTimes.push(ms(t));
    for (const s of scaled) {
      const t = process.hrtime.bigint();
      const r = await s.render();
      times.get(s.scale)!.push(ms(t));
      const previous = counts.get(s.scale);
      if (previous !== undefined && previous !== r.resources.length) throw new Error(`${s.scale}× rendered ${r.resources.length} resources, before ${previous}`);
      counts.set(s.scale, r.resources.length);
    }
  }

  const row = (c: string[]) => out(`  ${c[0].padEnd(6)}${c[1].padStart(6)}${c[2].padStart(11)}${c[3].padStart(12)}${c[4].padStart(15)}${c[5].padStart(11)}${c[6].padStart(11)}`);
  row(["scale", "apps", "resources", "median", "per resource", "min-max", "vs 1×"]);
  const perResource = (n: number) => median(times.get(n)!) / counts.get(n)!;
  const baseline = perResource(1);
  let worst = { scale: 1, ratio: 1 };
  for (const s of scaled) {
    const ts = times.get(s.scale)!;
    const ratio = perResource(s.scale) / baseline;
    if (ratio > worst.ratio) worst = { scale: s.scale, ratio };
    row([
      `${s.scale}×`,
      String(s.apps),
      String(counts.get(s.scale)),
      fmt(median(ts)),
      `${(perResource(s.scale) * 1000).toFixed(0)} µs`,
      `${Math.round(Math.min(...ts))}-${Math.round(Math.max(...ts))}`,
      `${ratio.toFixed(2)}×`,
    ]);
  }
  const floorPer = median(floorTimes) / floorResources;
  out(
    `  for scale, the SDK's mocks alone: ${floorResources} plain RandomPasswords (same harness, no components) in ${fmt(median(floorTimes))}, ` +
      `${(floorPer * 1000).toFixed(0)} µs per resource; the catalog at 1× costs ${(baseline / floorPer).toFixed(2)}× that per resource`,
  );
  if (worst.ratio <= LINEAR_TOLERANCE) {
    out(`  linear: time per resource stays within ${LINEAR_TOLERANCE}× of the 1× baseline (largest: ${worst.ratio.toFixed(2)}× at ${worst.scale}×)`);
  } else {
    out(`  NOT linear: time per resource at ${worst.scale}× is ${worst.ratio.toFixed(2)}× the 1× baseline (tolerance ${LINEAR_TOLERANCE}×)`);
  }
  return failures;
}

// ---------------------------------------------------------------------------------------------------
// 2. Minimal diff

/** A seed move: one line of the prod stack file changed. */
interface Move {
  label: string;
  app: string;
  /** A phase move (`<app>/<feature>` from → to) or a setting change (`<app>/<KEY>` from → to). */
  kind: "phase" | "setting";
  name: string;
  from: string;
  to: string;
}

const MOVES: Move[] = [
  { label: "000 flag on", app: "chat-sessions", kind: "phase", name: "early-session-creation", from: "off", to: "10" },
  { label: "002 10 → 50", app: "metadata-context", kind: "phase", name: "enhanced-context", from: "10", to: "50" },
  { label: "000 cleanup live", app: "chat-sessions", kind: "phase", name: "cleanup", from: "dry-run", to: "live" },
  { label: "002 kill", app: "metadata-context", kind: "phase", name: "enhanced-context", from: "10", to: "off" },
  { label: "000 threshold", app: "chat-sessions", kind: "setting", name: "SESSION_CLEANUP_THRESHOLD_HOURS", from: "24", to: "12" },
];

/** The env keys whose production value the move changes, from the declaration (not from the planner). */
function movedKeys(move: Move): string[] {
  if (move.kind === "setting") return [move.name];
  const app = CATALOG.find((a) => a.name === move.app)!;
  const feature = app.features.find((f) => f.name === move.name);
  if (!feature) throw new Error(`${move.app} has no feature ${move.name}`);
  const before = deliveredValues(feature, move.from, "production");
  const after = deliveredValues(feature, move.to, "production");
  return Object.keys({ ...before, ...after })
    .filter((key) => before[key] !== after[key])
    .sort();
}

/** The prod stack file's config, as `test/program/render.ts` renders it: fake values for its secrets. */
function prodConfig(): ProgramConfig {
  const parsed = loadStackConfigFile(STACK);
  const required = Object.entries(parsed.secrets)
    .filter(([, v]) => !v.known)
    .map(([key]) => `${NAMESPACE}:${key}`);
  return stackFileConfig(STACK, required);
}

function renderProd(config: ProgramConfig): Promise<Render> {
  return renderProgram({ stack: STACK, config, program: () => ({ ...requireFresh<Record<string, unknown>>(PROGRAM) }) });
}

function applyMove(config: ProgramConfig, move: Move): ProgramConfig {
  const key = `${NAMESPACE}:${move.kind === "phase" ? "phases" : "settings"}`;
  return withConfig(config, key, (value) => ({ ...(value as Record<string, unknown>), [`${move.app}/${move.name}`]: move.to }));
}

/**
 * Fields a move may change: an env var's value and its mirrored comment; the deployment's meta; and for a
 * live feature, the shares of the stack's Edge Config item.
 */
const ALLOWED_FIELDS: Record<string, string[]> = { [T.env]: ["comment", "value"], [T.deployment]: ["meta"], [T.liveItem]: ["shares"] };

async function minimalDiff(out: (line: string) => void, before: Render, config: ProgramConfig): Promise<string[]> {
  const failures: string[] = [];
  const nameOf = new Map([...before.resources].map((r) => [r.urn, r.name]));
  const cronSecrets = (r: Render) => r.ofType(T.password).filter((p) => p.name.endsWith("-cron-secret"));
  out(`  before: ${before.resources.length} resources; ${cronSecrets(before).length} CRON_SECRET RandomPassword(s)`);

  for (const move of MOVES) {
    const fail = (msg: string) => {
      failures.push(`${move.label}: ${msg}`);
      out(`      FAIL: ${msg}`);
    };
    const stackKey = `${move.app}/${move.name}`;
    const current = loadStackConfigFile(STACK);
    const actualFrom = move.kind === "phase" ? current.phases[stackKey] : current.settings[stackKey];
    out(`  ${move.label} (${move.kind === "phase" ? "phases" : "settings"}.${stackKey}: ${move.from} → ${move.to})`);
    if (actualFrom !== move.from) {
      fail(`the prod stack file has ${stackKey} at ${JSON.stringify(actualFrom)}, not ${JSON.stringify(move.from)}: the move's premise no longer holds`);
      continue;
    }
    const keys = movedKeys(move);
    const after = await renderProd(applyMove(config, move));
    const diff = diffRenders(before, after);

    const appUrn = before.get(T.app, move.app).urn;
    const deploymentUrn = before.get(T.deployment, `${move.app}-production`).urn;
    const allowedEnv = before.ofType(T.env).filter((r) => r.opts.parent === appUrn && keys.includes(r.inputs.key));
    const live = move.kind === "phase" && !!CATALOG.find((a) => a.name === move.app)?.features.find((f) => f.name === move.name)?.live;
    const liveItemUrn = live ? before.ofType(T.liveItem)[0]?.urn : undefined;
    const allowed = new Set([deploymentUrn, ...allowedEnv.map((r) => r.urn), ...(liveItemUrn ? [liveItemUrn] : [])]);

    const spurious: string[] = [];
    for (const urn of diff.added) spurious.push(`added ${urn}`);
    for (const urn of diff.removed) spurious.push(`removed ${urn}`);
    for (const [urn, fields] of Object.entries(diff.optionsChanged)) spurious.push(`${nameOf.get(urn) ?? urn}: options ${fields.join(", ")}`);
    for (const [urn, fields] of Object.entries(diff.changed)) {
      if (!allowed.has(urn)) {
        spurious.push(`${nameOf.get(urn) ?? urn}: ${fields.join(", ")}`);
        continue;
      }
      const type = before.resources.find((r) => r.urn === urn)!.type;
      const extra = fields.filter((f) => !ALLOWED_FIELDS[type].includes(f));
      if (extra.length) spurious.push(`${nameOf.get(urn)}: ${extra.join(", ")}`);
    }
    // The other half of "minimal": what must change did change (Vercel applies env to new deployments only).
    const missing: string[] = [];
    if (!diff.changed[deploymentUrn]) missing.push(`${move.app}-production (no redeploy)`);
    if (live && !(liveItemUrn && diff.changed[liveItemUrn])) missing.push("the Edge Config item (a live feature's share)");
    for (const key of keys) {
      if (!allowedEnv.some((r) => r.inputs.key === key && diff.changed[r.urn])) missing.push(`env var ${key}`);
    }

    const changed = Object.keys(diff.changed).length + diff.added.length + diff.removed.length;
    out(`      moved keys: ${keys.join(", ")}`);
    out(`      resources changed: ${changed}`);
    for (const [urn, fields] of Object.entries(diff.changed)) out(`        ${nameOf.get(urn) ?? urn} (${fields.join(", ")})`);
    out(`      spurious changes: ${spurious.length}`);
    for (const s of spurious) out(`        ${s}`);
    if (spurious.length) fail(`${spurious.length} spurious change(s)`);
    if (missing.length) fail(`expected but unchanged: ${missing.join("; ")}`);

    // CRON_SECRET: URN, inputs and the generated value (compared, never printed).
    const a = cronSecrets(before);
    const b = cronSecrets(after);
    const problems: string[] = [];
    if (JSON.stringify(a.map((p) => p.urn)) !== JSON.stringify(b.map((p) => p.urn))) problems.push("URN");
    for (const p of a) {
      const q = b.find((x) => x.urn === p.urn);
      if (!q) continue;
      if (JSON.stringify(p.inputs) !== JSON.stringify(q.inputs)) problems.push(`${p.name} inputs`);
      if (p.state.result !== q.state.result) problems.push(`${p.name} value`);
    }
    if (!a.length) problems.push("no CRON_SECRET RandomPassword in the render");
    if (problems.length) fail(`CRON_SECRET changed: ${problems.join(", ")}`);
    else out(`      CRON_SECRET (${a.map((p) => p.name).join(", ")}): URN, inputs and value unchanged`);
  }
  return failures;
}

export const renderBench: Bench = {
  name: "render",
  description: `whole-catalog render under mocks at ${SCALES.map((n) => `${n}×`).join(", ")} (linear growth), and the minimal diff of each seed move on ${STACK}`,
  async run(out) {
    const config = prodConfig();
    const t = process.hrtime.bigint();
    const prod = await renderProd(config);
    out(`real program (infra/index.ts) on ${STACK}: ${prod.resources.length} resources, first render ${fmt(ms(t))} (cold: module load, provider serialization)`);
    out(`linearity: the catalog cloned N times, SupabaseDatabase + VercelApp per app as infra/index.ts does; median of ${RUNS} renders after a warm-up`);
    const failures = await linearity(out, prod);
    out(`minimal diff: each seed move on stacks/Pulumi.${STACK}.yaml, rendered before and after (infra/index.ts, fresh modules)`);
    failures.push(...(await minimalDiff(out, prod, config)));
    return { failures };
  },
};
