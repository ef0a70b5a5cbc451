import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { CATALOG } from "../infra/apps";
import { parseStackConfig } from "../infra/config";
import { rawEntriesFromYaml, readPhases, renderRung, setPhase, StackFileError } from "../infra/stack-file";

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
