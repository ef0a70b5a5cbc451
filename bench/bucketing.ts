/**
 * Bucketing bench: how long Postgres takes to count a phase move's exposure over 100 k and 1 M IDs
 * (population, gained, lost, after), with the PL/pgSQL bucketing as first shipped (`v1Sql` below: its
 * functions verbatim, comments and grants left out; installed in schema `rollout_v1`) and with today's
 * `infra/rollout/bucketing-sql.ts` (schema `rollout`), on the same embedded Postgres in the same run.
 *
 * Three formulations per move, each the median of 3 runs:
 * - v1: the exposure query as first written, `in_rollout(...)` twice per row, on the v1 functions
 *   (Postgres pulls the subquery up, so that is five `in_rollout` calls per row for the four counts);
 * - new, same query: the very same text on the new functions;
 * - new, hash once: `exposureCountSql` (each ID hashed once, both shares judged by
 *   `in_rollout_by_bucket`), the query the exposure feature is meant to run.
 * Moves: `10` → `50`, and `beta` → `beta+25` (about 5% of the IDs are in `beta`).
 *
 * Target: 1 M IDs under 3 s. Correctness, reported as failures (exit 1): all three formulations give
 * identical counts for every move and population.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Client } from "pg";
import { bucketingSql, exposureCountSql } from "../infra/rollout/bucketing-sql";
import { quoteIdent } from "../infra/sql/quote";
import { connect, startLocalPostgres } from "../infra/supabase/local-postgres";
import type { Bench } from "./index";
import { fmt, median, ms } from "./timing";

const RUNS = 3;
const TARGET_MS = 3_000;
const FEATURE = "metadata-context/enhanced-context";
const SIZES = [100_000, 1_000_000] as const;
const MOVES = [
  { from: "10", to: "50" },
  { from: "beta", to: "beta+25" },
] as const;

// ---------------------------------------------------------------------------------------------
// The baseline: the bucketing SQL as first shipped (PL/pgSQL hash, PL/pgSQL share parsing per call),
// kept verbatim so the ratio is measured against it on this machine, in this run.

function v1Mul32(a: string, b: number): string {
  const lo = b & 0xffff;
  const hi = b >>> 16;
  return `(((${a}) * ${lo}) + ((((${a}) * ${hi}) & 65535) << 16)) & 4294967295`;
}

function v1Rotl32(x: string, r: number): string {
  return `((((${x}) << ${r}) | ((${x}) >> ${32 - r})) & 4294967295)`;
}

/** The v1 install script (no grants: the bench runs as the cluster superuser). */
function v1Sql(schemaName: string): string {
  const schema = quoteIdent(schemaName);
  return `create schema if not exists ${schema};
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
    k := ${v1Mul32("k", 0xcc9e2d51)};
    k := ${v1Rotl32("k", 15)};
    k := ${v1Mul32("k", 0x1b873593)};
    h := h # k;
    h := ${v1Rotl32("h", 13)};
    h := ((h * 5) + 3864292196) & 4294967295;
  end loop;
  if rest > 0 then
    k := 0;
    if rest = 3 then k := k # (get_byte(data, 4 * blocks + 2)::bigint << 16); end if;
    if rest >= 2 then k := k # (get_byte(data, 4 * blocks + 1)::bigint << 8); end if;
    k := k # get_byte(data, 4 * blocks)::bigint;
    k := ${v1Mul32("k", 0xcc9e2d51)};
    k := ${v1Rotl32("k", 15)};
    k := ${v1Mul32("k", 0x1b873593)};
    h := h # k;
  end if;
  h := h # n;
  h := h # (h >> 16);
  h := ${v1Mul32("h", 0x85ebca6b)};
  h := h # (h >> 13);
  h := ${v1Mul32("h", 0xc2b2ae35)};
  h := h # (h >> 16);
  return h;
end
$fn$;

create or replace function ${schema}.bucket(feature text, id text)
returns integer
language sql immutable strict parallel safe
set search_path = ''
as $fn$
  select (${schema}.murmur3_32(convert_to(feature || ':' || id, 'UTF8'), 0) % 100 + 1)::integer
$fn$;

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
`;
}

// ---------------------------------------------------------------------------------------------

/** The exposure query as first written: `in_rollout` twice per row (`$1` feature, `$2` before, `$3` after). */
function twiceSql(schemaName: string, population: string): string {
  const schema = quoteIdent(schemaName);
  return `select count(*) as population,
       count(*) filter (where b and not a) as gained,
       count(*) filter (where a and not b) as lost,
       count(*) filter (where b) as after
from (select ${schema}.in_rollout($1, p.id, $2, p.cohorts) as a, ${schema}.in_rollout($1, p.id, $3, p.cohorts) as b
      from (${population}) p) x`;
}

interface Counts {
  population: string;
  gained: string;
  lost: string;
  after: string;
}

interface Variant {
  label: string;
  sql: (population: string) => string;
}

