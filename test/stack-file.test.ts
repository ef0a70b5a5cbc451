import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { CATALOG } from "../infra/apps";
import { ConfigError, isNamespaceTypo, isValidBranchName, loadStackConfigFile, parseStackConfig } from "../infra/config";
import { secretsInStackFile } from "../infra/plan/redact";
import {
  isStackName,
  listStacks,
  parseStackFile,
  rawEntriesFromYaml,
  environmentsOf,
  readPhaseMaps,
  readPhases,
  readStackFile,
  renderRung,
  secureValues,
  setPhase,
  STACK_FILE_LIMITS,
  StackFileError,
  stackFileRel,
  stackOfFile,
} from "../infra/stack-file";
import { FAULTS, inPhases, SENTINELS, UNKNOWN_KEYS } from "./support/stack-file-faults";

const STACKS = path.resolve(__dirname, "../stacks");
const read = (stack: string) => fs.readFileSync(path.join(STACKS, `Pulumi.${stack}.yaml`), "utf8");

/** Lines that differ between two texts of the same line count. */
function changedLines(a: string, b: string): [string, string][] {
  const x = a.split("\n");
  const y = b.split("\n");
  expect(y.length).toBe(x.length);
  return x.flatMap((line, i) => (line === y[i] ? [] : [[line, y[i]] as [string, string]]));
}

describe("setPhase", () => {
  it.each(["", "~\n", "config:\n", "config: null\n", "config: ~\n"])("starts the config map in a file that has none (%j)", (text) => {
    expect(setPhase(text, "chat-sessions/cleanup", "live")).toBe("config:\n  rollout-stack:phases:\n    chat-sessions/cleanup: live\n");
  });

  it.each(["prod", "staging", "dev"])("changes exactly one line of stacks/Pulumi.%s.yaml for every feature and rung", (stack) => {
    const text = read(stack);
    const phases = readPhases(text);
    for (const [key, rung] of Object.entries(phases)) {
      const [appName, featureName] = key.split("/");
      const feature = CATALOG.find((a) => a.name === appName)!.features.find((f) => f.name === featureName)!;
      for (const target of feature.rungs.map((r) => r.name).filter((r) => r !== rung)) {
        const updated = setPhase(text, key, target);
        expect(changedLines(text, updated)).toEqual([[`    ${key}: ${renderRung(rung)}`, `    ${key}: ${renderRung(target)}`]]);
        expect(readPhases(updated)[key]).toBe(target);
        expect(parseStackConfig(stack, rawEntriesFromYaml(updated)).phases[key]).toBe(target);
      }
    }
  });

  it("keeps comments, flow maps and order byte for byte", () => {
    const text = read("prod");
    const updated = setPhase(text, "metadata-context/enhanced-context", "50");
    expect(updated.replace('metadata-context/enhanced-context: "50"', 'metadata-context/enhanced-context: "10"')).toBe(text);
    expect(updated).toContain("# One line per feature: moving a phase is a one-line change, reviewed on the pull request.");
  });

  it.each([
    ["10", '"10"'],
    ["off", '"off"'],
    ["on", '"on"'],
    ["100", '"100"'],
    ["dry-run", "dry-run"],
    ["live", "live"],
    ["beta", "beta"],
    // Words that merely start like a YAML 1.1 boolean or null are plain.
    ["none", "none"],
    ["nightly", "nightly"],
    ["online", "online"],
    ["yes", '"yes"'],
    ["N", '"N"'],
    ["True", '"True"'],
    ["null", '"null"'],
    // Numbers in other notations, and text that is not one word.
    ["0x1f", '"0x1f"'],
    ["1e3", '"1e3"'],
    [".inf", '".inf"'],
    ["a: b", '"a: b"'],
    ["beta #2", '"beta #2"'],
  ])("writes %s as %s (quoted where plain YAML would not read back the string)", (rung, written) => {
    expect(renderRung(rung)).toBe(written);
  });

  it("adds a feature that has no line yet, and a phases block when there is none", () => {
    const local = read("local");
    const updated = setPhase(local, "chat-sessions/cleanup", "live");
    expect(readPhases(updated)).toEqual({ "chat-sessions/cleanup": "live" });
    expect(updated.startsWith(local.split("\n")[0])).toBe(true);
    expect(readPhases(setPhase(updated, "chat-sessions/early-session-creation", "10"))).toEqual({
      "chat-sessions/cleanup": "live",
      "chat-sessions/early-session-creation": "10",
    });
    expect(setPhase(updated, "chat-sessions/early-session-creation", "10")).toContain('chat-sessions/early-session-creation: "10"');
  });

  it("reads integer rungs as strings (pulumi config set --path writes integers)", () => {
    expect(readPhases("config:\n  rollout-stack:phases:\n    a/b: 10\n")).toEqual({ "a/b": "10" });
  });

  it("names the file, line and column of invalid YAML", () => {
    expect(() => readPhases("config:\n  x: [1,\n", "stacks/Pulumi.x.yaml")).toThrow(StackFileError);
    expect(() => readPhases("config:\n  x: [1,\n", "stacks/Pulumi.x.yaml")).toThrow(/^ {2}stacks\/Pulumi\.x\.yaml:\d+:\d+: not valid YAML/m);
    expect(() => readPhases("config:\n  rollout-stack:phases: [a]\n", "f")).toThrow("f: config.rollout-stack:phases must be a map");
  });
});

// ---------------------------------------------------------------------------------------------------
// Hostile files: every fault class ends in a ConfigError that names the file and line (or the key) and
// quotes no value of the file. The sentinels are put on the broken line itself (see the table).

const [S, V] = SENTINELS;

/** Values of the file that must not be printed, besides the sentinels. */
const NUMBERS = ["9007199254740993", "9007199254740992"];

function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected an error");
}

function expectNoValue(e: Error): void {
  const everything = `${e.message}\n${JSON.stringify(e)}`;
  for (const s of [...SENTINELS, ...NUMBERS]) expect(everything).not.toContain(s);
}

