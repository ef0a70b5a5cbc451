/**
 * A local stand-in for the two Vercel Edge Config item endpoints the stack calls (Vercel's API is not
 * reachable from the tests), answering as Vercel does:
 *
 * - `GET /v1/edge-config/:id/item/:key` → 200 `{key, value, edgeConfigId, createdAt, updatedAt}`, or
 *   404 `{error:{code:"not_found"}}` for a missing item or store;
 * - `PATCH /v1/edge-config/:id/items` with `{items:[{operation, key, value?, description?}]}` → 200
 *   `{status:"ok"}`, the batch applied whole or not at all: `create` of an existing key is a 409,
 *   `update` and `delete` of a missing key are 404s (the strict reading: a client that treats a missing
 *   item as deleted must cope with that), `upsert` always succeeds;
 * - a wrong or missing bearer token → 403 `{error:{code:"forbidden"}}`; an unknown store → 404; an
 *   invalid item key (`^[A-Za-z0-9_-]{1,256}$`) or a malformed body → 400.
 *
 * It only answers: it never shapes requests, so tests can assert on what the client sent (`requests`).
 *
 * In-process: `const vercel = await startVercelStandIn({ token, stores: ["ecfg_x"] })`. As a child
 * process (other test files, the benchmark):
 *
 *     node -r ts-node/register/transpile-only test/support/vercel-stand-in.ts --token T --store ecfg_x
 *
 * prints `{"url":"http://127.0.0.1:<port>"}` as one line on stdout and serves until killed.
 */
import * as http from "http";
import type { AddressInfo } from "net";

/** One request as the stand-in received it. */
export interface RecordedRequest {
  method: string;
  /** The path as sent (still percent-encoded), without the query. */
  path: string;
  query: Record<string, string>;
  /** The body parsed as JSON; the raw text when it is not JSON; undefined when empty. */
  body: unknown;
  /** The `Authorization` header as sent. */
  authorization?: string;
}

export interface VercelStandIn {
  /** Base URL, e.g. `http://127.0.0.1:40123` (pass it as the client's `serverURL`). */
  url: string;
  /** Every request received, in arrival order (failed and delayed ones included). */
  requests: RecordedRequest[];
  /** A copy of a store's items, key → value (`{}` for an unknown store). */
  items(storeId: string): Record<string, unknown>;
  /** Seeds an item (adding the store if it is new). */
  setItem(storeId: string, key: string, value: unknown): void;
  /** Removes an item (a test's reset, or a dashboard delete). */
  removeItem(storeId: string, key: string): void;
  /** The next `n` requests get `status` with a Vercel-shaped error body (and `Retry-After` when given). */
  failNext(n: number, status: number, options?: { retryAfter?: number | string }): void;
  /** The next `count` requests are answered after `ms` milliseconds. */
  delayNext(ms: number, count?: number): void;
  close(): Promise<void>;
}

/** Vercel's rule for item keys. */
const ITEM_KEY = /^[A-Za-z0-9_-]{1,256}$/;
const OPERATIONS = new Set(["create", "update", "upsert", "delete"]);

interface StoredItem {
  value: unknown;
  description?: string;
  createdAt: number;
  updatedAt: number;
}

interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

const ERROR_CODES: Record<number, string> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  409: "conflict",
  429: "rate_limited",
  500: "internal_server_error",
  502: "bad_gateway",
  503: "service_unavailable",
  504: "gateway_timeout",
};

const error = (status: number, message: string, extra: Record<string, unknown> = {}): Answer => ({
  status,
  body: { error: { code: ERROR_CODES[status] ?? "error", message, ...extra } },
});

/** How to start the stand-in (the in-process form; the CLI form takes `--token` and `--store`). */
export interface VercelStandInOptions {
  /** The bearer token it accepts. */
  token: string;
  /** Stores that exist from the start (others appear with `setItem`). */
  stores?: string[];
  /**
   * Called right after each answer was handed to the socket, with the request and the status sent.
   * For timing from outside (the kill bench's "write acknowledged" moment); it cannot change the answer.
   */
  onAnswer?: (request: RecordedRequest, status: number) => void;
}

