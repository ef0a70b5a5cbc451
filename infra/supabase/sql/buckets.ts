/**
 * Storage buckets: validated as the Storage API validates a `POST /storage/v1/bucket`, then upserted
 * into `storage.buckets` with SQL (the documented way to create buckets from migrations; the
 * Management API cannot create them). Pure: validation and query builders, no I/O, no Pulumi.
 *
 * Rules, from `supabase/storage` (read 2026-11): `src/storage/storage.ts` (`createBucket`,
 * `validateMimeType`, `parseMaxSizeLimit`), `src/storage/limits.ts` (`isValidBucketName`,
 * `parseFileSizeToBytes`), `src/storage/uploader.ts` (`validateMimeType`, how uploads are matched):
 * - name: no leading or trailing whitespace, 1–100 characters of `A–Z a–z 0–9 _ ! . * ' ( ) & $ @ = ; : + , ? -`
 *   and space, not ending in the reserved suffix `--table-s3` (Iceberg buckets);
 * - file size limit: an integer number of bytes or `<number><unit>` with unit B, KB, MB or GB
 *   (decimal: 1 MB = 1,000,000 bytes), the number rounded to 3 significant digits first, as Storage
 *   stores it (`"1536KB"` is 1,540,000 bytes); not above the project's global upload limit;
 * - MIME types: stored exactly as given (empty entries dropped), because an upload is matched by exact
 *   type and subtype, case and parameters included: `text/plain;charset=utf-8` allows only uploads
 *   that say exactly that. Accepted are the entries Storage's validator accepts: `type/subtype`, with
 *   an optional `;charset=x`, or anything ending in `*` (`image/*`), at most 1000 characters.
 * Deleting a bucket is the Storage API's job (a trigger blocks SQL deletes): we never delete.
 */

/** A bucket as the catalog declares it (`DatabaseDecl.buckets`). */
export interface BucketDecl {
  id: string;
  public: boolean;
  /** e.g. `"50MB"`, `"1.5GB"`, `"1048576"` (bytes). */
  fileSizeLimit?: string;
  allowedMimeTypes?: string[];
}

/** A validated bucket, as stored in `storage.buckets`. */
export interface BucketSpec {
  id: string;
  /** Always the id (what the Storage API does when only a name is given). */
  name: string;
  public: boolean;
  /** Bytes; null = no per-bucket limit (the global one applies). */
  fileSizeLimit: number | null;
  /** Normalized; null = any type. */
  allowedMimeTypes: string[] | null;
}

/**
 * Supabase's default global upload limit (50 MiB, `file_size_limit = "50MiB"` in the CLI's
 * config.toml, and the Free plan's). A bucket limit above the project's global limit is refused by
 * the Storage API; raise this when the project's setting is higher.
 */
export const DEFAULT_GLOBAL_FILE_SIZE_LIMIT = 50 * 1024 * 1024;

