/** Declarations several catalog apps share (each Supabase-backed Next.js app has these three). */
import type { EnvVarDecl, PopulationDecl } from "./types";

/**
 * The Supabase client vars of a Next.js app. The URL and anon key are public by design (they ship in
 * the browser bundle; RLS protects the data), so they are settings; the service-role key bypasses RLS
 * and is a secret that never targets `development` nor carries a `NEXT_PUBLIC_` prefix.
 */
export function supabaseClientEnv(seedSteps: string[] = []): EnvVarDecl[] {
  return [
    {
      key: "NEXT_PUBLIC_SUPABASE_URL",
      source: { from: "setting", format: "url" },
      sensitive: false,
      seedSteps,
      description: "Supabase project URL (public; inlined at build time).",
    },
    {
      key: "NEXT_PUBLIC_SUPABASE_ANON_KEY",
      source: { from: "setting" },
      sensitive: false,
      seedSteps,
      description: "Supabase anon key (public by design; RLS guards the data).",
    },
    {
      key: "SUPABASE_SERVICE_ROLE_KEY",
      source: { from: "secret" },
      sensitive: true,
      seedSteps,
      description: "Supabase service-role key (bypasses RLS): a stack secret, server-side only.",
    },
  ];
}

const HOUR = 1;
export const DAY = 24 * HOUR;
export const WEEK = 7 * DAY;

/**
 * A population (exposure counts) of the distinct users in `activeUsers` (a query returning `user_id`),
 * with their cohorts from Supabase Auth's app metadata (`raw_app_meta_data.cohorts`, a JSON array of
 * names; server-writable only, and in the user's JWT as `app_metadata.cohorts`, where the app reads it).
 */
export function authUsersPopulation(activeUsers: string, description: string): PopulationDecl {
  return {
    description,
    query: `select a.user_id::text as id,
  case when jsonb_typeof(u.raw_app_meta_data -> 'cohorts') = 'array'
    then array(select jsonb_array_elements_text(u.raw_app_meta_data -> 'cohorts')) else '{}'::text[] end as cohorts
from (select distinct user_id from (${activeUsers}) active where user_id is not null) a
left join auth.users u on u.id = a.user_id`,
  };
}
