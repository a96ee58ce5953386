-- One row type for every function that hands out a lease (the two claims and acquire_refresh_lease), instead
-- of the same sixteen columns written into each signature: the view provider_tokens.leased_connections is
-- both the type (`returns setof provider_tokens.leased_connections`) and the projection that fills it. The
-- claims share one inner function; each queue keeps its own static query, so each is still an ordered range
-- scan of its partial index. They are re-created in provider_tokens with connection_partition (the previous
-- migration moved the rest of the engine there). The result columns, their order and the claim order are
-- those of before; the two claim functions now take their optional arguments as defaults, so the former
-- short signatures are the same function.

create view provider_tokens.leased_connections as
select
  c.id, c.user_id, c.provider, c.account_id, c.access_token, c.refresh_token, c.encryption_key_id,
  c.token_type, c.scopes, c.token_expires_at, c.refresh_token_expires_at, c.status,
  c.consecutive_failures, c.version, c.metadata, c.lease_expires_at
from public.platform_connections as c;

comment on view provider_tokens.leased_connections is
  'A connection as the lease functions return it (ciphertext only): their row type.';
revoke all on table provider_tokens.leased_connections from public, anon, authenticated, service_role;
grant select on table provider_tokens.leased_connections to service_role;

alter function public.connection_partition(uuid, integer) set schema provider_tokens;

drop function public.claim_due_connections(integer, integer, uuid, integer);
drop function public.claim_due_connections(integer, integer, uuid, integer, integer, integer);
drop function public.claim_due_validations(integer, integer, uuid);
drop function public.claim_due_validations(integer, integer, uuid, integer, integer);
drop function public.acquire_refresh_lease(uuid, uuid, integer);

-- p_queue refresh: refreshable rows due by coalesce(next_attempt_at, token_expires_at) within p_window_seconds
-- (platform_connections_due_idx); validation: rows without a refresh token due by next_attempt_at
-- (platform_connections_validation_due_idx). Rows locked by a concurrent claimer are skipped, not waited for,
-- and a row whose lease another session took meanwhile fails the re-checked lease condition, so concurrent
-- schedulers never claim the same row. Rows of other partitions are filtered out as the scan reads them.
create function provider_tokens.claim_leases(
  p_queue text,
  p_batch integer,
  p_lease_seconds integer,
  p_owner uuid,
  p_window_seconds integer,
  p_partition integer,
  p_partitions integer
)
returns setof provider_tokens.leased_connections
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_ids uuid[];
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
  if p_queue = 'refresh' and (p_window_seconds is null or p_window_seconds not between 0 and 86400) then
    raise exception using errcode = '22023', message = 'p_window_seconds must be between 0 and 86400';
  end if;
  if p_partitions is null or p_partitions not between 1 and 256 then
    raise exception using errcode = '22023', message = 'p_partitions must be between 1 and 256';
  end if;
  if p_partition is null or p_partition < 0 or p_partition >= p_partitions then
    raise exception using errcode = '22023', message = 'p_partition must be between 0 and p_partitions - 1';
  end if;

  if p_queue = 'refresh' then
    select array_agg(d.id order by d.due, d.id) into v_ids
    from (
      select c.id, coalesce(c.next_attempt_at, c.token_expires_at) as due
      from public.platform_connections as c
      where c.status in ('connected', 'token_expired')
        and c.refresh_token is not null
        and coalesce(c.next_attempt_at, c.token_expires_at) <= now() + make_interval(secs => p_window_seconds)
        and (c.next_attempt_at is null or c.next_attempt_at <= now())
        and (c.lease_expires_at is null or c.lease_expires_at <= now())
        and (p_partitions = 1 or provider_tokens.connection_partition(c.id, p_partitions) = p_partition)
      order by coalesce(c.next_attempt_at, c.token_expires_at)
      limit p_batch
      for update of c skip locked
    ) as d;
  elsif p_queue = 'validation' then
    select array_agg(d.id order by d.due, d.id) into v_ids
    from (
      select c.id, c.next_attempt_at as due
      from public.platform_connections as c
      where c.status in ('connected', 'token_expired')
        and c.refresh_token is null
        and c.access_token is not null
        and c.next_attempt_at is not null
        and c.next_attempt_at <= now()
        and (c.lease_expires_at is null or c.lease_expires_at <= now())
        and (p_partitions = 1 or provider_tokens.connection_partition(c.id, p_partitions) = p_partition)
      order by c.next_attempt_at
      limit p_batch
      for update of c skip locked
    ) as d;
  else
    raise exception using errcode = '22023', message = 'p_queue must be refresh or validation';
  end if;

  update public.platform_connections as c
  set lease_owner = p_owner,
      lease_expires_at = now() + make_interval(secs => p_lease_seconds)
  where c.id = any (v_ids);

  -- Most urgent first, as claimed.
  return query
  select l.*
  from unnest(v_ids) with ordinality as o (id, n)
  join provider_tokens.leased_connections as l on l.id = o.id
  order by o.n;
