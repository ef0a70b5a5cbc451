/** Credential-shaped test values (fake, built at run time so no scanner mistakes them for real keys). */

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

/** A JWT with the given claims and a fake signature. */
export function jwt(claims: Record<string, unknown>): string {
  return `${b64url({ alg: "HS256", typ: "JWT" })}.${b64url(claims)}.${"s".repeat(43)}`;
}

/** Shaped like Supabase's legacy service-role key. */
export const SERVICE_ROLE_JWT = jwt({ iss: "supabase", ref: "abcdefghijklmnopqrst", role: "service_role", iat: 1700000000, exp: 2000000000 });
/** Shaped like Supabase's legacy anon key: a JWT too, and public by design. */
export const ANON_JWT = jwt({ iss: "supabase", ref: "abcdefghijklmnopqrst", role: "anon", iat: 1700000000, exp: 2000000000 });
/** Shaped like Supabase's new secret key. */
export const SB_SECRET = ["sb", "secret", "Zm9vYmFyYmF6cXV4cXV1eDEyMzQ1Njc4"].join("_");
/** A connection string with a password. */
export const REDIS_URL_WITH_PASSWORD = ["redis://default", "hunter2hunter2@cache.internal:6379"].join(":");
