/** An in-process `CliIo` for calling a CLI's `main(argv, io)`: it records what the CLI prints. */
import type { CliIo } from "../../infra/cli/args";

export interface CapturedIo {
  io: CliIo;
  /** Lines written to stdout. */
  out: string[];
  /** Lines written to stderr. */
  err: string[];
  /** Both, in the order written, joined by newlines (as a terminal shows them). */
  all(): string;
}

export function captureIo(options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): CapturedIo {
  const out: string[] = [];
  const err: string[] = [];
  const both: string[] = [];
  return {
    io: {
      out: (l) => (out.push(l), both.push(l)),
      err: (l) => (err.push(l), both.push(l)),
      env: options.env ?? {},
      cwd: options.cwd ?? process.cwd(),
    },
    out,
    err,
    all: () => both.join("\n"),
  };
}
