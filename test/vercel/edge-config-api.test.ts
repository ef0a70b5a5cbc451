/**
 * The Edge Config items client (`infra/vercel/edge-config-api.ts`) through `@vercel/sdk`, against the
 * local Vercel stand-in: what it sends, what it returns, what it retries and how it fails.
 */
import { spawn } from "child_process";
import * as path from "path";
import * as readline from "readline";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  apiOptionsFromEnv,
  edgeConfigApi,
  VERCEL_API_URL_ENV,
  VERCEL_TOKEN_ENV,
  VercelApiError,
  type EdgeConfigApiOptions,
} from "../../infra/vercel/edge-config-api";
import { startVercelStandIn, type VercelStandIn } from "../support/vercel-stand-in";

const TOKEN = "vcp_test_TOKEN_9f3b1c7d";
const STORE = "ecfg_standin1";
const TEAM = "team_rollout";
/** Small waits between tries so retry tests stay quick (the SDK caps its jitter at maxMs). */
const FAST_RETRY = { initialMs: 1, maxMs: 5, maxElapsedMs: 5_000 };

let vercel: VercelStandIn;
const options = (extra: Partial<EdgeConfigApiOptions> = {}): EdgeConfigApiOptions => ({
  token: TOKEN,
  teamId: TEAM,
  serverURL: vercel.url,
  retry: FAST_RETRY,
  ...extra,
});
const api = (extra: Partial<EdgeConfigApiOptions> = {}) => edgeConfigApi(options(extra));

/** The rejection of `promise`, asserted to be a VercelApiError. */
async function apiError(promise: Promise<unknown>): Promise<VercelApiError> {
  const e = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(VercelApiError);
  return e as VercelApiError;
}

beforeEach(async () => {
  vercel = await startVercelStandIn({ token: TOKEN, stores: [STORE] });
});
afterEach(async () => {
  await vercel.close();
});

describe("readItem", () => {
  it("returns undefined for an item the store does not have (Vercel answers 404)", async () => {
    await expect(api().readItem(STORE, "rollout_prod")).resolves.toBeUndefined();
    expect(vercel.requests).toEqual([
      { method: "GET", path: `/v1/edge-config/${STORE}/item/rollout_prod`, query: { teamId: TEAM }, body: undefined, authorization: `Bearer ${TOKEN}` },
    ]);
  });

  it("returns a seeded item's value as stored", async () => {
    vercel.setItem(STORE, "rollout_dev", { "app/feature": "10", nested: { list: [1, null, true] } });
    await expect(api().readItem(STORE, "rollout_dev")).resolves.toEqual({ "app/feature": "10", nested: { list: [1, null, true] } });
  });

  it("sends no teamId when none is given", async () => {
    await api({ teamId: undefined }).readItem(STORE, "rollout_prod");
    expect(vercel.requests[0].query).toEqual({});
  });

  it("retries a 500 on a read too", async () => {
    vercel.setItem(STORE, "rollout_prod", "v");
    vercel.failNext(1, 500);
    await expect(api().readItem(STORE, "rollout_prod")).resolves.toBe("v");
    expect(vercel.requests.map((r) => r.method)).toEqual(["GET", "GET"]);
  });
});

describe("upsertItem", () => {
  it("round-trips an object value through the store", async () => {
    const value = { "metadata-context/enhanced-context": "10", $kills: { "a/b": { share: "0", from: "50", by: "ci", at: "2025-01-01T00:00:00Z", reason: "errors" } } };
    await api().upsertItem(STORE, "rollout_prod", value);
    expect(vercel.items(STORE)).toEqual({ rollout_prod: value });
    await expect(api().readItem(STORE, "rollout_prod")).resolves.toEqual(value);
  });

  it("replaces an existing value whole", async () => {
    vercel.setItem(STORE, "rollout_prod", { old: "1", kept: "no" });
    await api().upsertItem(STORE, "rollout_prod", { new: "2" });
    expect(vercel.items(STORE)).toEqual({ rollout_prod: { new: "2" } });
  });

  it("sends PATCH /v1/edge-config/<id>/items with one upsert, the teamId and the bearer token", async () => {
    await api().upsertItem(STORE, "rollout_prod", { "a/b": "25" });
    expect(vercel.requests).toEqual([
      {
        method: "PATCH",
        path: `/v1/edge-config/${STORE}/items`,
        query: { teamId: TEAM },
        body: { items: [{ operation: "upsert", key: "rollout_prod", value: { "a/b": "25" } }] },
        authorization: `Bearer ${TOKEN}`,
      },
    ]);
  });

  it("retries a 429 that says Retry-After: 0, then succeeds", async () => {
    vercel.failNext(1, 429, { retryAfter: 0 });
    await api().upsertItem(STORE, "rollout_prod", { "a/b": "50" });
    expect(vercel.requests.map((r) => r.method)).toEqual(["PATCH", "PATCH"]);
    expect(vercel.requests[1].body).toEqual(vercel.requests[0].body);
    expect(vercel.items(STORE)).toEqual({ rollout_prod: { "a/b": "50" } });
  });

  it("retries 503s, then succeeds", async () => {
    vercel.failNext(2, 503);
    await api().upsertItem(STORE, "rollout_prod", "100");
    expect(vercel.requests).toHaveLength(3);
    expect(vercel.items(STORE)).toEqual({ rollout_prod: "100" });
  });

  it("gives up on a 503 that lasts past maxElapsedMs, with the status", async () => {
    vercel.failNext(1_000, 503);
    const e = await apiError(api({ retry: { initialMs: 1, maxMs: 2, maxElapsedMs: 30 } }).upsertItem(STORE, "rollout_prod", "1"));
    expect(e.status).toBe(503);
    expect(e.message).toMatch(/HTTP 503.*after retrying/);
    expect(vercel.requests.length).toBeGreaterThan(1);
    expect(vercel.items(STORE)).toEqual({});
  });

  it("fails fast on a 403, naming VERCEL_API_TOKEN and never the token", async () => {
    const wrong = "vcp_WRONG_token_55aa";
    const e = await apiError(api({ token: wrong }).upsertItem(STORE, "rollout_prod", "1"));
    expect(e.status).toBe(403);
    expect(e.code).toBe("forbidden");
    expect(e.message).toContain(VERCEL_TOKEN_ENV);
    expect(e.message).toContain(TEAM);
    expect(e.message).toContain(STORE);
    expect(e.message).not.toContain(wrong);
    expect(JSON.stringify(e)).not.toContain(wrong);
    expect(vercel.requests).toHaveLength(1);
  });

  it("fails with the status when the store does not exist", async () => {
    const e = await apiError(api().upsertItem("ecfg_missing", "rollout_prod", "1"));
    expect(e.status).toBe(404);
    expect(e.message).toContain("ecfg_missing");
    expect(e.message).toContain("rollout_prod");
    expect(vercel.requests).toHaveLength(1);
  });

  it("passes Vercel's message on for a 400 (an invalid key)", async () => {
    const e = await apiError(api().upsertItem(STORE, "not a key", "1"));
    expect(e.status).toBe(400);
    expect(e.message).toContain("must match");
  });
});

