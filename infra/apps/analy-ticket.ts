/** Seed 001: session persistence (Analy-Ticket), 19 flags in four phases. */
import { DAY, WEEK, supabaseClientEnv } from "./common";
import type { AppDecl, Delivery, FeatureDecl, GateDecl, SqlCheckDecl, RungDecl } from "./types";

/** The guide's initial configuration: flag → phase group. `true` in the guide = the core group at 100. */
export const SESSION_PERSISTENCE_FLAGS = {
  core: [
    "enhancedSessionManager",
    "automaticTokenRefresh",
    "errorRecoveryManager",
    "retryWithBackoff",
    "gracefulDegradation",
    "performanceMonitoring",
    "sessionExpirationWarning",
  ],
  connection: ["connectionMonitoring", "autoReconnection", "connectionStatusIndicator", "offlineIndicators"],
  state: ["formAutoSave", "navigationStatePersistence", "intelligentCaching", "offlineMode"],
  advanced: ["crossTabSynchronization", "backgroundSync", "diagnosticTools", "sessionAnalytics"],
} as const;

/** `enhancedSessionManager` → `NEXT_PUBLIC_SP_ENHANCED_SESSION_MANAGER`. */
export function flagEnvKey(flag: string): string {
  return `NEXT_PUBLIC_SP_${flag.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase()}`;
}

/**
 * Seed 001's automatic rollback triggers (001-15), from the events the app writes to
 * `public.session_analytics`: `session_error` for a failed session operation, `data_loss` for lost
 * user state. Checked by `rollout watch` on every rung above off; each group delivers NEXT_PUBLIC_*
 * flags (build-time), so a trip kills by env: a branch with the kill, live after merge and deploy.
 */
export const SESSION_KILL_TRIGGERS: SqlCheckDecl[] = [
  {
    kind: "sql",
    name: "session-error-rate",
    description: "share of the last hour's sessions with a session_error event > 1% (no data under 50 sessions)",
    query: `select case when count(distinct session_id) < 50 then null
  else round(100.0 * count(distinct session_id) filter (where event_type = 'session_error') / count(distinct session_id), 2) end
from public.session_analytics where timestamp > now() - interval '1 hour'`,
    op: ">",
    threshold: 1,
  },
  {
    kind: "sql",
    name: "data-loss",
    description: "data_loss events in the last 24 hours > 0",
    query: `select count(*) from public.session_analytics where event_type = 'data_loss' and timestamp > now() - interval '24 hours'`,
    op: ">",
    threshold: 0,
  },
];

function group(
  name: string,
  description: string,
  flags: readonly string[],
  declared: RungDecl[],
  seedSteps: string[],
  cohorts?: string[],
): FeatureDecl {
  const rungs = declared.map((r, i) => (i === 0 ? r : { ...r, killTriggers: SESSION_KILL_TRIGGERS }));
  const delivery: Delivery[] = [
    ...flags.map((f): Delivery => ({ kind: "enabled", key: flagEnvKey(f) })),
    { kind: "percent", key: `NEXT_PUBLIC_SP_${name.toUpperCase()}_ROLLOUT` },
  ];
  return { name, description, rungs, delivery, cohorts, seedSteps: ["001-10", "001-11", "001-15", "001-16", ...seedSteps] };
}

// Seed 001's Prometheus alerts as gates (the metrics its alert rules name, per app): a gate passes
// where the alert would stay quiet over the alert's own `for` window.
const recovery: GateDecl = {
  kind: "prometheus",
  name: "recovery",
  description: "connection recovery success > 95% (seed 001 alert ConnectionRecoveryIssues)",
  query: `min(min_over_time(connection_recovery_success_rate{app="{{app}}"}[{{window}}]))`,
  op: ">",
  threshold: 0.95,
  window: "10m",
};
const dataLoss: GateDecl = { kind: "attest", name: "data-loss", description: "data loss incidents = 0, form recovery > 98%" };

const errorRate: GateDecl = {
  kind: "prometheus",
  name: "error-rate",
  description: "session error rate < 1% (seed 001 alert HighSessionErrorRate)",
  query: `max(max_over_time(session_error_rate{app="{{app}}"}[{{window}}]))`,
  op: "<",
  threshold: 0.01,
  window: "5m",
};

/** Phase 1's success criteria before phase 2: error rate < 0.1%, session refresh success > 99%. */
const coreHealth: GateDecl[] = [
  { ...errorRate, name: "core-error-rate", description: "phase 1: session error rate < 0.1%", threshold: 0.001, window: "1h" } as GateDecl,
  {
    kind: "prometheus",
    name: "refresh-success",
    description: "phase 1: session refresh success > 99% (token refresh failures < 1%; seed 001 alert TokenRefreshFailures at 5%)",
    query: `max(max_over_time(token_refresh_failure_rate{app="{{app}}"}[{{window}}]))`,
    op: "<",
    threshold: 0.01,
    window: "1h",
  },
];

