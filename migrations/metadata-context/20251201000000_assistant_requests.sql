-- Seed 002 names its rollback criteria ("> 5% error rate", "> 5 seconds response time") but not where
-- they are measured. The app logs one row per assistant request here (server side, service role), and
-- the kill triggers of metadata-context/enhanced-context read it (`rollout watch`).
create table public.assistant_requests (
  id bigint generated always as identity primary key,
  created_at timestamp with time zone not null default now(),
  -- Whether this request ran with enhanced metadata context (the live share decided it).
  enhanced_context boolean not null,
  ok boolean not null,
  duration_ms integer not null check (duration_ms >= 0)
);

create index idx_assistant_requests_recent on public.assistant_requests (created_at) where enhanced_context;

-- Exposed schema: RLS on, no policy: only the service role (which bypasses RLS) writes and reads.
alter table public.assistant_requests enable row level security;
revoke all on table public.assistant_requests from anon, authenticated;
grant select, insert on table public.assistant_requests to service_role;
