import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { CATALOG } from "../../infra/apps";
import { TARGETS, type AppDecl, type Target } from "../../infra/apps/types";
import { parseStackConfig, rawEntriesFromYaml, type StackConfig } from "../../infra/config";
import { moveEffect, describeEffect } from "../../infra/rollout/effect";
import { readPhases, renderRung, setPhase, StackFileError } from "../../infra/rollout/stack-file";
import { planAppEnv } from "../../infra/vercel/env-plan";

const STACKS = path.resolve(__dirname, "../../stacks");
const read = (stack: string) => fs.readFileSync(path.join(STACKS, `Pulumi.${stack}.yaml`), "utf8");

/** Lines that differ between two texts of the same line count. */
function changedLines(a: string, b: string): [string, string][] {
  const x = a.split("\n");
  const y = b.split("\n");
  expect(y.length).toBe(x.length);
  return x.flatMap((line, i) => (line === y[i] ? [] : [[line, y[i]] as [string, string]]));
}

describe("setPhase", () => {
  it.each(["prod", "staging", "dev"])("changes exactly one line of stacks/Pulumi.%s.yaml for every feature and rung", (stack) => {
    const text = read(stack);
    const phases = readPhases(text);
    for (const [key, rung] of Object.entries(phases)) {
      const [appName, featureName] = key.split("/");
      const feature = CATALOG.find((a) => a.name === appName)!.features.find((f) => f.name === featureName)!;
      for (const target of feature.rungs.map((r) => r.name).filter((r) => r !== rung)) {
        const updated = setPhase(text, key, target);
        expect(changedLines(text, updated)).toEqual([[`    ${key}: ${renderRung(rung)}`, `    ${key}: ${renderRung(target)}`]]);
        expect(readPhases(updated)[key]).toBe(target);
        expect(parseStackConfig(stack, rawEntriesFromYaml(updated)).phases[key]).toBe(target);
      }
    }
  });

  it("keeps comments, flow maps and order byte for byte", () => {
    const text = read("prod");
    const updated = setPhase(text, "metadata-context/enhanced-context", "50");
    expect(updated.replace('metadata-context/enhanced-context: "50"', 'metadata-context/enhanced-context: "10"')).toBe(text);
    expect(updated).toContain("# One line per feature: moving a phase is a one-line change, reviewed on the pull request.");
  });

  it.each([
    ["10", '"10"'],
    ["off", '"off"'],
    ["on", '"on"'],
    ["100", '"100"'],
    ["dry-run", "dry-run"],
    ["live", "live"],
    ["beta", "beta"],
  ])("writes %s as %s (quoted where plain YAML would not read back the string)", (rung, written) => {
    expect(renderRung(rung)).toBe(written);
  });

  it("adds a feature that has no line yet, and a phases block when there is none", () => {
    const local = read("local");
    const updated = setPhase(local, "chat-sessions/cleanup", "live");
    expect(readPhases(updated)).toEqual({ "chat-sessions/cleanup": "live" });
    expect(updated.startsWith(local.split("\n")[0])).toBe(true);
    expect(readPhases(setPhase(updated, "chat-sessions/early-session-creation", "10"))).toEqual({
      "chat-sessions/cleanup": "live",
      "chat-sessions/early-session-creation": "10",
    });
    expect(setPhase(updated, "chat-sessions/early-session-creation", "10")).toContain('chat-sessions/early-session-creation: "10"');
  });

  it("reads integer rungs as strings (pulumi config set --path writes integers)", () => {
    expect(readPhases("config:\n  rollout-stack:phases:\n    a/b: 10\n")).toEqual({ "a/b": "10" });
  });

  it("names the file, line and column of invalid YAML", () => {
    expect(() => readPhases("config:\n  x: [1,\n", "stacks/Pulumi.x.yaml")).toThrow(StackFileError);
    expect(() => readPhases("config:\n  x: [1,\n", "stacks/Pulumi.x.yaml")).toThrow(/^stacks\/Pulumi\.x\.yaml:\d+:\d+: not valid YAML/);
    expect(() => readPhases("config:\n  rollout-stack:phases: [a]\n", "f")).toThrow("f: config.rollout-stack:phases must be a map");
  });
});

