/** Declarations several catalog apps share (each Supabase-backed Next.js app has these three). */
import type { EnvVarDecl } from "./types";

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
