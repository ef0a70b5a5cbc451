/**
 * The three Edge Config item calls the stack makes (read, upsert, delete), through Vercel's own
 * client library `@vercel/sdk`, with its retries turned on and its errors turned into one error type
 * that says what failed, where, and what to check, and never carries the token.
 *
 * Runs inside the dynamic-provider process too (bundled, see `infra/dynamic/bundle.ts`): no Pulumi
 * imports, nothing relative but `../text`, and `@vercel/sdk` is `require()`d inside `edgeConfigApi`
 * (it is ESM-only; `require` of ESM works on Node >= 20.19).
 */
import { stripControlChars } from "../text";

/**
 * The slice of `@vercel/sdk` 1.27.0's standalone API this module uses, typed here: the package's type
 * files sit behind its `exports` map, which one TypeScript module resolution honours and another does
 * not (the Pulumi host's ts-node), so importing them would tie the build to one setting. The tests
 * check the requests these calls send against the stand-in.
 */
type SdkResult<T> = { ok: true; value: T } | { ok: false; error: unknown };
type SdkCore = object;
interface SdkCoreOptions {
  bearerToken: string;
  serverURL?: string;
  timeoutMs?: number;
  retryConfig: {
    strategy: "backoff";
    backoff: { initialInterval: number; maxInterval: number; exponent: number; maxElapsedTime: number };
    retryConnectionErrors: boolean;
  };
}
type Team = { teamId?: string; slug?: string };
type GetItem = (core: SdkCore, request: { edgeConfigId: string; edgeConfigItemKey: string } & Team) => Promise<SdkResult<{ value?: unknown }>>;
type PatchItems = (
  core: SdkCore,
  request: { edgeConfigId: string; requestBody: { items: { operation: "upsert" | "delete"; key: string; value?: unknown }[] } } & Team,
) => Promise<SdkResult<unknown>>;

/** Overrides the API base URL (`https://api.vercel.com`); the tests point it at a local stand-in. */
export const VERCEL_API_URL_ENV = "ROLLOUT_VERCEL_API_URL";
/** The Vercel access token the tools write with. */
export const VERCEL_TOKEN_ENV = "VERCEL_API_TOKEN";

export interface EdgeConfigApiOptions {
  token: string;
  /**
   * The team that owns the store, as the stack names it (`vercelTeam`): a `team_…` ID is sent as
   * `teamId`, anything else as the team's `slug` (the API takes either); omit for a personal account.
   */
  teamId?: string;
  /** @default the SDK's, `https://api.vercel.com` */
  serverURL?: string;
  /**
   * Backoff between tries of a failed call (429, 5xx, connection errors); the SDK adds up to 1 s of
   * jitter to each wait, capped at `maxMs`. A `Retry-After` header is honoured.
   * @default { initialMs: 200, maxMs: 2000, maxElapsedMs: 20000 }
   */
  retry?: { initialMs?: number; maxMs?: number; maxElapsedMs?: number };
  /** Per-try timeout: a hung connection fails (and is retried) instead of hanging `pulumi up`. @default 10000 */
  timeoutMs?: number;
}

export interface EdgeConfigItemsApi {
  /** The item's value, or undefined when the store has no such item (HTTP 404). */
  readItem(storeId: string, key: string): Promise<unknown | undefined>;
  /** Upserts one item: PATCH /v1/edge-config/{storeId}/items with items [{operation:"upsert", key, value}]. */
  upsertItem(storeId: string, key: string, value: unknown): Promise<void>;
  /** Deletes one item (operation "delete"); a missing item is not an error. */
  deleteItem(storeId: string, key: string): Promise<void>;
}

/** A failed Edge Config call: `status` is the HTTP status (undefined when no response came back). */
export class VercelApiError extends Error {
  readonly status?: number;
  /** Vercel's error code from the body (`{error:{code}}`), e.g. `forbidden`, `not_found`. */
  readonly code?: string;

  constructor(message: string, status?: number, code?: string) {
    super(message);
    this.name = "VercelApiError";
    this.status = status;
    this.code = code;
  }
}

