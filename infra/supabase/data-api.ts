/**
 * Exposing schemas through the Data API (PostgREST) with the Supabase Management API:
 * `GET /v1/projects/{ref}/postgrest` reads the settings, `PATCH` with `{db_schema}` writes them.
 * `db_schema` is one comma-separated string that REPLACES the whole list (Management API reference),
 * so we always read it first and write the full list with our schemas added (seed 003: expose
 * `health_companion`). Dashboard-added schemas are kept; on removal we take out only what we added.
 *
 * Token: the environment variable `SUPABASE_ACCESS_TOKEN` (a personal access token, `sbp_...`);
 * base URL: `SUPABASE_API_URL` (default https://api.supabase.com), which tests point at a stub.
 * The GET response also carries the project's JWT secret: we read `db_schema` and drop the rest.
 *
 * Runs inside the dynamic-provider process (bundled): no Pulumi imports; uses Node's global fetch.
 */

export interface ManagementApi {
  baseUrl: string;
  token: string;
}

/** The API endpoint and token from the environment; throws saying what to set. */
export function managementApiFromEnv(env: Record<string, string | undefined> = process.env): ManagementApi {
  const token = env.SUPABASE_ACCESS_TOKEN;
  if (!token) {
    throw new Error(
      "SUPABASE_ACCESS_TOKEN is not set: exposing schemas to the Data API goes through the Supabase Management API. " +
        "Create a personal access token (Dashboard → Account → Access Tokens) and export SUPABASE_ACCESS_TOKEN before `pulumi up`",
    );
  }
  return { baseUrl: (env.SUPABASE_API_URL || "https://api.supabase.com").replace(/\/+$/, ""), token };
}

/** `"public, graphql_public"` → `["public", "graphql_public"]` (empty string: the API is disabled). */
export function parseDbSchema(value: string): string[] {
  return value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** The list with `declared` added at the end (existing order kept), and what was added. */
export function planExposure(current: readonly string[], declared: readonly string[]): { next: string[]; added: string[] } {
  const added = [...new Set(declared)].filter((s) => !current.includes(s));
  return { next: [...current, ...added], added };
}

/** The list without `remove`. */
export function planRemoval(current: readonly string[], remove: readonly string[]): string[] {
  return current.filter((s) => !remove.includes(s));
}

async function call(api: ManagementApi, method: "GET" | "PATCH", ref: string, body?: unknown): Promise<{ db_schema?: unknown }> {
  if (!/^[a-z0-9]{20}$/.test(ref)) throw new Error(`"${ref}" is not a Supabase project ref (20 lowercase letters and digits)`);
  const url = `${api.baseUrl}/v1/projects/${ref}/postgrest`;
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: {
        Authorization: `Bearer ${api.token}`,
        Accept: "application/json",
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new Error(`${method} ${url} failed: ${(e as Error).message}`);
  }
  const text = await res.text();
  if (!res.ok) {
    const hint =
      res.status === 401 || res.status === 403
        ? " (check SUPABASE_ACCESS_TOKEN: it needs access to this project, with the data_api_config read/write permissions)"
        : res.status === 429
          ? " (rate limited: retry in a minute)"
          : "";
    throw new Error(`${method} ${url} answered ${res.status}${hint}: ${text.slice(0, 300)}`);
  }
  try {
    return JSON.parse(text) as { db_schema?: unknown };
  } catch {
    throw new Error(`${method} ${url} answered with something that is not JSON: ${text.slice(0, 100)}`);
  }
}

/** The project's exposed schemas. */
export async function readExposedSchemas(api: ManagementApi, ref: string): Promise<string[]> {
  const settings = await call(api, "GET", ref);
  if (typeof settings.db_schema !== "string") throw new Error(`GET /v1/projects/${ref}/postgrest returned no db_schema string`);
  return parseDbSchema(settings.db_schema);
}

/** Writes the full list of exposed schemas; returns the list the API reports back. */
export async function writeExposedSchemas(api: ManagementApi, ref: string, schemas: readonly string[]): Promise<string[]> {
  const settings = await call(api, "PATCH", ref, { db_schema: schemas.join(",") });
  return typeof settings.db_schema === "string" ? parseDbSchema(settings.db_schema) : [...schemas];
}
