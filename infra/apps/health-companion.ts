/** Seed 003: multi-thread chat (health companion): schema `health_companion`, owner-only `threads`. */
import { authUsersPopulation, supabaseClientEnv } from "./common";
import type { AppDecl } from "./types";

const OWNER = "(select auth.uid()) = user_id";

export const healthCompanion: AppDecl = {
  name: "health-companion",
  seed: "003",
  description: "Health companion chat with persistent, per-user threads.",
  vercel: { framework: "nextjs", gitRepository: { type: "github", repo: "acme/health-companion" } },
  env: [
    // Preview deployments run against the staging database (seed 003 step 2): the prod stack gives the
    // staging URL/keys as preview values (`previewSettings`, `<app>.<KEY>.preview` secrets).
    ...supabaseClientEnv(["003-03"]),
  ],
  features: [
    {
      name: "multi-thread-chat",
      description: "The multi-thread sidebar UI (seed 003 rollback option 3: the future feature flag).",
      rungs: [
        {
          name: "off",
          gates: [
            {
              kind: "attest",
              name: "staging-verified",
              description: "migrations and RLS verified on staging, thread flows tested on a preview deployment (seed 003 pre-deployment)",
            },
            {
              kind: "attest",
              name: "thread-api-health",
              description: "API error rate < 5% over 15 min, thread creation failures < 10/h, queries < 1 s, uptime ≥ 99.5%",
            },
          ],
        },
        { name: "on" },
      ],
      delivery: [{ kind: "enabled", key: "NEXT_PUBLIC_MULTI_THREAD_CHAT" }],
      seedSteps: ["003-01", "003-08", "003-10"],
    },
  ],
  crons: [],
  population: authUsersPopulation(
    "select user_id from health_companion.threads where updated_at > now() - interval '7 days'",
    "users with a thread active in the last 7 days",
  ),
  database: {
    name: "health-companion",
    schemas: [
      { name: "public", exposed: true },
      {
        name: "health_companion",
        exposed: true,
        // Threads are for signed-in users only: anon gets neither USAGE nor table privileges.
        usage: ["authenticated", "service_role"],
        grants: {
          threads: {
            authenticated: ["select", "insert", "update", "delete"],
            service_role: ["select", "insert", "update", "delete"],
          },
        },
      },
    ],
    buckets: [],
    policies: (["select", "insert", "update", "delete"] as const).map((command) => ({
      name: `threads_owner_${command}`,
      on: "health_companion.threads",
      command,
      roles: ["authenticated"],
      using: command === "insert" ? undefined : OWNER,
      withCheck: command === "insert" || command === "update" ? OWNER : undefined,
    })),
    checks: [
      {
        name: "threads-rls-enabled",
        sql: `select relrowsecurity from pg_class where oid = 'health_companion.threads'::regclass`,
      },
    ],
  },
};
