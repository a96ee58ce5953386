-- Partitioned claims: when one invocation of refresh-expiring cannot drain what is due within the hosted
-- limits (2 s of CPU per request), the schedule starts several runs at once, each claiming only its own
-- share of the connections. A connection belongs to partition
--   public.connection_partition(id, partitions) = hash(id) mod partitions
-- so partitions never overlap, every connection belongs to exactly one, and changing the partition count
-- only moves rows between runs (the lease still keeps two runs off one row).
--
-- The four- and three-argument claim functions keep working: they are the same claims over one partition.

create function public.connection_partition(
  p_connection_id uuid,
  p_partitions integer
)
returns integer
language sql
immutable
strict
parallel safe
set search_path = ''
as $$
  -- hashtextextended spreads any id (random or time-ordered uuids alike) evenly; the mask keeps it positive.
  select ((pg_catalog.hashtextextended(p_connection_id::text, 0) & 9223372036854775807) % p_partitions)::integer
$$;

comment on function public.connection_partition(uuid, integer) is
  'The scheduler partition (0 .. p_partitions - 1) a connection belongs to: a hash of its id modulo p_partitions.';
revoke execute on function public.connection_partition(uuid, integer) from public, anon, authenticated;
grant execute on function public.connection_partition(uuid, integer) to service_role;

create function public.claim_due_connections(
  p_batch integer,
  p_lease_seconds integer,
  p_owner uuid,
  p_window_seconds integer,
  p_partition integer,
  p_partitions integer
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
  if p_window_seconds is null or p_window_seconds not between 0 and 86400 then
    raise exception using errcode = '22023', message = 'p_window_seconds must be between 0 and 86400';
  end if;
  if p_partitions is null or p_partitions not between 1 and 256 then
    raise exception using errcode = '22023', message = 'p_partitions must be between 1 and 256';
  end if;
  if p_partition is null or p_partition < 0 or p_partition >= p_partitions then
    raise exception using errcode = '22023', message = 'p_partition must be between 0 and p_partitions - 1';
  end if;

  -- The same ordered range scan of platform_connections_due_idx as the single-partition claim; rows of
  -- other partitions are filtered out as the scan reads them, so a claim reads about p_partitions times
  -- p_batch index entries to fill its batch.
  return query
  with due as (
    select c.id
    from public.platform_connections as c
    where c.status in ('connected', 'token_expired')
      and c.refresh_token is not null
      and coalesce(c.next_attempt_at, c.token_expires_at) <= now() + make_interval(secs => p_window_seconds)
      and (c.next_attempt_at is null or c.next_attempt_at <= now())
      and (c.lease_expires_at is null or c.lease_expires_at <= now())
      and (p_partitions = 1 or public.connection_partition(c.id, p_partitions) = p_partition)
    order by coalesce(c.next_attempt_at, c.token_expires_at)
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
  order by coalesce(k.next_attempt_at, k.token_expires_at), k.id;
end
$$;

comment on function public.claim_due_connections(integer, integer, uuid, integer, integer, integer) is
  'Scheduler: claim_due_connections restricted to partition p_partition of p_partitions '
  '(public.connection_partition(id, p_partitions) = p_partition).';
revoke execute on function public.claim_due_connections(integer, integer, uuid, integer, integer, integer) from public, anon, authenticated;
grant execute on function public.claim_due_connections(integer, integer, uuid, integer, integer, integer) to service_role;

-- The original signature is now the one-partition case of the same query.
create or replace function public.claim_due_connections(
  p_batch integer,
  p_lease_seconds integer,
  p_owner uuid,
  p_window_seconds integer default 300
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
language sql
volatile
set search_path = ''
as $$
  select * from public.claim_due_connections(p_batch, p_lease_seconds, p_owner, p_window_seconds, 0, 1)
$$;

create function public.claim_due_validations(
  p_batch integer,
  p_lease_seconds integer,
  p_owner uuid,
  p_partition integer,
  p_partitions integer
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
  if p_partitions is null or p_partitions not between 1 and 256 then
    raise exception using errcode = '22023', message = 'p_partitions must be between 1 and 256';
  end if;
  if p_partition is null or p_partition < 0 or p_partition >= p_partitions then
    raise exception using errcode = '22023', message = 'p_partition must be between 0 and p_partitions - 1';
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
      and (p_partitions = 1 or public.connection_partition(c.id, p_partitions) = p_partition)
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

comment on function public.claim_due_validations(integer, integer, uuid, integer, integer) is
  'Scheduler: claim_due_validations restricted to partition p_partition of p_partitions.';
revoke execute on function public.claim_due_validations(integer, integer, uuid, integer, integer) from public, anon, authenticated;
grant execute on function public.claim_due_validations(integer, integer, uuid, integer, integer) to service_role;

create or replace function public.claim_due_validations(
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
language sql
volatile
set search_path = ''
as $$
  select * from public.claim_due_validations(p_batch, p_lease_seconds, p_owner, 0, 1)
$$;
