/**
 * What a move changes on Vercel: the env values per target, and whether a new production deployment is
 * built. Pure. Vercel applies env changes only to new deployments and inlines `NEXT_PUBLIC_*` at build
 * time, so any production env change replaces the production deployment.
 */
import type { AppDecl, FeatureDecl, Target } from "../apps/types";
import { projectName } from "../vercel/env-plan";
import { deliveredValues } from "./ladder";

export interface EnvChange {
  key: string;
  before: string;
  after: string;
}

export interface MoveEffect {
  /** The Vercel project (`<app>` in prod, `<app>-<stack>` elsewhere). */
  project: string;
  production: EnvChange[];
  /** Preview follows production unless the stack pins the feature in `previewPhases`. */
  preview: EnvChange[];
  previewPinned?: string;
  development: EnvChange[];
  /** A new production deployment is built (any production env value changed). */
  redeploy: boolean;
}

function changes(feature: FeatureDecl, from: string, to: string, target: Target): EnvChange[] {
  const before = deliveredValues(feature, from, target);
  const after = deliveredValues(feature, to, target);
  return Object.keys(after)
    .filter((k) => before[k] !== after[k])
    .map((key) => ({ key, before: before[key], after: after[key] }));
}

/**
 * The env effect of moving `feature` of `app` from `from` to `to` in `stack`. Development follows
 * production (the Pulumi program gives it production's values).
 */
export function moveEffect(
  stack: { stack: string; mode: "cloud" | "local"; previewPhases: Readonly<Record<string, string>> },
  app: AppDecl,
  feature: FeatureDecl,
  from: string,
  to: string,
): MoveEffect {
  const key = `${app.name}/${feature.name}`;
  const pinned = stack.previewPhases[key];
  const production = stack.mode === "local" ? [] : changes(feature, from, to, "production");
  return {
    project: projectName(app.name, stack.stack),
    production,
    preview: stack.mode === "local" || pinned ? [] : changes(feature, from, to, "preview"),
    previewPinned: pinned,
    development: stack.mode === "local" ? [] : changes(feature, from, to, "development"),
    redeploy: production.length > 0,
  };
}

/** The effect as lines for people (what `pulumi preview` will show). */
export function describeEffect(effect: MoveEffect, stackMode: "cloud" | "local"): string[] {
  if (stackMode === "local") return ["local stack: no Vercel project; nothing is deployed"];
  const lines: string[] = [];
  const list = (target: string, cs: EnvChange[]) => {
    for (const c of cs) lines.push(`  ${target.padEnd(11)} ${c.key}: ${JSON.stringify(c.before)} → ${JSON.stringify(c.after)}`);
  };
  lines.push(`env of Vercel project ${effect.project}:`);
  list("production", effect.production);
  if (effect.previewPinned) lines.push(`  preview     unchanged (pinned at ${effect.previewPinned} by rollout-stack:previewPhases)`);
  else list("preview", effect.preview);
  list("development", effect.development);
  if (!effect.production.length && !effect.preview.length && !effect.development.length) lines.push("  (no env value changes)");
  lines.push(
    effect.redeploy
      ? `redeploy: pulumi up replaces the production deployment of ${effect.project} (changed: ${effect.production.map((c) => c.key).join(", ")}); the new values take effect when that build is live`
      : "redeploy: none (no production env value changes)",
  );
  return lines;
}