end
$$;

comment on function provider_tokens.claim_leases(text, integer, integer, uuid, integer, integer, integer) is
  'The claims'' one body: leases up to p_batch due connections of queue p_queue (refresh or validation) in '
  'partition p_partition of p_partitions to p_owner for p_lease_seconds, most urgent first.';
revoke execute on function provider_tokens.claim_leases(text, integer, integer, uuid, integer, integer, integer) from public, anon, authenticated;
grant execute on function provider_tokens.claim_leases(text, integer, integer, uuid, integer, integer, integer) to service_role;

create function provider_tokens.claim_due_connections(
  p_batch integer,
  p_lease_seconds integer,
  p_owner uuid,
  p_window_seconds integer default 300,
  p_partition integer default 0,
  p_partitions integer default 1
)
returns setof provider_tokens.leased_connections
language sql
volatile
set search_path = ''
as $$
  select * from provider_tokens.claim_leases('refresh', p_batch, p_lease_seconds, p_owner, p_window_seconds, p_partition, p_partitions)
$$;

comment on function provider_tokens.claim_due_connections(integer, integer, uuid, integer, integer, integer) is
  'Scheduler: leases up to p_batch due connections of partition p_partition of p_partitions '
  '(provider_tokens.connection_partition(id, p_partitions) = p_partition) to p_owner for p_lease_seconds, most '
  'urgent first, skipping rows locked or leased by others. Due: status connected/token_expired with a refresh '
  'token, and next_attempt_at reached, or (next_attempt_at null and) token_expires_at within p_window_seconds.';
revoke execute on function provider_tokens.claim_due_connections(integer, integer, uuid, integer, integer, integer) from public, anon, authenticated;
grant execute on function provider_tokens.claim_due_connections(integer, integer, uuid, integer, integer, integer) to service_role;

create function provider_tokens.claim_due_validations(
  p_batch integer,
  p_lease_seconds integer,
  p_owner uuid,
  p_partition integer default 0,
  p_partitions integer default 1
)
returns setof provider_tokens.leased_connections
language sql
volatile
set search_path = ''
as $$
  select * from provider_tokens.claim_leases('validation', p_batch, p_lease_seconds, p_owner, null, p_partition, p_partitions)
$$;

comment on function provider_tokens.claim_due_validations(integer, integer, uuid, integer, integer) is
  'Scheduler: leases up to p_batch connections without a refresh token whose validation is due '
  '(next_attempt_at reached) in partition p_partition of p_partitions, skipping rows locked or leased by others.';
revoke execute on function provider_tokens.claim_due_validations(integer, integer, uuid, integer, integer) from public, anon, authenticated;
grant execute on function provider_tokens.claim_due_validations(integer, integer, uuid, integer, integer) to service_role;

create function provider_tokens.acquire_refresh_lease(
  p_connection_id uuid,
  p_owner uuid,
  p_lease_seconds integer
)
returns setof provider_tokens.leased_connections
language plpgsql
volatile
set search_path = ''
as $$
begin
  if p_owner is null then
    raise exception using errcode = '22023', message = 'p_owner is required';
  end if;
  if p_lease_seconds is null or p_lease_seconds not between 1 and 3600 then
    raise exception using errcode = '22023', message = 'p_lease_seconds must be between 1 and 3600';
  end if;

  -- Free, expired, or already ours (then it is extended). A concurrent acquirer waits for the row lock and
  -- re-checks the condition against the winner's lease, so exactly one of them gets a row back.
  update public.platform_connections as c
  set lease_owner = p_owner,
      lease_expires_at = now() + make_interval(secs => p_lease_seconds)
  where c.id = p_connection_id
    and (c.lease_owner is null or c.lease_owner = p_owner or c.lease_expires_at <= now());
  if found then
    return query select l.* from provider_tokens.leased_connections as l where l.id = p_connection_id;
  end if;
end
$$;

comment on function provider_tokens.acquire_refresh_lease(uuid, uuid, integer) is
  'Takes (or extends) the refresh lease of one connection for p_owner and returns the row with its current '
  'version; returns no row while another owner holds an unexpired lease. An expired lease is taken over.';
revoke execute on function provider_tokens.acquire_refresh_lease(uuid, uuid, integer) from public, anon, authenticated;
grant execute on function provider_tokens.acquire_refresh_lease(uuid, uuid, integer) to service_role;
