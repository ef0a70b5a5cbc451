/**
 * The report from two snapshots, without rendering: phase words; app and database changes carried
 * from the stack models' diff (and the fallback for a base without a model); the generic resource
 * diff with replacement rules read from beside each handler; secrets, warnings and the summary.
 */
import { describe, expect, it } from "vitest";
import { catalogByName } from "../../infra/apps";
import type { FeatureDecl } from "../../infra/apps/types";
import { loadStackConfigFile, type StackConfig } from "../../infra/config";
import { planStack } from "../../infra/model";
import { diffPlans } from "../../infra/model/diff";
import { buildReport, describeMove, replaceBecause, type PlanReport } from "../../infra/plan/report";
import { SNAPSHOT_VERSION, type PlanSnapshot, type SnapshotResource, type StackFileFacts } from "../../infra/plan/snapshot";
import { TYPES as SUPABASE } from "../../infra/supabase/resources/types";
import { TYPES } from "../../infra/vercel/resource-types";

const catalog = catalogByName();
const feature = (key: string): FeatureDecl => {
  const [app, name] = key.split("/");
  return catalog.get(app)!.features.find((f) => f.name === name)!;
};

const OPTIONS: SnapshotResource["options"] = { protect: false, deleteBeforeReplace: false, retainOnDelete: false, importId: "", replaceOnChanges: [] };
const urn = (type: string, name: string, parent?: string) =>
  `urn:pulumi:prod::rollout-stack::${parent ? `${parent.split("::")[2]}$` : ""}${type}::${name}`;

function res(type: string, name: string, inputs: Record<string, unknown>, extra: Partial<SnapshotResource> = {}): SnapshotResource {
  return { urn: urn(type, name, extra.parent), type, name, custom: !type.startsWith("rollout-stack:"), parent: "", inputs, masked: [], options: { ...OPTIONS }, ...extra };
}

function snapshot(resources: SnapshotResource[], stackFile: Partial<StackFileFacts> = {}, extra: Partial<PlanSnapshot> = {}): PlanSnapshot {
  return {
    version: SNAPSHOT_VERSION,
    stack: "prod",
    project: "rollout-stack",
    stackFile: { path: "stacks/Pulumi.prod.yaml", apps: [], phases: {}, previewPhases: {}, secrets: {}, environments: [], ...stackFile },
    features: null,
    populations: null,
    resources,
    outputs: {},
    logs: [],
    placeholders: [],
    model: null,
    ...extra,
  };
}

function report(base: PlanSnapshot | null, head: PlanSnapshot): PlanReport {
  return buildReport({
    stack: "prod",
    base,
    head,
    baseInfo: base ? { ref: "main", commit: "0123456789abcdef0123456789abcdef01234567", stackFile: true } : null,
    headInfo: { commit: null, dirty: false },
  });
}

describe("describeMove: what a phase move means", () => {
  it.each([
    ["chat-sessions/early-session-creation", "off", "10", "advance", "off → 10% of production users (advance)"],
    ["chat-sessions/early-session-creation", "off", "100", "shortcut", "off → 100% of production users (shortcut)"],
    ["chat-sessions/early-session-creation", "10", "100", "skip-forward", "10% → 100% of production users (skips rungs forward)"],
    ["chat-sessions/early-session-creation", "50", "10", "rollback", "50% → 10% of production users (rollback)"],
    ["metadata-context/enhanced-context", "50", "off", "kill", "50% → off (kill: back to the first rung)"],
    ["chat-sessions/cleanup", "dry-run", "live", "advance", "dry-run → live (advance)"],
    ["chat-sessions/cleanup", "live", "dry-run", "kill", "live → dry-run (kill: back to the first rung)"],
    ["analy-ticket/advanced", "off", "beta", "advance", "off → the beta cohort of production users (advance)"],
    ["analy-ticket/advanced", "beta", "25", "advance", "the beta cohort → beta + 25% of production users (advance)"],
  ])("%s: %s → %s is %s", (key, from, to, kind, text) => {
    expect(describeMove(feature(key), key, from, to, "production users")).toEqual({ kind, text });
  });

  it("describes appearing, disappearing and off-ladder rungs plainly", () => {
    const f = feature("metadata-context/enhanced-context");
    expect(describeMove(f, "k", null, "10", "production users")).toEqual({ kind: "new", text: "new, at 10% of production users" });
    expect(describeMove(f, "k", "50", null, "production users")).toEqual({ kind: "dropped", text: "no longer in the stack (was 50%)" });
    expect(describeMove(f, "k", "70", "50", "production users")).toEqual({ kind: "changed", text: "70 → 50" });
    expect(describeMove(undefined, "k", "a", "b", "production users")).toEqual({ kind: "changed", text: "a → b" });
  });

  it("uses the head tree's features, notes a pinned preview, and reports preview moves separately", () => {
    const head = snapshot([], { phases: { "metadata-context/enhanced-context": "50" }, previewPhases: { "metadata-context/enhanced-context": "10" } });
    const base = snapshot([], { phases: { "metadata-context/enhanced-context": "10" } });
    // The head's own ladder wins over this repository's catalog.
    head.features = { "metadata-context/enhanced-context": { ...feature("metadata-context/enhanced-context"), rungs: [{ name: "off" }, { name: "10" }, { name: "50" }, { name: "100" }] } };
    const r = report(base, head);
    expect(r.phases).toEqual([
      { key: "metadata-context/enhanced-context", target: "production", from: "10", to: "50", kind: "advance", text: "10% → 50% of production users (advance); preview stays at 10 (previewPhases)" },
      { key: "metadata-context/enhanced-context", target: "preview", from: null, to: "10", kind: "new", text: "new, at 10% of preview deployments' users" },
    ]);
  });
});

