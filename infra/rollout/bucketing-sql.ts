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

/** A schema or role name, quoted; an empty name is refused here rather than by Postgres at install time. */
function ident(name: string): string {
  if (name.length === 0) throw new Error(`invalid SQL identifier ${JSON.stringify(name)}`);
  return quoteIdent(name);
}

/**
 * 32-bit multiply modulo 2^32 on bigint without overflow: `a * b` where `a < 2^32` and `b = hi·2^16 + lo`
 * is `a·lo + ((a·hi mod 2^16) << 16)` mod 2^32; each product stays below 2^48.
 */
function mul32(a: string, b: number): string {
  const lo = b & 0xffff;
  const hi = b >>> 16;
  return `(((${a}) * ${lo}) + ((((${a}) * ${hi}) & 65535) << 16)) & 4294967295`;
}

function rotl32(x: string, r: number): string {
  return `((((${x}) << ${r}) | ((${x}) >> ${32 - r})) & 4294967295)`;
}

/** The SQL that installs the bucketing functions. */
export function bucketingSql(options: BucketingSqlOptions = {}): string {
  const schema = ident(options.schema ?? "rollout");
  const roles = (options.grantTo ?? ["authenticated", "service_role"]).map(ident);
  const murmur = `${schema}.murmur3_32(bytea, bigint)`;
  const bucket = `${schema}.bucket(text, text)`;
  const inRollout = `${schema}.in_rollout(text, text, text, text[])`;
  const grants = roles.length
    ? `grant usage on schema ${schema} to ${roles.join(", ")};
grant execute on function ${murmur}, ${bucket}, ${inRollout} to ${roles.join(", ")};`
    : "";
  // Operator precedence in Postgres puts &, |, << and >> at one level, left to right: every
  // sub-expression below is parenthesised.
  return `-- Bucketing spec v1 (infra/sdk/bucketing.ts): bucket = murmur3_x86_32(utf8(feature || ':' || id), 0) % 100 + 1.
create schema if not exists ${schema};
comment on schema ${schema} is 'rollout-stack: bucketing functions; not exposed through the Data API';
revoke all on schema ${schema} from public;

create or replace function ${schema}.murmur3_32(data bytea, seed bigint default 0)
returns bigint
language plpgsql immutable strict parallel safe
set search_path = ''
as $fn$
declare
  h bigint := seed & 4294967295;
  k bigint;
  n integer := length(data);
  blocks integer := n / 4;
  rest integer := n % 4;
begin
  for i in 0 .. blocks - 1 loop
    k := get_byte(data, 4 * i)::bigint
      | (get_byte(data, 4 * i + 1)::bigint << 8)
      | (get_byte(data, 4 * i + 2)::bigint << 16)
      | (get_byte(data, 4 * i + 3)::bigint << 24);
    k := ${mul32("k", 0xcc9e2d51)};
    k := ${rotl32("k", 15)};
    k := ${mul32("k", 0x1b873593)};
    h := h # k;
    h := ${rotl32("h", 13)};
    h := ((h * 5) + 3864292196) & 4294967295;
  end loop;
  if rest > 0 then
    k := 0;
    if rest = 3 then k := k # (get_byte(data, 4 * blocks + 2)::bigint << 16); end if;
    if rest >= 2 then k := k # (get_byte(data, 4 * blocks + 1)::bigint << 8); end if;
    k := k # get_byte(data, 4 * blocks)::bigint;
    k := ${mul32("k", 0xcc9e2d51)};
    k := ${rotl32("k", 15)};
    k := ${mul32("k", 0x1b873593)};
    h := h # k;
  end if;
  h := h # n;
  h := h # (h >> 16);
  h := ${mul32("h", 0x85ebca6b)};
  h := h # (h >> 13);
  h := ${mul32("h", 0xc2b2ae35)};
  h := h # (h >> 16);
  return h;
end
$fn$;
comment on function ${murmur} is 'MurmurHash3 x86 32-bit of the bytes, unsigned (0..2^32-1)';

create or replace function ${schema}.bucket(feature text, id text)
returns integer
language sql immutable strict parallel safe
set search_path = ''
as $fn$
  select (${schema}.murmur3_32(convert_to(feature || ':' || id, 'UTF8'), 0) % 100 + 1)::integer
$fn$;
comment on function ${bucket} is 'The user''s bucket for a feature, 1..100 (same as bucket() in infra/sdk/bucketing.ts)';

create or replace function ${schema}.in_rollout(feature text, id text, share text, cohorts text[] default '{}')
returns boolean
language plpgsql immutable parallel safe
set search_path = ''
as $fn$
declare
  token text;
  pct integer;
  in_cohort boolean := false;
begin
  if share is null then
    return false;
  end if;
  if share = '' then
    raise exception using errcode = '22023', message = 'rollout.in_rollout: "" is not a rollout share (empty)',
      hint = 'expected e.g. "0", "10", "100", "beta" or "beta+25"';
  end if;
  foreach token in array string_to_array(share, '+') loop
    if token ~ '^(0|[1-9][0-9]?|100)$' then
      if pct is not null then
        raise exception using errcode = '22023', message = format('rollout.in_rollout: "%s" is not a rollout share (two percents)', share),
          hint = 'expected e.g. "0", "10", "100", "beta" or "beta+25"';
      end if;
      pct := token::integer;
    elsif token ~ '^[a-z][a-z0-9-]*$' then
      if token = any(coalesce(cohorts, '{}')) then
        in_cohort := true;
      end if;
    else
      raise exception using errcode = '22023',
        message = format('rollout.in_rollout: "%s" is not a rollout share ("%s" is neither a percent 0..100 nor a cohort name)', share, token),
        hint = 'expected e.g. "0", "10", "100", "beta" or "beta+25"';
    end if;
  end loop;
  pct := coalesce(pct, 0);
  if pct >= 100 or in_cohort then
    return true;
  end if;
  if pct = 0 or feature is null or id is null then
    return false;
  end if;
  return ${schema}.bucket(feature, id) <= pct;
end
$fn$;
comment on function ${inRollout} is 'Whether a user gets a feature at a share ("10", "beta", "beta+25"); same as inRollout() in infra/sdk/bucketing.ts';

revoke all on function ${murmur}, ${bucket}, ${inRollout} from public;
${grants}
`;
}

/** The default install script (schema `rollout`, granted to `authenticated` and `service_role`). */
export const BUCKETING_SQL = bucketingSql();
