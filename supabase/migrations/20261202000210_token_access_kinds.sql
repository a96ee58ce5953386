-- What the audit trail promised and did not keep: reads of a user's token by a server (the service role
-- naming the user) and refused reads (get-token found the connection and handed out no token: the user must
-- reconnect, the provider is unavailable, the connection was disconnected) are counted per connection per
-- hour beside the successful reads, in the same row and the same upsert: no row per read.

alter table public.token_access_counters
  add column service_reads bigint not null default 0,
  add column refused_reads bigint not null default 0,
  add constraint token_access_counters_service_reads_check check (service_reads >= 0 and service_reads <= reads),
  add constraint token_access_counters_refused_reads_check check (refused_reads >= 0);

comment on column public.token_access_counters.reads is 'Successful get-token reads (by the user or by a server).';
comment on column public.token_access_counters.service_reads is
  'Of reads, those made with the service role key on the user''s behalf (a server reading a user''s token).';
comment on column public.token_access_counters.refused_reads is
  'get-token calls that found this connection and handed out no token (needs_reauth, provider_unavailable, not_connected).';

comment on table public.token_audit_log is
  'Audit trail of token operations (no token, no free-text message: codes only). Kept 30 days by the '
  'pg_cron job purge-token-audit-log. get-token reads are not logged one row each: successful reads, the '
  'service role''s reads of a user''s token among them, and refused reads are counted per connection per hour '
  'in token_access_counters (reads, service_reads, refused_reads).';

create function public.record_token_access(
  p_connection_id uuid,
  p_reads integer,
  p_service_reads integer,
  p_refused_reads integer
)
returns void
language sql
volatile
set search_path = ''
as $$
  insert into public.token_access_counters as t (connection_id, bucket_start, reads, service_reads, refused_reads, last_read_at)
  values (
    p_connection_id, date_trunc('hour', now(), 'UTC'), greatest(p_reads, 0),
    least(greatest(p_service_reads, 0), greatest(p_reads, 0)), greatest(p_refused_reads, 0), now()
  )
  on conflict (connection_id, bucket_start) do update
  set reads = t.reads + excluded.reads,
      service_reads = t.service_reads + excluded.service_reads,
      refused_reads = t.refused_reads + excluded.refused_reads,
      last_read_at = greatest(t.last_read_at, excluded.last_read_at)
$$;

comment on function public.record_token_access(uuid, integer, integer, integer) is
  'get-token: adds p_reads successful reads (p_service_reads of them by the service role, capped at p_reads) '
  'and p_refused_reads refused reads to the connection''s counter for the current UTC hour.';
revoke execute on function public.record_token_access(uuid, integer, integer, integer) from public, anon, authenticated;
grant execute on function public.record_token_access(uuid, integer, integer, integer) to service_role;
