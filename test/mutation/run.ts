/**
 * `npm run mutation [-- GROUP...] [--scores]`: runs StrykerJS on each group of stryker.config.mjs in
 * turn (or the groups named), then prints the score of each module, every survivor with its place, and
 * fails (exit 1) when a module scores under the minimum or a listed equivalent mutant no longer
 * survives. Incremental: a rerun tests only the mutants whose code or covering tests changed.
 *
 *   npm run mutation                    every group
 *   npm run mutation -- rollout         one group (rollout, migrations, vercel, config)
 *   npm run mutation -- --scores        the table of the last reports, no run
 *
 * On GitHub Actions the table also goes to the job summary.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { belowMinimum, scoreReport, scoreTable, type EquivalentMutant, type MutationReport } from "./scores";

const ROOT = path.resolve(__dirname, "../..");
const REPORTS = path.join(ROOT, "reports/mutation");
/** Every mutated module must score at least this (percent). */
const MINIMUM_SCORE = 90;

interface StrykerConfig {
  groups: Record<string, { mutate: string[]; tests: string[] }>;
  equivalentMutants: EquivalentMutant[];
}

async function main(argv: string[]): Promise<number> {
  const config = (await import(path.join(ROOT, "stryker.config.mjs"))) as StrykerConfig;
  const scoresOnly = argv.includes("--scores");
  const named = argv.filter((a) => a !== "--scores");
  const unknown = named.filter((n) => !(n in config.groups));
  if (unknown.length) {
    console.error(`mutation: no group ${unknown.join(", ")}; groups: ${Object.keys(config.groups).join(", ")}`);
    return 2;
  }
  const groups = named.length ? named : Object.keys(config.groups);
  if (!scoresOnly) {
    for (const group of groups) {
      console.log(`mutation: group ${group} (${config.groups[group].mutate.join(", ")})`);
      const stryker = path.join(ROOT, "node_modules/.bin/stryker");
      const run = spawnSync(stryker, ["run"], { cwd: ROOT, stdio: "inherit", env: { ...process.env, ROLLOUT_MUTATION_GROUP: group } });
      if (run.status !== 0) {
        console.error(`mutation: stryker run (group ${group}) exited with ${run.status ?? run.signal}`);
        return 1;
      }
    }
  }
  const files: MutationReport["files"] = {};
  const missing: string[] = [];
  for (const group of groups) {
    const file = path.join(REPORTS, `${group}.json`);
    if (!fs.existsSync(file)) missing.push(group);
    else Object.assign(files, (JSON.parse(fs.readFileSync(file, "utf8")) as MutationReport).files);
  }
  if (missing.length) {
    console.error(`mutation: no report for ${missing.join(", ")} in ${path.relative(ROOT, REPORTS)}; run \`npm run mutation\` first`);
    return 1;
  }
  const { modules, survivors, stale } = scoreReport({ files }, config.equivalentMutants);
  const table = scoreTable(modules);
  console.log("");
  for (const line of table) console.log(line);
  if (process.env.GITHUB_STEP_SUMMARY) fs.appendFileSync(process.env.GITHUB_STEP_SUMMARY, `## Mutation score\n\n${table.join("\n")}\n`);
  if (survivors.length) {
    console.log(`\n${survivors.length} mutant(s) no test kills:`);
    for (const s of survivors) console.log(`  ${s.file}:${s.line}:${s.column} ${s.mutator} ${s.status === "NoCoverage" ? "(no test runs it) " : ""}${JSON.stringify(s.original)} → ${JSON.stringify(s.replacement)}`);
  }
  // A listed equivalent of a group that did not run is not stale: its module is not in this report.
  const problems = [
    ...belowMinimum(modules, MINIMUM_SCORE),
    ...stale
      .filter((e) => e.file in files)
      .map((e) => `${e.file}: the listed equivalent ${e.mutator} ${JSON.stringify(e.original)} → ${JSON.stringify(e.replacement)} no longer survives; remove it from stryker.config.mjs`),
  ];
  if (problems.length) {
    console.error(`\nmutation: FAILED\n${problems.map((p) => `  ${p}`).join("\n")}`);
    return 1;
  }
  console.log(`\nmutation: every module scores at least ${MINIMUM_SCORE}%`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
