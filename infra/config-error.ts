/**
 * The error every config problem ends in. It lives apart from `config.ts` because the stack-file
 * module throws it too, and `config.ts` imports the stack-file module: one shared leaf avoids the cycle.
 */

/** One problem: where (a config key path, or `file:line:col`) and what to do about it. */
export interface ConfigProblem {
  key: string;
  message: string;
  /** The fault class, for tools and tests (e.g. `duplicate-key`, `namespace-typo`). */
  code?: string;
  /** The stack file and 1-based line, when the problem was found in a file's text. */
  file?: string;
  line?: number;
}

/** Printing stops after this many problems: a hostile file can hold thousands, and the rest adds nothing. */
export const MAX_PRINTED_PROBLEMS = 50;

/** Keys come from files; print them on one line, without terminal control characters, and short. */
export function printableKey(key: string, max = 200): string {
  const clipped = key.length > max ? `${key.slice(0, max)}…` : key;
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(clipped) ? JSON.stringify(clipped) : clipped;
}

/** An operator mistake in a stack file: lists every problem, each with its key path and the fix. */
export class ConfigError extends Error {
  constructor(
    /** Not `stack`: that is Error's own stack trace, which every error printer reads. */
    readonly stackName: string,
    readonly problems: ConfigProblem[],
  ) {
    const shown = problems.slice(0, MAX_PRINTED_PROBLEMS);
    const more = problems.length - shown.length;
    super(
      `stack "${printableKey(stackName, 100)}" has ${problems.length} config problem${problems.length === 1 ? "" : "s"}:\n` +
        shown.map((p) => `  ${printableKey(p.key)}: ${p.message}`).join("\n") +
        (more > 0 ? `\n  … and ${more} more problem${more === 1 ? "" : "s"}` : ""),
    );
    this.name = "ConfigError";
  }
}
