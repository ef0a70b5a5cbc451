import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ackTrailer,
  commitMessages,
  fileAt,
  firstParentVersions,
  forceTrailer,
  parseTrailers,
  phaseStart,
  type FileVersion,
} from "../../infra/rollout/history";
import { gitFixture, type GitFixture } from "./git-fixture";

const yaml = (rung: string | undefined) => (rung === undefined ? "config: {}\n" : `config:\n  rollout-stack:phases:\n    a/f: "${rung}"\n`);
const v = (sha: string, day: number, rung: string | undefined, text?: string): FileVersion => ({
  sha,
  committedAt: new Date(Date.UTC(2026, 10, day)),
  text: text ?? yaml(rung),
});

describe("phaseStart (pure)", () => {
  it("is the oldest commit of the newest unbroken run at the current rung", () => {
    // newest first: 50 set on day 5, unrelated edits on days 7 and 9 keep it.
    const versions = [v("c4", 9, "50"), v("c3", 7, "50"), v("c2", 5, "50"), v("c1", 3, "10"), v("c0", 1, "off")];
    expect(phaseStart(versions, "a/f", "50")).toEqual({ since: new Date(Date.UTC(2026, 10, 5)), sha: "c2" });
  });

  it("a rung reached again (10 → 50 → 10) starts at the rollback, not at the first time", () => {
    const versions = [v("c3", 9, "10"), v("c2", 5, "50"), v("c1", 3, "10")];
    expect(phaseStart(versions, "a/f", "10").sha).toBe("c3");
  });

  it("a rung that main does not hold (uncommitted or unmerged) has no start", () => {
    expect(phaseStart([v("c1", 3, "10")], "a/f", "50")).toEqual({});
    expect(phaseStart([], "a/f", "10")).toEqual({});
  });

  it("a deleted or unparsable version ends the run (fail-closed)", () => {
    const deleted = { sha: "c2", committedAt: new Date(Date.UTC(2026, 10, 5)), text: undefined };
    expect(phaseStart([v("c3", 9, "10"), deleted, v("c1", 3, "10")], "a/f", "10").sha).toBe("c3");
    expect(phaseStart([v("c3", 9, "10"), v("c2", 5, undefined, "config: [\n"), v("c1", 3, "10")], "a/f", "10").sha).toBe("c3");
  });
});

describe("rollout trailers", () => {
  it("round-trips acks and forces, and keeps each reason on one line", () => {
    const message = [
      "rollout(prod): m/e 10 → 50",
      "",
      "watched the dashboards",
      "",
      ackTrailer({ key: "m/e", gate: "error-and-latency", reason: "0.3% errors,\n 1.2 s avg" }),
      forceTrailer({ key: "m/e", from: "10", to: "100", reason: "incident 42" }),
    ].join("\n");
    expect(message).toContain("Rollout-Ack: m/e error-and-latency: 0.3% errors, 1.2 s avg\n");
    expect(parseTrailers(message, "abc")).toEqual({
      acks: [{ key: "m/e", gate: "error-and-latency", reason: "0.3% errors, 1.2 s avg", sha: "abc" }],
      forces: [{ key: "m/e", from: "10", to: "100", reason: "incident 42", sha: "abc" }],
    });
  });

  it("finds trailers inside a squash message (not only in the last paragraph)", () => {
    const squash = "Roll out (#12)\n\n* rollout(prod): x\n\nRollout-Ack: a/f g1: fine\n\n* fix typo\n\nCo-authored-by: x <x@y>\n";
    expect(parseTrailers(squash).acks).toEqual([{ key: "a/f", gate: "g1", reason: "fine", sha: undefined }]);
  });

  it("ignores malformed lines (no reason, no gate)", () => {
    expect(parseTrailers("Rollout-Ack: a/f g1:\nRollout-Ack: a/f\nRollout-Force: a/f 10 100: x\n")).toEqual({ acks: [], forces: [] });
  });
});

describe("git history (temporary repository)", () => {
  let repo: GitFixture;
  const rel = "stacks/Pulumi.prod.yaml";
  const set = (rung: string) => repo.handEdit("prod", "metadata-context/enhanced-context", `"${rung}"`);

  beforeAll(() => {
    repo = gitFixture();
    repo.commit("initial stacks", 240); // 10 days ago: enhanced-context at 10
    set("50");
    repo.commit("advance to 50 on main", 100);
    repo.write("README.md", "unrelated\n");
    repo.commit("unrelated change", 50);
    // A pull request whose commit claims to be 30 days old, merged (no fast-forward) 1 hour ago.
    repo.git(["checkout", "-q", "-b", "pr"]);
    set("100");
    repo.commit("advance to 100 (backdated in the PR)", 720);
    repo.git(["checkout", "-q", "main"]);
    repo.git(["merge", "-q", "--no-ff", "-m", "Merge pull request #7", "pr"], { hoursAgo: 1 });
  });
  afterAll(() => repo?.remove());

  it("lists the first-parent versions of the file, newest first, with committer times", () => {
    const versions = firstParentVersions(repo.dir, "main", rel);
    expect(versions.map((x) => x.text?.match(/enhanced-context: "(\d+)"/)?.[1])).toEqual(["100", "50", "10"]);
    expect(Date.now() - versions[0].committedAt.getTime()).toBeLessThan(2 * 3_600_000);
  });

  it("dates a merged rung by the merge commit on main, not by the pull request's (fakeable) commit", () => {
    const start = phaseStart(firstParentVersions(repo.dir, "main", rel), "metadata-context/enhanced-context", "100");
    const ageHours = (Date.now() - start.since!.getTime()) / 3_600_000;
    expect(ageHours).toBeGreaterThan(0.9);
    expect(ageHours).toBeLessThan(2);
    expect(repo.git(["log", "-1", "--format=%s", start.sha!]).trim()).toBe("Merge pull request #7");
  });

  it("dates an earlier rung from base's history (what verify reads)", () => {
    const start = phaseStart(firstParentVersions(repo.dir, "main~1", rel), "metadata-context/enhanced-context", "50");
    expect(Math.round((Date.now() - start.since!.getTime()) / 3_600_000)).toBe(100);
  });

  it("reads a file at a ref, and commit messages of a range including merged branches", () => {
    expect(fileAt(repo.dir, "main~2", rel)).toContain('metadata-context/enhanced-context: "50"');
    expect(fileAt(repo.dir, "main", "stacks/Pulumi.nope.yaml")).toBeUndefined();
    expect(commitMessages(repo.dir, "main~1", "main").map((c) => c.message.split("\n")[0])).toEqual([
      "Merge pull request #7",
      "advance to 100 (backdated in the PR)",
    ]);
  });
});
