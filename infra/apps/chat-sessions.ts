/** Seed 000: session lifecycle (chat sessions). */
import { authUsersPopulation, DAY, WEEK, supabaseClientEnv } from "./common";
import type { AppDecl, GateDecl } from "./types";

/** Seed 000's monitoring checklist, checked before leaving the 10% and the 50% rung. */
const EARLY_SESSION_GATES: GateDecl[] = [
  {
    kind: "sql",
    name: "draft-conversion-7d",
    description: "7-day draft→active conversion ≥ 75% (seed 000, monitoring)",
    query: `select round(100.0 * count(*) filter (where first_message_at is not null) / nullif(count(*), 0), 2)
from public.fe_chat_sessions
where created_at > now() - interval '7 days' and status in ('draft', 'active')`,
    op: ">=",
    threshold: 75,
  },
  { kind: "attest", name: "upload-success", description: "file upload success rate > 95% (seed 000)" },
];

export const chatSessions: AppDecl = {
  name: "chat-sessions",
  seed: "000",
  description: "Chat app: draft sessions created before the first message, cleaned up by a daily cron.",
  vercel: { framework: "nextjs", gitRepository: { type: "github", repo: "acme/chat-sessions" } },
  env: [
    {
      key: "CRON_SECRET",
      source: { from: "cronSecret" },
      sensitive: true,
      seedSteps: ["000-03", "000-04", "000-13"],
      description: "Bearer token Vercel Cron sends; generated (RandomPassword), production and preview only.",
    },
    {
      key: "SESSION_CLEANUP_THRESHOLD_HOURS",
      source: { from: "setting", default: "24", format: "integer" },
      sensitive: false,
      seedSteps: ["000-04", "000-15"],
      description: "Drafts older than this many hours without a first message are cleaned up.",
    },
    ...supabaseClientEnv(),
  ],
  features: [
    {
      name: "early-session-creation",
      description: "Create a draft session before the first message so uploads work at once.",
      rungs: [
        { name: "off" },
        {
          name: "10",
          soakHours: WEEK,
          gates: EARLY_SESSION_GATES,
        },
        {
          name: "50",
          soakHours: WEEK,
          gates: EARLY_SESSION_GATES,
        },
        { name: "100" },
      ],
      // "Option A: full rollout" (seed 000 step 6): straight from off to 100 is allowed.
      shortcuts: [["off", "100"]],
      delivery: [
        // Build-time flag: Next.js inlines NEXT_PUBLIC_* at build, so every move ships a new deployment.
        { kind: "enabled", key: "NEXT_PUBLIC_ENABLE_EARLY_SESSION_CREATION" },
        { kind: "percent", key: "NEXT_PUBLIC_EARLY_SESSION_CREATION_PERCENT" },
      ],
      seedSteps: ["000-04", "000-05", "000-11", "000-14", "000-16"],
    },
    {
      name: "cleanup",
      description: "The daily cleanup cron: report what it would delete (dry-run), then delete (live).",
      rungs: [
        {
          name: "dry-run",
          // Seed 000 step 4: watch `wouldDelete` for 3–7 days before going live.
          soakHours: 3 * DAY,
          gates: [
            {
              kind: "sql",
              name: "only-abandoned-drafts",
              description: "dry-run would delete only abandoned drafts: share of candidates that are abandoned drafts = 100%",
              query: `select round(100.0 * count(*) filter (where status = 'draft' and first_message_at is null) / nullif(count(*), 0), 2)
from public.fe_chat_sessions
where created_at < now() - interval '24 hours' and (status = 'draft' or first_message_at is null)`,
              op: ">=",
              threshold: 100,
            },
          ],
        },
        { name: "live" },
      ],
      delivery: [{ kind: "map", key: "SESSION_CLEANUP_DRY_RUN", values: { "dry-run": "true", live: "false" } }],
      seedSteps: ["000-08", "000-10"],
    },
  ],
  crons: [{ path: "/api/admin/cleanup-sessions", schedule: "0 2 * * *" }],
  // Seed 000: who the early-session rollout reaches: users with a chat session in the last 7 days.
  population: authUsersPopulation(
    "select user_id from public.fe_chat_sessions where created_at > now() - interval '7 days'",
    "users with a chat session in the last 7 days",
  ),
  database: {
    name: "chat-sessions",
    schemas: [{ name: "public", exposed: true }],
    buckets: [],
    policies: [],
    checks: [
      {
        name: "session-lifecycle-columns",
        // Seed 000-02's verify query, as a check that must be true.
        sql: `select count(*) = 2 from information_schema.columns
where table_schema = 'public' and table_name = 'fe_chat_sessions'
  and column_name in ('first_message_at', 'status')`,
      },
    ],
  },
};