const VALID_BUCKET_NAME = /^[A-Za-z0-9_!.*'() &$=@;:+,?-]*$/;
const RESERVED_BUCKET_SUFFIXES = ["--table-s3"];

/** Why `name` is not a valid bucket name, or undefined when it is. */
export function bucketNameProblem(name: string): string | undefined {
  if (name.trim().length !== name.length) return "has leading or trailing whitespace";
  if (name.length === 0) return "is empty";
  if (name.length > 100) return `is ${name.length} characters long (at most 100)`;
  if (!VALID_BUCKET_NAME.test(name)) {
    const bad = [...new Set([...name].filter((c) => !VALID_BUCKET_NAME.test(c)))];
    return `contains ${bad.map((c) => JSON.stringify(c)).join(", ")} (allowed: letters, digits, space and _ ! . * ' ( ) & $ @ = ; : + , ? -)`;
  }
  const suffix = RESERVED_BUCKET_SUFFIXES.find((s) => name.endsWith(s));
  if (suffix) return `ends with the reserved suffix "${suffix}"`;
  return undefined;
}

/** Bytes of a size limit as the Storage API parses and stores it; throws on anything else. */
export function parseFileSizeLimit(value: string): number {
  if (/^[0-9]+$/.test(value)) return Number(value);
  const match = /^([0-9]+(?:\.[0-9]+)?)(gb|mb|kb|b)$/i.exec(value);
  if (!match) throw new Error(`"${value}" is not a size (write bytes, or a number with B, KB, MB or GB, e.g. "50MB")`);
  const unit = match[2].toUpperCase();
  const factor = unit === "GB" ? 1e9 : unit === "MB" ? 1e6 : unit === "KB" ? 1e3 : 1;
  // Storage keeps 3 significant digits, then applies the unit (parseFileSizeToBytes).
  const bytes = Number(parseFloat(parseFloat(match[1]).toPrecision(3)) * factor);
  // Float noise (1.15 * 1e6 = 1149999.9999999998) is not a fraction Storage meant; a real fraction of a byte is refused.
  const rounded = Math.round(bytes);
  if (Math.abs(bytes - rounded) > 1e-6 * Math.max(1, bytes)) throw new Error(`"${value}" is ${bytes} bytes once rounded as Storage rounds it; write a whole number of bytes`);
  return rounded;
}

/** Storage.validateMimeType's pattern (src/storage/storage.ts), as written there. */
const STORAGE_MIME_TYPE = /^([a-zA-Z0-9\-+.]+)\/([a-zA-Z0-9\-+.]+)(;\s*charset=[a-zA-Z0-9\-]+)?$|\*$/;

/** Why Storage would refuse an allowed-MIME-type entry, or undefined when it accepts it. */
export function mimeTypeProblem(mimeType: string): string | undefined {
  if (mimeType.length > 1000) return "is longer than 1000 characters";
  if (!STORAGE_MIME_TYPE.test(mimeType)) return "is not a MIME type Storage accepts (write type/subtype, type/subtype;charset=x or type/*, e.g. \"image/png\", \"image/*\")";
  return undefined;
}

/**
 * Validates a declared bucket and returns what to store. Throws one error listing every problem,
 * each naming the bucket and the field.
 * @param globalFileSizeLimit the project's upload limit in bytes (@default DEFAULT_GLOBAL_FILE_SIZE_LIMIT)
 */
export function bucketSpecOf(decl: BucketDecl, globalFileSizeLimit = DEFAULT_GLOBAL_FILE_SIZE_LIMIT): BucketSpec {
  const where = `bucket "${decl.id}"`;
  const problems: string[] = [];
  const nameProblem = bucketNameProblem(decl.id);
  if (nameProblem) problems.push(`${where}: id ${nameProblem}`);
  let fileSizeLimit: number | null = null;
  if (decl.fileSizeLimit !== undefined) {
    try {
      fileSizeLimit = parseFileSizeLimit(decl.fileSizeLimit);
      if (fileSizeLimit > globalFileSizeLimit) {
        problems.push(
          `${where}: fileSizeLimit ${decl.fileSizeLimit} (${fileSizeLimit} bytes) is above the project's upload limit of ${globalFileSizeLimit} bytes; ` +
            `lower it, or raise the project's limit (Storage settings) and the component's globalFileSizeLimit`,
        );
      }
    } catch (e) {
      problems.push(`${where}: fileSizeLimit ${(e as Error).message}`);
    }
  }
  let allowedMimeTypes: string[] | null = null;
  if (decl.allowedMimeTypes !== undefined) {
    // The bucket routes drop empty entries; everything else is stored and matched as given.
    const given = decl.allowedMimeTypes.filter((m) => m);
    for (const m of given) {
      const problem = mimeTypeProblem(m);
      if (problem) problems.push(`${where}: allowedMimeTypes: ${JSON.stringify(m)} ${problem}`);
    }
    // The Storage API checks uploads only against a non-empty list: [] means any type, stored as null.
    allowedMimeTypes = given.length ? given : null;
  }
  if (problems.length) throw new Error(problems.join("\n"));
  return { id: decl.id, name: decl.id, public: decl.public, fileSizeLimit, allowedMimeTypes };
}

/**
 * Inserts the bucket or updates its settings, touching the row only when something differs.
 * Returns one row `{inserted}` when it wrote (true: created, false: updated), none when unchanged.
 */
export function upsertBucketQuery(spec: BucketSpec): { text: string; values: unknown[] } {
  return {
    text: `insert into storage.buckets as b (id, name, public, file_size_limit, allowed_mime_types)
values ($1, $2, $3, $4, $5)
on conflict (id) do update
  set name = excluded.name, public = excluded.public, file_size_limit = excluded.file_size_limit,
      allowed_mime_types = excluded.allowed_mime_types, updated_at = now()
  where (b.name, b.public, b.file_size_limit, b.allowed_mime_types)
    is distinct from (excluded.name, excluded.public, excluded.file_size_limit, excluded.allowed_mime_types)
returning (xmax = 0) as inserted`,
    values: [spec.id, spec.name, spec.public, spec.fileSizeLimit, spec.allowedMimeTypes],
  };
}

/** A row of `storage.buckets` as `bucketRowsSql` reads it. */
export interface BucketRow {
  id: string;
  name: string;
  public: boolean;
  file_size_limit: number | null;
  allowed_mime_types: string[] | null;
}

/** The stored settings of buckets (`where`: a condition on `id`). */
export function bucketRowsSql(where: string): string {
  return `select id, name, public, file_size_limit::float8 as file_size_limit, allowed_mime_types from storage.buckets where ${where}`;
}

/** The stored settings of a bucket (no row when it does not exist). */
export function readBucketQuery(id: string): { text: string; values: unknown[] } {
  return { text: bucketRowsSql("id = $1"), values: [id] };
}

/** Whether the stored row already holds the declared settings (what the upsert compares). */
export function bucketMatches(spec: BucketSpec, row: BucketRow | undefined): boolean {
  if (!row) return false;
  const stored = [row.name, row.public, row.file_size_limit === null ? null : Number(row.file_size_limit), row.allowed_mime_types];
  return JSON.stringify(stored) === JSON.stringify([spec.name, spec.public, spec.fileSizeLimit, spec.allowedMimeTypes]);
}
