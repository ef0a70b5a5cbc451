/**
 * Kill in seconds, end to end against a local stand-in for Vercel's Edge Config endpoints reached
 * through `@vercel/sdk`: `rollout kill --now` as a process (one write, retried safely, a no-op the
 * second time, never printing the token), then the item resource as `pulumi up` runs it (the authority
 * rule across an unmerged main, an advance that never leaves the item without a feature).
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadStackConfigFile } from "../../infra/config";
import { readLiveItem } from "../../infra/sdk/live";
import { handler, type LiveItemInputs } from "../../infra/vercel/live-item-handler";
import { planLive } from "../../infra/vercel/live-plan";
import { runCli } from "../support/cli";
import { startVercelStandIn, type VercelStandIn } from "../support/vercel-stand-in";
import { gitFixture, type GitFixture } from "../rollout/git-fixture";

const TOKEN = "vercel-token-7f3a9c1e5b";
const STORE = "ecfg_teststore01";
const ITEM = "rollout_prod";
const A = "metadata-context/enhanced-context";
const B = "conversation-raw-storage/raw-storage";

let vercel: VercelStandIn;
let repo: GitFixture;

beforeAll(async () => {
  vercel = await startVercelStandIn({ token: TOKEN, stores: [STORE] });
});
afterAll(async () => {
  await vercel.close();
});
beforeEach(() => {
  repo = gitFixture();
  fs.copyFileSync(path.resolve(__dirname, "../../Pulumi.yaml"), path.join(repo.dir, "Pulumi.yaml"));
  repo.commit("stacks as on main");
  vercel.requests.length = 0;
  for (const key of Object.keys(vercel.items(STORE))) vercel.removeItem(STORE, key);
});
afterEach(() => repo.remove());

const env = (extra: NodeJS.ProcessEnv = {}) => ({ ROLLOUT_VERCEL_API_URL: vercel.url, VERCEL_API_TOKEN: TOKEN, ROLLOUT_ACTOR: "oncall@example.com", ...extra });
const rollout = (args: string[], extra?: NodeJS.ProcessEnv) => runCli("infra/cli/rollout.ts", [...args, "--cwd", repo.dir], env(extra));
/** A PATH with git and no `pulumi` (so the store ID cannot come from `pulumi stack output`). */
function gitOnlyPath(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "git-only-"));
  const git = execFileSync("sh", ["-c", "command -v git"], { encoding: "utf8" }).trim();
  fs.symlinkSync(git, path.join(dir, "git"));
  return dir;
}
const patches = () => vercel.requests.filter((r) => r.method === "PATCH");
const item = () => vercel.items(STORE)[ITEM];

/** What `pulumi up` hands the item resource for the stack file in `repo` (the program's plan). */
function inputsFor(stackFileDir: string): LiveItemInputs {
  const cfg = loadStackConfigFile("prod", { file: path.join(stackFileDir, "stacks", "Pulumi.prod.yaml") });
  const live = planLive(cfg).live!;
  return { storeId: STORE, item: live.item, team: cfg.vercel.team, shares: live.shares, firstShares: live.firstShares };
}
const ctx = () => ({ env: { VERCEL_API_TOKEN: TOKEN, ROLLOUT_VERCEL_API_URL: vercel.url } });

