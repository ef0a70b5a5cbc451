/**
 * The bucketing spec (`infra/sdk/bucketing.ts`) as SQL, for RLS policies, views and queries that gate on
 * the same cohort as the app: `rollout.bucket(feature, id)` and `rollout.in_rollout(feature, id, share,
 * cohorts)`. Pure: this module only builds the SQL text; convergence installs it into every database
 * (tests install it themselves).
 *
 * Why a non-exposed schema: a function in an exposed schema is callable by anyone through PostgREST RPC
 * (`/rest/v1/rpc/...`). These functions leak nothing, but as a rule every function we install stays out of
 * the Data API and revoked from `PUBLIC` (Postgres grants EXECUTE to PUBLIC by default), then granted
 * explicitly to the roles whose policies call them.
 *
 * The script is idempotent (`create schema if not exists`, `create or replace function`), runs in one
 * transaction with the caller's, and leaves no grants to PUBLIC behind.
 *
 * ## Why it is shaped this way (speed; `npm run bench -- bucketing` measures it)
 * Counting exposure over a million IDs calls these functions once or more per row, so per-call cost is
 * what matters. Only the hash loop is PL/pgSQL (`murmur3_32_resume`); everything around it is a
 * SQL-standard body (`return ...`, PostgreSQL 14+), which the planner inlines into the calling query:
 * - with a constant share (an RLS policy's literal, a bound parameter), `parse_share` runs once at plan
 *   time and `in_rollout` shrinks to `cohorts && '{beta}' or bucket <= 25`: no per-row parsing;
 * - with a constant feature, the hash state after the `feature:` prefix is computed once at plan time,
 *   so each row hashes only its ID's bytes (about half the blocks for a typical key);
 * - the share rule is written once (`in_rollout_by_bucket`), and `in_rollout` is that rule applied to
 *   `bucket(feature, id)`, so a query judging two shares can hash each ID once
 *   (`exposureCountSql`).
 * - the hash loop multiplies mod 2^32 with one bigint multiply (signed constants), reads each block
 *   with one int4-to-bigint cast, and runs two statements per 4-byte block.
 * SQL-standard bodies are parsed when created (names resolve then, not under the caller's
 * `search_path`), which is why they need no `set search_path`; a `SET` clause would also stop inlining.
 * `parse_share` and `utf8` (plan-time helpers) keep `set search_path = ''`; the hash loop does not (the
 * GUC save and restore cost about a fifth of each call) and names `pg_catalog` for every function and
 * operator instead.
 *
 * `convert_to` is only STABLE, so `bucket` reaches it through `utf8` (IMMUTABLE, as the first version's
 * `bucket` already declared it): an inlined IMMUTABLE body may call only IMMUTABLE functions.
 * One visible difference from the first (PL/pgSQL) version: a malformed *constant* share is refused
 * when the query is planned, so even a query that reads no row fails (same SQLSTATE 22023, same message).
 */
import { quoteIdent } from "../sql/quote";

/** Options of `bucketingSql`. */
export interface BucketingSqlOptions {
  /**
   * The schema to install into. Must not be exposed through the Data API.
   * @default "rollout"
   */
  schema?: string;
  /**
   * Roles granted USAGE on the schema and EXECUTE on the functions: every role whose RLS policies or
   * queries call them. Add `anon` only if policies evaluated for anonymous users call them.
   * @default ["authenticated", "service_role"]
   */
  grantTo?: readonly string[];
}

/**
 * SQL name (unqualified) of `in_rollout_by_bucket(bucket integer, share text, cohorts text[] default
 * '{}') returns boolean`: the share rule given a bucket already computed with `bucket(feature, id)`.
 * Exported so a query that judges several shares per row (a phase move's before and after) hashes each
 * ID once and still applies the one definition of the rule; `in_rollout` is this applied to `bucket`.
 */
export const IN_ROLLOUT_BY_BUCKET = "in_rollout_by_bucket";

