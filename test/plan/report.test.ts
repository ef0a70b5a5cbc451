/**
 * The report from two snapshots, without rendering: phase words, env per target, the redeploy decision,
 * crons, database items, replacement rules and warnings, on small hand-made snapshots.
 */
import { describe, expect, it } from "vitest";
import { catalogByName } from "../../infra/apps";
import type { FeatureDecl } from "../../infra/apps/types";
import { buildReport, describeMove, SUPABASE_PREFIX, TYPES, type PlanReport } from "../../infra/plan/report";
import { SNAPSHOT_VERSION, type PlanSnapshot, type SnapshotResource, type StackFileFacts } from "../../infra/plan/snapshot";
import { deploymentMeta } from "../../infra/vercel/env-plan";

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
    resources,
    outputs: {},
    logs: [],
    placeholders: [],
    ...extra,
  };
}

/** One Vercel app: component, project, env vars (`KEY` → [targets, value, sensitive]), deployment. */
function vercelApp(app: string, env: Record<string, [string[], unknown, boolean?]>, cronJobs?: { path: string; schedule: string }[]): { resources: SnapshotResource[]; outputs: Record<string, unknown> } {
  const component = res(TYPES.app, app, {});
  const child = (type: string, name: string, inputs: Record<string, unknown>, options: Partial<SnapshotResource["options"]> = {}) =>
    res(type, name, inputs, { parent: component.urn, options: { ...OPTIONS, ...options } });
  const production: Record<string, { kind: "plain"; value: string } | { kind: "secret"; secretKey: string }> = {};
  const digests: Record<string, string> = {};
  const vars = Object.entries(env).map(([key, [targets, value, sensitive]]) => {
    if (targets.includes("production")) {
      if (typeof value === "string") production[key] = { kind: "plain", value };
      else {
        production[key] = { kind: "secret", secretKey: `${app}.${key}` };
        digests[key] = (value as { $secret: string }).$secret;
      }
    }
    return child(TYPES.env, `${app}-env-${key}`, { key, targets, value, sensitive: sensitive ?? false }, { deleteBeforeReplace: true });
  });
  const resources = [
    component,
    child(TYPES.project, `${app}-project`, { name: app }),
    ...vars,
    child(TYPES.deployment, `${app}-production`, { ref: "main", production: true, deleteOnDestroy: false, meta: deploymentMeta(production, digests) }),
  ];
  const outputs = cronJobs ? { [app]: { crons: { enabled: cronJobs.length > 0, jobs: cronJobs } } } : {};
  return { resources, outputs };
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

describe("Vercel: env values per target and the redeploy", () => {
  const secret = (fp: string) => ({ $secret: fp });

  it("lists changed values per target, secrets without values, and explains the redeploy with the production keys", () => {
    const before = vercelApp("metadata-context", {
      ENABLE_METADATA_ROLLOUT_PERCENTAGE: [["production", "preview", "development"], "10"],
      OPENAI_API_KEY: [["production", "preview"], secret("aaaa"), true],
      NEXT_PUBLIC_X: [["preview"], "p1"],
    });
    const after = vercelApp("metadata-context", {
      ENABLE_METADATA_ROLLOUT_PERCENTAGE: [["production", "preview", "development"], "50"],
      OPENAI_API_KEY: [["production", "preview"], secret("bbbb"), true],
      NEXT_PUBLIC_X: [["preview"], "p1"],
    });
    const r = report(snapshot(before.resources), snapshot(after.resources));
    expect(r.vercel).toHaveLength(1);
    const [app] = r.vercel;
    expect(app.env).toEqual([
      { target: "production", key: "ENABLE_METADATA_ROLLOUT_PERCENTAGE", change: "changed", secret: false, before: "10", after: "50" },
      { target: "production", key: "OPENAI_API_KEY", change: "changed", secret: true },
      { target: "preview", key: "ENABLE_METADATA_ROLLOUT_PERCENTAGE", change: "changed", secret: false, before: "10", after: "50" },
      { target: "preview", key: "OPENAI_API_KEY", change: "changed", secret: true },
      { target: "development", key: "ENABLE_METADATA_ROLLOUT_PERCENTAGE", change: "changed", secret: false, before: "10", after: "50" },
    ]);
    expect(app.redeploy).toEqual({
      redeploy: true,
      reason: 'production env changed: ENABLE_METADATA_ROLLOUT_PERCENTAGE "10" → "50"; OPENAI_API_KEY (secret) changed',
      keys: ["ENABLE_METADATA_ROLLOUT_PERCENTAGE", "OPENAI_API_KEY"],
    });
    expect(JSON.stringify(r)).not.toContain("aaaa");
    expect(JSON.stringify(r)).not.toContain("hmac:");
  });

  it("a preview-only change: env listed, no redeploy, no app noise when nothing changed", () => {
    const base = vercelApp("a", { K: [["production", "development"], "1"], P: [["preview"], "x"] });
    const head = vercelApp("a", { K: [["production", "development"], "1"], P: [["preview"], "y"] });
    const unchanged = vercelApp("b", { K: [["production"], "1"] });
    const r = report(snapshot([...base.resources, ...unchanged.resources]), snapshot([...head.resources, ...unchanged.resources]));
    expect(r.vercel.map((v) => v.app)).toEqual(["a"]);
    expect(r.vercel[0].env).toEqual([{ target: "preview", key: "P", change: "changed", secret: false, before: "x", after: "y" }]);
    expect(r.vercel[0].redeploy).toEqual({ redeploy: false, reason: "production env unchanged: no new deployment", keys: [] });
    expect(r.counts.redeploys).toBe(0);
  });

  it("a new app's first deployment, a dropped app's kept deployment, and other deployment inputs", () => {
    const a = vercelApp("a", { K: [["production"], "1"] });
    const b = vercelApp("b", { K: [["production"], "1"] });
    const r = report(snapshot(a.resources), snapshot(b.resources));
    expect(r.vercel.map((v) => [v.app, v.change, v.redeploy])).toEqual([
      ["a", "removed", { redeploy: false, reason: "the production deployment is no longer managed (kept on Vercel: deleteOnDestroy is false)", keys: [] }],
      ["b", "added", { redeploy: true, reason: "first production deployment (1 production env keys)", keys: [] }],
    ]);
    const moved = vercelApp("a", { K: [["production"], "1"] });
    const deployment = moved.resources.find((x) => x.type === TYPES.deployment)!;
    deployment.inputs = { ...deployment.inputs, ref: "release" };
    expect(report(snapshot(a.resources), snapshot(moved.resources)).vercel[0].redeploy).toEqual({ redeploy: true, reason: "ref main → release", keys: [] });
  });

  it("crons: enabled, added, removed, rescheduled", () => {
    const before = vercelApp("c", { K: [["production"], "1"] }, [
      { path: "/a", schedule: "0 2 * * *" },
      { path: "/b", schedule: "0 3 * * *" },
    ]);
    const after = vercelApp("c", { K: [["production"], "1"] }, [
      { path: "/a", schedule: "0 4 * * *" },
      { path: "/c", schedule: "0 5 * * *" },
    ]);
    const r = report(snapshot(before.resources, {}, { outputs: { vercel: before.outputs } }), snapshot(after.resources, {}, { outputs: { vercel: after.outputs } }));
    expect(r.vercel[0].crons).toEqual({
      enabledBefore: true,
      enabledAfter: true,
      jobs: [
        { path: "/a", schedule: "0 4 * * *" },
        { path: "/c", schedule: "0 5 * * *" },
      ],
      added: [{ path: "/c", schedule: "0 5 * * *" }],
      removed: [{ path: "/b", schedule: "0 3 * * *" }],
      rescheduled: [{ path: "/a", from: "0 2 * * *", to: "0 4 * * *" }],
    });
  });
});

describe("databases", () => {
  const db = res(TYPES.database, "hc", {});
  const child = (kind: string, name: string, inputs: Record<string, unknown>, options: Partial<SnapshotResource["options"]> = {}) =>
    res(`${SUPABASE_PREFIX}${kind}`, name, { database: "hc", ...inputs }, { parent: db.urn, options: { ...OPTIONS, ...options } });
  const files = (...f: [string, string, string][]) => f.map(([version, name, sha256]) => ({ version, name, sha256 }));

  it("migrations to run by file, edited and removed files, with a drift warning", () => {
    const before = child("Migrations", "hc-migrations", { dir: "migrations/hc", files: files(["1", "a", "s1"], ["2", "b", "s2"], ["3", "c", "s3"]) });
    const after = child("Migrations", "hc-migrations", { dir: "migrations/hc", files: files(["1", "a", "s1"], ["2", "b", "CHANGED"], ["4", "d", "s4"], ["5", "e", "s5"]) });
    const r = report(snapshot([db, before]), snapshot([db, after]));
    expect(r.databases).toEqual([
      {
        database: "hc",
        change: "changed",
        migrations: {
          run: [
            { version: "4", name: "d", file: "migrations/hc/4_d.sql" },
            { version: "5", name: "e", file: "migrations/hc/5_e.sql" },
          ],
          edited: [{ version: "2", name: "b", file: "migrations/hc/2_b.sql" }],
          removed: [{ version: "3", name: "c", file: "migrations/hc/3_c.sql" }],
        },
        schemas: [],
        buckets: [],
        policies: [],
        other: [],
      },
    ]);
    expect(r.counts.migrations).toBe(2);
    expect(r.warnings).toEqual([expect.stringContaining("hc: already-numbered migration file(s) changed (migrations/hc/2_b.sql)")]);
  });

  it("schemas, buckets and policies added, changed, replaced and removed, with what each means", () => {
    const policy = (name: string, using: string) => child("RlsPolicy", `hc-policy-${name}`, { name, schema: "s", table: "t", command: "select", roles: ["authenticated"], using, statement: `create policy "${name}" ... using (${using})` });
    const before = [
      db,
      child("Schema", "hc-schema-s", { name: "s", exposed: false, usage: ["authenticated"] }, { retainOnDelete: true }),
      child("Bucket", "hc-bucket-files", { bucketId: "files", public: false }, { retainOnDelete: true }),
      child("Bucket", "hc-bucket-old", { bucketId: "old", public: false }, { retainOnDelete: true }),
      policy("p_keep", "true"),
      policy("p_edit", "a = b"),
      policy("p_gone", "x"),
      child("Checks", "hc-checks", { declaration: "d1", checks: [] }),
    ];
    const after = [
      db,
      child("Schema", "hc-schema-s", { name: "s", exposed: true, usage: ["authenticated"] }, { retainOnDelete: true }),
      child("Bucket", "hc-bucket-files", { bucketId: "files", public: true }, { retainOnDelete: true }),
      policy("p_keep", "true"),
      policy("p_edit", "a = c"),
      policy("p_new", "y"),
      child("Checks", "hc-checks", { declaration: "d2", checks: [] }),
    ];
    const r = report(snapshot(before), snapshot(after));
    const [d] = r.databases;
    expect(d.schemas).toEqual([{ kind: "Schema", name: "s", change: "changed", details: ["exposed: false → true"] }]);
    expect(d.buckets).toEqual([
      { kind: "Bucket", name: "files", change: "changed", details: ["public: false → true"] },
      { kind: "Bucket", name: "old", change: "removed", details: [], note: "kept in the database (retainOnDelete): Pulumi only forgets it" },
    ]);
    expect(d.policies).toEqual([
      { kind: "RlsPolicy", name: "p_edit on s.t (select)", change: "changed", details: ["using: a = b → a = c"], statement: 'create policy "p_edit" ... using (a = c)' },
      { kind: "RlsPolicy", name: "p_gone on s.t (select)", change: "removed", details: [], note: "dropped from the database" },
      { kind: "RlsPolicy", name: "p_new on s.t (select)", change: "added", details: [], statement: 'create policy "p_new" ... using (y)' },
    ]);
    expect(d.other).toEqual([{ kind: "Checks", name: "hc-checks", change: "changed", details: [], note: "run again after the changes above" }]);
    expect(r.warnings).toContain("hc: bucket files becomes public (anyone with a file's URL can read it)");
    // A renamed policy (new name = new identity) is a replacement by the handler's rules.
    const renamed = report(snapshot([db, policy("p_edit", "a = b")]), snapshot([db, { ...policy("p_edit", "a = b"), inputs: { ...policy("p_edit", "a = b").inputs, table: "u" } }]));
    expect(renamed.databases[0].policies[0]).toMatchObject({ change: "replaced" });
    expect(renamed.resources.replaced.map((x) => x.replaceBecause)).toEqual([["table"]]);
  });
});

describe("resources, secrets, warnings", () => {
  it("replaces by the provider's rules, updates otherwise; warns about a regenerated CRON_SECRET and a protected removal", () => {
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
    expect(r.warnings).toEqual([
      "a-cron-secret is replaced (keepers changed): a new random value is generated, so its CRON_SECRET changes",
      "a-project (vercel:index/project:Project) is protected: pulumi up will refuse to delete it; unprotect it first if removing it is intended",
    ]);
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
    const app = vercelApp("a", { K: [["production"], "1"] });
    expect(report(snapshot(app.resources), snapshot(app.resources)).summary).toBe("stack prod against main (0123456789ab): no changes");
    const none = report(null, snapshot([]));
    expect(none.summary).toBe("stack prod as declared (no base): no changes");
  });
});
