import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { CATALOG } from "../infra/apps";
import { ConfigError, isNamespaceTypo, isValidBranchName, loadStackConfigFile, parseStackConfig } from "../infra/config";
import { secretsInStackFile } from "../infra/plan/redact";
import { listStacks, parseStackFile, rawEntriesFromYaml, readPhases, renderRung, setPhase, STACK_FILE_LIMITS, StackFileError } from "../infra/stack-file";
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