/** The functions the script installs, with their argument types (for grants and revokes). */
const SIGNATURES = [
  "murmur3_32_resume(bigint, integer, bytea, text, boolean)",
  "murmur3_32(bytea, bigint)",
  "utf8(text)",
  "parse_share(text)",
  `${IN_ROLLOUT_BY_BUCKET}(integer, text, text[])`,
  "bucket(text, text)",
  "in_rollout(text, text, text, text[])",
] as const;

/** A schema or role name, quoted; an empty name is refused here rather than by Postgres at install time. */
function ident(name: string): string {
  if (name.length === 0) throw new Error(`invalid SQL identifier ${JSON.stringify(name)}`);
  return quoteIdent(name);
}

const MASK = 4294967295;

/**
 * `a op b` with a `pg_catalog` operator, parenthesised. The hash loop runs without `set search_path`
 * (a `SET` clause costs a GUC save and restore on every call, about a fifth of a call's time), so every
 * name in it is qualified and every operator is called on the exact argument types of a built-in one:
 * nothing resolves through the caller's `search_path`.
 */
function op(a: string | number, operator: string, b: string | number): string {
  return `(${a} OPERATOR(pg_catalog.${operator}) ${b})`;
}

/**
 * `(a · c) mod 2^32` for `-2^31 ≤ a < 2^32` in one bigint multiply: `c` is written as its signed 32-bit
 * twin (`c - 2^32` when `c ≥ 2^31`), which has the same low 32 bits, so the product stays within ±2^63
 * and `& 0xffffffff` keeps the low 32 bits (two's complement).
 */
function mul32(a: string, c: number): string {
  const signed = c >= 0x80000000 ? c - 0x100000000 : c;
  return op(op(a, "*", signed), "&", MASK);
}

function rotl32(x: string, r: number): string {
  return op(op(op(x, "<<", r), "|", op(x, ">>", 32 - r)), "&", MASK);
}

/** `get_byte(data, o + i)`, an int4. */
function byteAt(o: string, i: number): string {
  return `pg_catalog.get_byte(data, ${i ? op(o, "+", i) : o})`;
}

/**
 * A 4-byte little-endian block at offset `o`, assembled in int4 (the top byte may land in the sign
 * bit: `mul32` accepts the signed value) and cast to bigint once.
 */