export const analyTicket: AppDecl = {
  name: "analy-ticket",
  seed: "001",
  description: "Analy-Ticket session persistence: 19 flags rolled out in four phases.",
  vercel: { framework: "nextjs", gitRepository: { type: "github", repo: "acme/analy-ticket" } },
  env: [...supabaseClientEnv()],
  features: [
    group(
      "core",
      "Phase 1: enhanced session manager, token refresh, error recovery, monitoring (100% at once).",
      SESSION_PERSISTENCE_FLAGS.core,
      [
        {
          name: "off",
          // Gates are checked before leaving a rung: the pre-deployment checklist (001-01) guards phase 1.
          gates: [{ kind: "attest", name: "pre-deployment", description: "migrations applied, flag system working, monitoring and rollback prepared (seed 001 checklist)" }],
        },
        { name: "100" },
      ],
      ["001-01", "001-04"],
    ),
    group(
      "connection",
      "Phase 2: connection monitoring and auto-reconnection, 10% → 50% over a week → 100%.",
      SESSION_PERSISTENCE_FLAGS.connection,
      [
        // Phase 2 starts once phase 1 meets its success criteria.
        { name: "off", gates: coreHealth },
        { name: "10", soakHours: 3 * DAY, gates: [errorRate, recovery] },
        { name: "50", soakHours: WEEK, gates: [errorRate, recovery] },
        { name: "100" },
      ],
      ["001-05"],
    ),
    group(
      "state",
      "Phase 3: form auto-save, navigation state, caching, offline mode: 5% → 20% (3 days) → 50% (1 week) → 100% (2 weeks).",
      SESSION_PERSISTENCE_FLAGS.state,
      [
        { name: "off" },
        { name: "5", soakHours: 3 * DAY, gates: [errorRate, dataLoss] },
        { name: "20", soakHours: WEEK, gates: [errorRate, dataLoss] },
        { name: "50", soakHours: 2 * WEEK, gates: [errorRate, dataLoss] },
        { name: "100" },
      ],
      ["001-06"],
    ),
    group(
      "advanced",
      "Phase 4: cross-tab sync, background sync, diagnostics, analytics: beta only for a week → beta + 25% → 100%.",
      SESSION_PERSISTENCE_FLAGS.advanced,
      [
        { name: "off" },
        { name: "beta", soakHours: WEEK, gates: [errorRate, { kind: "attest", name: "cross-tab-sync", description: "cross-tab sync reliability > 95%" }] },
        { name: "25", soakHours: WEEK, gates: [errorRate] },
        { name: "100" },
      ],
      ["001-07"],
      ["beta"],
    ),
  ],
  crons: [],
  // Seed 001: its own users table; the beta cohort is an enabled, unexpired `beta` row of the per-user
  // flag overrides (001-11).
  population: {
    description: "users with a session active in the last 7 days",
    query: `select u.id::text as id,
  case when exists (select 1 from public.session_feature_flags f where f.user_id = u.id and f.feature_name = 'beta'
    and f.enabled and (f.expires_at is null or f.expires_at > now())) then array['beta'] else '{}'::text[] end as cohorts
from public.users u
where exists (select 1 from public.enhanced_user_sessions s where s.user_id = u.id and s.last_activity > now() - interval '7 days')`,
  },
  database: {
    name: "analy-ticket",
    schemas: [{ name: "public", exposed: true }],
    buckets: [],
    policies: [
      {
        // Per-user overrides: a user may read their own; writes go through the service role.
        name: "session_feature_flags_owner_read",
        on: "public.session_feature_flags",
        command: "select",
        roles: ["authenticated"],
        using: "(select auth.uid()) = user_id",
      },
    ],
    checks: [
      {
        name: "session-persistence-tables",
        sql: `select count(*) = 3 from information_schema.tables where table_schema = 'public'
  and table_name in ('enhanced_user_sessions', 'session_analytics', 'session_feature_flags')`,
      },
      {
        name: "session-persistence-indexes",
        sql: `select count(*) = 5 from pg_indexes where schemaname = 'public' and indexname in
  ('idx_enhanced_sessions_user_id', 'idx_enhanced_sessions_session_id', 'idx_session_analytics_user_id',
   'idx_session_analytics_timestamp', 'idx_feature_flags_user_feature')`,
      },
    ],
  },
};
