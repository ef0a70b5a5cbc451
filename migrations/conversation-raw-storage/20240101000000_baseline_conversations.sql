-- Baseline: the conversations table of the conversation generator that seed 004 extends (its smoke
-- test reads conversation_id, processing_status and created_at).
create table public.conversations (
  id uuid primary key default gen_random_uuid(),
  conversation_id text not null unique,
  user_id uuid references auth.users (id) on delete set null,
  persona_id text,
  emotional_arc_id text,
  training_topic_id text,
  tier text,
  processing_status text not null default 'pending',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create index conversations_created_at_idx on public.conversations (created_at);

alter table public.conversations enable row level security;

grant select, insert, update, delete on table public.conversations to service_role;
