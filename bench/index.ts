/**
 * `npm run bench [-- NAME...]`: benchmarks, each printing ratios against a baseline measured in the
 * same run (DESIGN.md "Performance targets"; never a timed test). Add a bench to `BENCHES`.
 */
import { migrationsBench } from "./migrations";

export interface Bench {
  name: string;
  description: string;
  /** Runs the bench and prints its results through `out`. */
  run(out: (line: string) => void): Promise<void>;
}

export const BENCHES: Bench[] = [migrationsBench];

export async function runBenches(names: readonly string[], out: (line: string) => void = console.log): Promise<number> {
  const unknown = names.filter((n) => !BENCHES.some((b) => b.name === n));
  if (unknown.length) {
    out(`unknown bench ${unknown.join(", ")}; benches: ${BENCHES.map((b) => b.name).join(", ")}`);
    return 2;
  }
  for (const bench of BENCHES.filter((b) => !names.length || names.includes(b.name))) {
    out(`${bench.name}: ${bench.description}`);
    const started = Date.now();
    await bench.run(out);
    out(`(${bench.name} took ${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
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