describe("app and database changes: the stack models' diff", () => {
  const prod = loadStackConfigFile("prod");
  const moved = (cfg: StackConfig, key: string, to: string): StackConfig => ({ ...cfg, phases: { ...cfg.phases, [key]: to } });

  it("carries diffPlans' apps (values under env), databases and warnings as they are", () => {
    const before = planStack(moved(prod, "metadata-context/enhanced-context", "10"));
    const after = planStack(moved(prod, "metadata-context/enhanced-context", "50"));
    const r = report(snapshot([], {}, { model: before }), snapshot([], {}, { model: after }));
    expect(r.diff).toBe("model");
    expect(r.vercel).toEqual([
      {
        app: "metadata-context",
        project: "metadata-context",
        change: "changed",
        env: ["production", "preview", "development"].map((target) => ({ channel: "env", target, key: "ENABLE_METADATA_ROLLOUT_PERCENTAGE", change: "changed", before: "10", after: "50", secret: false })),
        redeploy: { redeploy: true, reason: 'production env changed: ENABLE_METADATA_ROLLOUT_PERCENTAGE "10" → "50"', keys: ["ENABLE_METADATA_ROLLOUT_PERCENTAGE"] },
        crons: null,
        projectSettings: [],
      },
    ]);
    expect(r.databases).toEqual([]);
    expect(r.counts).toMatchObject({ envValues: 3, redeploys: 1, migrations: 0 });
    const d = diffPlans(before, after);
    expect(r.vercel.map(({ env, ...rest }) => ({ ...rest, values: env }))).toEqual(d.apps);
  });

  it("without a base, everything the head declares is new", () => {
    const r = report(null, snapshot([], {}, { model: planStack(prod) }));
    expect(r.diff).toBe("model");
    expect(r.vercel.map((v) => [v.app, v.change])).toEqual([...prod.apps.map((a) => a.name)].sort().map((a) => [a, "added"]));
    expect(r.counts.migrations).toBe(planStack(prod).databases.reduce((n, d) => n + d.migrations.files.length, 0));
    expect(r.counts.redeploys).toBe(prod.apps.length);
  });

  it("a base whose code predates the model: the render diff only, and a note says so", () => {
    const r = report(snapshot([]), snapshot([], {}, { model: planStack(prod) }));
    expect(r.diff).toBe("render");
    expect(r.vercel).toEqual([]);
    expect(r.databases).toEqual([]);
    expect(r.notes).toContain("the base main predates the stack model: env values, redeploys and database items are not itemised; see the resource changes");
  });

  it("warnings of the diff (a regenerated CRON_SECRET) are the report's", () => {
    const rotated: StackConfig = { ...prod, cronSecretRotation: { "chat-sessions": 3 } };
    const r = report(snapshot([], {}, { model: planStack(prod) }), snapshot([], {}, { model: planStack(rotated) }));
    expect(r.warnings).toEqual([
      "chat-sessions: CRON_SECRET is regenerated (cronSecretRotation 0 → 3): a new random value replaces it, and the crons use the new one from the next production deployment",
    ]);
  });
});

