/** The CLIs' one parser and entry shape (infra/cli/args.ts), on a toy command. */
import { describe, expect, it, vi } from "vitest";
import { command, parseCliArgs, processIo, UsageError } from "../../infra/cli/args";
import { UsageError as RolloutUsageError } from "../../infra/rollout/commands";
import { captureIo } from "../support/io";

const SPEC = {
  name: "toy",
  usage: "usage: npm run toy -- [--name N] [--loud] [--tag T ...] WORD...",
  positionals: true,
  options: { name: { type: "string" }, loud: { type: "boolean" }, tag: { type: "string", multiple: true } },
} as const;

const toy = command(SPEC, ({ values, positionals }, io) => {
  if (positionals[0] === "boom") throw new Error("kaboom");
  if (positionals[0] === "misuse") throw new UsageError("misuse needs --name");
  io.out(JSON.stringify({ values: { ...values }, positionals }));
  return values.loud ? 1 : 0;
});

async function run(argv: string[]) {
  const c = captureIo();
  const code = await toy(argv, c.io);
  return { code, out: c.out, err: c.err };
}

describe("parseCliArgs", () => {
  it("returns values and words, with repeatable options as arrays and inline values", () => {
    expect(parseCliArgs(SPEC, ["a", "--name=x", "--tag", "1", "--tag", "2", "b"])).toEqual({ values: { name: "x", tag: ["1", "2"] }, positionals: ["a", "b"] });
  });

  it.each([
    [["--nope"], 'unknown option "--nope"'],
    [["-z"], 'unknown option "-z"'],
    [["--name"], "--name needs a value"],
    [["--name", "--loud"], "--name needs a value"],
    [["--loud=yes"], "--loud takes no value"],
  ])("%j → UsageError %s", (argv, message) => {
    expect(() => parseCliArgs(SPEC, argv)).toThrow(new UsageError(message));
  });

  it("refuses words when the command takes none", () => {
    expect(() => parseCliArgs({ ...SPEC, positionals: false }, ["stray"])).toThrow(new UsageError('unexpected argument "stray"'));
  });

  it("--help or -h anywhere asks for help, even beside a mistake; an option's value -h does not", () => {
    expect(parseCliArgs(SPEC, ["--help"])).toBe("help");
    expect(parseCliArgs(SPEC, ["w", "--nope", "-h"])).toBe("help");
    expect(() => parseCliArgs(SPEC, ["--name", "-h"])).toThrow(new UsageError("--name needs a value"));
    expect(parseCliArgs(SPEC, ["--name=-h"])).toEqual({ values: { name: "-h" }, positionals: [] });
  });
});

describe("command(): one entry shape", () => {
  it("runs, returning the command's exit code", async () => {
    expect(await run(["w", "--loud"])).toEqual({ code: 1, out: ['{"values":{"loud":true},"positionals":["w"]}'], err: [] });
  });

  it("--help: the usage on stdout, exit 0, the command not run", async () => {
    expect(await run(["boom", "--help"])).toEqual({ code: 0, out: [SPEC.usage], err: [] });
  });

  it("a usage error, from the parser or the command: the problem and a one-line hint on stderr, exit 2", async () => {
    expect(await run(["--nope"])).toEqual({ code: 2, out: [], err: ['toy: unknown option "--nope"', "run `npm run toy -- --help` for usage"] });
    expect(await run(["misuse"])).toEqual({ code: 2, out: [], err: ["toy: misuse needs --name", "run `npm run toy -- --help` for usage"] });
  });

  it("rollout's commands throw the same UsageError", () => {
    expect(RolloutUsageError).toBe(UsageError);
  });

  it("anything else is a bug: its stack on stderr, exit 1", async () => {
    const r = await run(["boom"]);
    expect(r.code).toBe(1);
    expect(r.out).toEqual([]);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(/^toy: unexpected error \(a bug\): Error: kaboom\n\s+at /);
  });
});

describe("processIo(): what reaches the terminal", () => {
  it("replaces terminal escapes, C1 controls and bidi overrides in every line, keeping tabs and the text", () => {
    const written: string[] = [];
    const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk: any) => (written.push(String(chunk)), true));
    const err = vi.spyOn(process.stderr, "write").mockImplementation((chunk: any) => (written.push(String(chunk)), true));
    try {
      const io = processIo();
      io.out("value: \u001b]0;owned\u0007\u001b[31mred\u009b\u202eevil\tend");
      io.err("bell\u0007 and NUL\u0000");
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
    expect(written).toEqual(["value: \ufffd]0;owned\ufffd\ufffd[31mred\ufffd\ufffdevil\tend\n", "bell\ufffd and NUL\ufffd\n"]);
  });
});
