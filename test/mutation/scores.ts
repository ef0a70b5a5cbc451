/**
 * The mutation score of each module, from Stryker's JSON report (reports/mutation/mutation.json,
 * the mutation-testing-elements report format). Pure: no Stryker, no files.
 *
 * Score = detected / (detected + undetected), as Stryker counts it: detected = killed + timed out,
 * undetected = survived + no coverage; compile and runtime errors and ignored mutants (static ones
 * among them) do not count.
 * One difference: a survivor listed in the config's `equivalentMutants` (a mutant no test can kill,
 * because the program behaves the same) counts as neither, and is shown with its reason.
 */

/** The part of a mutation-testing-elements report this module reads. */
export interface MutationReport {
  files: Record<string, { source: string; mutants: ReportMutant[] }>;
}
export interface ReportMutant {
  id: string;
  mutatorName: string;
  replacement?: string;
  /** Stryker marks a mutant static when it runs as its module loads. */
  static?: boolean;
  status: "Killed" | "Survived" | "NoCoverage" | "Timeout" | "CompileError" | "RuntimeError" | "Ignored" | "Pending";
  /** Lines and columns start at 1 in this format. */
  location: { start: { line: number; column: number }; end: { line: number; column: number } };
}

/** A surviving mutant that changes nothing a caller can observe, with why. */
export interface EquivalentMutant {
  file: string;
  mutator: string;
  /** The source the mutant replaces, as written (whitespace runs compare as one space). */
  original: string;
  replacement: string;
  /**
   * The source line the mutant starts on, trimmed, for an `original` too common to name one place
   * (`""`, `[]`, `false`): without it the entry would also hide any later survivor with that text.
   */
  line?: string;
  reason: string;
}

export interface ModuleScore {
  file: string;
  killed: number;
  timeout: number;
  survived: number;
  noCoverage: number;
  equivalent: number;
  /** Static mutants the run ignored (stryker.config.mjs `ignoreStatic`): not in the score. */
  static: number;
  /** Compile errors (the TypeScript checker's), runtime errors, other ignored mutants: not in the score. */
  invalid: number;
  /** Percent, or null when the module has no valid mutant. */
  score: number | null;
}

export interface Survivor {
  file: string;
  line: number;
  column: number;
  mutator: string;
  original: string;
  replacement: string;
  status: "Survived" | "NoCoverage";
}

export interface Scores {
  modules: ModuleScore[];
  survivors: Survivor[];
  /** Listed equivalents that matched no surviving mutant: killed since, or the code moved on. */
  stale: EquivalentMutant[];
}

const squash = (s: string) => s.replace(/\s+/g, " ").trim();

/** The source text a mutant replaces. */
export function originalOf(source: string, location: ReportMutant["location"]): string {
  const lines = source.split("\n");
  const { start, end } = location;
  if (start.line === end.line) return lines[start.line - 1].slice(start.column - 1, end.column - 1);
  return [lines[start.line - 1].slice(start.column - 1), ...lines.slice(start.line, end.line - 1), lines[end.line - 1].slice(0, end.column - 1)].join("\n");
}

function matches(e: EquivalentMutant, file: string, mutator: string, original: string, replacement: string, line: string): boolean {
  return (
    e.file === file &&
    e.mutator === mutator &&
    squash(e.original) === squash(original) &&
    squash(e.replacement) === squash(replacement) &&
    (e.line === undefined || squash(e.line) === squash(line))
  );
}

export function scoreReport(report: MutationReport, equivalents: readonly EquivalentMutant[] = []): Scores {
  const used = new Set<EquivalentMutant>();
  const modules: ModuleScore[] = [];
  const survivors: Survivor[] = [];
  for (const file of Object.keys(report.files).sort()) {
    const { source, mutants } = report.files[file];
    const row: ModuleScore = { file, killed: 0, timeout: 0, survived: 0, noCoverage: 0, equivalent: 0, static: 0, invalid: 0, score: null };
    for (const m of mutants) {
      if (m.status === "Killed") row.killed++;
      else if (m.status === "Timeout") row.timeout++;
      else if (m.status === "Survived" || m.status === "NoCoverage") {
        const original = originalOf(source, m.location);
        const replacement = m.replacement ?? "";
        const line = source.split("\n")[m.location.start.line - 1] ?? "";
        const equivalent = equivalents.find((e) => matches(e, file, m.mutatorName, original, replacement, line));
        if (equivalent) {
          used.add(equivalent);
          row.equivalent++;
          continue;
        }
        if (m.status === "Survived") row.survived++;
        else row.noCoverage++;
        survivors.push({ file, line: m.location.start.line, column: m.location.start.column, mutator: m.mutatorName, original, replacement, status: m.status });
      } else if (m.status === "Ignored" && m.static) row.static++;
      else if (m.status !== "Pending") row.invalid++;
    }
    row.score = scoreOf(row);
    modules.push(row);
  }
  survivors.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
  return { modules, survivors, stale: equivalents.filter((e) => !used.has(e)) };
}

/** The score of a row's counts (the definition at the top of this file); null without a valid mutant. */
function scoreOf(m: Pick<ModuleScore, "killed" | "timeout" | "survived" | "noCoverage">): number | null {
  const detected = m.killed + m.timeout;
  const valid = detected + m.survived + m.noCoverage;
  return valid ? (100 * detected) / valid : null;
}

/** Rounded down to one decimal, so 89.99 never prints as a passing 90.0. */
export function formatScore(score: number | null): string {
  return score === null ? "n/a" : `${(Math.floor(score * 10) / 10).toFixed(1)}%`;
}

/** A markdown table (the README shows it): one row per module, then the total. */
export function scoreTable(modules: readonly ModuleScore[]): string[] {
  const total = modules.reduce(
    (t, m) => ({
      ...t,
      killed: t.killed + m.killed,
      timeout: t.timeout + m.timeout,
      survived: t.survived + m.survived,
      noCoverage: t.noCoverage + m.noCoverage,
      equivalent: t.equivalent + m.equivalent,
      static: t.static + m.static,
    }),
    { file: "all", killed: 0, timeout: 0, survived: 0, noCoverage: 0, equivalent: 0, static: 0, invalid: 0, score: null } as ModuleScore,
  );
  total.score = scoreOf(total);
  const row = (m: ModuleScore, name: string) =>
    `| ${name} | ${formatScore(m.score)} | ${m.killed + m.timeout} | ${m.survived} | ${m.noCoverage} | ${m.equivalent} | ${m.static} |`;
  return [
    "| module | score | killed | survived | no coverage | equivalent | static (not run) |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...modules.map((m) => row(m, `\`${m.file}\``)),
    row(total, "**all**"),
  ];
}

/** Modules under `minimum` percent, as lines naming each. */
export function belowMinimum(modules: readonly ModuleScore[], minimum: number): string[] {
  return modules.filter((m) => m.score !== null && m.score < minimum).map((m) => `${m.file}: ${formatScore(m.score)} (minimum ${minimum}%)`);
}
