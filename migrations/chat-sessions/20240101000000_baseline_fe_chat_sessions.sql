-- Baseline: the chat sessions table that seed 000 assumes exists (its lifecycle columns come next).
-- Served by the Data API (public), so RLS is on; with no policy declared, only the service role
-- (BYPASSRLS) reads or writes it, and only it is granted the table.
create table public.fe_chat_sessions (
  id uuid primary key default gen_random_uuid(),
  user_id uuid references auth.users (id) on delete cascade,
  title text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create index fe_chat_sessions_user_id_idx on public.fe_chat_sessions (user_id);

alter table public.fe_chat_sessions enable row level security;

grant select, insert, update, delete on table public.fe_chat_sessions to service_role;
