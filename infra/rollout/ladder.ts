/**
 * Ladders: the rungs a feature climbs, and the env values each rung delivers. Pure: no Pulumi.
 *
 * Rung names, as written in `rollout-stack:phases`:
 * - `off`: the feature is off (also any first rung, e.g. `dry-run`: the first rung is the kill target);
 * - `10`, `50`, `100`: a percent of users (`bucket(feature, id) <= percent`, see `bucketing.ts`);
 * - `beta`: a named cohort; a percent rung that comes after a cohort rung means the union
 *   (`25` after `beta` = "beta plus 25% of everyone");
 * - any other name (`dry-run`, `live`, `on`): a named mode, delivered through a `map` or `enabled`.
 */
import type { Delivery, FeatureDecl, RungDecl, Target } from "../apps/types";

export type Rung =
  | { name: string; index: number; kind: "off" }
  | { name: string; index: number; kind: "percent"; percent: number; cohorts: string[] }
  | { name: string; index: number; kind: "cohort"; cohorts: string[] }
  | { name: string; index: number; kind: "named" };

export interface Ladder {
  feature: string;
  rungs: Rung[];
  decls: RungDecl[];
}

const PERCENT = /^(0|[1-9][0-9]?|100)$/;

/** A bug in a declaration (not an operator mistake): thrown by `ladderOf` on an invalid ladder. */
export class LadderDeclarationError extends Error {}

/** Builds a feature's ladder, checking the declaration (names unique, percents rising, cohorts known). */
export function ladderOf(feature: FeatureDecl): Ladder {
  const cohorts = new Set(feature.cohorts);
  const seen = new Set<string>();
  const rungs: Rung[] = [];
  let activeCohorts: string[] = [];
  let lastPercent = 0;
  feature.rungs.forEach((decl, index) => {
    const name = decl.name;
    if (seen.has(name)) throw new LadderDeclarationError(`${feature.name}: rung "${name}" appears twice`);
    seen.add(name);
    if (name === "off") {
      if (index !== 0) throw new LadderDeclarationError(`${feature.name}: "off" must be the first rung`);
      rungs.push({ name, index, kind: "off" });
    } else if (PERCENT.test(name)) {
      const percent = Number(name);
      // lastPercent starts at 0, so this also refuses a "0" rung (the rung for nobody is "off").
      if (percent <= lastPercent) {
        throw new LadderDeclarationError(`${feature.name}: percent rungs must rise (got ${percent} after ${lastPercent})`);
      }
      lastPercent = percent;
      rungs.push({ name, index, kind: "percent", percent, cohorts: [...activeCohorts] });
    } else if (cohorts.has(name)) {
      activeCohorts = [...activeCohorts, name];
      rungs.push({ name, index, kind: "cohort", cohorts: [...activeCohorts] });
    } else if (/^[a-z][a-z0-9-]*$/.test(name)) {
      rungs.push({ name, index, kind: "named" });
    } else {
      throw new LadderDeclarationError(`${feature.name}: "${name}" is not a valid rung name`);
    }
  });
  if (rungs.length < 2) throw new LadderDeclarationError(`${feature.name}: a ladder needs at least two rungs`);
  for (const d of feature.delivery) {
    if (d.kind === "map") {
      for (const r of rungs) {
        if (!(r.name in d.values)) throw new LadderDeclarationError(`${feature.name}: delivery ${d.key} has no value for rung "${r.name}"`);
      }
    }
  }
  for (const [from, to] of feature.shortcuts ?? []) {
    if (!seen.has(from) || !seen.has(to)) throw new LadderDeclarationError(`${feature.name}: shortcut ${from} → ${to} names an unknown rung`);
  }
  return { feature: feature.name, rungs, decls: feature.rungs };
}

/** The names of a ladder's rungs, in order (used in messages: "off, 10, 50, 100"). */
export function rungNames(ladder: Ladder): string[] {
  return ladder.rungs.map((r) => r.name);
}

/**
 * Normalises a phase value as Pulumi config gives it: `10` and `"10"` are the same rung
 * (`pulumi config set --path` writes integers). Returns undefined for values that are not rung names.
 */
export function normalizeRungValue(value: unknown): string | undefined {
  if (Number.isInteger(value)) return String(value);
  if (typeof value === "string") return value;
  return undefined;
}

/** Finds a rung by name, or undefined. */
export function findRung(ladder: Ladder, name: string): Rung | undefined {
  return ladder.rungs.find((r) => r.name === name);
}

/** The share a rung covers, as the app's bucketing reads it: "0", "10", "beta", "beta+25", "100". */
export function percentValue(rung: Rung): string {
  switch (rung.kind) {
    case "off":
      return "0";
    case "percent":
      // 100 covers everyone, cohorts included.
      return rung.cohorts.length && rung.percent < 100 ? `${rung.cohorts.join("+")}+${rung.percent}` : String(rung.percent);
    case "cohort":
      return rung.cohorts.join("+");
    case "named":
      return rung.index === 0 ? "0" : "100";
  }
}

/** True when the delivery entry applies to the target. */
export function deliversTo(d: Delivery, target: Target): boolean {
  return (d.targets ?? ["production", "preview", "development"]).includes(target);
}

/**
 * The env values a rung produces on a target: `{ KEY: value }`, one entry per delivery of the feature.
 * `rungName` is the rung that applies to that target (production's phase, or preview's override).
 */
export function deliveredValues(feature: FeatureDecl, rungName: string, target: Target): Record<string, string> {
  const ladder = ladderOf(feature);
  const rung = findRung(ladder, rungName);
  if (!rung) throw new Error(`${feature.name}: "${rungName}" is not a rung (${rungNames(ladder).join(", ")})`);
  const out: Record<string, string> = {};
  for (const d of feature.delivery) {
    if (!deliversTo(d, target)) continue;
    switch (d.kind) {
      case "enabled":
        out[d.key] = rung.index === 0 ? "false" : "true";
        break;
      case "percent":
        out[d.key] = percentValue(rung);
        break;
      case "map":
        out[d.key] = d.values[rung.name];
        break;
    }
  }
  return out;
}
