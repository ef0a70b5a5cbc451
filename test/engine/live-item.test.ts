/**
 * The stack's Edge Config item (`LiveItem`, infra/vercel/live.ts) under the real Pulumi engine, through
 * the real dynamic-provider host, against the local Vercel stand-in: created, updated in place (never
 * replaced, never deleted), held by a kill written with `killItem` as `rollout kill --now` writes it
 * (the authority rule refuses a write that would raise the killed feature; the merge of the kill
 * clears the record), drift shown by `pulumi refresh`, removed by `pulumi destroy`; and the Vercel
 * token in no output and no state. The program is `test/engine/live-item/` (one LiveItem from stack
 * config); the scenarios run in order and build on each other's state, as a user's commands would.
 */
import { randomBytes } from "crypto";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KILLS_FIELD, killItem, liveItemValue } from "../../infra/rollout/live";
import { edgeConfigApi } from "../../infra/vercel/edge-config-api";
import { startVercelStandIn, type RecordedRequest, type VercelStandIn } from "../support/vercel-stand-in";
import { changedSteps, createProgramProject, readTree, type ProgramProject, type Run } from "./harness";

const STACK = "engine";
const STORE = "ecfg_engine";
const ITEM = "rollout_engine";
const TEAM = "team_engine";
const FIRST = { featureA: "0", featureB: "0" };
/** A token nobody else knows, so finding it anywhere means we leaked it. */
const TOKEN = `vercel-engine-${randomBytes(16).toString("hex")}`;
const KILL = { share: "0", from: "50", by: "engine-test@example.com", at: "2026-03-01T12:00:00.000Z", reason: "error rate 6%" };

let p: ProgramProject;
let vercel: VercelStandIn;
/** Every pulumi output and state export, for the token check at the end. */
const seen: { what: string; text: string }[] = [];

/** `pulumi <args> --stack engine`, recorded; with `ok`, rejects unless it exits 0. */
async function pulumi(args: string[], ok = true): Promise<Run> {
  // What the provider process inherits from the CLI: the token and where Vercel is.
  const env = { VERCEL_API_TOKEN: TOKEN, ROLLOUT_VERCEL_API_URL: vercel.url };
  const r = ok ? await p.ok([...args, "--stack", STACK], env) : await p.pulumi([...args, "--stack", STACK], env);
  seen.push({ what: `pulumi ${args.join(" ")}`, text: r.output });
  return r;
}

