-- Baseline: the users table that seed 001's session tables reference (user_id REFERENCES users(id)).
create table public.users (
  id uuid primary key default gen_random_uuid(),
  email text unique,
  created_at timestamptz not null default now()
);

alter table public.users enable row level security;

grant select, insert, update, delete on table public.users to service_role;