function block(o: string): string {
  const shifted = (i: number) => (i ? op(byteAt(o, i), "<<", 8 * i) : byteAt(o, 0));
  return `${op(op(op(shifted(0), "|", shifted(1)), "|", shifted(2)), "|", shifted(3))}::bigint`;
}

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** The SQL that installs the bucketing functions. */
export function bucketingSql(options: BucketingSqlOptions = {}): string {
  const schema = ident(options.schema ?? "rollout");
  const roles = (options.grantTo ?? ["authenticated", "service_role"]).map(ident);
  const functions = SIGNATURES.map((s) => `${schema}.${s}`).join(", ");
  const grants = roles.length
    ? `grant usage on schema ${schema} to ${roles.join(", ")};
grant execute on function ${functions} to ${roles.join(", ")};`
    : "";
  const shareError = (detail: string) =>
    `raise exception using errcode = '22023', message = format('rollout.in_rollout: "%s" is not a rollout share (${detail})', share),
        hint = 'expected e.g. "0", "10", "100", "beta" or "beta+25"';`;
  // The key's prefix `feature:` as UTF-8, and the byte count of its whole 4-byte blocks.
  const prefix = `${schema}.utf8(feature || ':')`;
  const whole = `(octet_length(${prefix}) & ~3)`;
  // Operator precedence in Postgres puts &, |, #, << and >> at one level, left to right, below + and *:
  // every sub-expression below is parenthesised.
  return `-- Bucketing spec v1 (infra/sdk/bucketing.ts): bucket = murmur3_x86_32(utf8(feature || ':' || id), 0) % 100 + 1.
create schema if not exists ${schema};
comment on schema ${schema} is 'rollout-stack: bucketing functions; not exposed through the Data API';
revoke all on schema ${schema} from public;

create or replace function ${schema}.murmur3_32_resume(h bigint, consumed integer, head bytea, rest text, finish boolean)
returns bigint
language plpgsql immutable strict parallel safe
as $fn$
declare
  data pg_catalog.bytea := ${op("head", "||", "pg_catalog.convert_to(rest, 'UTF8')")};
  n integer := pg_catalog.length(data);
  t integer := ${op("n", "&", "-4")};
  k bigint;
begin
  for o in 0 .. ${op("n", "-", 4)} by 4 loop
    k := ${mul32(block("o"), C1)};
    h := ${op(op(op(rotl32(op("h", "#", mul32(rotl32("k", 15), C2)), 13), "*", 5), "+", 3864292196), "&", MASK)};
  end loop;
  if not finish then
    return h;
  end if;
  if ${op("t", "<", "n")} then
    k := ${byteAt("t", 0)};
    if ${op(op("t", "+", 1), "<", "n")} then k := ${op("k", "|", op(`${byteAt("t", 1)}::bigint`, "<<", 8))}; end if;
    if ${op(op("t", "+", 2), "<", "n")} then k := ${op("k", "|", op(`${byteAt("t", 2)}::bigint`, "<<", 16))}; end if;
    h := ${op("h", "#", mul32(rotl32(mul32("k", C1), 15), C2))};
  end if;
  h := ${op("h", "#", op(`${op("consumed", "+", "n")}::bigint`, "&", MASK))};
  h := ${mul32(op("h", "#", op("h", ">>", 16)), 0x85ebca6b)};
  h := ${mul32(op("h", "#", op("h", ">>", 13)), 0xc2b2ae35)};
  return ${op("h", "#", op("h", ">>", 16))};
end
$fn$;
comment on function ${schema}.murmur3_32_resume(bigint, integer, bytea, text, boolean) is 'MurmurHash3 x86 32-bit, resumable: hashes head || utf8(rest) as the continuation of an input whose first consumed bytes (a multiple of 4) left the state h (0..2^32-1; seed for a fresh input); finish=false returns the state after the whole 4-byte blocks (the last 0..3 bytes ignored), finish=true the hash (0..2^32-1)';

create or replace function ${schema}.murmur3_32(data bytea, seed bigint default 0)
returns bigint
language sql immutable strict parallel safe
return ${schema}.murmur3_32_resume(seed & ${MASK}, 0, data, '', true);
comment on function ${schema}.murmur3_32(bytea, bigint) is 'MurmurHash3 x86 32-bit of the bytes, unsigned (0..2^32-1)';

create or replace function ${schema}.utf8(value text)
returns bytea
language plpgsql immutable strict parallel safe
set search_path = ''
as $fn$
begin
  return convert_to(value, 'UTF8');
end
$fn$;
comment on function ${schema}.utf8(text) is 'The text as UTF-8 bytes (convert_to, which is only STABLE, behind an IMMUTABLE function so that bucket() stays inlinable and folds its feature prefix at plan time)';

create or replace function ${schema}.parse_share(share text)
returns text[]
language plpgsql immutable strict parallel safe
set search_path = ''
as $fn$
declare
  token text;
  pct integer;
  cohorts text[] := '{}';
begin
  if share = '' then
    raise exception using errcode = '22023', message = 'rollout.in_rollout: "" is not a rollout share (empty)',
      hint = 'expected e.g. "0", "10", "100", "beta" or "beta+25"';
  end if;
  foreach token in array string_to_array(share, '+') loop
    if token ~ '^(0|[1-9][0-9]?|100)$' then
      if pct is not null then
        ${shareError("two percents")}
      end if;
      pct := token::integer;
    elsif token ~ '^[a-z][a-z0-9-]*$' then
      cohorts := cohorts || token;
    else
      raise exception using errcode = '22023',
        message = format('rollout.in_rollout: "%s" is not a rollout share ("%s" is neither a percent 0..100 nor a cohort name)', share, token),
        hint = 'expected e.g. "0", "10", "100", "beta" or "beta+25"';
    end if;
  end loop;
  return array[coalesce(pct, 0)::text] || cohorts;
end
$fn$;
comment on function ${schema}.parse_share(text) is 'A share ("10", "beta", "beta+25") as {percent, cohort...}; refuses malformed shares (SQLSTATE 22023) as parseShare() in infra/sdk/bucketing.ts does';

create or replace function ${schema}.${IN_ROLLOUT_BY_BUCKET}(bucket integer, share text, cohorts text[] default '{}')
returns boolean
language sql immutable parallel safe
return case
  when share is null then false
  when (${schema}.parse_share(share))[1]::integer >= 100 then true
  when (${schema}.parse_share(share))[2:] && coalesce(cohorts, '{}') then true
  when (${schema}.parse_share(share))[1]::integer = 0 then false
  else coalesce(bucket <= (${schema}.parse_share(share))[1]::integer, false)
end;
comment on function ${schema}.${IN_ROLLOUT_BY_BUCKET}(integer, text, text[]) is 'The share rule given a user''s bucket (from bucket(feature, id)): in_rollout(f, id, s, c) = ${IN_ROLLOUT_BY_BUCKET}(bucket(f, id), s, c); for queries judging several shares per ID';

create or replace function ${schema}.bucket(feature text, id text)
returns integer
language sql immutable strict parallel safe
return ((${schema}.murmur3_32_resume(
    ${schema}.murmur3_32_resume(0, 0, ${prefix}, '', false),
    ${whole},
    substring(${prefix} from ${whole} + 1),
    id,
    true) % 100) + 1)::integer;
comment on function ${schema}.bucket(text, text) is 'The user''s bucket for a feature, 1..100 (same as bucket() in infra/sdk/bucketing.ts)';

create or replace function ${schema}.in_rollout(feature text, id text, share text, cohorts text[] default '{}')
returns boolean
language sql immutable parallel safe
return ${schema}.${IN_ROLLOUT_BY_BUCKET}(${schema}.bucket(feature, id), share, cohorts);
comment on function ${schema}.in_rollout(text, text, text, text[]) is 'Whether a user gets a feature at a share ("10", "beta", "beta+25"); same as inRollout() in infra/sdk/bucketing.ts';

revoke all on function ${functions} from public;
${grants}
`;
}

