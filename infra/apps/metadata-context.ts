/** Seed 002: conversation metadata tracking, 10% → 50% → 100% with a 48 h soak, and a kill switch. */
import { authUsersPopulation, DAY, supabaseClientEnv } from "./common";
import type { AppDecl, GateDecl, KillTriggerDecl, PrometheusCheckDecl, SqlCheckDecl } from "./types";

/**
 * Seed 002's day 1–2 watch, from the app's request metrics in Prometheus (a counter
 * `assistant_requests_total{app, enhanced_context, outcome}` and a histogram
 * `assistant_request_duration_seconds`): error rate under 1% and p95 response time under 2 s over the
 * last 15 minutes of enhanced-context requests. A stack without Prometheus acknowledges both by hand.
 */
const health: GateDecl[] = [
  {
    kind: "prometheus",
    name: "error-rate",
    description: "error rate of enhanced-context requests < 1% (seed 002: > 5% is a rollback)",
    query: `sum(rate(assistant_requests_total{app="{{app}}", enhanced_context="true", outcome="error"}[{{window}}]))
  / sum(rate(assistant_requests_total{app="{{app}}", enhanced_context="true"}[{{window}}]))`,
    op: "<",
    threshold: 0.01,
  },
  {
    kind: "prometheus",
    name: "response-time",
    description: "p95 response time of enhanced-context requests < 2 s (seed 002: > 5 s is a rollback)",
    query: `histogram_quantile(0.95, sum by (le) (rate(assistant_request_duration_seconds_bucket{app="{{app}}", enhanced_context="true"}[{{window}}])))`,
    op: "<",
    threshold: 2,
  },
];

function metadataShare(minPercent: number): GateDecl {
  return {
    kind: "sql",
    name: "metadata-share-24h",
    description: `share of last-24h conversations with metadata ≥ ${minPercent}% (seed 002 query)`,
    query: `select round(count(metadata)::numeric / nullif(count(*), 0)::numeric * 100, 2)
from public.conversations where created_at > now() - interval '24 hours'`,
    op: ">=",
    threshold: minPercent,
  };
}

/**
 * Seed 002's rollback criteria ("> 5% error rate", "> 5 seconds"), from the requests the app logs to
 * `public.assistant_requests` (migration 20251201000000): one row per assistant request with whether
 * enhanced context was on, whether it succeeded and how long it took. Judged on the last 15 minutes
 * of enhanced-context requests; fewer than 20 is no data.
 */
const ENHANCED_REQUESTS = `from public.assistant_requests where enhanced_context and created_at > now() - interval '15 minutes'`;
export const ENHANCED_CONTEXT_KILL_TRIGGERS: SqlCheckDecl[] = [
  {
    kind: "sql",
    name: "error-share-15m",
    description: "failed share of enhanced-context requests in the last 15 minutes > 5% (seed 002: critical, roll back)",
    query: `select case when count(*) < 20 then null else round(100.0 * count(*) filter (where not ok) / count(*), 2) end
${ENHANCED_REQUESTS}`,
    op: ">",
    threshold: 5,
  },
  {
    kind: "sql",
    name: "p95-latency-15m",
    description: "p95 response time of enhanced-context requests in the last 15 minutes > 5000 ms (seed 002: critical, roll back)",
    query: `select case when count(*) < 20 then null else percentile_cont(0.95) within group (order by duration_ms) end
${ENHANCED_REQUESTS}`,
    op: ">",
    threshold: 5000,
  },
];

/**
 * The same rollback criteria from Prometheus, for stacks that declare it (the metrics of the gates
 * above): error rate > 5%, p95 > 5 s over 15 minutes. The SQL triggers stay: they need nothing but
 * the app's database, and a stack with Prometheus is watched on both.
 */
export const ENHANCED_CONTEXT_METRIC_TRIGGERS: KillTriggerDecl[] = [
  { ...(health[0] as PrometheusCheckDecl), name: "error-rate-5pct", description: "error rate of enhanced-context requests > 5% (seed 002: critical, roll back)", op: ">", threshold: 0.05 },
  { ...(health[1] as PrometheusCheckDecl), name: "p95-over-5s", description: "p95 response time of enhanced-context requests > 5 s (seed 002: critical, roll back)", op: ">", threshold: 5 },
];

export const metadataContext: AppDecl = {
  name: "metadata-context",
  seed: "002",
  description: "Chat assistant with conversation metadata context (entities, corrections, lists).",
  vercel: { framework: "nextjs", gitRepository: { type: "github", repo: "acme/metadata-context" } },
  env: [
    ...supabaseClientEnv(["002-02"]),
    { key: "OPENAI_API_KEY", source: { from: "secret" }, sensitive: true, seedSteps: ["002-02"], description: "OpenAI API key (existing; kept)." },
    { key: "REDIS_URL", source: { from: "secret" }, sensitive: true, seedSteps: ["002-02"], description: "Redis connection URL (existing; kept)." },
  ],
  features: [
    {
      name: "enhanced-context",
      description: "Inject conversation metadata into the prompt; USE_ENHANCED_METADATA_CONTEXT is the kill switch.",
      rungs: [
        { name: "off" },
        { name: "10", soakHours: 2 * DAY, gates: [...health, metadataShare(5)], killTriggers: [...ENHANCED_CONTEXT_KILL_TRIGGERS, ...ENHANCED_CONTEXT_METRIC_TRIGGERS] },
        { name: "50", soakHours: 2 * DAY, gates: [...health, metadataShare(25)], killTriggers: [...ENHANCED_CONTEXT_KILL_TRIGGERS, ...ENHANCED_CONTEXT_METRIC_TRIGGERS] },
        { name: "100", killTriggers: [...ENHANCED_CONTEXT_KILL_TRIGGERS, ...ENHANCED_CONTEXT_METRIC_TRIGGERS] },
      ],
      // Server-read (USE_ENHANCED_METADATA_CONTEXT is read by the API route): a kill takes seconds.
      live: true,
      delivery: [
        { kind: "enabled", key: "USE_ENHANCED_METADATA_CONTEXT" },
        { kind: "percent", key: "ENABLE_METADATA_ROLLOUT_PERCENTAGE" },
      ],
      seedSteps: ["002-02", "002-05", "002-06", "002-07", "002-08", "002-10"],
    },
    {
      name: "gpt5-mini",
      description: "Use GPT-5 mini for responses.",
      rungs: [{ name: "off" }, { name: "on" }],
      delivery: [{ kind: "enabled", key: "USE_GPT5_MINI" }],
      seedSteps: ["002-02"],
    },
  ],
  crons: [],
  population: authUsersPopulation(
    "select user_id from public.conversations where created_at > now() - interval '7 days'",
    "users with a conversation in the last 7 days",
  ),
  database: {
    name: "metadata-context",
    schemas: [{ name: "public", exposed: true }],
    buckets: [],
    policies: [],
    checks: [
      {
        name: "conversations-metadata-column",
        sql: `select exists (select 1 from information_schema.columns
  where table_schema = 'public' and table_name = 'conversations' and column_name = 'metadata')`,
      },
    ],
  },
};