describe("rollout kill --now", () => {
  it("edits the stack file, writes the item once, records who/when/why, and never prints the token", async () => {
    vercel.setItem(STORE, ITEM, { [A]: "10", [B]: "0" });
    const r = await rollout(["kill", A, "--stack", "prod", "--now", "--edge-config-id", STORE, "--reason", "error share 7%"]);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/killed now: Edge Config item rollout_prod \(store ecfg_teststore01\): metadata-context\/enhanced-context → "0", write acknowledged in \d+ ms/);
    expect(r.output).not.toContain(TOKEN);
    expect(patches()).toHaveLength(1);
    expect(patches()[0]).toMatchObject({ path: `/v1/edge-config/${STORE}/items`, query: { slug: "acme" } });
    const stored = readLiveItem(item());
    expect(stored.shares).toEqual({ [A]: "0", [B]: "0" });
    expect(stored.kills[A]).toMatchObject({ share: "0", from: "10", by: "oncall@example.com", reason: "error share 7%" });
    expect(Date.parse(stored.kills[A].at)).not.toBeNaN();
    expect(repo.read("stacks/Pulumi.prod.yaml")).toMatch(/metadata-context\/enhanced-context: "off"/);
  });

  it("a second run is a no-op: one read, no write", async () => {
    vercel.setItem(STORE, ITEM, { [A]: "10", [B]: "0" });
    expect((await rollout(["kill", A, "--stack", "prod", "--now", "--edge-config-id", STORE])).code).toBe(0);
    vercel.requests.length = 0;
    const again = await rollout(["kill", A, "--stack", "prod", "--now", "--edge-config-id", STORE]);
    expect(again.code, again.output).toBe(0);
    expect(again.output).toMatch(/already at off; nothing to do/);
    expect(again.output).toMatch(/already killed now: .* nothing written/);
    expect(vercel.requests.map((q) => q.method)).toEqual(["GET"]);
  });

  it("retries 429 and 5xx until the write lands, and the store ends as after one write", async () => {
    vercel.setItem(STORE, ITEM, { [A]: "10", [B]: "0" });
    vercel.failNext(2, 503);
    vercel.failNext(1, 429, { retryAfter: 0 });
    const r = await rollout(["kill", A, "--stack", "prod", "--now", "--edge-config-id", STORE]);
    expect(r.code, r.output).toBe(0);
    expect(readLiveItem(item()).shares).toEqual({ [A]: "0", [B]: "0" });
    expect(Object.keys(readLiveItem(item()).kills)).toEqual([A]);
  });

  it("rollback --now writes the rung it went back to", async () => {
    repo.handEdit("prod", A, '"50"');
    repo.commit("at 50");
    vercel.setItem(STORE, ITEM, { [A]: "50", [B]: "0" });
    const r = await rollout(["rollback", A, "--stack", "prod", "--now", "--edge-config-id", STORE]);
    expect(r.code, r.output).toBe(0);
    expect(readLiveItem(item()).kills[A]).toMatchObject({ share: "10", from: "50" });
    expect(readLiveItem(item()).shares[A]).toBe("10");
  });

  it.each([
    ["without a token", ["kill", A, "--stack", "prod", "--now", "--edge-config-id", STORE], { VERCEL_API_TOKEN: "" }, /not killed now: VERCEL_API_TOKEN is not set/],
    ["for a feature that is not live", ["kill", "analy-ticket/core", "--stack", "prod", "--now", "--edge-config-id", STORE], {}, /not killed now: analy-ticket\/core is not live/],
    ["on a stack without a store", ["kill", A, "--stack", "staging", "--now"], {}, /not killed now: stack staging has no rollout-stack:edgeConfig/],
    ["when the store ID is unknown", ["kill", A, "--stack", "prod", "--now"], { PATH: gitOnlyPath() }, /not killed now: stack prod creates its Edge Config store, and its ID is not known here: pass --edge-config-id/],
  ])("%s: says so, exits 1, and the env kill stays written as the fallback", async (_what, args, extra, message) => {
    vercel.setItem(STORE, ITEM, { [A]: "10", [B]: "0" });
    const stack = args[3];
    const r = await rollout(args, extra);
    expect(r.code, r.output).toBe(1);
    expect(r.output).toMatch(message);
    expect(r.output).toMatch(/fallback: the env kill \(stacks\/Pulumi\.\w+\.yaml\) takes effect once it is merged/);
    expect(repo.read(`stacks/Pulumi.${stack}.yaml`)).not.toBe(fs.readFileSync(path.resolve(__dirname, `../../stacks/Pulumi.${stack}.yaml`), "utf8"));
    expect(patches()).toEqual([]);
  });

  it("--now goes with kill and rollback only", async () => {
    const r = await rollout(["advance", A, "--stack", "prod", "--now"]);
    expect(r.code).toBe(2);
    expect(r.output).toMatch(/--now applies to kill and rollback only/);
  });
});

