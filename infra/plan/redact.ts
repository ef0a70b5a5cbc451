/**
 * Defence in depth for the plan's output. The renders never hold a secret (`secure:` values are not
 * decrypted, children get no credentials), but a stack file can hold one by mistake: plain text under
 * a secret key, or plaintext typed into a `secure:` field. Every string the plan prints (report, error,
 * warning) passes through a redactor that knows those values and the secret-looking variables of its
 * own environment, and replaces them with `[secret]`. Pure, but for `secretsInStackFileAt`, which reads one file.
 */
import { parseStackFile, readStackFile, secureValues, StackFileError, type StackFile } from "../stack-file";

/** Shorter strings are not redacted (they would hit ordinary words and numbers). */
export const MIN_REDACTED_LENGTH = 6;

const SECRET_CONFIG_KEY = /^[a-z0-9-]+\.([A-Z][A-Z0-9_]*(\.preview)?|databaseUrl)$/;
const SECRET_NAME = /(token|secret|password|passphrase|passwd|credential|private|api[-_]?key|access[-_]?key|service[-_]?role|database[-_]?url|dsn)/i;

function strings(value: unknown, out: string[]): void {
  if (typeof value === "string") out.push(value);
  else if (typeof value === "number") out.push(String(value));
  else if (Array.isArray(value)) value.forEach((v) => strings(v, out));
  else if (value !== null && typeof value === "object") Object.values(value).forEach((v) => strings(v, out));
}

/**
 * Strings of a stack file that must never be printed: every `secure:` value, and the values of keys
 * that name a secret (`<ns>:<app>.<KEY>`, `<ns>:<db>.databaseUrl`, provider keys like `vercel:apiToken`).
 * A file with YAML errors is read leniently (whatever the parser recovered), since a broken file can
 * still hold secrets; one past the size, alias or nesting limits yields nothing (the plan reports it).
 */
export function secretsInStackFile(text: string): string[] {
  return secretsOf(() => parseStackFile(text, "stack file", { lenient: true }));
}

/** `secretsInStackFile` of the file at a path, read as `readStackFile` reads (a regular file within the size limit); none when absent. */
export function secretsInStackFileAt(filePath: string): string[] {
  return secretsOf(() => readStackFile(filePath, filePath, { lenient: true }));
}

function secretsOf(read: () => StackFile | undefined): string[] {
  let stackFile;
  try {
    stackFile = read();
  } catch (e) {
    if (e instanceof StackFileError) return [];
    throw e;
  }
  if (!stackFile) return [];
  const out: string[] = [];
  for (const s of secureValues(stackFile)) strings(s.ciphertext, out);
  for (const [key, value] of Object.entries(stackFile.config)) {
    const name = key.includes(":") ? key.slice(key.indexOf(":") + 1) : key;
    if (SECRET_CONFIG_KEY.test(name) || SECRET_NAME.test(name)) strings(value, out);
  }
  return [...new Set(out)];
}

/** Values of environment variables whose names say they are secret (tokens, passphrases, keys). */
export function secretsInEnvironment(env: NodeJS.ProcessEnv): string[] {
  return Object.entries(env)
    .filter(([name, value]) => value !== undefined && SECRET_NAME.test(name))
    .map(([, value]) => value!);
}

export type Redactor = (text: string) => string;

/** A function replacing every occurrence of the given values (longest first) with `[secret]`. */
export function redactor(values: Iterable<string>): Redactor {
  const secrets = [...new Set([...values].map((v) => v.trim()).filter((v) => v.length >= MIN_REDACTED_LENGTH))].sort((a, b) => b.length - a.length);
  if (!secrets.length) return (text) => text;
  return (text) => {
    let out = text;
    for (const s of secrets) if (out.includes(s)) out = out.split(s).join("[secret]");
    return out;
  };
}