describe("moveEffect", () => {
  const cfg = parseStackConfig("prod", rawEntriesFromYaml(read("prod")));
  const app = CATALOG.find((a) => a.name === "metadata-context")!;
  const feature = app.features.find((f) => f.name === "enhanced-context")!;

  it("lists production, preview and development changes and asks for a new production deployment", () => {
    const effect = moveEffect(cfg, app, feature, "10", "50");
    expect(effect.project).toBe("metadata-context");
    expect(effect.production).toEqual([{ key: "ENABLE_METADATA_ROLLOUT_PERCENTAGE", before: "10", after: "50" }]);
    expect(effect.preview).toEqual(effect.production);
    expect(effect.redeploy).toBe(true);
    expect(describeEffect(effect, "cloud")).toEqual([
      "env of Vercel project metadata-context:",
      '  production  ENABLE_METADATA_ROLLOUT_PERCENTAGE: "10" → "50"',
      '  preview     ENABLE_METADATA_ROLLOUT_PERCENTAGE: "10" → "50"',
      '  development ENABLE_METADATA_ROLLOUT_PERCENTAGE: "10" → "50"',
      "redeploy: pulumi up replaces the production deployment of metadata-context (changed: ENABLE_METADATA_ROLLOUT_PERCENTAGE); the new values take effect when that build is live",
    ]);
  });

  it("a kill flips the kill switch and the percent", () => {
    const effect = moveEffect(cfg, app, feature, "50", "off");
    expect(effect.production).toEqual([
      { key: "USE_ENHANCED_METADATA_CONTEXT", before: "true", after: "false" },
      { key: "ENABLE_METADATA_ROLLOUT_PERCENTAGE", before: "50", after: "0" },
    ]);
  });

  it("names the project <app>-<stack> outside prod, and leaves a pinned preview alone", () => {
    const staging = { stack: "staging", mode: "cloud" as const, previewPhases: { "metadata-context/enhanced-context": "10" } };
    const effect = moveEffect(staging, app, feature, "50", "100");
    expect(effect.project).toBe("metadata-context-staging");
    expect(effect.preview).toEqual([]);
    expect(describeEffect(effect, "cloud")).toContain("  preview     unchanged (pinned at 10 by rollout-stack:previewPhases)");
  });

  it("a beta rung delivers the cohort share", () => {
    const analy = CATALOG.find((a) => a.name === "analy-ticket")!;
    const advanced = analy.features.find((f) => f.name === "advanced")!;
    const effect = moveEffect(cfg, analy, advanced, "beta", "25");
    expect(effect.production).toEqual([{ key: "NEXT_PUBLIC_SP_ADVANCED_ROLLOUT", before: "beta", after: "beta+25" }]);
  });

  /** KEY → value per target, as the Vercel planner (what `pulumi up` deploys) plans the app. */
  const planned = (app: AppDecl, config: StackConfig) => {
    const out = Object.fromEntries(TARGETS.map((t) => [t, {} as Record<string, string>])) as Record<Target, Record<string, string>>;
    for (const { key, targets, value } of planAppEnv(app, config).env) {
      if (value.kind === "plain") for (const t of targets) out[t][key] = value.value;
    }
    return out;
  };
  const changed = (before: Record<string, string>, after: Record<string, string>) =>
    [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((k) => before[k] !== after[k]).sort().map((key) => ({ key, before: before[key], after: after[key] }));
  const sorted = (cs: { key: string }[]) => [...cs].sort((a, b) => a.key.localeCompare(b.key));

  it.each(["prod", "staging", "dev"])("on %s, every move of every feature changes exactly what the Vercel planner changes", (stack) => {
    const base = parseStackConfig(stack, rawEntriesFromYaml(read(stack)));
    expect(base.mode).toBe("cloud");
    let moves = 0;
    for (const app of base.apps) {
      for (const feature of app.features) {
        const key = `${app.name}/${feature.name}`;
        const from = base.phases[key];
        // Preview following production, and preview pinned at the current rung.
        for (const previewPhases of [{}, { [key]: from }]) {
          const cfg = { ...base, previewPhases };
          const before = planned(app, cfg);
          for (const to of feature.rungs.map((r) => r.name).filter((r) => r !== from)) {
            const after = planned(app, { ...cfg, phases: { ...cfg.phases, [key]: to } });
            const effect = moveEffect(cfg, app, feature, from, to);
            const where = `${stack} ${key} ${from} → ${to}${key in previewPhases ? " (preview pinned)" : ""}`;
            for (const t of TARGETS) expect(sorted(effect[t]), `${where}: ${t}`).toEqual(changed(before[t], after[t]));
            expect(effect.redeploy, where).toBe(changed(before.production, after.production).length > 0);
            moves++;
          }
        }
      }
    }
    expect(moves).toBeGreaterThan(10);
  });
});
