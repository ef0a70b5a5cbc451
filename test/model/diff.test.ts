/**
 * The stack model and its diff: what a stack declares (`planStack`) and what a change does
 * (`diffPlans`, `describeAppEffect`, `moveEffectLines`), against literal expectations for the real
 * stack files.
 */
import { describe, expect, it } from "vitest";
import { loadStackConfigFile, type StackConfig } from "../../infra/config";
import { moveEffectLines, planStack, type StackPlan } from "../../infra/model";
import { describeAppEffect, diffPlans } from "../../infra/model/diff";

const prod = loadStackConfigFile("prod");
const staging = loadStackConfigFile("staging");
const moved = (cfg: StackConfig, key: string, to: string): StackConfig => ({ ...cfg, phases: { ...cfg.phases, [key]: to } });
/** A deep, mutable copy of a model (to make code-side changes: a new migration, a public bucket). */
const copy = (p: StackPlan): StackPlan => JSON.parse(JSON.stringify(p));

describe("planStack", () => {
  it("declares each managed app's Vercel side and each database, in the stack's order", () => {
    const model = planStack(prod);
    expect(model.format).toBe("rollout-stack.model/v1");
    expect(model.apps.map((a) => [a.app, a.database, a.vercel?.project.name])).toEqual(prod.apps.map((a) => [a.name, a.database?.name, a.name]));
    expect(model.databases.map((d) => d.name)).toEqual(["chat-sessions", "analy-ticket", "metadata-context", "health-companion", "conversation-raw-storage"]);
    const chat = model.databases.find((d) => d.name === "chat-sessions")!;
    expect(chat.migrations.dir).toBe("migrations/chat-sessions");
    expect(chat.migrations.files.map((f) => `${f.version}_${f.name}`)).toEqual(["20240101000000_baseline_fe_chat_sessions", "20251020000000_session_lifecycle"]);
    expect(chat.migrations.files.every((f) => /^[0-9a-f]{64}$/.test(f.sha256))).toBe(true);
  });

  it("has no Vercel side on the local stack", () => {
    const model = planStack(loadStackConfigFile("local"));
    expect(model.mode).toBe("local");
    expect(model.apps.every((a) => a.vercel === null)).toBe(true);
    expect(model.databases.length).toBe(5);
    expect(model.databases.every((d) => "reason" in d.dataApi && d.dataApi.reason === "not managed on the local stack (no Data API)")).toBe(true);
  });

  it("is plain data: it survives JSON unchanged and holds no secret value", () => {
    const model = planStack(prod, { secretVersions: { "metadata-context.OPENAI_API_KEY": "v1" } });
    expect(JSON.parse(JSON.stringify(model))).toEqual(model);
    const openai = model.apps.find((a) => a.app === "metadata-context")!.vercel!.env.find((v) => v.key === "OPENAI_API_KEY")!;
    expect(openai.value).toEqual({ kind: "secret", secretKey: "metadata-context.OPENAI_API_KEY", version: "v1" });
  });

  it("is deterministic: the same stack file gives the same model (what makes base and head comparable)", () => {
    expect(planStack(loadStackConfigFile("prod"))).toEqual(planStack(loadStackConfigFile("prod")));
    expect(planStack(loadStackConfigFile("prod"))).not.toEqual(planStack(loadStackConfigFile("staging")));
  });
});

