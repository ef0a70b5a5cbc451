/**
 * The program as the Pulumi Node host loads it: a plain `node` process registering the project's
 * ts-node (type-checking on) the way `@pulumi/pulumi/cmd/run` does, not vitest's transform.
 */
import { execFileSync } from "child_process";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { renderStack } from "./render";

const ROOT = path.resolve(__dirname, "../..");

describe("smoke render through ts-node", () => {
  it("renders the prod stack with the project's ts-node and TypeScript, as vitest does", async () => {
    const stdout = execFileSync(process.execPath, [path.join(__dirname, "host-smoke.js"), "prod"], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
    const host = JSON.parse(stdout.trim().split("\n").pop()!);
    // The pinned versions, not Pulumi's vendored ts-node 7 / TypeScript 3.8.
    expect(host.tsNode).toBe("10.9.2");
    expect(host.typescript).toMatch(/^5\./);
    const render = await renderStack("prod");
    const counts: Record<string, number> = {};
    for (const r of render.resources) counts[r.type] = (counts[r.type] ?? 0) + 1;
    expect(host.counts).toEqual(counts);
    expect(host.counts["vercel:index/project:Project"]).toBe(5);
    expect(host.outputs).toEqual(render.outputs);
  });
});