const VARIANTS: Variant[] = [
  { label: "v1 (in_rollout twice)", sql: (p) => twiceSql("rollout_v1", p) },
  { label: "new, same query", sql: (p) => twiceSql("rollout", p) },
  { label: "new, hash once", sql: (p) => exposureCountSql(p) },
];

/** Workers the plan of a query launches (0 for a serial plan), from `explain (analyze off)`. */
async function workersPlanned(client: Client, sql: string, params: string[]): Promise<number> {
  const { rows } = await client.query(`explain (format json) ${sql}`, params);
  const text = JSON.stringify(rows[0]["QUERY PLAN"]);
  return [...text.matchAll(/"Workers Planned":(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
}

export const bucketingBench: Bench = {
  name: "bucketing",
  description: `count a phase move's exposure over ${SIZES.map((n) => n.toLocaleString("en-US")).join(" and ")} IDs in SQL: v1 PL/pgSQL vs today's bucketing SQL (target: 1 M under ${TARGET_MS / 1000} s)`,
  async run(out) {
    const failures: string[] = [];
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), "rollout-bench-"));
    fs.chmodSync(parent, 0o777);
    const server = await startLocalPostgres({ dir: path.join(parent, "cluster"), persistent: false, password: "bench" });
    try {
      const client = await connect(server.adminUrl());
      try {
        const settings = await client.query<{ v: string; workers: string; jit: string }>(
          "select current_setting('server_version') as v, current_setting('max_parallel_workers_per_gather') as workers, current_setting('jit') as jit",
        );
        const { v, workers, jit } = settings.rows[0];
        await client.query(v1Sql("rollout_v1"));
        await client.query(bucketingSql({ schema: "rollout", grantTo: [] }));
        for (const n of SIZES) {
          // UUID-like text IDs; every 20th in the beta cohort.
          await client.query(`create table ${quoteIdent(`population_${n}`)} as
            select (md5('bench-' || i)::uuid)::text as id,
                   case when i % 20 = 0 then array['beta'] else '{}'::text[] end as cohorts
            from generate_series(1, ${n}) as i`);
          await client.query(`vacuum analyze ${quoteIdent(`population_${n}`)}`);
        }
        out(`PostgreSQL ${v} (embedded), ${os.cpus().length} CPUs, max_parallel_workers_per_gather=${workers}, jit=${jit}; feature "${FEATURE}"; median of ${RUNS} runs`);

        // Warm-up (catalog caches, PL/pgSQL compilation), not measured.
        for (const variant of VARIANTS) {
          await client.query(variant.sql(`select id, cohorts from population_${SIZES[0]} limit 1000`), [FEATURE, "10", "50"]);
        }

        const row = (cells: string[]) => out(`  ${cells[0].padEnd(26)}${cells[1].padEnd(24)}${cells.slice(2).map((c) => c.padStart(12)).join("")}`);
        row(["IDs, move", "query", "time", "IDs/s", "vs v1", "workers"]);
        for (const n of SIZES) {
          const population = `select id, cohorts from ${quoteIdent(`population_${n}`)}`;
          for (const move of MOVES) {
            const params = [FEATURE, move.from, move.to];
            let baseline = 0;
            let expected: Counts | undefined;
            for (const [i, variant] of VARIANTS.entries()) {
              const sql = variant.sql(population);
              const times: number[] = [];
              let counts: Counts | undefined;
              for (let r = 0; r < RUNS; r++) {
                const t = process.hrtime.bigint();
                const result = await client.query<Counts>(sql, params);
                times.push(ms(t));
                counts = result.rows[0];
              }
              const time = median(times);
              if (i === 0) {
                baseline = time;
                expected = counts;
              } else if (JSON.stringify(counts) !== JSON.stringify(expected)) {
                failures.push(`${n} IDs, ${move.from} → ${move.to}: ${variant.label} counted ${JSON.stringify(counts)}, v1 ${JSON.stringify(expected)}`);
              }
              row([
                i === 0 ? `${n.toLocaleString("en-US")}, ${move.from} → ${move.to}` : "",
                variant.label,
                fmt(time),
                Math.round((n / time) * 1000).toLocaleString("en-US"),
                i === 0 ? "1.00×" : `${(time / baseline).toFixed(2)}×`,
                String(await workersPlanned(client, sql, params)),
              ]);
              if (n === 1_000_000 && i > 0) {
                out(`  ${"".padEnd(26)}${"".padEnd(24)}1 M ${time < TARGET_MS ? "under" : "NOT under"} ${TARGET_MS / 1000} s`);
              }
            }
            const c = expected!;
            out(`  ${"".padEnd(26)}counts (all agree unless listed below): population ${c.population}, gained ${c.gained}, lost ${c.lost}, after ${c.after}`);
          }
        }
      } finally {
        await client.end();
      }
    } finally {
      await server.stop();
      fs.rmSync(parent, { recursive: true, force: true });
    }
    return { failures };
  },
};