const DEFAULT_RETRY = { initialMs: 200, maxMs: 2_000, maxElapsedMs: 20_000 };
const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * The items client. Retries are on for every call, writes included: each write replaces the item's
 * value whole (upsert) or removes it (delete), so sending it twice leaves the store as sending it once.
 */
export function edgeConfigApi(options: EdgeConfigApiOptions): EdgeConfigItemsApi {
  // The SDK's standalone functions, not its `Vercel` class: the class loads every model of the API
  // (2.4 s here), these load what two endpoints need (0.2 s), which is most of `kill --now`'s time.
  const { VercelCore: Core } = require("@vercel/sdk/core.js") as { VercelCore: new (options: SdkCoreOptions) => SdkCore };
  const { edgeConfigGetEdgeConfigItem: getItem } = require("@vercel/sdk/funcs/edgeConfigGetEdgeConfigItem.js") as { edgeConfigGetEdgeConfigItem: GetItem };
  const { edgeConfigPatchEdgeConfigItems: patchItems } = require("@vercel/sdk/funcs/edgeConfigPatchEdgeConfigItems.js") as { edgeConfigPatchEdgeConfigItems: PatchItems };
  const retry = { ...DEFAULT_RETRY, ...options.retry };
  const vercel = new Core({
    bearerToken: options.token,
    ...(options.serverURL ? { serverURL: options.serverURL } : {}),
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    retryConfig: {
      strategy: "backoff",
      backoff: { initialInterval: retry.initialMs, maxInterval: retry.maxMs, exponent: 1.5, maxElapsedTime: retry.maxElapsedMs },
      retryConnectionErrors: true,
    },
  });
  const team = teamParams(options.teamId);
  const fail = (e: unknown, call: Call): never => {
    throw toApiError(e, call, options);
  };
  // The standalone functions return a result instead of throwing: unwrap it into the usual throw.
  const unwrap = <T>(r: SdkResult<T>): T => {
    if (!r.ok) throw r.error;
    return r.value;
  };
  const patch = async (storeId: string, item: { operation: "upsert" | "delete"; key: string; value?: unknown }) =>
    unwrap(await patchItems(vercel, { edgeConfigId: storeId, ...team, requestBody: { items: [item] } }));

  const readItem = async (storeId: string, key: string): Promise<unknown> => {
    try {
      const item = unwrap(await getItem(vercel, { edgeConfigId: storeId, edgeConfigItemKey: key, ...team }));
      return item.value;
    } catch (e) {
      if (statusOf(e) === 404) return undefined;
      return fail(e, { operation: "read", storeId, key });
    }
  };

  return {
    readItem,
    async upsertItem(storeId, key, value) {
      try {
        await patch(storeId, { operation: "upsert", key, value });
      } catch (e) {
        fail(e, { operation: "upsert", storeId, key });
      }
    },
    async deleteItem(storeId, key) {
      try {
        await patch(storeId, { operation: "delete", key });
      } catch (e) {
        // Whether Vercel refuses to delete a missing item is not documented; when it refuses with a
        // 4xx that is not about access or rate, a read settles it: an absent item is what we wanted
        // (a read cannot tell a missing store from a missing item, and neither holds the item).
        const status = statusOf(e);
        const settle = status !== undefined && status >= 400 && status < 500 && ![401, 403, 429].includes(status);
        if (settle && (await readItem(storeId, key)) === undefined) return;
        fail(e, { operation: "delete", storeId, key });
      }
    },
  };
}

/** The API's team parameter: `teamId` for an ID (`team_…`), `slug` for a team's slug. */
export function teamParams(team: string | undefined): { teamId?: string; slug?: string } {
  if (!team) return {};
  return team.startsWith("team_") ? { teamId: team } : { slug: team };
}

/**
 * Options from the environment: token from VERCEL_API_TOKEN (a clear error naming the variable when
 * missing), serverURL from ROLLOUT_VERCEL_API_URL.
 */