describe("diffPlans", () => {
  it("finds nothing between a model and itself", () => {
    const model = planStack(prod);
    expect(diffPlans(model, model)).toEqual({ apps: [], live: null, databases: [], warnings: [] });
  });

  it("against nothing, declares every app and database as added", () => {
    const d = diffPlans(null, planStack(prod));
    expect(d.apps.map((a) => [a.app, a.change])).toEqual([...prod.apps.map((a) => a.name)].sort().map((a) => [a, "added"]));
    expect(d.apps.find((a) => a.app === "chat-sessions")!.redeploy).toEqual({ redeploy: true, reason: "first production deployment (8 production env keys)", keys: [] });
    expect(d.databases.find((x) => x.database === "chat-sessions")!.migrations.run.map((m) => m.file)).toEqual([
      "migrations/chat-sessions/20240101000000_baseline_fe_chat_sessions.sql",
      "migrations/chat-sessions/20251020000000_session_lifecycle.sql",
    ]);
  });

  it("a phase move changes exactly the feature's values on every target and redeploys production", () => {
    const d = diffPlans(planStack(moved(prod, "metadata-context/enhanced-context", "10")), planStack(moved(prod, "metadata-context/enhanced-context", "50")));
    expect(d.databases).toEqual([]);
    expect(d.apps).toEqual([
      {
        app: "metadata-context",
        project: "metadata-context",
        change: "changed",
        values: ["production", "preview", "development"].map((target) => ({
          channel: "env",
          target,
          key: "ENABLE_METADATA_ROLLOUT_PERCENTAGE",
          change: "changed",
          before: "10",
          after: "50",
          secret: false,
        })),
        redeploy: { redeploy: true, reason: 'production env changed: ENABLE_METADATA_ROLLOUT_PERCENTAGE "10" → "50"', keys: ["ENABLE_METADATA_ROLLOUT_PERCENTAGE"] },
        crons: null,
        projectSettings: [],
      },
    ]);
  });

  it("a kill flips the kill switch and the percent", () => {
    const d = diffPlans(planStack(moved(prod, "metadata-context/enhanced-context", "50")), planStack(moved(prod, "metadata-context/enhanced-context", "off")));
    expect(d.apps[0].values.filter((v) => v.target === "production").map((v) => [v.key, v.before, v.after])).toEqual([
      ["ENABLE_METADATA_ROLLOUT_PERCENTAGE", "50", "0"],
      ["USE_ENHANCED_METADATA_CONTEXT", "true", "false"],
    ]);
  });

  it("a beta rung delivers the cohort share", () => {
    const d = diffPlans(planStack(moved(prod, "analy-ticket/advanced", "beta")), planStack(moved(prod, "analy-ticket/advanced", "25")));
    expect(d.apps[0].values.filter((v) => v.target === "production").map((v) => [v.key, v.before, v.after])).toEqual([["NEXT_PUBLIC_SP_ADVANCED_ROLLOUT", "beta", "beta+25"]]);
  });

  it("a re-encrypted secret is a changed secret value, never shown, and redeploys", () => {
    const v = (version: string) => planStack(prod, { secretVersions: { "metadata-context.OPENAI_API_KEY": version } });
    const d = diffPlans(v("a"), v("b"));
    expect(d.apps[0].values).toEqual([
      { channel: "env", target: "production", key: "OPENAI_API_KEY", change: "changed", secret: true },
      { channel: "env", target: "preview", key: "OPENAI_API_KEY", change: "changed", secret: true },
    ]);
    expect(d.apps[0].redeploy).toEqual({ redeploy: true, reason: "production env changed: OPENAI_API_KEY (secret) changed", keys: ["OPENAI_API_KEY"] });
  });

  it("a CRON_SECRET rotation is a changed secret and a warning", () => {
    const rotated: StackConfig = { ...prod, cronSecretRotation: { ...prod.cronSecretRotation, "chat-sessions": 1 } };
    const d = diffPlans(planStack(prod), planStack(rotated));
    expect(d.apps.map((a) => [a.app, a.redeploy?.keys])).toEqual([["chat-sessions", ["CRON_SECRET"]]]);
    expect(d.warnings).toEqual([
      "chat-sessions: CRON_SECRET is regenerated (cronSecretRotation 0 → 1): a new random value replaces it, and the crons use the new one from the next production deployment",
    ]);
  });

  it("a new production branch redeploys from it", () => {
    const release: StackConfig = { ...prod, vercel: { ...prod.vercel, productionBranch: "release" } };
    const d = diffPlans(planStack(prod), planStack(release));
    const chat = d.apps.find((a) => a.app === "chat-sessions")!;
    expect(chat.redeploy).toEqual({ redeploy: true, reason: "ref main → release", keys: [] });
    expect(chat.projectSettings).toEqual(['productionBranch: "main" → "release"']);
  });

  it("an app dropped from the stack keeps its production deployment on Vercel", () => {
    const fewer: StackConfig = { ...prod, apps: prod.apps.filter((a) => a.name !== "chat-sessions") };
    const d = diffPlans(planStack(prod), planStack(fewer));
    const chat = d.apps.find((a) => a.app === "chat-sessions")!;
    expect(chat.change).toBe("removed");
    expect(chat.redeploy).toEqual({ redeploy: false, reason: "the production deployment is no longer managed (kept on Vercel: deleteOnDestroy is false)", keys: [] });
    expect(d.warnings).toContain("chat-sessions: its generated CRON_SECRET is no longer managed; if it is declared again, a new value is generated");
    const db = d.databases.find((x) => x.database === "chat-sessions")!;
    expect(db.change).toBe("removed");
    expect(db.policies.every((p) => p.note === "dropped from the database")).toBe(true);
    expect(db.schemas.every((s) => s.note === "kept in the database (retainOnDelete): Pulumi only forgets it")).toBe(true);
  });

  it("database changes: a new migration, an edited one, a bucket made public, a changed policy, checks re-run", () => {
    const before = planStack(prod);
    const after = copy(before);
    const db = after.databases.find((d) => d.name === "conversation-raw-storage")!;
    db.migrations.files.push({ version: "20990101000000", name: "next", sha256: "0".repeat(64) });
    db.migrations.files[0].sha256 = "f".repeat(64);
    db.buckets[0].public = true;
    db.policies[0].using = "true";
    db.checksDeclaration = "changed";
    const d = diffPlans(before, after);
    expect(d.apps).toEqual([]);
    expect(d.databases.length).toBe(1);
    const c = d.databases[0];
    expect(c.migrations.run.map((m) => m.file)).toEqual(["migrations/conversation-raw-storage/20990101000000_next.sql"]);
    expect(c.migrations.edited.map((m) => m.version)).toEqual([before.databases.find((x) => x.name === "conversation-raw-storage")!.migrations.files[0].version]);
    expect(c.buckets).toEqual([{ kind: "Bucket", name: "conversation-files", change: "changed", details: ["public: false → true"] }]);
    expect(c.policies.length).toBe(1);
    expect(c.policies[0].change).toBe("changed");
    expect(c.policies[0].details[0]).toMatch(/^using: .* → true$/);
    expect(c.policies[0].statement).toMatch(/^create policy .* using \(true\)/i);
    expect(c.other).toEqual([{ kind: "Checks", name: "checks", change: "changed", details: [], note: "run again after the changes above" }]);
    expect(d.warnings).toEqual([
      expect.stringMatching(/^conversation-raw-storage: already-numbered migration file\(s\) changed \(migrations\/conversation-raw-storage\/20240101000000_baseline_conversations\.sql\)/),
      "conversation-raw-storage: bucket conversation-files becomes public (anyone with a file's URL can read it)",
    ]);
  });
});