describe("the item resource (pulumi up) after a kill --now", () => {
  it("refuses to raise the feature from an unmerged main, then clears the record once the kill is merged", async () => {
    const main = inputsFor(repo.dir); // enhanced context at 10 on main
    await handler.create(main, ctx());
    expect(item()).toEqual({ [B]: "0", [A]: "10" });

    const killed = await rollout(["kill", A, "--stack", "prod", "--now", "--edge-config-id", STORE, "--reason", "p95 9 s"]);
    expect(killed.code, killed.output).toBe(0);
    const afterKill = item();

    // pulumi up from main before the kill's pull request is merged: main still says 10.
    vercel.requests.length = 0;
    await expect(handler.update!(`${STORE}/${ITEM}`, main, main, ctx())).rejects.toThrow(
      /refusing to raise killed feature\(s\).*\n  - metadata-context\/enhanced-context: killed to "0" by oncall@example.com .*: p95 9 s; the stack file says "10"/,
    );
    expect(patches()).toEqual([]);
    expect(item()).toEqual(afterKill);

    // The kill merged: the stack file says off. pulumi up writes it and clears the record.
    const merged = inputsFor(repo.dir);
    expect(merged.shares[A]).toBe("0");
    await handler.update!(`${STORE}/${ITEM}`, main, merged, ctx());
    expect(item()).toEqual({ [B]: "0", [A]: "0" });

    // Re-enabling is the ordinary advance from the first rung.
    await handler.update!(`${STORE}/${ITEM}`, merged, { ...merged, shares: { ...merged.shares, [A]: "10" } }, ctx());
    expect(readLiveItem(item()).shares[A]).toBe("10");
  });

  it("an advance never leaves the item without a feature: every write holds them all", async () => {
    let olds = inputsFor(repo.dir);
    await handler.create(olds, ctx());
    for (const [a, b] of [["50", "0"], ["50", "10"], ["100", "10"], ["100", "100"]]) {
      const news = { ...olds, shares: { [A]: a, [B]: b } };
      const d = await handler.diff(`${STORE}/${ITEM}`, olds, news);
      expect(d).toEqual({ changes: true });
      await handler.update!(`${STORE}/${ITEM}`, olds, news, ctx());
      olds = news;
    }
    const bodies = patches().map((p) => p.body as { items: { operation: string; value: Record<string, string> }[] });
    expect(bodies.length).toBe(5);
    for (const b of bodies) {
      expect(b.items).toHaveLength(1);
      expect(b.items[0].operation).toBe("upsert");
      expect(Object.keys(b.items[0].value).sort()).toEqual([B, A]);
    }
    // Unchanged shares write nothing; a changed store or key is a replacement, not an update.
    vercel.requests.length = 0;
    await handler.update!(`${STORE}/${ITEM}`, olds, olds, ctx());
    expect(patches()).toEqual([]);
    expect((await handler.diff(`${STORE}/${ITEM}`, olds, { ...olds, item: "rollout_other" })).replaces).toEqual(["item"]);
  });

  it("a kill before the first pulumi up: the item holds the kill alone, and the first up keeps it", async () => {
    const r = await rollout(["kill", A, "--stack", "prod", "--now", "--edge-config-id", STORE]);
    expect(r.code, r.output).toBe(0);
    expect(readLiveItem(item()).shares).toEqual({ [A]: "0" });
    await expect(handler.create(inputsFor(path.resolve(__dirname, "../.."))!, ctx())).rejects.toThrow(/the stack file says "10"/);
    await handler.create(inputsFor(repo.dir), ctx());
    expect(item()).toEqual({ [B]: "0", [A]: "0" });
  });

  it("refresh reads the shares the store holds (drift shows), and delete refuses to drop an unmerged kill", async () => {
    const inputs = inputsFor(repo.dir);
    await handler.create(inputs, ctx());
    vercel.setItem(STORE, ITEM, { [A]: "100", [B]: "0" });
    const read = await handler.read!(`${STORE}/${ITEM}`, inputs, ctx());
    expect(read.props!.shares).toEqual({ [A]: "100", [B]: "0" });
    // No key at all (the engine's protobuf Struct refuses an undefined value).
    expect(Object.keys(read.props!)).not.toContain("killed");
    expect((await rollout(["kill", A, "--stack", "prod", "--now", "--edge-config-id", STORE])).code).toBe(0);
    await expect(handler.delete!(`${STORE}/${ITEM}`, inputs, ctx())).rejects.toThrow(/would drop the kill/);

    // pulumi refresh after the kill, then the kill merged: the shares already agree with the store, yet
    // the recorded kill makes the next up write, which clears it (otherwise no later raise could pass).
    const refreshed = (await handler.read!(`${STORE}/${ITEM}`, inputs, ctx())).props as LiveItemInputs;
    expect(refreshed.killed).toEqual([A]);
    const merged = inputsFor(repo.dir);
    expect(merged.shares).toEqual(refreshed.shares);
    expect(await handler.diff(`${STORE}/${ITEM}`, refreshed, merged)).toEqual({ changes: true });
    const outs = (await handler.update!(`${STORE}/${ITEM}`, refreshed, merged, ctx())).outs as LiveItemInputs;
    expect(outs.killed).toBeUndefined();
    expect(readLiveItem(item()).kills).toEqual({});
    expect(await handler.diff(`${STORE}/${ITEM}`, outs, merged)).toEqual({ changes: false });
    vercel.setItem(STORE, ITEM, { [A]: "0", [B]: "0", $kills: { [A]: { share: "0", from: "10", by: "x", at: "t", reason: "r" } } });
    await expect(handler.delete!(`${STORE}/${ITEM}`, inputs, ctx())).rejects.toThrow(/would drop the kill/);
    expect(item()).toBeDefined();
    vercel.setItem(STORE, ITEM, { [A]: "0", [B]: "0" });
    await handler.delete!(`${STORE}/${ITEM}`, inputs, ctx());
    expect(item()).toBeUndefined();
  });
});
