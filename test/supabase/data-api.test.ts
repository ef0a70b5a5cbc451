/**
 * Data API exposure against a local HTTP stub of the Supabase Management API. This is a CONTRACT
 * test: the stub answers as the documented API does (`GET`/`PATCH /v1/projects/{ref}/postgrest`,
 * Supabase's Management API reference) and checks what we send (method, path, bearer token, JSON body). It proves
 * we speak the documented contract, not that the real service behaves as documented.
 */
import * as http from "http";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { managementApiFromEnv, parseDbSchema, planExposure, planRemoval } from "../../infra/supabase/data-api";
import { handler } from "../../infra/supabase/resources/handlers/data-api";

const REF = "healthprodref0000000";
const TOKEN = "sbp_0123456789abcdef";

interface Seen {
  method: string;
  path: string;
  authorization: string | undefined;
  contentType: string | undefined;
  body: unknown;
}

let server: http.Server;
let seen: Seen[] = [];
let dbSchema = "";
let failWith: number | undefined;
const saved = { token: process.env.SUPABASE_ACCESS_TOKEN, url: process.env.SUPABASE_API_URL };

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let raw = "";
    req.on("data", (d) => (raw += d));
    req.on("end", () => {
      const body = raw ? JSON.parse(raw) : undefined;
      seen.push({ method: req.method!, path: req.url!, authorization: req.headers.authorization, contentType: req.headers["content-type"], body });
      const reply = (status: number, payload: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(payload));
      };
      if (failWith) return reply(failWith, { message: "Unauthorized" });
      if (req.url !== `/v1/projects/${REF}/postgrest`) return reply(404, { message: "Not found" });
      if (req.headers.authorization !== `Bearer ${TOKEN}`) return reply(401, { message: "Unauthorized" });
      if (req.method === "PATCH") {
        // The documented body: optional db_schema (string), db_extra_search_path, max_rows, db_pool.
        if (req.headers["content-type"] !== "application/json" || typeof body?.db_schema !== "string" || Object.keys(body).length !== 1) {
          return reply(400, { message: "bad body" });
        }
        dbSchema = body.db_schema;
      } else if (req.method !== "GET") return reply(405, { message: "method" });
      reply(200, { db_schema: dbSchema, max_rows: 1000, db_extra_search_path: "public,extensions", db_pool: null, jwt_secret: "super-secret-jwt" });
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  process.env.SUPABASE_API_URL = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  process.env.SUPABASE_ACCESS_TOKEN = TOKEN;
});

afterEach(() => {
  seen = [];
  failWith = undefined;
  process.env.SUPABASE_ACCESS_TOKEN = TOKEN;
});

