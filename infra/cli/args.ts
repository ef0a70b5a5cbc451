/**
 * The one argument parser and entry shape of the CLIs (`npm run local|db|crons|plan|rollout|engine`).
 *
 * Each CLI is a `main(argv, io, ...)` built by `command()`, returning its exit code (no
 * `process.exit`, so tests run it in-process):
 *   0  ok
 *   1  refused or failed (the reason is printed)
 *   2  usage: the problem, then a one-line hint to run `--help`
 * `--help` / `-h` prints the usage on stdout and exits 0. An exception nobody expected prints
 * `<name>: unexpected error (a bug)` with its stack and exits 1.
 *
 * Parsing is Node's `util.parseArgs` (strict), with its messages rewritten into the CLIs' own words.
 */
import { parseArgs } from "util";
import { UsageError } from "../errors";
import { stripControlChars } from "../text";

export { UsageError };

/** Where a CLI writes and what it reads from its surroundings (tests pass their own). */
export interface CliIo {
  /** Results: what a script would pipe on. */
  out(line: string): void;
  /** Problems, refusals, notices. */
  err(line: string): void;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export interface OptionSpec {
  type: "string" | "boolean";
  /** Repeatable: the values are collected in an array. */
  multiple?: boolean;
  short?: string;
}
export type OptionSpecs = Record<string, OptionSpec>;

type ValueOf<S extends OptionSpec> = S["type"] extends "string" ? string : boolean;
export type OptionValues<O extends OptionSpecs> = { [K in keyof O]?: O[K]["multiple"] extends true ? ValueOf<O[K]>[] : ValueOf<O[K]> };

export interface CliSpec<O extends OptionSpecs> {
  /** The npm script (`npm run <name>`), also the prefix of the CLI's error lines. */
  name: string;
  /** Printed by `--help`; should name every option and environment variable the CLI reads. */
  usage: string;
  /** Options besides `--help`, which every CLI has. */
  options: O;
  /** Whether words that are not options (commands, features, versions) are accepted. @default false */
  positionals?: boolean;
}

export interface ParsedArgs<O extends OptionSpecs> {
  values: OptionValues<O>;
  positionals: string[];
}

/** The line printed after every usage error. */
export function helpHint(name: string): string {
  return `run \`npm run ${name} -- --help\` for usage`;
}

const HELP = { help: { type: "boolean", short: "h" } } as const;

/** Parses `argv` as `spec` describes; `"help"` when help was asked for. Throws `UsageError`. */
export function parseCliArgs<O extends OptionSpecs>(spec: CliSpec<O>, argv: readonly string[]): ParsedArgs<O> | "help" {
  const options = { ...spec.options, ...HELP };
  // Help wins over any other mistake on the line, so `--help` added to a wrong command still helps.
  // The lenient pass also keeps `--reason -h` (a value) from counting as a request for help.
  const { tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  if (tokens.some((t) => t.kind === "option" && t.name === "help")) return "help";
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: spec.positionals ?? false });
    return { values: values as OptionValues<O>, positionals };
  } catch (e) {
    throw new UsageError(describeParseError(e));
  }
}

/** Node's parser messages, in the words the CLIs use elsewhere (and without its multi-line advice). */
function describeParseError(e: unknown): string {
  const err = e as { code?: string; message?: string };
  const message = String(err.message ?? e);
  const quoted = /'([^']*)'/.exec(message)?.[1] ?? "";
  const option = quoted.match(/--?[\w-]+/g)?.pop() ?? quoted;
  switch (err.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown option "${option}"`;
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
      return `unexpected argument "${quoted}"`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      if (/does not take an argument/.test(message)) return `${option} takes no value`;
      if (/argument missing|ambiguous/.test(message)) return `${option} needs a value`;
      return message.split("\n")[0];
    default:
      throw e;
  }
}

/** The stack of an error (or its text), for the "a bug" message. */
export function describeUnexpected(e: unknown): string {
  return e instanceof Error ? (e.stack ?? e.message) : String(e);
}

/**
 * Builds a CLI's `main`: parses, answers `--help`, runs, and turns a `UsageError` (from parsing or
 * from `run`) into exit 2 and anything unexpected into exit 1, so every CLI exits the same way.
 */
export function command<O extends OptionSpecs, X extends unknown[] = []>(
  spec: CliSpec<O>,
  run: (args: ParsedArgs<O>, io: CliIo, ...extra: X) => number | Promise<number>,
): (argv: readonly string[], io: CliIo, ...extra: X) => Promise<number> {
  return async (argv, io, ...extra) => {
    try {
      const args = parseCliArgs(spec, argv);
      if (args === "help") {
        io.out(spec.usage);
        return 0;
      }
      return await run(args, io, ...extra);
    } catch (e) {
      if (e instanceof UsageError) {
        io.err(`${spec.name}: ${e.message}`);
        io.err(helpHint(spec.name));
        return 2;
      }
      io.err(`${spec.name}: unexpected error (a bug): ${describeUnexpected(e)}`);
      return 1;
    }
  };
}

/** The io of a real process: stdout, stderr, its environment and working directory. */
export function processIo(overrides: Partial<CliIo> = {}): CliIo {
  // Lines carry values from stack files and declarations: no terminal escapes reach the terminal.
  return {
    out: (line) => process.stdout.write(`${stripControlChars(line)}\n`),
    err: (line) => process.stderr.write(`${stripControlChars(line)}\n`),
    env: process.env,
    cwd: process.cwd(),
    ...overrides,
  };
}

/** Runs `main` as the process's entry point: its exit code becomes the process's. */
export function runAsScript(name: string, main: (argv: readonly string[], io: CliIo) => Promise<number>, io: CliIo = processIo()): void {
  main(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    // `command()` catches everything; this is for a main that was not built with it.
    (e: unknown) => {
      io.err(`${name}: unexpected error (a bug): ${describeUnexpected(e)}`);
      process.exitCode = 1;
    },
  );
}
