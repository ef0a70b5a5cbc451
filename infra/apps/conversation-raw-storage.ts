/** Seed 004: raw response storage (conversation generation): nine columns, a private bucket, a health view. */
import { supabaseClientEnv } from "./common";
import type { AppDecl } from "./types";

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
          gates: [
            {
              kind: "sql",
              name: "parse-success-1h",
              description: "parse success rate (direct or jsonrepair) ≥ 95% over the last hour",
              query: `select round(100.0 * count(*) filter (where parse_method_used in ('direct', 'jsonrepair')) / nullif(count(*), 0), 2)
from public.conversations
where created_at > now() - interval '1 hour' and raw_response_path is not null`,
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
        { name: "100" },
      ],
      delivery: [{ kind: "percent", key: "RAW_RESPONSE_STORAGE_PERCENT" }],
      seedSteps: ["004-07", "004-09", "004-10"],
    },
  ],
  crons: [],
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
