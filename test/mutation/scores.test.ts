/**
 * The mutation score table (test/mutation/scores.ts) and the shape of the mutation run's config:
 * every group's modules exist and are imported directly by the group's own tests, so a renamed module
 * or test cannot silently drop out of `npm run mutation`.
 */
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { belowMinimum, formatScore, originalOf, scoreReport, scoreTable, type EquivalentMutant, type MutationReport, type ReportMutant } from "./scores";

const ROOT = path.resolve(__dirname, "../..");

const SOURCE = ["export function inRollout(b: number, p: number) {", "  return b <= p;", "}", "const KEYS = [", '  "a",', "];"].join("\n");

let id = 0;
function mutant(status: ReportMutant["status"], mutatorName: string, replacement: string, start: [number, number], end: [number, number]): ReportMutant {
  return { id: String(id++), mutatorName, replacement, status, location: { start: { line: start[0], column: start[1] }, end: { line: end[0], column: end[1] } } };
}

const report: MutationReport = {
  files: {
    "infra/b.ts": {
      source: SOURCE,
      mutants: [
        mutant("Killed", "EqualityOperator", "b < p", [2, 10], [2, 16]),
        mutant("Timeout", "BooleanLiteral", "true", [2, 10], [2, 16]),
        mutant("Survived", "EqualityOperator", "b >= p", [2, 10], [2, 16]),
        mutant("NoCoverage", "ArrayDeclaration", "[]", [4, 14], [6, 2]),
        mutant("CompileError", "StringLiteral", '""', [5, 3], [5, 6]),
        mutant("Ignored", "StringLiteral", '""', [5, 3], [5, 6]),
        { ...mutant("Ignored", "ArrayDeclaration", "[]", [4, 14], [6, 2]), static: true },
      ],
    },
    "infra/a.ts": { source: "x", mutants: [mutant("Killed", "StringLiteral", '""', [1, 1], [1, 2])] },
  },
};

describe("scoreReport", () => {
  it("counts detected (killed, timed out) over valid mutants per module, sorted by file; errors, ignored and static mutants do not count", () => {
    const { modules } = scoreReport(report);
    expect(modules.map((m) => m.file)).toEqual(["infra/a.ts", "infra/b.ts"]);
    const b = modules[1];
    expect(b).toMatchObject({ killed: 1, timeout: 1, survived: 1, noCoverage: 1, equivalent: 0, static: 1, invalid: 2 });
    expect(b.score).toBe(50);
    expect(modules[0].score).toBe(100);
  });

  it("names each survivor with its place and the source it replaces, a multi-line one included", () => {
    const { survivors } = scoreReport(report);
    expect(survivors).toEqual([
      { file: "infra/b.ts", line: 2, column: 10, mutator: "EqualityOperator", original: "b <= p", replacement: "b >= p", status: "Survived" },
      { file: "infra/b.ts", line: 4, column: 14, mutator: "ArrayDeclaration", original: '[\n  "a",\n]', replacement: "[]", status: "NoCoverage" },
    ]);
  });

  it("leaves a listed equivalent out of the score and the survivors; matching ignores whitespace, not the mutator", () => {
    const listed: EquivalentMutant = { file: "infra/b.ts", mutator: "ArrayDeclaration", original: '[ "a", ]', replacement: "[]", reason: "test" };
    const otherMutator = { ...listed, mutator: "StringLiteral" };
    const { modules, survivors, stale } = scoreReport(report, [listed, otherMutator]);
    expect(modules[1]).toMatchObject({ noCoverage: 0, equivalent: 1 });
    expect(modules[1].score).toBeCloseTo((100 * 2) / 3);
    expect(survivors.map((s) => s.mutator)).toEqual(["EqualityOperator"]);
    expect(stale).toEqual([otherMutator]);
  });

  it("an equivalent with a line matches only a survivor starting on that source line", () => {
    const listed: EquivalentMutant = { file: "infra/b.ts", mutator: "EqualityOperator", original: "b <= p", replacement: "b >= p", line: "return b <= p;", reason: "test" };
    const elsewhere = { ...listed, line: "return b < p;" };
    expect(scoreReport(report, [listed]).modules[1]).toMatchObject({ survived: 0, equivalent: 1 });
    expect(scoreReport(report, [elsewhere]).modules[1]).toMatchObject({ survived: 1, equivalent: 0 });
    expect(scoreReport(report, [elsewhere]).stale).toEqual([elsewhere]);
  });

  it("a listed equivalent that a test now kills is stale", () => {
    const killed: EquivalentMutant = { file: "infra/b.ts", mutator: "EqualityOperator", original: "b <= p", replacement: "b < p", reason: "test" };
    expect(scoreReport(report, [killed]).stale).toEqual([killed]);
  });

  it("a module with no valid mutant has no score, and is never below the minimum", () => {
    const { modules } = scoreReport({ files: { "infra/c.ts": { source: "x", mutants: [mutant("CompileError", "StringLiteral", '""', [1, 1], [1, 2])] } } });
    expect(modules[0].score).toBeNull();
    expect(belowMinimum(modules, 90)).toEqual([]);
  });
});