describe("a move's effect in words (rollout)", () => {
  it("lists production, preview and development changes and asks for a new production deployment", () => {
    expect(moveEffectLines(moved(prod, "metadata-context/enhanced-context", "10"), moved(prod, "metadata-context/enhanced-context", "50"), "metadata-context", "enhanced-context")).toEqual([
      "env of Vercel project metadata-context:",
      '  production  ENABLE_METADATA_ROLLOUT_PERCENTAGE: "10" → "50"',
      '  preview     ENABLE_METADATA_ROLLOUT_PERCENTAGE: "10" → "50"',
      '  development ENABLE_METADATA_ROLLOUT_PERCENTAGE: "10" → "50"',
      "redeploy: pulumi up replaces the production deployment of metadata-context (changed: ENABLE_METADATA_ROLLOUT_PERCENTAGE); the new values take effect when that build is live",
      // The feature is live and prod has an Edge Config item: the share changes there too, without a build.
      "Edge Config item rollout_prod (read at request time, no build; Vercel propagates within 10 s of pulumi up):",
      '  metadata-context/enhanced-context: "10" → "50"',
    ]);
  });

  it("names the project <app>-<stack> outside prod, and leaves a pinned preview alone", () => {
    const pinned: StackConfig = { ...staging, previewPhases: { "metadata-context/enhanced-context": "10" } };
    const lines = moveEffectLines(moved(pinned, "metadata-context/enhanced-context", "50"), moved(pinned, "metadata-context/enhanced-context", "100"), "metadata-context", "enhanced-context");
    expect(lines[0]).toBe("env of Vercel project metadata-context-staging:");
    expect(lines).toContain("  preview     unchanged (pinned at 10 by rollout-stack:previewPhases)");
    expect(lines.filter((l) => l.startsWith("  preview     ENABLE"))).toEqual([]);
  });

  it("says when nothing changes", () => {
    const model = planStack(prod);
    expect(describeAppEffect(diffPlans(model, model), model, "chat-sessions")).toEqual([
      "env of Vercel project chat-sessions:",
      "  (no env value changes)",
      "redeploy: none (no production env value changes)",
    ]);
  });

  it("on the local stack, nothing is deployed", () => {
    const local = loadStackConfigFile("local");
    expect(moveEffectLines(local, local, "chat-sessions")).toEqual(["local stack: no Vercel project; nothing is deployed"]);
  });

  it.each(["prod", "staging", "dev"])("on %s, a move touches only the moved feature's delivery keys, and no database", (stack) => {
    const cfg = loadStackConfigFile(stack);
    let moves = 0;
    for (const app of cfg.apps) {
      for (const feature of app.features) {
        const key = `${app.name}/${feature.name}`;
        const delivered = new Set(feature.delivery.map((d) => d.key));
        const before = planStack(cfg);
        for (const to of feature.rungs.map((r) => r.name).filter((r) => r !== cfg.phases[key])) {
          const d = diffPlans(before, planStack(moved(cfg, key, to)));
          expect(d.databases, `${stack} ${key} → ${to}`).toEqual([]);
          expect(d.apps.map((a) => a.app).filter((a) => a !== app.name)).toEqual([]);
          for (const v of d.apps.flatMap((a) => a.values)) expect(delivered.has(v.key), `${stack} ${key} → ${to}: ${v.key}`).toBe(true);
          moves++;
        }
      }
    }
    expect(moves).toBeGreaterThan(10);
  });
});
