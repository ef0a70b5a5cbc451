-- Seed 003 step 1 (003-02): schema health_companion and its threads table. The schema is exposed
-- to the Data API (the catalog declares it), so RLS is on; the owner-only policies
-- threads_owner_{select,insert,update,delete} (user_id = auth.uid()) are declared in the catalog
-- and converged with it. Verified by the catalog check "threads-rls-enabled".
create schema if not exists health_companion;

create table health_companion.threads (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  title text not null default 'New conversation',
  archived boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- GET /api/threads lists a user's threads, newest first (seed 003 "Database Performance").
create index threads_user_id_updated_at_idx on health_companion.threads (user_id, updated_at desc);

alter table health_companion.threads enable row level security;

-- Exposing a schema needs USAGE for the API roles (Supabase "Using custom schemas"); anon gets
-- nothing: threads are for signed-in users only.
grant usage on schema health_companion to authenticated, service_role;
grant select, insert, update, delete on table health_companion.threads to authenticated;
grant select, insert, update, delete on table health_companion.threads to service_role;
