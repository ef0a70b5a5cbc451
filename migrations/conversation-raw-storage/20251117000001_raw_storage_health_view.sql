-- Seed 004 step 7 (004-10): the raw_storage_health monitoring view, over the last 24 hours.
-- A plain view runs as its owner and bypasses RLS; in an exposed schema it must run as the caller
-- (security_invoker, PostgreSQL 15+). Only the service role (monitoring) may read it.
create view public.raw_storage_health
with (security_invoker = true)
as
select
  count(*) as total_conversations,
  count(case when requires_manual_review then 1 end) as manual_review_count,
  count(case when parse_method_used = 'direct' then 1 end) as direct_parse_count,
  count(case when parse_method_used = 'jsonrepair' then 1 end) as jsonrepair_count,
  sum(raw_response_size) / 1024 / 1024 as raw_storage_mb,
  avg(parse_attempts) as avg_parse_attempts
from public.conversations
where created_at > now() - interval '24 hours'
  and raw_response_path is not null;

-- Projects from before Supabase's 2026 default still grant new objects in public to the API roles.
revoke all on table public.raw_storage_health from anon, authenticated;
grant select on table public.raw_storage_health to service_role;