/** Writes the stack file: the store, item and team, these shares, the first-rung shares. */
function setShares(shares: Record<string, string>, salt: string): void {
  const map = (o: Record<string, string>) => Object.entries(o).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`).join("\n");
  p.write(
    `Pulumi.${STACK}.yaml`,
    `${salt}\nconfig:\n  live-item:storeId: ${STORE}\n  live-item:item: ${ITEM}\n  live-item:team: ${TEAM}\n  live-item:shares:\n${map(shares)}\n  live-item:firstShares:\n${map(FIRST)}\n`,
  );
}

/** The item as the stand-in holds it now (undefined when it has none). */
const stored = () => vercel.items(STORE)[ITEM] as Record<string, unknown> | undefined;
const patches = (from = 0): RecordedRequest[] => vercel.requests.slice(from).filter((r) => r.method === "PATCH");
const patchItems = (r: RecordedRequest) => (r.body as { items: { operation: string; key: string; value?: Record<string, unknown> }[] }).items;

async function exportState(): Promise<string> {
  const r = await pulumi(["stack", "export"]);
  return r.stdout;
}

let salt = "";

beforeAll(async () => {
  vercel = await startVercelStandIn({ token: TOKEN, stores: [STORE] });
  p = await createProgramProject("live-item", "test/engine/live-item");
  await p.ok(["stack", "init", STACK]);
  // The passphrase provider's salt, written by `stack init`; kept on every rewrite of the file.
  salt = p.read(`Pulumi.${STACK}.yaml`).split("\n").find((l) => l.startsWith("encryptionsalt:")) ?? "";
  expect(salt).not.toBe("");
});

afterAll(async () => {
  await p?.stop();
  await vercel?.close();
});

describe("LiveItem under the engine", () => {
  it("pulumi up creates the item with the stack's shares", async () => {
    setShares({ featureA: "10", featureB: "0" }, salt);
    await pulumi(["up", "--yes", "--skip-preview"]);
    expect(stored()).toEqual({ featureA: "10", featureB: "0" });
    const state = JSON.parse(await exportState()) as { deployment: { resources: { type: string; id?: string }[] } };
    const item = state.deployment.resources.find((r) => r.type === "pulumi-nodejs:dynamic/vercel:LiveItem");
    expect(item?.id).toBe(`${STORE}/${ITEM}`);
    expect((await pulumi(["preview", "--expect-no-changes"], false)).code).toBe(0);
  });

  it("a 10 → 50 move previews as an update, not a replace, and up writes it in place: upserts of the whole item only", async () => {
    setShares({ featureA: "50", featureB: "0" }, salt);
    const preview = await pulumi(["preview", "--json"]);
    expect(changedSteps(preview.stdout)).toEqual(["update LiveItem live-item"]);
    await pulumi(["up", "--yes", "--skip-preview"]);
    expect(stored()).toEqual({ featureA: "50", featureB: "0" });
    // Create and update: never a delete (the apps would fall back to their env values for a moment),
    // and every write carries both features (the write replaces the item's value whole).
    const writes = patches();
    expect(writes.length).toBeGreaterThanOrEqual(2);
    for (const w of writes) {
      const items = patchItems(w);
      expect(items.map((i) => [i.operation, i.key])).toEqual([["upsert", ITEM]]);
      expect(Object.keys(items[0].value ?? {}).sort()).toEqual(["featureA", "featureB"]);
    }
    expect(writes.map((w) => patchItems(w)[0].value?.featureA)).toEqual(["10", "50"]);
  });

  it("after rollout kill --now, an up of the unmerged main writes nothing; one that would write is refused by the authority rule", async () => {
    // What `kill --now` does (infra/vercel/live-kill.ts): read, killItem, one upsert.
    const api = edgeConfigApi({ token: TOKEN, serverURL: vercel.url, teamId: TEAM });
    const write = killItem(await api.readItem(STORE, ITEM), "featureA", KILL);
    expect(write.noop).toBe(false);
    await api.upsertItem(STORE, ITEM, liveItemValue(write.item));
    const killed = { featureA: "0", featureB: "0", [KILLS_FIELD]: { featureA: KILL } };
    expect(stored()).toEqual(killed);

    // main still says 50 and nothing of the item changed there: no write, so the kill stands.
    const before = vercel.requests.length;
    await pulumi(["up", "--yes", "--skip-preview"]);
    expect(patches(before)).toEqual([]);
    expect(stored()).toEqual(killed);

    // Another move on the unmerged main (featureB 0 → 10) makes the provider write: refused, and
    // nothing is written, the other feature's move included.
    setShares({ featureA: "50", featureB: "10" }, salt);
    const refused = await pulumi(["up", "--yes", "--skip-preview"], false);
    expect(refused.code).not.toBe(0);
    expect(refused.output).toContain(`Edge Config item ${ITEM}: refusing to raise killed feature(s)`);
    expect(refused.output).toContain(`featureA: killed to "0" by ${KILL.by} at ${KILL.at}: ${KILL.reason}; the stack file says "50"`);
    expect(patches(before)).toEqual([]);
    expect(stored()).toEqual(killed);
  });

  it("once the kill is merged (featureA 0), up succeeds and clears the record", async () => {
    setShares({ featureA: "0", featureB: "10" }, salt);
    const before = vercel.requests.length;
    await pulumi(["up", "--yes", "--skip-preview"]);
    expect(stored()).toEqual({ featureA: "0", featureB: "10" });
    expect(patches(before).map((w) => patchItems(w)[0].operation)).toEqual(["upsert"]);
    expect((await pulumi(["preview", "--expect-no-changes"], false)).code).toBe(0);
  });

  it("pulumi refresh shows a dashboard edit as drift in shares; the next preview plans an update back to the stack file's share", async () => {
    vercel.setItem(STORE, ITEM, { featureA: "0", featureB: "25" });
    const refresh = await pulumi(["refresh", "--yes", "--skip-preview", "--diff"]);
    expect(refresh.output).toMatch(/~ shares\s*:/);
    expect(refresh.output).toMatch(/~ featureB: "10" => "25"/);
    await exportState();
    const preview = await pulumi(["preview", "--json"]);
    expect(changedSteps(preview.stdout)).toEqual(["update LiveItem live-item"]);
  });

  it("pulumi destroy deletes the item", async () => {
    const before = vercel.requests.length;
    await pulumi(["destroy", "--yes", "--skip-preview"]);
    expect(vercel.items(STORE)).toEqual({});
    expect(patches(before).map((w) => patchItems(w).map((i) => [i.operation, i.key]))).toEqual([[["delete", ITEM]]]);
    const state = JSON.parse(await exportState()) as { deployment: { resources?: unknown[] } };
    expect(state.deployment.resources ?? []).toEqual([]);
  });

  it("the Vercel token is in no pulumi output, no state export, no file of the backend or PULUMI_HOME", () => {
    // The provider did authenticate with it: every request the stand-in answered carried it.
    expect(vercel.requests.length).toBeGreaterThan(0);
    expect(vercel.requests.every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);
    const everything = [
      ...seen.map((s) => ({ file: s.what, text: s.text })),
      ...readTree(path.join(p.home, "backend")),
      ...readTree(path.join(p.home, "pulumi-home")),
      { file: `Pulumi.${STACK}.yaml`, text: p.read(`Pulumi.${STACK}.yaml`) },
    ];
    expect(seen.filter((s) => s.what === "pulumi stack export").length).toBeGreaterThanOrEqual(3);
    expect(everything.filter((s) => s.text.includes(TOKEN)).map((s) => s.file)).toEqual([]);
  });
});
