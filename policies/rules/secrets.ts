/**
 * Pure: does an env var's name or value look like a secret? Used by the env var rules.
 *
 * Every answer is a description ("a Supabase service-role JWT"), never the value: rule messages end
 * up in preview output and CI logs, where a secret must not appear.
 */

/**
 * Last name words that mark a credential: `GITHUB_TOKEN`, `CRON_SECRET`, `DB_PASSWORD`. Only the last
 * word counts, because the same words in the middle name a feature (`ENABLE_TOKEN_REFRESH`,
 * `PASSWORD_MIN_LENGTH`), and flags like those are exactly what `NEXT_PUBLIC_` vars carry.
 */
const SECRET_LAST_WORDS = new Set(["SECRET", "SECRETS", "TOKEN", "PASSWORD", "PASSWD", "CREDENTIAL", "CREDENTIALS", "APIKEY"]);

/** Word pairs that mark a credential wherever they appear (`SECRET_KEY_BASE`, `GCP_PRIVATE_KEY_PEM`). */
const SECRET_PAIRS: ReadonlyArray<[string, string]> = [
  ["SERVICE", "ROLE"],
  ["PRIVATE", "KEY"],
  ["SECRET", "KEY"],
];

/** `…_KEY` is a secret unless the word before says it is public by design (Supabase anon/publishable keys). */
const PUBLIC_KEY_QUALIFIERS = new Set(["ANON", "PUBLISHABLE", "PUBLIC"]);

/** Connection strings that carry a password by convention. */
const CREDENTIAL_URL_NAMES = /(^|_)(DATABASE|DB|POSTGRES|POSTGRESQL|PG)(_[A-Z]+)*_URL(_[A-Z]+)*$|(^|_)CONNECTION_STRING$/;

/** The prefix Next.js inlines into the browser bundle at build time. */
export const PUBLIC_PREFIX = "NEXT_PUBLIC_";

/**
 * Why a key's name marks it as a secret, or `undefined`. The `NEXT_PUBLIC_` prefix is ignored (so
 * `NEXT_PUBLIC_SUPABASE_SERVICE_ROLE_KEY` is caught), and so is any key in `notSecret`.
 */
export function secretKeyReason(key: string, notSecret: readonly string[] = []): string | undefined {
  if (notSecret.includes(key)) return undefined;
  const name = (key.startsWith(PUBLIC_PREFIX) ? key.slice(PUBLIC_PREFIX.length) : key).toUpperCase();
  const words = name.split("_").filter((w) => w !== "");
  const pair = SECRET_PAIRS.find(([a, b]) => words.some((w, i) => w === a && words[i + 1] === b));
  if (pair !== undefined) return pair[0] === "SERVICE" ? "its name says it is a service-role key" : `its name contains ${pair.join("_")}`;
  const last = words[words.length - 1] ?? "";
  if (SECRET_LAST_WORDS.has(last)) return `its name ends in ${last}`;
  if (last === "KEY" && !PUBLIC_KEY_QUALIFIERS.has(words[words.length - 2] ?? "")) return "its name ends in a KEY that is not an anon, publishable or public key";
  if (CREDENTIAL_URL_NAMES.test(name)) return "its name is a database connection string";
  return undefined;
}

/** Known secret formats, by prefix or shape. Checked in order; the first match wins. */
const VALUE_PATTERNS: ReadonlyArray<[RegExp, string]> = [
  [/^sb_secret_/, "a Supabase secret key (sb_secret_…)"],
  [/^-----BEGIN [A-Z ]*PRIVATE KEY-----/, "a PEM private key"],
  [/^(sk|rk)_(live|test)_[0-9A-Za-z]{10,}/, "a Stripe secret key"],
  [/^sk-[0-9A-Za-z_-]{20,}$/, "an OpenAI-style API key (sk-…)"],
  [/^(ghp|gho|ghu|ghs|ghr)_[0-9A-Za-z]{20,}$|^github_pat_/, "a GitHub token"],
  [/^xox[abpr]-/, "a Slack token"],
  [/^AKIA[0-9A-Z]{16}$/, "an AWS access key ID"],
];

/**
 * What a value looks like if it looks like a credential, or `undefined`.
 * A JWT counts only when its `role` claim is `service_role` (Supabase's legacy service-role key):
 * the anon key is a JWT too, and public by design.
 */
export function secretValueKind(value: string): string | undefined {
  const v = value.trim();
  for (const [re, kind] of VALUE_PATTERNS) if (re.test(v)) return kind;
  const role = jwtRole(v);
  if (role === "service_role" || role === "supabase_admin") return `a Supabase ${role} JWT`;
  if (urlHasPassword(v)) return "a connection URL with a password";
  return undefined;
}

/** The `role` claim of a JWT, or `undefined` when `v` is not a decodable JWT. */
function jwtRole(v: string): string | undefined {
  const parts = v.split(".");
  if (parts.length !== 3 || !/^eyJ/.test(parts[0])) return undefined;
  try {
    const payload: unknown = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
    if (payload !== null && typeof payload === "object" && "role" in payload) {
      const role = (payload as { role: unknown }).role;
      return typeof role === "string" ? role : undefined;
    }
    return undefined;
  } catch {
    // Not a JWT after all (three dot-separated words that are not base64url JSON).
    return undefined;
  }
}

function urlHasPassword(v: string): boolean {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) return false;
  try {
    return new URL(v).password !== "";
  } catch {
    // Not a parseable URL: not a connection string we can judge.
    return false;
  }
}
