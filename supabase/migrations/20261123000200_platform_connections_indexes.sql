-- Partial indexes for the two hot queries on platform_connections. Identity lookups (user, provider,
-- account) use the unique constraint's index; the primary key serves the per-connection functions.

-- The scheduler's "due for refresh" query (public.claim_due_connections). A connection is due when it is
-- refreshable (status connected or token_expired, with a refresh token) and
--   * next_attempt_at is set and reached (a retry backoff or a scheduled attempt is honoured), or
--   * next_attempt_at is null and token_expires_at falls within the refresh window.
-- Both cases imply coalesce(next_attempt_at, token_expires_at) <= now() + window, so that expression is the
-- key: the claim query is an ordered range scan of this index (most urgent first) that stops after the
-- batch, the exact conditions and the lease check are filters on the few rows it reads. The predicate
-- matches the claim query's own conditions word for word, so the planner can prove it.
create index platform_connections_due_idx
  on public.platform_connections ((coalesce(next_attempt_at, token_expires_at)))
  where status in ('connected', 'token_expired') and refresh_token is not null;

comment on index public.platform_connections_due_idx is
  'Scheduler: refreshable connections by due time, coalesce(next_attempt_at, token_expires_at). See claim_due_connections.';

-- The planner ignores the statistics of a partial index's expression, so without these it would estimate
-- "due within the window" at a default third of the table. Expression statistics (PostgreSQL 14+) give it
-- the real distribution of due times (used for row estimates; the plan above does not depend on them).
create statistics platform_connections_due_at_stats
  on (coalesce(next_attempt_at, token_expires_at))
  from public.platform_connections;

comment on statistics public.platform_connections_due_at_stats is
  'Distribution of coalesce(next_attempt_at, token_expires_at), for the due query''s row estimates.';

-- The status query: a user's live connections, by provider (the connections function and get-token without
-- an account filter on status <> 'disconnected'). Disconnected rows are history and stay out of it.
create index platform_connections_user_status_idx
  on public.platform_connections (user_id, provider, status)
  where status <> 'disconnected';

comment on index public.platform_connections_user_status_idx is
  'Status query: live (not disconnected) connections of a user, by provider.';