describe("resources, secrets, warnings", () => {
  it("replaces by the rules beside each handler, updates otherwise; warns about a protected removal", () => {
    const envVar = (inputs: Record<string, unknown>) => res(TYPES.env, "a-env-K", { key: "K", value: "1", sensitive: false, comment: "c", ...inputs });
    const password = (rotation: string) => res(TYPES.password, "a-cron-secret", { length: 32, special: false, keepers: { rotation } });
    const project = res(TYPES.project, "a-project", { name: "a" }, { options: { ...OPTIONS, protect: true } });
    const r = report(
      snapshot([envVar({}), res(TYPES.env, "a-env-S", { key: "S", sensitive: false }), password("0"), project]),
      snapshot([envVar({ comment: "d" }), res(TYPES.env, "a-env-S", { key: "S", sensitive: true }), password("1")]),
    );
    expect(r.resources.updated.map((u) => [u.name, u.inputs, u.replaceBecause])).toEqual([["a-env-K", ["comment"], []]]);
    expect(r.resources.replaced.map((u) => [u.name, u.replaceBecause])).toEqual([
      ["a-cron-secret", ["keepers"]],
      ["a-env-S", ["sensitive"]],
    ]);
    expect(r.resources.removed.map((u) => u.name)).toEqual(["a-project"]);
    expect(r.warnings).toEqual(["a-project (vercel:index/project:Project) is protected: pulumi up will refuse to delete it; unprotect it first if removing it is intended"]);
  });

  it.each([
    [SUPABASE.Bucket, ["bucketId", "public"], ["bucketId"]],
    // `id` is no input of a Bucket (Pulumi reserves it): only the handler's own rule counts.
    [SUPABASE.Bucket, ["id", "public"], []],
    [SUPABASE.Schema, ["name", "grants"], ["name"]],
    [SUPABASE.RlsPolicy, ["table", "using"], ["table"]],
    [SUPABASE.Migrations, ["files"], []],
    [SUPABASE.Migrations, ["database"], ["database"]],
    [SUPABASE.DataApiExposure, ["projectRef", "schemas"], ["projectRef"]],
    [SUPABASE.Checks, ["declaration"], []],
    [TYPES.deployment, ["meta", "deleteOnDestroy"], ["meta"]],
    ["vercel:index/unknown:Thing", ["x"], []],
  ])("%s: a change of %j replaces on %j", (type, inputs, expected) => {
    expect(replaceBecause({ type, options: { ...OPTIONS } }, inputs)).toEqual(expected);
  });

  it("replaceOnChanges adds to a type's rules", () => {
    expect(replaceBecause({ type: TYPES.project, options: { ...OPTIONS, replaceOnChanges: ["name"] } }, ["name", "framework"])).toEqual(["name"]);
  });

  it("reports option changes, ignores components, and counts unchanged resources", () => {
    const a = res(TYPES.project, "p", { name: "p" });
    const b = { ...a, options: { ...OPTIONS, protect: true } };
    const r = report(snapshot([res(TYPES.app, "x", {}), a]), snapshot([res(TYPES.app, "y", {}), b]));
    expect(r.resources).toEqual({ added: [], removed: [], replaced: [], updated: [{ urn: a.urn, type: a.type, name: "p", inputs: [], options: ["protect"], replaceBecause: [] }], unchanged: 0 });
  });

  it("secret config keys added, removed or changed, by fingerprint only; new program warnings are warnings, old ones notes", () => {
    const base = snapshot([], { secrets: { "ns:a.K": "f1", "ns:a.GONE": "f2" } }, { logs: [{ severity: "warning", message: "old" }] });
    const head = snapshot([], { secrets: { "ns:a.K": "f9", "ns:a.NEW": "f3" }, environments: ["acme/prod"] }, { logs: [{ severity: "warning", message: "old" }, { severity: "warning", message: "new" }], placeholders: ["ns:a.X"] });
    const r = report(base, head);
    expect(r.secrets).toEqual([
      { key: "ns:a.GONE", change: "removed" },
      { key: "ns:a.K", change: "changed" },
      { key: "ns:a.NEW", change: "added" },
    ]);
    expect(r.warnings).toEqual(["warning from the program: new"]);
    expect(r.notes).toEqual([
      "unchanged from the base, warning from the program: old",
      "secrets not in the stack file (from an ESC environment or not set yet) rendered as placeholders: ns:a.X",
      "the stack imports ESC environment(s) acme/prod: their values are not read offline (secrets are placeholders)",
    ]);
  });

  it("summarises in one line; no changes says so", () => {
    const model = planStack(loadStackConfigFile("prod"));
    const same = [res(TYPES.project, "p", { name: "p" })];
    expect(report(snapshot(same, {}, { model }), snapshot(same, {}, { model })).summary).toBe("stack prod against main (0123456789ab): no changes");
    expect(report(null, snapshot([])).summary).toBe("stack prod as declared (no base): no changes");
    const moved = planStack({ ...loadStackConfigFile("prod"), phases: { ...loadStackConfigFile("prod").phases, "metadata-context/enhanced-context": "100" } });
    expect(report(snapshot(same, {}, { model }), snapshot(same, {}, { model: moved })).summary).toMatch(/^stack prod against main \(0123456789ab\): \d env values? changed; 1 production redeploy \(metadata-context\); 1 live share changed in Edge Config item rollout_prod; resources: 0 to add/);
  });
});

describe("the summary of a crons-only change", () => {
  it("names the app whose crons change, not 'no changes'", () => {
    const prod = loadStackConfigFile("prod");
    const before = planStack(prod);
    const after: typeof before = JSON.parse(JSON.stringify(before));
    const chat = after.apps.find((a) => a.app === "chat-sessions")!.vercel!;
    chat.crons = { ...chat.crons, jobs: chat.crons.jobs.map((j) => ({ ...j, schedule: "0 4 * * *" })) };
    const r = report(snapshot([], {}, { model: before }), snapshot([], {}, { model: after }));
    expect(r.counts.crons).toBe(1);
    expect(r.summary).toBe("stack prod against main (0123456789ab): crons change (chat-sessions); resources: 0 to add, 0 to update, 0 to replace, 0 to remove");
  });
});
