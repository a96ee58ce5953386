-- The scheduler's other queue: connections whose access token does not expire (Shopify offline tokens,
-- GitHub OAuth apps) have no refresh token, so claim_due_connections never sees them. They are validated
-- with the provider on a slower cadence instead: next_attempt_at says when (set at connect and after each
-- validation), and this index keeps that query a range scan like the refresh queue's.

create index platform_connections_validation_due_idx
  on public.platform_connections (next_attempt_at)
  where status in ('connected', 'token_expired') and refresh_token is null and access_token is not null
    and next_attempt_at is not null;

comment on index public.platform_connections_validation_due_idx is
  'Scheduler: connections without a refresh token that are due for validation, by next_attempt_at. See claim_due_validations.';

create function public.claim_due_validations(
  p_batch integer,
  p_lease_seconds integer,
  p_owner uuid
)
returns table (
  id uuid,
  user_id uuid,
  provider text,
  account_id text,
  access_token text,
  refresh_token text,
  encryption_key_id text,
  token_type text,
  scopes text[],
  token_expires_at timestamptz,
  refresh_token_expires_at timestamptz,
  status text,
  consecutive_failures integer,
  version bigint,
  metadata jsonb,
  lease_expires_at timestamptz
)
language plpgsql
volatile
set search_path = ''
as $$
#variable_conflict use_column
begin
  if p_batch is null or p_batch not between 1 and 1000 then
    raise exception using errcode = '22023', message = 'p_batch must be between 1 and 1000';
  end if;
  if p_lease_seconds is null or p_lease_seconds not between 1 and 3600 then
    raise exception using errcode = '22023', message = 'p_lease_seconds must be between 1 and 3600';
  end if;
  if p_owner is null then
    raise exception using errcode = '22023', message = 'p_owner is required';
  end if;

  return query
  with due as (
    select c.id
    from public.platform_connections as c
    where c.status in ('connected', 'token_expired')
      and c.refresh_token is null
      and c.access_token is not null
      and c.next_attempt_at is not null
      and c.next_attempt_at <= now()
      and (c.lease_expires_at is null or c.lease_expires_at <= now())
    order by c.next_attempt_at
    limit p_batch
    for update of c skip locked
  ),
  claimed as (
    update public.platform_connections as c
    set lease_owner = p_owner,
        lease_expires_at = now() + make_interval(secs => p_lease_seconds)
    from due
    where c.id = due.id
    returning c.*
  )
  select
    k.id, k.user_id, k.provider, k.account_id, k.access_token, k.refresh_token, k.encryption_key_id,
    k.token_type, k.scopes, k.token_expires_at, k.refresh_token_expires_at, k.status,
    k.consecutive_failures, k.version, k.metadata, k.lease_expires_at
  from claimed as k
  order by k.next_attempt_at, k.id;
end
$$;

comment on function public.claim_due_validations(integer, integer, uuid) is
  'Scheduler: leases up to p_batch connections without a refresh token whose validation is due '
  '(next_attempt_at reached), skipping rows locked or leased by others.';
revoke execute on function public.claim_due_validations(integer, integer, uuid) from public, anon, authenticated;
grant execute on function public.claim_due_validations(integer, integer, uuid) to service_role;

-- Handing a claimed row back without counting a failure: the scheduler could not try it (its provider is
-- paused by a 429, its circuit is open, its client credentials are rejected, the run's time is up) and it
-- becomes due again at p_next_attempt_at. Only the lease owner can do this.
create function public.defer_connection(
  p_connection_id uuid,
  p_owner uuid,
  p_next_attempt_at timestamptz
)
returns boolean
language sql
volatile
set search_path = ''
as $$
  update public.platform_connections
  set next_attempt_at = p_next_attempt_at,
      -- The status still tells the truth: a lapsed access token is token_expired whether or not it was tried.
      status = case when status = 'connected' and token_expires_at <= now() then 'token_expired' else status end,
      lease_owner = null,
      lease_expires_at = null
  where id = p_connection_id and lease_owner = p_owner
  returning true;
$$;

comment on function public.defer_connection(uuid, uuid, timestamptz) is
  'Releases the lease of p_owner and makes the connection due again at p_next_attempt_at, without counting a failure.';
revoke execute on function public.defer_connection(uuid, uuid, timestamptz) from public, anon, authenticated;
grant execute on function public.defer_connection(uuid, uuid, timestamptz) to service_role;
