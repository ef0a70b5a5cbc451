-- Seed 000 step 1 (000-01): session lifecycle. A session starts as a draft, becomes active on its
-- first message, and drafts older than SESSION_CLEANUP_THRESHOLD_HOURS are removed by the daily
-- cleanup cron (/api/admin/cleanup-sessions). Verified by the catalog check
-- "session-lifecycle-columns" (000-02).
alter table public.fe_chat_sessions
  add column first_message_at timestamptz,
  add column status text not null default 'active'
    constraint fe_chat_sessions_status_check check (status in ('draft', 'active', 'archived'));

-- Existing rows become 'active' (they predate drafts); first_message_at stays null for them.
comment on column public.fe_chat_sessions.first_message_at is 'When the first message was sent; null while the session is a draft.';
comment on column public.fe_chat_sessions.status is 'draft (created early, no message yet) | active | archived';

-- The cleanup job scans drafts by age; the monitoring queries count drafts per day.
create index fe_chat_sessions_status_created_at_idx on public.fe_chat_sessions (status, created_at);
