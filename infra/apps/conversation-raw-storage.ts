/** Seed 004: raw response storage (conversation generation): nine columns, a private bucket, a health view. */
import { authUsersPopulation, supabaseClientEnv } from "./common";
import type { AppDecl, SqlCheckDecl } from "./types";

const RAW_RESPONSE_COLUMNS = [
  "raw_response_url",
  "raw_response_path",
  "raw_response_size",
  "raw_stored_at",
  "parse_attempts",
  "last_parse_attempt_at",
  "parse_error_message",
  "parse_method_used",
  "requires_manual_review",
] as const;

/** Users upload and read only under `raw/{their uid}/` in `conversation-files` (seed 004-06). */
const OWN_RAW_FOLDER =
  "bucket_id = 'conversation-files' and (storage.foldername(name))[1] = 'raw' and (storage.foldername(name))[2] = (select auth.uid())::text";

/**
 * Seed 004's parse success rate (direct or jsonrepair) over the last hour's conversations stored raw,
 * as a percentage; NULL (no data) below `minSample` conversations.
 */
function parseSuccess1h(minSample: number): string {
  const rate = "round(100.0 * count(*) filter (where parse_method_used in ('direct', 'jsonrepair')) / nullif(count(*), 0), 2)";
  return `select ${minSample > 1 ? `case when count(*) < ${minSample} then null else ${rate} end` : rate}
from public.conversations
where created_at > now() - interval '1 hour' and raw_response_path is not null`;
}

/** Seed 004: parse success under 95% in the last hour rolls raw storage back (20 conversations at least). */
export const RAW_STORAGE_KILL_TRIGGERS: SqlCheckDecl[] = [
  {
    kind: "sql",
    name: "parse-success-1h",
    description: "parse success rate (direct or jsonrepair) over the last hour < 95% (no data under 20 conversations)",
    query: parseSuccess1h(20),
    op: "<",
    threshold: 95,
  },
];

export const conversationRawStorage: AppDecl = {
  name: "conversation-raw-storage",
  seed: "004",
  description: "Conversation generation that stores every raw model response before parsing it.",
  vercel: { framework: "nextjs", gitRepository: { type: "github", repo: "acme/conversation-gen" } },
  env: [...supabaseClientEnv()],
  features: [
    {
      name: "raw-storage",
      description: "Store raw responses in the bucket before parsing (additive; schema is backward compatible).",
      rungs: [
        { name: "off" },
        {
          name: "10",
          // Seed 004 step 6: monitor the first hour.
          soakHours: 1,
          killTriggers: RAW_STORAGE_KILL_TRIGGERS,
          gates: [
            {
              kind: "sql",
              name: "parse-success-1h",
              description: "parse success rate (direct or jsonrepair) ≥ 95% over the last hour",
              query: parseSuccess1h(1),
              op: ">=",
              threshold: 95,
            },
            {
              kind: "sql",
              name: "manual-review-queue",
              description: "manual review queue ≤ 10 (seed 004 alert)",
              // NULL (no data: hold) until a raw response has been stored in the window.
              query: `select case when count(*) filter (where raw_response_path is not null) = 0 then null
  else count(*) filter (where requires_manual_review) end
from public.conversations where created_at > now() - interval '24 hours'`,
              op: "<=",
              threshold: 10,
            },
          ],
        },
        { name: "100", killTriggers: RAW_STORAGE_KILL_TRIGGERS },
      ],
      delivery: [{ kind: "percent", key: "RAW_RESPONSE_STORAGE_PERCENT" }],
      // Server-read (the generation route decides per request): a kill takes seconds.
      live: true,
      seedSteps: ["004-07", "004-09", "004-10"],
    },
  ],
  crons: [],
  population: authUsersPopulation(
    "select user_id from public.conversations where created_at > now() - interval '7 days'",
    "users with a conversation in the last 7 days",
  ),
  database: {
    name: "conversation-raw-storage",
    schemas: [{ name: "public", exposed: true }],
    buckets: [{ id: "conversation-files", public: false }],
    policies: [
      { name: "raw_own_folder_select", on: "storage.objects", command: "select", roles: ["authenticated"], using: OWN_RAW_FOLDER },
      { name: "raw_own_folder_insert", on: "storage.objects", command: "insert", roles: ["authenticated"], withCheck: OWN_RAW_FOLDER },
      { name: "raw_own_folder_update", on: "storage.objects", command: "update", roles: ["authenticated"], using: OWN_RAW_FOLDER, withCheck: OWN_RAW_FOLDER },
      { name: "raw_own_folder_delete", on: "storage.objects", command: "delete", roles: ["authenticated"], using: OWN_RAW_FOLDER },
    ],
    checks: [
      {
        name: "raw-response-columns",
        // Seed 004-04: "Expected: 9 rows".
        sql: `select count(*) = 9 from information_schema.columns where table_schema = 'public' and table_name = 'conversations'
  and column_name in (${RAW_RESPONSE_COLUMNS.map((c) => `'${c}'`).join(", ")})`,
      },
      {
        name: "raw-paths-under-raw",
        // Seed 004-08's smoke test, as an invariant: every stored raw response lives under raw/.
        sql: `select not exists (select 1 from public.conversations where raw_response_path is not null and raw_response_path not like 'raw/%')`,
      },
      {
        name: "conversation-files-private",
        sql: `select exists (select 1 from storage.buckets where id = 'conversation-files' and not public)`,
      },
    ],
  },
};