/** Starts the stand-in on 127.0.0.1, on a free port. */
export async function startVercelStandIn(options: VercelStandInOptions): Promise<VercelStandIn> {
  const stores = new Map<string, Map<string, StoredItem>>((options.stores ?? []).map((id) => [id, new Map()]));
  const requests: RecordedRequest[] = [];
  const failures: { status: number; retryAfter?: number | string }[] = [];
  const delays: number[] = [];
  const timers = new Set<NodeJS.Timeout>();

  const storeOf = (id: string) => {
    let store = stores.get(id);
    if (!store) stores.set(id, (store = new Map()));
    return store;
  };

  function answerGet(storeId: string, key: string): Answer {
    if (!ITEM_KEY.test(key)) return error(400, `Invalid item key "${key}"`);
    const store = stores.get(storeId);
    if (!store) return error(404, `Could not find the Edge Config: ${storeId}`);
    const item = store.get(key);
    if (!item) return error(404, `Could not find the item "${key}" in Edge Config ${storeId}`);
    const { value, description, createdAt, updatedAt } = item;
    return { status: 200, body: { key, value, ...(description !== undefined ? { description } : {}), edgeConfigId: storeId, createdAt, updatedAt } };
  }

  function answerPatch(storeId: string, body: unknown): Answer {
    const store = stores.get(storeId);
    if (!store) return error(404, `Could not find the Edge Config: ${storeId}`);
    const items = (body as { items?: unknown } | null)?.items;
    if (!Array.isArray(items) || items.length === 0) return error(400, "Invalid request: `items` must be a non-empty array");
    const next = new Map(store);
    const now = Date.now();
    for (const [i, raw] of items.entries()) {
      const op = raw as { operation?: unknown; key?: unknown; value?: unknown; description?: unknown };
      if (typeof op?.operation !== "string" || !OPERATIONS.has(op.operation)) return error(400, `Invalid request: items[${i}].operation must be one of create, update, upsert, delete`);
      if (typeof op.key !== "string" || !ITEM_KEY.test(op.key)) return error(400, `Invalid request: items[${i}].key must match ${ITEM_KEY.source}`);
      const existing = next.get(op.key);
      if (op.operation === "delete") {
        if (!existing) return error(404, `Could not delete the item "${op.key}": it does not exist`);
        next.delete(op.key);
        continue;
      }
      if (op.value === undefined) return error(400, `Invalid request: items[${i}].value is required for ${op.operation}`);
      if (op.operation === "create" && existing) return error(409, `Could not create the item "${op.key}": it already exists`);
      if (op.operation === "update" && !existing) return error(404, `Could not update the item "${op.key}": it does not exist`);
      next.set(op.key, {
        value: structuredClone(op.value),
        ...(typeof op.description === "string" ? { description: op.description } : {}),
        createdAt: existing?.createdAt ?? now,
        updatedAt: now,
      });
    }
    stores.set(storeId, next);
    return { status: 200, body: { status: "ok" } };
  }

  function answer(req: RecordedRequest, failure?: { status: number; retryAfter?: number | string }): Answer {
    if (failure) {
      const retryAfter = failure.retryAfter === undefined ? undefined : { "Retry-After": String(failure.retryAfter) };
      return { ...error(failure.status, `Stand-in failure (HTTP ${failure.status})`), headers: retryAfter };
    }
    if (req.authorization !== `Bearer ${options.token}`) return error(403, "Not authorized", { invalidToken: true });
    const segments = req.path.split("/").slice(1).map(safeDecode);
    const [v1, edgeConfig, storeId, kind, key, ...rest] = segments;
    if (v1 === "v1" && edgeConfig === "edge-config" && storeId !== undefined && rest.length === 0) {
      if (req.method === "GET" && kind === "item" && key !== undefined) return answerGet(storeId, key);
      if (req.method === "PATCH" && kind === "items" && key === undefined) return answerPatch(storeId, req.body);
    }
    return error(404, `The requested endpoint was not found: ${req.method} ${req.path}`);
  }

  const server = http.createServer((request, response) => {
    // Taken on arrival, so concurrent requests consume the queues in the order they came in.
    const failure = failures.shift();
    const delay = delays.shift() ?? 0;
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const url = new URL(request.url ?? "/", "http://stand-in");
      const text = Buffer.concat(chunks).toString("utf8");
      const recorded: RecordedRequest = {
        method: request.method ?? "",
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        body: parseBody(text),
        ...(request.headers.authorization !== undefined ? { authorization: request.headers.authorization } : {}),
      };
      requests.push(recorded);
      const send = () => {
        const { status, body, headers } = answer(recorded, failure);
        response.writeHead(status, { "Content-Type": "application/json; charset=utf-8", ...headers });
        response.end(JSON.stringify(body));
        options.onAnswer?.(recorded, status);
      };
      if (delay <= 0) return send();
      const timer = setTimeout(() => {
        timers.delete(timer);
        send();
      }, delay);
      timers.add(timer);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    items: (storeId) => Object.fromEntries([...(stores.get(storeId) ?? new Map<string, StoredItem>())].map(([k, item]) => [k, structuredClone(item.value)])),
    setItem(storeId, key, value) {
      const existing = storeOf(storeId).get(key);
      const now = Date.now();
      storeOf(storeId).set(key, { value: structuredClone(value), createdAt: existing?.createdAt ?? now, updatedAt: now });
    },
    removeItem(storeId, key) {
      storeOf(storeId).delete(key);
    },
    failNext(n, status, opts = {}) {
      for (let i = 0; i < n; i++) failures.push({ status, retryAfter: opts.retryAfter });
    },
    delayNext(ms, count = 1) {
      for (let i = 0; i < count; i++) delays.push(ms);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function parseBody(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** A path segment decoded; left as sent when it is not valid percent-encoding. */
function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** `--token T --store ecfg_a --store ecfg_b` → options; exits with a usage line when the token is missing. */
function parseArgs(argv: readonly string[]): { token: string; stores: string[] } {
  let token: string | undefined;
  const stores: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if ((flag === "--token" || flag === "--store") && value !== undefined) {
      if (flag === "--token") token = value;
      else stores.push(value);
      i++;
    } else {
      throw new Error(`unknown or incomplete argument ${flag}`);
    }
  }
  if (!token) throw new Error("--token is required");
  return { token, stores };
}

if (require.main === module) {
  (async () => {
    const standIn = await startVercelStandIn(parseArgs(process.argv.slice(2)));
    process.stdout.write(`${JSON.stringify({ url: standIn.url })}\n`);
    const stop = () => void standIn.close().then(() => process.exit(0));
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  })().catch((e: unknown) => {
    process.stderr.write(`vercel-stand-in: ${e instanceof Error ? e.message : String(e)}\nusage: vercel-stand-in.ts --token T [--store ecfg_x ...]\n`);
    process.exit(2);
  });
}