describe("formatting", () => {
  it("rounds down, so a module just under the minimum never prints as meeting it", () => {
    expect(formatScore(89.99)).toBe("89.9%");
    expect(formatScore(90)).toBe("90.0%");
    expect(formatScore(100)).toBe("100.0%");
    expect(formatScore(null)).toBe("n/a");
  });

  it("names the modules under the minimum", () => {
    expect(belowMinimum(scoreReport(report).modules, 90)).toEqual(["infra/b.ts: 50.0% (minimum 90%)"]);
    expect(belowMinimum(scoreReport(report).modules, 50)).toEqual([]);
  });

  it("a markdown table with a row per module and the total over all mutants", () => {
    expect(scoreTable(scoreReport(report).modules)).toEqual([
      "| module | score | killed | survived | no coverage | equivalent | static (not run) |",
      "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
      "| `infra/a.ts` | 100.0% | 1 | 0 | 0 | 0 | 0 |",
      "| `infra/b.ts` | 50.0% | 2 | 1 | 1 | 0 | 1 |",
      "| **all** | 60.0% | 3 | 1 | 1 | 0 | 1 |",
    ]);
  });

  it("originalOf slices by 1-based lines and columns", () => {
    expect(originalOf("ab\ncd", { start: { line: 2, column: 2 }, end: { line: 2, column: 3 } })).toBe("d");
  });
});

describe("the mutation run's config (stryker.config.mjs)", async () => {
  const config = (await import(path.join(ROOT, "stryker.config.mjs"))) as {
    groups: Record<string, { mutate: string[]; tests: string[] }>;
    equivalentMutants: EquivalentMutant[];
    default: { mutate: string[] };
  };

  it("mutates the pure core: rollout maths and ladders, bucketing, migration planning and splitting, the Vercel env planner, config parsing, the stack-file module", () => {
    expect(config.default.mutate.sort()).toEqual(
      [
        "infra/config.ts",
        "infra/rollout/ladder.ts",
        "infra/rollout/moves.ts",
        "infra/sdk/bucketing.ts",
        "infra/stack-file.ts",
        "infra/supabase/migrations/plan.ts",
        "infra/supabase/migrations/split.ts",
        "infra/vercel/env-plan.ts",
      ].sort(),
    );
  });

  it.each(Object.entries(config.groups))("group %s: each module is imported directly by one of the group's tests, which are unit tests", (_name, group) => {
    for (const test of group.tests) {
      expect(fs.existsSync(path.join(ROOT, test)), test).toBe(true);
      expect(test).not.toMatch(/\.int\.test\.ts$|^test\/(engine|cli|program)\//);
    }
    const sources = group.tests.map((t) => fs.readFileSync(path.join(ROOT, t), "utf8"));
    for (const module of group.mutate) {
      const importPath = module.replace(/\.ts$/, "");
      const imported = group.tests.some((t, i) => {
        const relative = path.relative(path.dirname(path.join(ROOT, t)), path.join(ROOT, importPath));
        return sources[i].includes(`from "${relative}"`);
      });
      expect(imported, `${module}: no test of the group imports it`).toBe(true);
    }
  });

  it("the checker's tsconfig (tsconfig.mutation.json) starts from exactly the mutated modules", () => {
    const tsconfig = JSON.parse(fs.readFileSync(path.join(ROOT, "tsconfig.mutation.json"), "utf8")) as { files: string[]; include: string[] };
    expect([...tsconfig.files].sort()).toEqual([...config.default.mutate].sort());
    expect(tsconfig.include).toEqual([]);
  });

  it("every listed equivalent names a mutated module and gives a reason", () => {
    for (const e of config.equivalentMutants) {
      expect(config.default.mutate, JSON.stringify(e)).toContain(e.file);
      expect(e.reason.trim().length, JSON.stringify(e)).toBeGreaterThan(10);
    }
  });
});
