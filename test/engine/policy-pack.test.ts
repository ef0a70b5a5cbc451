/**
 * The policy pack under the real engine's analyzer host: `pulumi preview --policy-pack policies` on
 * the local stack, once unmodified (no violation) and once with a bucket declared public that the
 * pack config does not allow. The first alone would also pass with no analyzer running; the pair
 * cannot.
 */
import { describe, expect, it } from "vitest";
import { useEngineProject } from "./harness";

const project = useEngineProject("policy");
const PREVIEW = ["preview", "--stack", "local", "--policy-pack", "policies"];

describe("pulumi preview --policy-pack policies", () => {
  it("runs the pack on the unmodified stack and reports no violation", async () => {
    const p = project();
    const r = await p.pulumi(PREVIEW);
    expect(r.code, r.output).toBe(0);
    // The analyzer ran: the CLI names the pack it applied.
    expect(r.output).toMatch(/Policies:[\s\S]*rollout-stack@v0\.1\.0/);
    expect(r.output).not.toContain("mandatory");
  });

  it("fails on a public bucket the pack config does not allow, naming the policy and the bucket", async () => {
    const p = project();
    p.edit("infra/apps/conversation-raw-storage.ts", `buckets: [{ id: "conversation-files", public: false }]`, `buckets: [{ id: "conversation-files", public: true }]`);
    const r = await p.pulumi(PREVIEW);
    expect(r.code, r.output).not.toBe(0);
    expect(r.output).toContain("buckets-private");
    expect(r.output).toContain("conversation-files");
    expect(r.output).toContain("mandatory");
  });

  it("passes that bucket once the pack config allow-lists it", async () => {
    const p = project();
    p.write("policy-config.json", JSON.stringify({ "buckets-private": { publicBuckets: ["conversation-files"] } }));
    const r = await p.pulumi([...PREVIEW, "--policy-pack-config", "policy-config.json"]);
    expect(r.code, r.output).toBe(0);
    expect(r.output).not.toContain("buckets-private");
  });
});
