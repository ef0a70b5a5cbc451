/** Timing helpers the benches share. */

/** Milliseconds since `from` (a `process.hrtime.bigint()`). */
export const ms = (from: bigint): number => Number(process.hrtime.bigint() - from) / 1e6;

/** The median of some timings (the upper one of an even count). */
export const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** `12.3 ms`, or `1.23 s` from a second up. */
export const fmt = (x: number): string => (x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(1)} ms`);
