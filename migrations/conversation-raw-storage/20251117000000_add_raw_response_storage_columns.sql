-- Seed 004 step 2 (004-03): add_raw_response_storage_columns. Every raw model response is stored
-- in the private bucket conversation-files under raw/{user_id}/ before it is parsed; these columns
-- record where, and how parsing went. Additive and backward compatible (004-12: the code can be
-- rolled back alone). Verified by the catalog check "raw-response-columns" (004-04: nine columns).
alter table public.conversations
  add column raw_response_url text,
  add column raw_response_path text,
  add column raw_response_size bigint,
  add column raw_stored_at timestamptz,
  add column parse_attempts integer not null default 0,
  add column last_parse_attempt_at timestamptz,
  add column parse_error_message text,
  add column parse_method_used text,
  add column requires_manual_review boolean not null default false;

comment on column public.conversations.raw_response_path is 'Object name in bucket conversation-files, raw/{user_id}/...';
comment on column public.conversations.parse_method_used is 'direct | jsonrepair | manual';

-- The manual review queue and the retry scan (the two indexes the guide's rollback drops, 004-13).
create index idx_conversations_requires_review on public.conversations (requires_manual_review)
  where requires_manual_review;
create index idx_conversations_parse_attempts on public.conversations (parse_attempts);