describe("hostile stack files: each fault class", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "stack-file-faults-"));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const FILE = "stacks/Pulumi.dev.yaml";

  it.each(FAULTS.map((f) => [f.name, f] as const))("%s: through the module", (_name, fault) => {
    const text = fault.text();
    if (fault.level === "file") {
      const e = thrown(() => parseStackFile(text, FILE));
      expect(e).toBeInstanceOf(StackFileError);
      expect(e).toBeInstanceOf(ConfigError);
      const [p] = (e as StackFileError).problems;
      expect(p.code).toBe(fault.code);
      expect(p.file).toBe(FILE);
      if (fault.line !== undefined) {
        expect(p.line).toBe(fault.line);
        expect(e.message).toMatch(new RegExp(`^ {2}${FILE.replace(/\./g, "\\.")}:${fault.line}(:\\d+)?: `, "m"));
      } else {
        expect(e.message).toContain(`  ${FILE}: `);
      }
      if (fault.key) expect(e.message).toContain(` in ${fault.key}: `);
      expectNoValue(e);
      // Every reader of the text reports the same fault.
      expect(thrown(() => readPhases(text, FILE))).toBeInstanceOf(StackFileError);
      expect(thrown(() => rawEntriesFromYaml(text, FILE))).toBeInstanceOf(StackFileError);
    } else {
      const e = thrown(() => parseStackConfig("dev", rawEntriesFromYaml(text, FILE)));
      expect(e).toBeInstanceOf(ConfigError);
      expect(e).not.toBeInstanceOf(StackFileError);
      const problem = (e as ConfigError).problems.find((p) => p.code === fault.code);
      expect(problem, e.message).toBeDefined();
      expect(problem!.key).toBe(fault.key);
      expect(e.message).toContain(`  ${fault.key}: `);
      expectNoValue(e);
    }
  });

  it.each(FAULTS.map((f) => [f.name, f] as const))("%s: through loadStackConfigFile", (_name, fault) => {
    const file = path.join(fs.mkdtempSync(path.join(tmp, "f-")), "Pulumi.dev.yaml");
    fs.writeFileSync(file, fault.text());
    const e = thrown(() => loadStackConfigFile("dev", { file }));
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).problems.some((p) => p.code === fault.code)).toBe(true);
    expect(e.message).toContain(fault.level === "file" ? `${file}${fault.line === undefined ? "" : `:${fault.line}`}` : `  ${fault.key}: `);
    expectNoValue(e);
  });

  it(`the ${UNKNOWN_KEYS.toLocaleString("en")} unknown keys are listed 20 at a time, then counted`, () => {
    const e = thrown(() => parseStackConfig("dev", rawEntriesFromYaml(FAULTS.find((f) => f.code === "unknown-key")!.text()))) as ConfigError;
    expect(e.problems.filter((p) => p.code === "unknown-key").map((p) => p.key)).toEqual([
      ...Array.from({ length: 20 }, (_, i) => `rollout-stack:unknown${i}`),
      "rollout-stack:…",
    ]);
    expect(e.message).toContain(`… and ${UNKNOWN_KEYS - 20} more unknown keys`);
    expect(e.message.length).toBeLessThan(10_000);
  });

  it("a broken secure value's text is not printed, but the redactor still learns it", () => {
    const text = FAULTS[1].text() as string;
    expect(secretsInStackFile(text).some((s) => s.includes(S))).toBe(true);
    // A duplicate key fails the parse, but redaction still reads the file (the later value wins).
    const dup = `config:\n  vercel:apiToken: { secure: ${V} }\n  vercel:apiToken: { secure: ${S} }\n`;
    expect(() => parseStackFile(dup)).toThrow(StackFileError);
    expect(secretsInStackFile(dup)).toContain(S);
    // A control character fails the parse too, and the redactor still reads past it.
    const control = `config:\n  vercel:apiToken: ${S}\n  rollout-stack:x: "a\u0001b"\n`;
    expect(() => parseStackFile(control)).toThrow(StackFileError);
    expect(secretsInStackFile(control)).toContain(S);
  });

  it("provider namespaces are left alone, and near-misses of ours are not", () => {
    for (const ns of ["vercel", "supabase", "random", "pulumi", "aws", "rollout"]) expect(isNamespaceTypo(ns), ns).toBe(false);
    for (const ns of ["rolout-stack", "Rollout-Stack", "ROLLOUT-STACK", "rollout_stack", "rollout-stacks", "rollot-stak"]) expect(isNamespaceTypo(ns), ns).toBe(true);
  });

  it("agrees with git check-ref-format --branch on branch names", () => {
    const names = ["main", "release/2024-10", "feature/x.y", "v1.0", " ", "main..x", "-rf", "main\u0007", "a b", "a~1", "a^", "a:b", "a?", "a*", "a[", "a\\b", "/a", "a/", "a//b", ".a", "a/.b", "a.lock", "a/b.lock", "a.", "a@{1}", "HEAD", "a@b", "x\u007f"];
    for (const name of names) {
      // Outside a repository, so that git judges the name alone.
      const git = spawnSync("git", ["check-ref-format", "--branch", name], { cwd: os.tmpdir(), encoding: "utf8" });
      expect(isValidBranchName(name), JSON.stringify(name)).toBe(git.status === 0);
    }
    expect(isValidBranchName("main\u0000")).toBe(false);
    // Stricter than git here: git prints "@" back (it means HEAD), but as a branch to deploy it is a mistake.
    expect(isValidBranchName("@")).toBe(false);
  });

  it("the real stack files parse, with no limit near", () => {
    for (const stack of listStacks()) {
      const text = read(stack);
      expect(parseStackFile(text, stack).config).toBeDefined();
      expect(Buffer.byteLength(text)).toBeLessThan(STACK_FILE_LIMITS.maxBytes / 100);
    }
    expect(listStacks()).toEqual(["dev", "local", "prod", "staging"]);
  });

  it("a __proto__ key is kept as data (null-prototype maps), not turned into a prototype", () => {
    const sf = parseStackFile(inPhases(`    __proto__: { polluted: ${V} }\n`));
    const phases = sf.config["rollout-stack:phases"] as Record<string, unknown>;
    expect(Object.keys(phases)).toContain("__proto__");
    expect(Object.getPrototypeOf(phases)).toBeNull();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------------
// Names and paths: what `--stack` may be, which stack a file (or `file@ref`) is for, where it lives.

describe("stack names and stack file paths", () => {
  it("a --stack name is a file name: letters, digits, `.`, `_`, `-`; never a path, `.` or `..`", () => {
    for (const ok of ["prod", "dev", "prod-eu", "a.b", "stack_2", "X", "..."]) expect(isStackName(ok), ok).toBe(true);
    for (const bad of ["", ".", "..", "../prod", "prod/..", "a/b", "stacks/prod", "..\\prod", "prod eu", "prod\n", " prod", "préprod", "a@b"]) {
      expect(isStackName(bad), JSON.stringify(bad)).toBe(false);
    }
  });

  it("the stack of a file is read from its name, `Pulumi.<stack>.yaml`, with a `@ref` suffix ignored", () => {
    expect(stackOfFile("stacks/Pulumi.prod.yaml")).toBe("prod");
    expect(stackOfFile("Pulumi.prod-eu.yaml")).toBe("prod-eu");
    expect(stackOfFile("stacks/Pulumi.prod.yaml@main")).toBe("prod");
    // A ref with a slash (`--base origin/main`) is still a ref.
    expect(stackOfFile("stacks/Pulumi.prod.yaml@origin/main")).toBe("prod");
    expect(stackOfFile("stacks/Pulumi.prod.yaml@refs/heads/release/1.2")).toBe("prod");
    expect(stackOfFile("stacks/Pulumi.staging.yaml@HEAD~1")).toBe("staging");
    // An `@` in a directory of the path (a Jenkins `workspace@2`, say) is not a ref.
    expect(stackOfFile("/var/jenkins/workspace@2/stacks/Pulumi.prod.yaml")).toBe("prod");
    expect(stackOfFile("/var/jenkins/workspace@2/stacks/Pulumi.prod.yaml@main")).toBe("prod");
    // Not a stack file: a backup, a copy, the project file, a label.
    for (const other of ["stacks/Pulumi.prod.yaml.bak", "stacks/Pulumi.prod.yaml~", "stacks/old-Pulumi.prod.yaml", "Pulumi.yaml", "stack file"]) {
      expect(stackOfFile(other), other).toBeUndefined();
    }
  });

  it("an error in a stack file is headed with the stack's name (from `file` or `file@ref`) and is a StackFileError by name", () => {
    const e = thrown(() => readPhaseMaps("config:\n  rollout-stack:phases: [a]\n", "stacks/Pulumi.prod.yaml@main")) as StackFileError;
    expect(e).toBeInstanceOf(StackFileError);
    expect(e.stackName).toBe("prod");
    expect(e.message).toMatch(/^stack "prod" has 1 config problem:\n {2}stacks\/Pulumi\.prod\.yaml@main: config\.rollout-stack:phases must be a map/);
    // The plan's child process recognises it by name (the tree's own copy of the class is another class).
    expect(e.name).toBe("StackFileError");
    expect(String(e)).toMatch(/^StackFileError: stack "prod"/);
    // A file whose name holds no stack is headed with the file itself.
    expect((thrown(() => parseStackFile("- a\n", "other.yaml")) as StackFileError).stackName).toBe("other.yaml");
  });

  it("a stack file's path relative to the tree uses `/`, under the project's stackConfigDir", () => {
    expect(stackFileRel("prod")).toBe("stacks/Pulumi.prod.yaml");
    expect(stackFileRel("prod", ".")).toBe("Pulumi.prod.yaml");
    expect(stackFileRel("prod", "deploy/stacks")).toBe("deploy/stacks/Pulumi.prod.yaml");
    expect(stackFileRel("prod", "./deploy//stacks/")).toBe("deploy/stacks/Pulumi.prod.yaml");
    expect(stackFileRel("prod", `deploy${path.sep}stacks`)).toBe("deploy/stacks/Pulumi.prod.yaml");
  });

  it("lists the stacks that have a file, sorted by name; other files are not stacks; a missing directory has none", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stack-file-list-"));
    try {
      for (const name of ["Pulumi.prod.yaml", "Pulumi.prod-eu.yaml", "Pulumi.a.b.yaml", "Pulumi.a.yaml", "Pulumi.yaml", "Pulumi.prod.yaml.orig", "Pulumi.prod.yaml~", "old-Pulumi.dev.yaml", "README.md"]) {
        fs.writeFileSync(path.join(dir, name), "config: {}\n");
      }
      expect(listStacks(dir)).toEqual(["a", "a.b", "prod", "prod-eu"]);
      expect(listStacks(path.join(dir, "missing"))).toEqual([]);
      expect(listStacks(path.join(dir, "README.md"))).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ---------------------------------------------------------------------------------------------------
// Reading from disk: a missing file is "no stack file", anything else that stops the read is an error
// naming the label and the error code, never a raw fs error.

describe("reading a stack file from disk", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "stack-file-read-"));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const LABEL = "stacks/Pulumi.dev.yaml";

  it("reading closes the file, whether it parses or not", () => {
    const good = path.join(tmp, "Pulumi.closed.yaml");
    const bad = path.join(tmp, "Pulumi.closed-bad.yaml");
    fs.writeFileSync(good, "config: {}\n");
    fs.writeFileSync(bad, "config: [\n");
    // This process's open files that are one of the two (other test files may share the process).
    const stillOpen = () =>
      fs.readdirSync("/proc/self/fd").filter((fd) => {
        try {
          return [good, bad].includes(fs.readlinkSync(`/proc/self/fd/${fd}`));
        } catch {
          return false; // closed meanwhile
        }
      });
    readStackFile(good, LABEL);
    expect(() => readStackFile(bad, LABEL)).toThrow(StackFileError);
    expect(stillOpen()).toEqual([]);
  });

  it("a missing file is undefined (the caller says `no stack file`), not an error", () => {
    expect(readStackFile(path.join(tmp, "Pulumi.nope.yaml"), LABEL)).toBeUndefined();
  });

  it("a file that cannot be opened or read is `unreadable`, naming the label and the error code only", () => {
    const notADir = path.join(tmp, "plain-file");
    fs.writeFileSync(notADir, "config: {}\n");
    const devZero = path.join(tmp, "Pulumi.zero.yaml");
    fs.symlinkSync("/dev/zero", devZero);
    const cases: [string, string][] = [
      // The parent is a file: open fails with something other than ENOENT.
      [path.join(notADir, "Pulumi.dev.yaml"), "ENOTDIR"],
      // A directory, or a device that reports size 0 and never ends: only regular files are read.
      [fs.mkdtempSync(path.join(tmp, "Pulumi.dir-")), "not a regular file"],
      [devZero, "not a regular file"],
      // A regular file whose read fails (Linux: reading this process's memory at offset 0 is EIO).
      ["/proc/self/mem", "EIO"],
    ];
    for (const [file, code] of cases) {
      const e = thrown(() => readStackFile(file, LABEL));
      expect(e, code).toBeInstanceOf(StackFileError);
      expect((e as StackFileError).problems).toEqual([{ key: LABEL, code: "unreadable", file: LABEL, message: `cannot be read (${code}); check the path and its permissions` }]);
      expect(e.message).toBe(`stack "dev" has 1 config problem:\n  ${LABEL}: cannot be read (${code}); check the path and its permissions`);
      // The fs message repeats the absolute path; only the label is printed.
      expect(e.message).not.toContain(tmp);
    }
  });

  it("a file over the size limit is refused before it is read, naming its size and the limit", () => {
    const big = path.join(tmp, "Pulumi.big.yaml");
    fs.writeFileSync(big, `config: {}\n# ${"x".repeat(STACK_FILE_LIMITS.maxBytes)}\n`);
    const size = fs.statSync(big).size;
    const expected = `is ${size} bytes, over the limit of ${STACK_FILE_LIMITS.maxBytes} bytes for a stack file; a stack file holds config keys only (real ones are a few kilobytes)`;
    const e = thrown(() => readStackFile(big, LABEL)) as StackFileError;
    expect(e.problems).toEqual([{ key: LABEL, code: "too-large", file: LABEL, message: expected }]);
    // The same limit and words for text in memory.
    expect((thrown(() => parseStackFile(fs.readFileSync(big, "utf8"), LABEL)) as StackFileError).problems[0].message).toBe(expected);
    // At the limit exactly, the file is read.
    fs.truncateSync(big, STACK_FILE_LIMITS.maxBytes);
    expect(readStackFile(big, LABEL)!.config).toEqual({});
  });

  it("a file too big to read at all (3 GiB, sparse) is refused by its size, not read", () => {
    const huge = path.join(tmp, "Pulumi.huge.yaml");
    fs.writeFileSync(huge, "config: {}\n");
    fs.truncateSync(huge, 3 * 1024 ** 3);
    try {
      const e = thrown(() => readStackFile(huge, LABEL)) as StackFileError;
      expect(e.problems).toEqual([{ key: LABEL, code: "too-large", file: LABEL, message: expect.stringMatching(/^is 3221225472 bytes, over the limit/) }]);
    } finally {
      fs.rmSync(huge);
    }
  });

  it("text and bytes in memory: refused one byte over the limit, parsed at the limit", () => {
    const atLimit = `config: {}\n#${"x".repeat(STACK_FILE_LIMITS.maxBytes - 13)}\n`;
    expect(Buffer.byteLength(atLimit)).toBe(STACK_FILE_LIMITS.maxBytes);
    for (const input of [atLimit, Buffer.from(atLimit)]) expect(parseStackFile(input, LABEL).config).toEqual({});
    const over = `${atLimit}x`;
    for (const input of [over, Buffer.from(over)]) {
      expect((thrown(() => parseStackFile(input, LABEL)) as StackFileError).problems).toEqual([
        { key: LABEL, code: "too-large", file: LABEL, message: expect.stringMatching(new RegExp(`^is ${STACK_FILE_LIMITS.maxBytes + 1} bytes, over the limit`)) },
      ]);
    }
  });
});

// ---------------------------------------------------------------------------------------------------
// Reading the data: what callers get from a well-formed file.

describe("stack file data: entries, secrets, environments, phases", () => {
  it("errors name `stack file` when the caller gives no label", () => {
    expect(() => parseStackFile("- a\n")).toThrow(/^ {2}stack file:1: the document is a list, not a map/m);
    expect(() => rawEntriesFromYaml("- a\n")).toThrow(/^ {2}stack file:1: the document is a list, not a map/m);
    expect(() => readPhases("- a\n")).toThrow(/^ {2}stack file:1: the document is a list, not a map/m);
    expect(() => readPhases("config:\n  rollout-stack:phases: [a]\n")).toThrow(/^ {2}stack file: config\.rollout-stack:phases must be a map/m);
  });

  it("a `secure:` value is a secret whose value is unknown; anything else is plain", () => {
    const entries = rawEntriesFromYaml(`config:\n  vercel:apiToken:\n    secure: v1:${S}\n  rollout-stack:mode: cloud\n  rollout-stack:x: { secure: a, other: b }\n`);
    expect({ ...entries }).toEqual({
      "vercel:apiToken": { value: undefined, secret: true, secure: `v1:${S}` },
      "rollout-stack:mode": { value: "cloud", secret: false },
      "rollout-stack:x": { value: { secure: "a", other: "b" }, secret: false },
    });
  });

  it("lists every `secure:` value with its key and the path below it, top-level ones with an empty path", () => {
    const sf = parseStackFile(
      [
        "config:",
        "  vercel:apiToken: { secure: v1:top }",
        "  rollout-stack:mode: cloud",
        "  rollout-stack:settings:",
        "    chat-sessions/TOKEN: { secure: v1:inmap }",
        "    plain: value",
        "  rollout-stack:list:",
        "    - plain",
        "    - { secure: v1:inlist }",
        "    - nested: [{ secure: v1:deep }]",
        "",
      ].join("\n"),
    );
    expect(secureValues(sf)).toEqual([
      { key: "vercel:apiToken", path: [], ciphertext: "v1:top" },
      { key: "rollout-stack:settings", path: ["chat-sessions/TOKEN"], ciphertext: "v1:inmap" },
      { key: "rollout-stack:list", path: ["1"], ciphertext: "v1:inlist" },
      { key: "rollout-stack:list", path: ["2", "nested", "0"], ciphertext: "v1:deep" },
    ]);
    expect(secureValues(parseStackFile("config:\n  rollout-stack:mode: cloud\n"))).toEqual([]);
  });

  it("reads the ESC environments a stack imports, as a list or as `imports:`; other shapes import none", () => {
    expect(environmentsOf(["acme/prod", "acme/shared"])).toEqual(["acme/prod", "acme/shared"]);
    expect(environmentsOf({ imports: ["acme/prod"], values: { a: 1 } })).toEqual(["acme/prod"]);
    // Only names: an entry that is not a string (a map with options, a number) is left out.
    expect(environmentsOf(["acme/prod", { "acme/x": { merge: false } }, 7, null])).toEqual(["acme/prod"]);
    expect(environmentsOf({ imports: "acme/prod" })).toEqual([]);
    expect(environmentsOf({ values: ["acme/prod"] })).toEqual([]);
    for (const none of [undefined, null, "acme/prod", 0, true]) expect(environmentsOf(none), String(none)).toEqual([]);

    // As a stack file holds them.
    expect(environmentsOf(parseStackFile("environment:\n  - acme/prod\nconfig: {}\n").environment)).toEqual(["acme/prod"]);
    expect(environmentsOf(parseStackFile(Buffer.from("environment:\n  imports: [acme/a, acme/b]\n")).environment)).toEqual(["acme/a", "acme/b"]);
    expect(environmentsOf(parseStackFile("config: {}\n").environment)).toEqual([]);
  });

  it("a stack with no phases block, or an empty one, has no phases", () => {
    expect(readPhases("config:\n  rollout-stack:mode: cloud\n")).toEqual({});
    expect(readPhases("config:\n  rollout-stack:phases:\n")).toEqual({});
    expect(readPhases("config:\n  rollout-stack:phases: null\n")).toEqual({});
    expect(readPhases("")).toEqual({});
    expect(readPhaseMaps("config:\n  rollout-stack:previewPhases:\n    a/b: live\n")).toEqual({ phases: {}, previewPhases: { "a/b": "live" } });
    // An empty previewPhases block (null) or one that is not a map has no phases either.
    expect(readPhaseMaps("config:\n  rollout-stack:phases:\n    a/b: live\n  rollout-stack:previewPhases:\n")).toEqual({ phases: { "a/b": "live" }, previewPhases: {} });
    expect(readPhaseMaps("config:\n  rollout-stack:previewPhases: [a/b]\n")).toEqual({ phases: {}, previewPhases: {} });
  });

  it("an empty key (`: value`) reads as the key \"\"", () => {
    expect(parseStackFile("config:\n  : c\n  rollout-stack:mode: cloud\n").config).toEqual({ "": "c", "rollout-stack:mode": "cloud" });
  });
});

// ---------------------------------------------------------------------------------------------------
// Editing phases: a rung reads back as written, an existing line changes in its value only, and adding
// the first feature keeps every other key and line.

describe("setPhase: what an edit keeps", () => {
  const RUNGS = ["10", "100", "off", "on", "yes", "null", "0x1f", "1e3", ".inf", "a: b", "beta #2", "dry-run", "live", "none", "nightly"];

  it("every rung reads back as the string it was set to, on an existing line and on a new one", () => {
    const text = "config:\n  rollout-stack:phases:\n    a/b: live\n";
    for (const rung of RUNGS) {
      expect(readPhases(setPhase(text, "a/b", rung)), rung).toEqual({ "a/b": rung });
      expect(readPhases(setPhase(text, "c/d", rung)), rung).toEqual({ "a/b": "live", "c/d": rung });
    }
  });

  it("an existing line changes in its value only, whatever the indentation, spacing and comments around it", () => {
    const text = [
      "# hand-aligned",
      "config:",
      "    rollout-stack:mode: cloud      # two spaces would do",
      "    rollout-stack:phases:",
      "        a/b:   live     # aligned",
      "        c/d: '10'",
      "",
    ].join("\n");
    expect(setPhase(text, "a/b", "off")).toBe(text.replace("a/b:   live ", 'a/b:   "off" '));
    expect(setPhase(text, "c/d", "dry-run")).toBe(text.replace("c/d: '10'", "c/d: dry-run"));
  });

  it("a new feature line is written as renderRung writes it: quoted only where needed", () => {
    const text = "config:\n  rollout-stack:phases:\n    a/b: live\n";
    expect(setPhase(text, "c/d", "off")).toBe(`${text}    c/d: "off"\n`);
    expect(setPhase(text, "c/d", "10")).toBe(`${text}    c/d: "10"\n`);
    expect(setPhase(text, "c/d", "beta")).toBe(`${text}    c/d: beta\n`);
  });

  it("adding the first feature keeps every other key and line (long lines unwrapped), or starts the config block", () => {
    const long = `  rollout-stack:vercelTeam: ${"acme ".repeat(30)}end`;
    const text = `# local stack\nconfig:\n  rollout-stack:mode: local\n${long}\n`;
    expect(setPhase(text, "a/b", "off")).toBe(`${text}  rollout-stack:phases:\n    a/b: "off"\n`);
    expect(setPhase("", "a/b", "live")).toBe("config:\n  rollout-stack:phases:\n    a/b: live\n");
    // An empty phases block is no phases yet.
    expect(setPhase("config:\n  rollout-stack:phases:\n", "a/b", "10")).toBe('config:\n  rollout-stack:phases:\n    a/b: "10"\n');
    const env = setPhase("environment:\n  - acme/dev\n", "a/b", "live");
    expect(env).toBe("environment:\n  - acme/dev\nconfig:\n  rollout-stack:phases:\n    a/b: live\n");
  });

  it("refuses to edit a phases value that is not a map, naming the file and what it must be", () => {
    for (const phases of ["[a/b]", "live", "7"]) {
      const e = thrown(() => setPhase(`config:\n  rollout-stack:phases: ${phases}\n`, "a/b", "live", "stacks/Pulumi.dev.yaml"));
      expect(e, phases).toBeInstanceOf(StackFileError);
      expect((e as StackFileError).problems).toEqual([
        { key: "stacks/Pulumi.dev.yaml", code: "phases-not-a-map", file: "stacks/Pulumi.dev.yaml", message: "config.rollout-stack:phases must be a map of <app>/<feature>: rung" },
      ]);
    }
    expect(() => setPhase("- a\n", "a/b", "live")).toThrow(/^ {2}stack file:1: the document is a list/m);
    expect(() => readPhaseMaps("- a\n")).toThrow(/^ {2}stack file:1: the document is a list/m);
    expect((thrown(() => readPhases("config:\n  rollout-stack:phases: [a]\n")) as StackFileError).problems[0].code).toBe("phases-not-a-map");
  });
});

// ---------------------------------------------------------------------------------------------------
// Byte-level faults: the message says what the character is and how to fix it, at file:line:col.

describe("stack file text faults: messages", () => {
  it("a control character is named by its code point (U+ and four upper-case hex digits), at file:line:col", () => {
    const cases: [string, string, string][] = [
      [`config:\n  x: a\u001b[31m${S}\n`, "stacks/Pulumi.dev.yaml:2:7", "U+001B"],
      [`config:\n  x: ${V}\u0000\n`, `stacks/Pulumi.dev.yaml:2:${6 + V.length}`, "U+0000"],
      ["\u007f", "stacks/Pulumi.dev.yaml:1:1", "U+007F"],
    ];
    for (const [text, where, name] of cases) {
      const e = thrown(() => parseStackFile(text, "stacks/Pulumi.dev.yaml")) as StackFileError;
      expect(e.problems[0].key).toBe(where);
      expect(e.problems[0].message).toBe(`holds the control character ${name}, which YAML does not allow in a file; remove it (write an escape such as \\t inside double quotes if it is meant)`);
      expectNoValue(e);
    }
  });

  it("bytes that are not UTF-8 are named at file:line:col, with the fix", () => {
    const bytes = Buffer.concat([Buffer.from("config:\n  x: ab"), Buffer.from([0xc3, 0x28]), Buffer.from(`${S}\n`)]);
    const e = thrown(() => parseStackFile(bytes, "stacks/Pulumi.dev.yaml")) as StackFileError;
    expect(e.problems).toEqual([{ key: "stacks/Pulumi.dev.yaml:2:8", code: "invalid-utf8", file: "stacks/Pulumi.dev.yaml", line: 2, message: "holds bytes that are not UTF-8; save the file as UTF-8 text" }]);
    expectNoValue(e);
  });

  it("YAML errors are reported once per line, at most three, each with its line and key", () => {
    const lines = ["a", "b", "c", "d", "e"].map((k) => `  rollout-stack:${k}: @${S}`);
    const e = thrown(() => parseStackFile(`config:\n${lines.join("\n")}\n`, "f")) as StackFileError;
    expect(e.problems.map((p) => [p.line, p.message.split(":")[0] + ":" + p.message.split(":")[1]])).toEqual([
      [2, "not valid YAML in config.rollout-stack:a"],
      [3, "not valid YAML in config.rollout-stack:b"],
      [4, "not valid YAML in config.rollout-stack:c"],
    ]);
    // Two faults on one line (two anchors, two tags): one problem, for the first.
    const one = thrown(() => parseStackFile(`config:\n  rollout-stack:mode: &a &b !!str !!str ${S}\n`, "f")) as StackFileError;
    expect(one.problems.map((p) => p.key)).toEqual(["f:2:26"]);
    expect(one.problems[0].message).toContain("(MULTIPLE_ANCHORS)");
    expectNoValue(e);
    expectNoValue(one);
  });

  it("a second document is blamed on the separator, not on a key of the first document", () => {
    const text = `config:\n  rollout-stack:mode: cloud # the last key\n---\nconfig:\n  rollout-stack:mode: ${S}\n`;
    const e = thrown(() => parseStackFile(text, "stacks/Pulumi.dev.yaml")) as StackFileError;
    expect(e.problems).toEqual([
      {
        key: "stacks/Pulumi.dev.yaml:3:1",
        code: "multiple-documents",
        file: "stacks/Pulumi.dev.yaml",
        line: 3,
        message:
          "not valid YAML: the file holds more than one YAML document (a `---` or `...` line); a stack file is one document: remove the separator and merge the parts",
      },
    ]);
    expectNoValue(e);
  });

  it("a YAML error this module has no words for still names its line, key and the YAML error code, not the value", () => {
    const e = thrown(() => parseStackFile(`config:\n  rollout-stack:mode: cloud\n  rollout-stack:vercelTeam: @${S}\n`, "stacks/Pulumi.dev.yaml")) as StackFileError;
    expect(e.problems).toEqual([
      {
        key: "stacks/Pulumi.dev.yaml:3:29",
        code: "syntax",
        file: "stacks/Pulumi.dev.yaml",
        line: 3,
        message: "not valid YAML in config.rollout-stack:vercelTeam: not valid YAML here (BAD_SCALAR_START); check the quotes, brackets and indentation",
      },
    ]);
    expectNoValue(e);
  });
});

// ---------------------------------------------------------------------------------------------------
// Which key a YAML error names: the deepest key on the error's line, or whose value spans it; only text
// written as a key (one token followed by `:`), so that a value, a secret, is never printed as a key.

describe("the key a YAML error names", () => {
  const problem = (text: string) => {
    const e = thrown(() => parseStackFile(text, "f")) as StackFileError;
    expect(e).toBeInstanceOf(StackFileError);
    expectNoValue(e);
    return e.problems[0];
  };

  it("a value line with no key of its own (a missing space after `:`, a stray line) names only the enclosing map", () => {
    for (const line of [`rollout-stack:vercelTeam:${S}`, S]) {
      const p = problem(`config:\n  rollout-stack:mode: cloud\n  ${line}\n  rollout-stack:vercelPlan: pro\n`);
      expect(p, line).toMatchObject({ key: "f:3:3", line: 3, message: "not valid YAML in config: a key spans several lines (often a missing `:` or quote on the line before)" });
    }
  });

  it("a bare word in a flow map is not taken for a key, even with a colon on a later line", () => {
    expect(problem(`config:\n  vercel:apiToken: {x: @bad, ${S}}\n  rollout-stack:mode: cloud\n`).message).toBe(
      "not valid YAML in config.vercel:apiToken.x: not valid YAML here (BAD_SCALAR_START); check the quotes, brackets and indentation",
    );
  });

  it("a key written with space before its colon is still a key", () => {
    expect(problem("config:\n  rollout-stack:vercelTeam : @x\n").message).toMatch(/^not valid YAML in config\.rollout-stack:vercelTeam: /);
  });

  it("names the key on the error's line, not its neighbours", () => {
    expect(problem(`config:\n  rollout-stack:vercelTeam: @${S}\n  rollout-stack:mode: cloud\n`).message).toMatch(/^not valid YAML in config\.rollout-stack:vercelTeam: /);
    expect(problem(`config:\n  rollout-stack:mode: cloud\n  rollout-stack:vercelTeam: @${S}\n`).message).toMatch(/^not valid YAML in config\.rollout-stack:vercelTeam: /);
    // Text after a flow map: the deepest key on the line.
    expect(problem("config:\n  rollout-stack:settings: {chat-sessions/X: 1} junk\n").message).toMatch(/^not valid YAML in config\.rollout-stack:settings\.chat-sessions\/X: /);
    // An unclosed list runs into the next key: the line named is the next key's, and so is the key.
    expect(problem("config:\n  rollout-stack:apps: [chat-sessions\n  rollout-stack:mode: cloud\n")).toMatchObject({
      key: "f:3:3",
      message: "not valid YAML in config.rollout-stack:mode: the indentation is wrong; align the key with its siblings (spaces only), and close any brackets",
    });
  });

  it("an unclosed bracket or quote deeper in the file names the deepest key whose value is open", () => {
    expect(problem("config:\n  rollout-stack:settings:\n    chat-sessions/X: [1,\n  rollout-stack:mode: cloud\n")).toMatchObject({
      key: "f:4:3",
      message: "not valid YAML in config.rollout-stack:settings.chat-sessions/X: the indentation is wrong; align the key with its siblings (spaces only), and close any brackets",
    });
    // An unclosed quote is noticed where the file ends; the error points at its key's line.
    expect(problem(`config:\n  rollout-stack:mode: cloud\n  rollout-stack:vercelTeam: '${S}\n  rollout-stack:vercelPlan: pro\n`)).toMatchObject({
      key: "f:3:3",
      line: 3,
      message: "not valid YAML in config.rollout-stack:vercelTeam: a closing quote or bracket is missing; close the value on this line",
    });
  });

  it("keys inside list items are named with the item's index", () => {
    expect(problem(`config:\n  rollout-stack:x:\n    - a: 1\n      b: @${S}\n`).message).toMatch(/^not valid YAML in config\.rollout-stack:x\.0\.b: /);
    expect(problem(`config:\n  rollout-stack:x:\n    - a: 'x\n`)).toMatchObject({ key: "f:3:7", message: "not valid YAML in config.rollout-stack:x.0.a: a closing quote or bracket is missing; close the value on this line" });
  });

  it("the key path of an error deep in nested maps stops at the nesting limit", () => {
    const limit = STACK_FILE_LIMITS.maxDepth;
    const nested = (levels: number) => "config:\n" + Array.from({ length: levels }, (_, i) => `${" ".repeat(2 * i + 2)}a:`).join("\n") + ` @${S}\n`;
    const path = (levels: number) => `config${".a".repeat(levels)}`;
    expect(problem(nested(limit - 1)).message).toMatch(new RegExp(`^not valid YAML in ${path(limit - 1).replace(/\./g, "\\.")}: `));
    for (const levels of [limit, limit + 1, limit + 6, 100]) {
      expect(problem(nested(levels)).message, String(levels)).toMatch(new RegExp(`^not valid YAML in ${path(limit).replace(/\./g, "\\.")}: `));
    }
  });
});

// ---------------------------------------------------------------------------------------------------
// The document's shape, values and limits.

describe("stack file shape, values and limits", () => {
  it("a document that is not a map says what it is", () => {
    for (const [text, kind] of [
      ["- a\n", "a list"],
      ["just text\n", "a string"],
      ["42\n", "a number"],
      ["true\n", "a boolean"],
    ]) {
      const e = thrown(() => parseStackFile(text, "f")) as StackFileError;
      expect(e.problems, text).toEqual([{ key: "f:1", code: "not-a-map", file: "f", line: 1, message: `the document is ${kind}, not a map; a stack file is a map with a \`config:\` key` }]);
    }
  });

  it("a `config:` that is not a map says what it is, at the line of `config:`", () => {
    for (const [value, kind] of [
      ["[a]", "a list"],
      [S, "a string"],
      ["42", "a number"],
      ["true", "a boolean"],
    ]) {
      const e = thrown(() => parseStackFile(`environment: [acme/dev]\n# the config\nconfig: ${value}\n`, "f")) as StackFileError;
      expect(e.problems, value).toEqual([{ key: "f:3", code: "config-not-a-map", file: "f", line: 3, message: `config: is ${kind}, not a map of \`<namespace>:<key>: value\` entries` }]);
      expectNoValue(e);
    }
  });

  it("values keep their YAML types; other tagged scalars are their source text", () => {
    const sf = parseStackFile("config:\n  a:n: 10\n  a:hex: 0x1f\n  a:f: 1.5\n  a:b: true\n  a:off: false\n  a:s: '10'\n  a:null: null\n");
    expect({ ...sf.config }).toEqual({ "a:n": 10, "a:hex": 31, "a:f": 1.5, "a:b": true, "a:off": false, "a:s": "10", "a:null": null });
    const old = parseStackFile("%YAML 1.1\n---\nconfig:\n  a:bin: !!binary aGVsbG8=\n  a:date: 2001-12-14\n");
    expect({ ...old.config }).toEqual({ "a:bin": "aGVsbG8=", "a:date": "2001-12-14T00:00:00.000Z" });
  });

  it("a value YAML builds from a tag this reader does not take (`!!pairs`) is refused, naming its key path", () => {
    const e = thrown(() => parseStackFile(`config:\n  rollout-stack:x: !!pairs [a: ${S}]\n`, "f")) as StackFileError;
    expect(e.problems).toEqual([{ key: "f", code: "syntax", file: "f", line: undefined, message: "in config.rollout-stack:x.0: holds a value YAML could not compose; check the quotes, brackets and indentation" }]);
    expectNoValue(e);
  });

  it("a duplicate key names both the key path and the fix", () => {
    const e = thrown(() => parseStackFile(`config:\n  a:x: 1\n  a:y:\n    b: ${V}\n    b: ${S}\n`, "f")) as StackFileError;
    expect(e.problems).toEqual([{ key: "f:5:5", code: "duplicate-key", file: "f", line: 5, message: "in config.a:y.b: a key is written twice in the same map; keep one of the two" }]);
    expectNoValue(e);
  });

  it("aliases: an undefined one, too many, and too many values are refused with the fix", () => {
    const undef = thrown(() => parseStackFile(`*${S}\n`, "f")) as StackFileError;
    expect(undef.problems).toEqual([
      { key: "f:1:1", code: "undefined-alias", file: "f", line: 1, message: "an alias (`*name`) refers to no anchor (`&name`) defined before it; define the anchor first or write the value out" },
    ]);
    expectNoValue(undef);

    const many = `config:\n  a:x: &a ${V}\n  a:y: [${Array.from({ length: STACK_FILE_LIMITS.maxAliases + 1 }, () => "*a").join(", ")}]\n`;
    const e = thrown(() => parseStackFile(many, "f")) as StackFileError;
    expect(e.problems[0]).toMatchObject({
      code: "too-many-aliases",
      line: 3,
      message: `in config.a:y.${STACK_FILE_LIMITS.maxAliases}: uses aliases (\`*name\`) more than ${STACK_FILE_LIMITS.maxAliases} times, counting nested ones; write the values out instead`,
    });
    expectNoValue(e);
    // At the limit, the aliases are expanded.
    const atLimit = many.replace(/, \*a\]/, "]");
    expect((parseStackFile(atLimit).config["a:y"] as unknown[]).length).toBe(STACK_FILE_LIMITS.maxAliases);

    // Each alias of a big list counts as its values: 20 × 10,000 values is over the limit of values (the
    // error points into the list that is expanded once too often).
    const wide = `config:\n  a:x: &a [${Array.from({ length: 10_000 }, () => "1").join(", ")}]\n  a:y: [${Array.from({ length: 20 }, () => "*a").join(", ")}]\n`;
    const w = thrown(() => parseStackFile(wide, "f")) as StackFileError;
    expect(w.problems[0]).toMatchObject({ code: "too-many-aliases", line: 2 });
    expect(w.problems[0].message).toMatch(new RegExp(`^in config\\.a:y\\.\\d+\\.\\d+: expands to more than ${STACK_FILE_LIMITS.maxNodes} values; write the values out, without aliases$`));
  });

  it("values nested exactly to the limit are read; one level more is refused", () => {
    // The document and config are two levels; the lists make up the rest.
    const lists = (n: number) => `config:\n  a:x: ${"[".repeat(n)}1${"]".repeat(n)}\n`;
    let value = parseStackFile(lists(STACK_FILE_LIMITS.maxDepth - 2)).config["a:x"];
    for (let i = 0; i < STACK_FILE_LIMITS.maxDepth - 2; i++) value = (value as unknown[])[0];
    expect(value).toBe(1);
    expect((thrown(() => parseStackFile(lists(STACK_FILE_LIMITS.maxDepth - 1), "f")) as StackFileError).problems[0]).toMatchObject({ code: "too-deep", line: 2 });
  });

  it("a file of exactly the limit of values is read; one value more is refused", () => {
    // The document, config and list count one each.
    const list = (n: number) => `config:\n  a:x: [${"1,".repeat(n - 1)}1]\n`;
    expect((parseStackFile(list(STACK_FILE_LIMITS.maxNodes - 3)).config["a:x"] as unknown[]).length).toBe(STACK_FILE_LIMITS.maxNodes - 3);
    expect((thrown(() => parseStackFile(list(STACK_FILE_LIMITS.maxNodes - 2), "f")) as StackFileError).problems[0]).toMatchObject({ code: "too-many-aliases", line: 2 });
  });

  it("lenient reading (for redaction) takes an undefined alias as null and still expands defined ones", () => {
    const sf = parseStackFile(`config:\n  a:x: *nothing\n  a:y: &v { secure: ${S} }\n  a:z: *v\n`, "f", { lenient: true });
    expect(JSON.parse(JSON.stringify(sf.config))).toEqual({ "a:x": null, "a:y": { secure: S }, "a:z": { secure: S } });
    expect(() => parseStackFile(`config:\n  a:x: *nothing\n`, "f")).toThrow(StackFileError);
  });

  it("text is UTF-8: any character up to U+10FFFF reads, surrogates and bytes no character starts with do not", () => {
    const ok = "config:\n  a:x: \u{1F600} \uFF71 \uE000 \uFFFD \u00A2 \u07FF \u0800 \uD7FF \u{10FFFF}\n";
    expect(parseStackFile(Buffer.from(ok)).config["a:x"]).toBe("\u{1F600} \uFF71 \uE000 \uFFFD \u00A2 \u07FF \u0800 \uD7FF \u{10FFFF}");
    const bad: [string, number[]][] = [
      ["U+D800 (a surrogate)", [0xed, 0xa0, 0x80]],
      ["U+DFFF (a surrogate)", [0xed, 0xbf, 0xbf]],
      ["F5 (starts no character)", [0xf5, 0x80, 0x80]],
      ["FF", [0xff, 0x80, 0x80]],
      ["over U+10FFFF", [0xf4, 0x90, 0x80, 0x80]],
      ["a continuation byte where a character starts", [0x81, 0x80, 0x80, 0x80]],
      ["a continuation byte before another", [0xa9, 0x80]],
      ["the lowest continuation byte, alone", [0x80]],
      ["F9 (once a five-byte form)", [0xf9, 0x80, 0x80, 0x80]],
      ["overlong two bytes", [0xc0, 0x80]],
      ["overlong three bytes (U+07FF)", [0xe0, 0x9f, 0xbf]],
      ["overlong four bytes (U+FFFF)", [0xf0, 0x8f, 0xbf, 0xbf]],
      ["truncated", [0xe2, 0x82]],
    ];
    for (const [name, bytes] of bad) {
      const e = thrown(() => parseStackFile(Buffer.concat([Buffer.from("config:\n  a:x: ok"), Buffer.from(bytes), Buffer.from(" more\n")]), "f")) as StackFileError;
      expect(e.problems, name).toEqual([{ key: "f:2:10", code: "invalid-utf8", file: "f", line: 2, message: "holds bytes that are not UTF-8; save the file as UTF-8 text" }]);
    }
  });

  it("a file whose very first byte is not UTF-8 is refused at 1:1", () => {
    const e = thrown(() => parseStackFile(Buffer.concat([Buffer.from([0xff]), Buffer.from("config: {}\n")]), "f")) as StackFileError;
    expect(e.problems).toEqual([{ key: "f:1:1", code: "invalid-utf8", file: "f", line: 1, message: "holds bytes that are not UTF-8; save the file as UTF-8 text" }]);
  });
});