describe("deleteItem", () => {
  it("sends one delete and removes the item", async () => {
    vercel.setItem(STORE, "rollout_prod", "1");
    vercel.setItem(STORE, "other", "2");
    await api().deleteItem(STORE, "rollout_prod");
    expect(vercel.items(STORE)).toEqual({ other: "2" });
    expect(vercel.requests.map((r) => r.body)).toEqual([{ items: [{ operation: "delete", key: "rollout_prod" }] }]);
  });

  it("treats a missing item as deleted (the stand-in refuses with a 404; a read confirms it is gone)", async () => {
    await expect(api().deleteItem(STORE, "rollout_prod")).resolves.toBeUndefined();
    expect(vercel.requests.map((r) => r.method)).toEqual(["PATCH", "GET"]);
  });

  it("still fails on a 403", async () => {
    vercel.setItem(STORE, "rollout_prod", "1");
    const e = await apiError(api({ token: "vcp_other" }).deleteItem(STORE, "rollout_prod"));
    expect(e.status).toBe(403);
    expect(vercel.items(STORE)).toEqual({ rollout_prod: "1" });
  });
});

describe("connection failures", () => {
  it("a closed port is a clear connection error with no status", async () => {
    const closed = await startVercelStandIn({ token: TOKEN });
    await closed.close();
    const e = await apiError(api({ serverURL: closed.url, retry: { initialMs: 1, maxMs: 2, maxElapsedMs: 30 } }).readItem(STORE, "rollout_prod"));
    expect(e.status).toBeUndefined();
    expect(e.message).toContain("could not connect (ECONNREFUSED)");
    expect(e.message).toContain(closed.url);
    expect(e.message).toContain(`read of item "rollout_prod" in store ${STORE}`);
  });

  it("a request that outlasts timeoutMs is retried", async () => {
    vercel.setItem(STORE, "rollout_prod", "1");
    vercel.delayNext(2_000);
    await expect(api({ timeoutMs: 100 }).readItem(STORE, "rollout_prod")).resolves.toBe("1");
    expect(vercel.requests.map((r) => r.method)).toEqual(["GET", "GET"]);
  });

  it("a token the HTTP layer rejects is masked in the error", async () => {
    const token = "vcp_line1\nline2_SECRET";
    const e = await apiError(api({ token }).readItem(STORE, "rollout_prod"));
    expect(e.message).toContain("[token]");
    expect(e.message).not.toContain("line2_SECRET");
    expect(vercel.requests).toHaveLength(0);
  });
});

describe("apiOptionsFromEnv", () => {
  it("throws naming VERCEL_API_TOKEN when it is missing or blank", () => {
    expect(() => apiOptionsFromEnv({})).toThrow(/VERCEL_API_TOKEN is not set/);
    expect(() => apiOptionsFromEnv({ [VERCEL_TOKEN_ENV]: "  " })).toThrow(VercelApiError);
  });

  it("reads the token, the API URL override and the team", () => {
    expect(apiOptionsFromEnv({ [VERCEL_TOKEN_ENV]: "t1", [VERCEL_API_URL_ENV]: "http://127.0.0.1:1" }, TEAM)).toEqual({
      token: "t1",
      teamId: TEAM,
      serverURL: "http://127.0.0.1:1",
    });
    expect(apiOptionsFromEnv({ [VERCEL_TOKEN_ENV]: "t1" })).toEqual({ token: "t1" });
  });
});

describe("the stand-in as a child process", () => {
  it("prints its URL as one JSON line and serves the store until killed", async () => {
    const root = path.resolve(__dirname, "../..");
    const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "test/support/vercel-stand-in.ts", "--token", TOKEN, "--store", "ecfg_child"], {
      cwd: root,
      stdio: ["ignore", "pipe", "inherit"],
    });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        readline.createInterface({ input: child.stdout! }).once("line", resolve);
        child.once("exit", (code) => reject(new Error(`stand-in exited with ${code}`)));
      });
      const { url } = JSON.parse(line) as { url: string };
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const client = edgeConfigApi({ token: TOKEN, serverURL: url, retry: FAST_RETRY });
      await client.upsertItem("ecfg_child", "rollout_ci", { "a/b": "0" });
      await expect(client.readItem("ecfg_child", "rollout_ci")).resolves.toEqual({ "a/b": "0" });
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
    }
  });
});