/** The default install script (schema `rollout`, granted to `authenticated` and `service_role`). */
export const BUCKETING_SQL = bucketingSql();

/** Options of `exposureCountSql`. */
export interface ExposureCountSqlOptions {
  /** @default "rollout" */
  schema?: string;
}

/**
 * One read-only query counting a phase move's exposure over a population: `population`, `gained`
 * (in after, out before), `lost` (in before, out after) and `after` (in after). Parameters: `$1` the
 * feature, `$2` the share before, `$3` the share after.
 *
 * Each ID is hashed once: the bucket is computed in a subquery kept apart by an offset (without one
 * Postgres pulls the subquery up and evaluates the expression once per reference: five hashes per row
 * for the four counts), then both shares are judged by `in_rollout_by_bucket`, the same rule as
 * `in_rollout`. The offset is written `'0'`, a bigint constant: a plain `0` is an int4 cast to bigint,
 * which the planner takes for a real offset at the point where it decides whether the subquery may run
 * in parallel workers, and then the whole population crosses the Gather instead of two partial counts.
 * @param population SQL returning at least `id text` and `cohorts text[]` (a table name is not enough:
 *   `select id, cohorts from app.users`)
 */
export function exposureCountSql(population: string, options: ExposureCountSqlOptions = {}): string {
  const schema = ident(options.schema ?? "rollout");
  return `select count(*) as population,
       count(*) filter (where b and not a) as gained,
       count(*) filter (where a and not b) as lost,
       count(*) filter (where b) as after
from (select ${schema}.${IN_ROLLOUT_BY_BUCKET}(q.bucket, $2, q.cohorts) as a,
             ${schema}.${IN_ROLLOUT_BY_BUCKET}(q.bucket, $3, q.cohorts) as b
      from (select ${schema}.bucket($1, p.id) as bucket, p.cohorts
            from (${population}) p
            offset '0') q) x`;
}
