-- Baseline: the conversations table seed 002 monitors ("share of conversations with metadata in
-- the last 24 hours", 002-10), with its metadata column. Seed 002 itself changes no schema: its
-- rollout is env vars only. Verified by the catalog check "conversations-metadata-column".
create table public.conversations (
  id uuid primary key default gen_random_uuid(),
  user_id uuid references auth.users (id) on delete cascade,
  title text,
  metadata jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create index conversations_created_at_idx on public.conversations (created_at);

alter table public.conversations enable row level security;

grant select, insert, update, delete on table public.conversations to service_role;
