/**
 * `npm run bench [-- NAME...]`: benchmarks, each printing ratios against a baseline measured in the
 * same run (speed is measured here, never asserted in a test). Add a bench to `BENCHES`.
 * Timings never fail the run; a correctness failure a bench finds (e.g. a spurious change in a phase
 * move's diff) does: exit 1.
 */
import { bucketingBench } from "./bucketing";
import { killBench } from "./kill";
import { migrationsBench } from "./migrations";
import { networkBench } from "./network";
import { renderBench } from "./render";

export interface Bench {
  name: string;
  description: string;
  /** Runs the bench and prints its results through `out`; `failures` are correctness failures, not timings. */
  run(out: (line: string) => void): Promise<void | { failures: string[] }>;
}

export const BENCHES: Bench[] = [migrationsBench, renderBench, killBench, bucketingBench, networkBench];

export async function runBenches(names: readonly string[], out: (line: string) => void = console.log): Promise<number> {
  const unknown = names.filter((n) => !BENCHES.some((b) => b.name === n));
  if (unknown.length) {
    out(`unknown bench ${unknown.join(", ")}; benches: ${BENCHES.map((b) => b.name).join(", ")}`);
    return 2;
  }
  const failures: string[] = [];
  for (const bench of BENCHES.filter((b) => !names.length || names.includes(b.name))) {
    out(`${bench.name}: ${bench.description}`);
    const started = Date.now();
    const result = await bench.run(out);
    for (const f of result?.failures ?? []) failures.push(`${bench.name}: ${f}`);
    out(`(${bench.name} took ${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
  }
  if (failures.length) {
    out(`FAILED (${failures.length}):\n${failures.map((f) => `  ${f}`).join("\n")}`);
    return 1;
  }
  return 0;
}

if (require.main === module) {
  runBenches(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (e) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