afterAll(() => {
  server.close();
  for (const [k, v] of [["SUPABASE_ACCESS_TOKEN", saved.token], ["SUPABASE_API_URL", saved.url]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

const ctx = {};

describe("the DataApiExposure handler against the Management API contract", () => {
  it("create reads db_schema, then writes the full list with the declared schemas added", async () => {
    dbSchema = "public, graphql_public";
    const result = await handler.create({ projectRef: REF, schemas: ["health_companion", "public"] }, ctx);
    expect(seen).toEqual([
      { method: "GET", path: `/v1/projects/${REF}/postgrest`, authorization: `Bearer ${TOKEN}`, contentType: undefined, body: undefined },
      { method: "PATCH", path: `/v1/projects/${REF}/postgrest`, authorization: `Bearer ${TOKEN}`, contentType: "application/json", body: { db_schema: "public,graphql_public,health_companion" } },
    ]);
    expect(result).toEqual({
      id: `${REF}/postgrest`,
      outs: { projectRef: REF, schemas: ["health_companion", "public"], dbSchema: ["public", "graphql_public", "health_companion"], added: ["health_companion"] },
    });
    // The GET answer carries the project's JWT secret: nothing of it reaches the outputs (the state).
    expect(JSON.stringify(result)).not.toContain("super-secret-jwt");
  });

  it("writes nothing when every declared schema is already exposed", async () => {
    dbSchema = "public,health_companion,graphql_public";
    const result = await handler.create({ projectRef: REF, schemas: ["health_companion", "public"] }, ctx);
    expect(seen.map((s) => s.method)).toEqual(["GET"]);
    expect(result.outs?.added).toEqual([]);
  });

  it("update adds what is newly declared and removes only what it had added (never a dashboard schema)", async () => {
    dbSchema = "public,graphql_public,health_companion,analytics";
    const olds = { projectRef: REF, schemas: ["health_companion", "public"], dbSchema: ["public", "graphql_public", "health_companion"], added: ["health_companion"] };
    const result = await handler.update!(`${REF}/postgrest`, olds, { projectRef: REF, schemas: ["public", "reports"] }, ctx);
    expect(seen.map((s) => [s.method, s.body])).toEqual([
      ["GET", undefined],
      ["PATCH", { db_schema: "public,graphql_public,analytics,reports" }],
    ]);
    expect(result.outs).toEqual({ projectRef: REF, schemas: ["public", "reports"], dbSchema: ["public", "graphql_public", "analytics", "reports"], added: ["reports"] });
  });

  it("delete removes only the schemas it added", async () => {
    dbSchema = "public,graphql_public,health_companion,analytics";
    await handler.delete!(`${REF}/postgrest`, { projectRef: REF, schemas: ["health_companion"], dbSchema: [], added: ["health_companion"] }, ctx);
    expect(seen.map((s) => [s.method, s.body])).toEqual([
      ["GET", undefined],
      ["PATCH", { db_schema: "public,graphql_public,analytics" }],
    ]);
  });

  it("diff: a changed list is an update, another project a replacement, a schema removed in the dashboard a change", async () => {
    const olds = { projectRef: REF, schemas: ["health_companion", "public"], dbSchema: ["public", "health_companion"], added: ["health_companion"] };
    expect(await handler.diff("x", olds, { projectRef: REF, schemas: ["health_companion", "public"] })).toEqual({ changes: false });
    expect(await handler.diff("x", olds, { projectRef: REF, schemas: ["public"] })).toEqual({ changes: true });
    expect(await handler.diff("x", olds, { projectRef: "otherprojectref00000", schemas: ["public"] })).toEqual({ changes: true, replaces: ["projectRef"] });
    expect(await handler.diff("x", { ...olds, dbSchema: ["public"] }, { projectRef: REF, schemas: ["health_companion", "public"] })).toEqual({ changes: true });
  });

  it("state holding the inputs only (imported, or written by hand) is a change to converge, and removes nothing it did not add", async () => {
    const inputsOnly = { projectRef: REF, schemas: ["public"] } as unknown as Parameters<typeof handler.diff>[1];
    expect(await handler.diff("x", inputsOnly, { projectRef: REF, schemas: ["public"] })).toEqual({ changes: true });
    dbSchema = "public,graphql_public";
    const result = await handler.update!(`${REF}/postgrest`, inputsOnly, { projectRef: REF, schemas: ["public"] }, ctx);
    expect(result.outs).toEqual({ projectRef: REF, schemas: ["public"], dbSchema: ["public", "graphql_public"], added: [] });
    seen = [];
    await handler.delete!(`${REF}/postgrest`, inputsOnly, ctx);
    expect(seen.map((s) => s.method)).toEqual(["GET"]);
  });

  it("fails with what to do: no token, a refused token, a malformed ref (before any request)", async () => {
    delete process.env.SUPABASE_ACCESS_TOKEN;
    await expect(handler.create({ projectRef: REF, schemas: ["public"] }, ctx)).rejects.toThrow(/SUPABASE_ACCESS_TOKEN is not set: .* export SUPABASE_ACCESS_TOKEN before `pulumi up`/);
    process.env.SUPABASE_ACCESS_TOKEN = TOKEN;
    failWith = 401;
    await expect(handler.create({ projectRef: REF, schemas: ["public"] }, ctx)).rejects.toThrow(
      `GET ${process.env.SUPABASE_API_URL!.replace(/\/$/, "")}/v1/projects/${REF}/postgrest answered 401 (check SUPABASE_ACCESS_TOKEN: it needs access to this project, with the data_api_config read/write permissions)`,
    );
    seen = [];
    await expect(handler.create({ projectRef: "Not-A-Ref", schemas: ["public"] }, ctx)).rejects.toThrow('"Not-A-Ref" is not a Supabase project ref');
    expect(seen).toEqual([]);
  });
});

describe("the pure parts", () => {
  it("parse, add and remove schemas keeping the existing order", () => {
    expect(parseDbSchema(" public , graphql_public,,")).toEqual(["public", "graphql_public"]);
    expect(parseDbSchema("")).toEqual([]);
    expect(planExposure(["public", "graphql_public"], ["public", "health_companion", "health_companion"])).toEqual({
      next: ["public", "graphql_public", "health_companion"],
      added: ["health_companion"],
    });
    expect(planRemoval(["public", "a", "b"], ["a"])).toEqual(["public", "b"]);
  });

  it("takes the token and base URL from the environment", () => {
    expect(managementApiFromEnv({ SUPABASE_ACCESS_TOKEN: "t" })).toEqual({ baseUrl: "https://api.supabase.com", token: "t" });
    expect(managementApiFromEnv({ SUPABASE_ACCESS_TOKEN: "t", SUPABASE_API_URL: "http://stub:1//" })).toEqual({ baseUrl: "http://stub:1", token: "t" });
  });
});
