-- Seed 001 "Required Migrations" (001-08): enhanced session tracking, session analytics and the
-- per-user feature flag overrides, with their five indexes, as the guide gives them. Verified by
-- the catalog checks "session-persistence-tables" and "session-persistence-indexes".

-- Enhanced session tracking
create table public.enhanced_user_sessions (
  id uuid primary key default gen_random_uuid(),
  user_id uuid references public.users (id) on delete cascade,
  session_id varchar(255) not null,
  last_activity timestamp with time zone default now(),
  migration_source varchar(50),
  migration_timestamp timestamp with time zone,
  enhanced_features_enabled boolean default true,
  state_version varchar(10) default '2.0',
  created_at timestamp with time zone default now(),
  updated_at timestamp with time zone default now()
);

-- Session analytics
create table public.session_analytics (
  id uuid primary key default gen_random_uuid(),
  user_id uuid references public.users (id) on delete cascade,
  session_id varchar(255),
  event_type varchar(100) not null,
  event_data jsonb,
  timestamp timestamp with time zone default now(),
  user_agent text,
  ip_address inet
);

-- Feature flag overrides (001-11: per-user enable/disable with a reason and an expiry)
create table public.session_feature_flags (
  id uuid primary key default gen_random_uuid(),
  user_id uuid references public.users (id) on delete cascade,
  feature_name varchar(100) not null,
  enabled boolean not null,
  reason text,
  expires_at timestamp with time zone,
  created_at timestamp with time zone default now()
);

-- Indexes for performance
create index idx_enhanced_sessions_user_id on public.enhanced_user_sessions (user_id);
create index idx_enhanced_sessions_session_id on public.enhanced_user_sessions (session_id);
create index idx_session_analytics_user_id on public.session_analytics (user_id);
create index idx_session_analytics_timestamp on public.session_analytics (timestamp);
create index idx_feature_flags_user_feature on public.session_feature_flags (user_id, feature_name);

-- Exposed schema: RLS on every table. The app writes through the service role; a signed-in user
-- may read their own overrides (policy session_feature_flags_owner_read, declared in the catalog).
alter table public.enhanced_user_sessions enable row level security;
alter table public.session_analytics enable row level security;
alter table public.session_feature_flags enable row level security;

grant select, insert, update, delete on table public.enhanced_user_sessions to service_role;
grant select, insert, update, delete on table public.session_analytics to service_role;
grant select, insert, update, delete on table public.session_feature_flags to service_role;
grant select on table public.session_feature_flags to authenticated;