export function apiOptionsFromEnv(env: NodeJS.ProcessEnv, teamId?: string): EdgeConfigApiOptions {
  const token = env[VERCEL_TOKEN_ENV]?.trim();
  if (!token) {
    throw new VercelApiError(
      `${VERCEL_TOKEN_ENV} is not set: writing the Edge Config item needs a Vercel access token with access to the store's team (create one under Account Settings → Tokens and export it as ${VERCEL_TOKEN_ENV})`,
    );
  }
  const serverURL = env[VERCEL_API_URL_ENV]?.trim();
  return { token, ...(teamId ? { teamId } : {}), ...(serverURL ? { serverURL } : {}) };
}

interface Call {
  operation: "read" | "upsert" | "delete";
  storeId: string;
  key: string;
}

/** The HTTP status of an SDK error (`VercelError.statusCode`), if a response came back. */
function statusOf(e: unknown): number | undefined {
  const status = (e as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === "number" ? status : undefined;
}

/** Vercel's `{error:{code,message}}` from an SDK error's body, when it has one. */
function vercelErrorBody(e: unknown): { code?: string; message?: string } {
  const body = (e as { body?: unknown } | null)?.body;
  if (typeof body !== "string") return {};
  try {
    const error = (JSON.parse(body) as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    return {
      code: typeof error?.code === "string" ? error.code : undefined,
      message: typeof error?.message === "string" ? error.message : undefined,
    };
  } catch {
    return {};
  }
}

/** The innermost `code` (e.g. `ECONNREFUSED`) on an error's cause chain, for connection failures. */
function causeCode(e: unknown): string | undefined {
  let code: string | undefined;
  for (let c: unknown = e, depth = 0; c && typeof c === "object" && depth < 5; c = (c as { cause?: unknown }).cause, depth++) {
    const value = (c as { code?: unknown }).code;
    if (typeof value === "string") code = value;
  }
  return code;
}

/** Why the call failed and what to do, by status. */
function hint(status: number, call: Call, options: EdgeConfigApiOptions): string {
  const team = options.teamId ? `team ${options.teamId}` : "the token's personal account (no teamId)";
  if (status === 401 || status === 403) {
    return `check that ${VERCEL_TOKEN_ENV} holds a valid Vercel token with access to ${team}, and that the store belongs to that team`;
  }
  if (status === 404) return `Edge Config store ${call.storeId} was not found in ${team}`;
  if (status === 429) return "rate limited by Vercel, still after retrying; try again later";
  if (status >= 500) return "Vercel answered with a server error, still after retrying; try again later";
  return "";
}

/**
 * One error for every way a call fails. The token is never in it: the SDK's errors carry the response
 * body, not the request, but an error made while building the request (e.g. a token that is not a
 * valid header value) quotes the header, so the token is masked in every text that is not ours.
 */
function toApiError(e: unknown, call: Call, options: EdgeConfigApiOptions): VercelApiError {
  const foreign = (text: string) => maskToken(text, options.token);
  const where = `Vercel Edge Config ${call.operation} of item "${call.key}" in store ${call.storeId}`;
  const status = statusOf(e);
  let message: string;
  let code: string | undefined;
  if (status !== undefined) {
    const body = vercelErrorBody(e);
    code = body.code && foreign(body.code);
    const detail = body.message ? `: ${foreign(body.message)}${code ? ` (${code})` : ""}` : "";
    const advice = hint(status, call, options);
    message = `${where} failed with HTTP ${status}${detail}${advice ? `; ${advice}` : ""}`;
  } else {
    const name = (e as { name?: unknown } | null)?.name;
    const server = options.serverURL ?? "https://api.vercel.com";
    if (name === "ConnectionError" || name === "RequestTimeoutError") {
      const cause = causeCode(e);
      const why = name === "RequestTimeoutError" ? "timed out" : `could not connect${cause ? ` (${foreign(cause)})` : ""}`;
      message = `${where} failed: ${why} to the Vercel API at ${server}, still after retrying`;
    } else {
      message = `${where} failed: ${foreign(e instanceof Error ? e.message : String(e))}`;
    }
  }
  return new VercelApiError(stripControlChars(message), status, code);
}

function maskToken(text: string, token: string): string {
  return token ? text.split(token).join("[token]") : text;
}
