-- Connection counters for token-health: how many connections each (provider, status, retrying, key id)
-- has, kept by statement-level triggers in the writing transaction, so the summary reads a few hundred
-- counter rows instead of scanning platform_connections (about 100 ms at 1,000,000 rows).
--
-- Each change adds its delta to the counter row of its slot, pg_backend_pid() % 16: concurrent writers on
-- other backends update other rows, so they rarely wait for each other's commit; the summary sums the
-- slots. A delta commits or rolls back with the change it counts, so the sums are exact at any snapshot.
-- Deltas go in key order (the insert's ORDER BY), so two statements never lock counter rows in opposite
-- orders.
--
-- "expired" depends on the clock, not on a write: it is counted through platform_connections_expiry_idx,
-- a range scan of the rows whose token has lapsed (few when the refresher keeps up).

create table public.connection_counts (
  provider text not null,
  status text not null,
  -- consecutive_failures > 0 and next_attempt_at is not null: backing off after failed refreshes.
  retrying boolean not null,
  -- '' for rows without ciphertext (encryption_key_id null).
  encryption_key_id text not null,
  slot smallint not null,
  n bigint not null,
  primary key (provider, status, retrying, encryption_key_id, slot),
  constraint connection_counts_provider_check check (public.is_provider_id(provider))
);

comment on table public.connection_counts is
  'Connection counts by provider, status, retrying and key id, in slots summed on read; kept by triggers on platform_connections (token-health).';

alter table public.connection_counts enable row level security;
revoke all on table public.connection_counts from public, anon, authenticated;
grant select on table public.connection_counts to service_role;

create function public.platform_connections_count_changes()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    insert into public.connection_counts as c (provider, status, retrying, encryption_key_id, slot, n)
    select d.provider, d.status, d.retrying, d.key_id, (pg_backend_pid() % 16)::smallint, sum(d.n)
    from (
      select provider, status, consecutive_failures > 0 and next_attempt_at is not null as retrying,
             coalesce(encryption_key_id, '') as key_id, 1 as n
      from new_rows
    ) as d
    group by 1, 2, 3, 4
    order by 1, 2, 3, 4
    on conflict (provider, status, retrying, encryption_key_id, slot) do update set n = c.n + excluded.n;
  elsif tg_op = 'DELETE' then
    insert into public.connection_counts as c (provider, status, retrying, encryption_key_id, slot, n)
    select d.provider, d.status, d.retrying, d.key_id, (pg_backend_pid() % 16)::smallint, sum(d.n)
    from (
      select provider, status, consecutive_failures > 0 and next_attempt_at is not null as retrying,
             coalesce(encryption_key_id, '') as key_id, -1 as n
      from old_rows
    ) as d
    group by 1, 2, 3, 4
    order by 1, 2, 3, 4
    on conflict (provider, status, retrying, encryption_key_id, slot) do update set n = c.n + excluded.n;
  else
    -- Most updates (a refresh, a lease) change none of the counted columns: nothing is written for them.
    insert into public.connection_counts as c (provider, status, retrying, encryption_key_id, slot, n)
    select d.provider, d.status, d.retrying, d.key_id, (pg_backend_pid() % 16)::smallint, sum(d.n)
    from (
      select provider, status, consecutive_failures > 0 and next_attempt_at is not null as retrying,
             coalesce(encryption_key_id, '') as key_id, 1 as n
      from new_rows
      union all
      select provider, status, consecutive_failures > 0 and next_attempt_at is not null,
             coalesce(encryption_key_id, ''), -1
      from old_rows
    ) as d
    group by 1, 2, 3, 4
    having sum(d.n) <> 0
    order by 1, 2, 3, 4
    on conflict (provider, status, retrying, encryption_key_id, slot) do update set n = c.n + excluded.n;
  end if;
  return null;
end
$$;

comment on function public.platform_connections_count_changes() is
  'Trigger: adds each statement''s changes to public.connection_counts, in the same transaction.';
revoke execute on function public.platform_connections_count_changes() from public, anon, authenticated;

create function public.platform_connections_count_truncate()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  delete from public.connection_counts;
  return null;
end
$$;

comment on function public.platform_connections_count_truncate() is
  'Trigger: a truncated platform_connections has no connections to count.';
revoke execute on function public.platform_connections_count_truncate() from public, anon, authenticated;

-- The triggers and the rows already there, counted once, in one statement (supabase db push runs a migration's
-- statements outside any transaction block): the lock keeps writes out until the triggers take over, so no
-- row is counted twice or missed.
do $$
begin
  lock table public.platform_connections in share row exclusive mode;

  create trigger platform_connections_count_inserts
    after insert on public.platform_connections
    referencing new table as new_rows
    for each statement execute function public.platform_connections_count_changes();

  create trigger platform_connections_count_updates
    after update on public.platform_connections
    referencing old table as old_rows new table as new_rows
    for each statement execute function public.platform_connections_count_changes();

  create trigger platform_connections_count_deletes
    after delete on public.platform_connections
    referencing old table as old_rows
    for each statement execute function public.platform_connections_count_changes();

  create trigger platform_connections_count_truncate
    after truncate on public.platform_connections
    for each statement execute function public.platform_connections_count_truncate();

  insert into public.connection_counts (provider, status, retrying, encryption_key_id, slot, n)
  select provider, status, consecutive_failures > 0 and next_attempt_at is not null, coalesce(encryption_key_id, ''), 0, count(*)
  from public.platform_connections
  group by 1, 2, 3, 4;
end
$$;

-- Lapsed tokens of live connections, by expiry: token-health's "expired" reads the range below now().
create index platform_connections_expiry_idx
  on public.platform_connections (token_expires_at) include (provider)
  where status <> 'disconnected';

comment on index public.platform_connections_expiry_idx is
  'token-health: live connections by token expiry (the lapsed ones are a range scan).';
