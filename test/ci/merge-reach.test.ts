/**
 * `.github/scripts/merge-reach.cjs`, as the plan-comment job uses it: the reach sections of a plan (made
 * by the pull request's own run, untrusted) give way to the trusted job's section, written by the same
 * `reachMarkdown` the plan uses; a fork's made-up counts never reach the comment.
 */
import * as path from "path";
import { describe, expect, it } from "vitest";
import { reachMarkdown } from "../../infra/plan/markdown";
import type { Exposure } from "../../infra/rollout/exposure";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { mergeReach } = require(path.resolve(__dirname, "../../.github/scripts/merge-reach.cjs")) as { mergeReach: (plan: string, stack: string, trusted?: string) => string };

const KEY = "metadata-context/enhanced-context";
const offline: Exposure = { kind: "offline", text: "+40 points of users; run with --database-url or ROLLOUT_GATES_DATABASE_URL_METADATA_CONTEXT for counts" };
const counts: Exposure = { kind: "counts", counts: { population: 12030, before: 1203, after: 6015, gained: 4812, lost: 0 }, population: "users with a conversation in the last 7 days" };
const move = (exposure: Exposure) => [{ key: KEY, target: "production" as const, from: "10", to: "50", exposure }];

function plan(stack: string, reach: string): string {
  return `**Plan** · stack ${stack}: 1 phase moved\n<!-- rollout-stack:plan stack=${stack} -->\n\n#### Phases\n\n- \`${KEY}\`: 10% → 50%\n\n${reach}\n\n#### Vercel\n\n(env table)\n`;
}

describe("mergeReach", () => {
  const trusted = reachMarkdown("prod", move(counts), "the base 1a2b3c4d5e6f");

  it("puts the trusted section where the plan's was, and keeps everything around it", () => {
    const untrusted = plan("prod", reachMarkdown("prod", move(offline), "the base main"));
    const merged = mergeReach(untrusted, "prod", trusted);
    expect(merged).toBe(plan("prod", trusted));
    expect(merged).toContain("+4,812 gain it, fewer than 10 lose it; 6,015 of 12,030 users with a conversation in the last 7 days have it after the move");
    expect(merged).not.toContain("points of users");
  });

  it("drops counts a fork wrote into its plan, even without a trusted section, and says the count is missing", () => {
    const forged = reachMarkdown("prod", [{ ...move(counts)[0], exposure: { ...counts, counts: { ...counts.counts, gained: 3 } } as Exposure }], "the base main");
    const extra = reachMarkdown("staging", move(counts), "x");
    const merged = mergeReach(plan("prod", `${forged}\n\n${extra}`), "prod", undefined);
    expect(merged).not.toContain("gain it");
    expect(merged).toContain("Not counted: the trusted count job did not finish for this stack; see the workflow run.");
    expect(merged.match(/<!-- rollout-stack:reach /g)).toHaveLength(1);
    expect(merged.indexOf("#### Phases")).toBeLessThan(merged.indexOf("Not counted"));
    expect(merged.indexOf("Not counted")).toBeLessThan(merged.indexOf("#### Vercel"));
  });

  it("refuses a trusted file that is not one whole section of this stack", () => {
    const untrusted = plan("prod", reachMarkdown("prod", move(offline), "the base main"));
    for (const bad of [reachMarkdown("staging", move(counts), "x"), `${trusted}\n${trusted}`, "garbage", ""]) {
      expect(mergeReach(untrusted, "prod", bad)).toContain("Not counted: the trusted count job did not finish");
    }
  });

  it("adds the trusted section at the end when the plan had none, but only with moves in it", () => {
    const bare = plan("prod", "");
    expect(mergeReach(bare, "prod", trusted)).toBe(`${bare.trimEnd()}\n\n${trusted}\n`);
    expect(mergeReach(bare, "prod", reachMarkdown("prod", [], "x"))).toBe(bare);
    expect(mergeReach(bare, "prod", undefined)).toBe(bare);
  });

  it("takes stack names only", () => {
    expect(() => mergeReach("", "../x", trusted)).toThrow(/not a stack name/);
  });
});
