-- Whether a connection has a parked token set, read with a snapshot of its own: the lease query asks it in the
-- same statement that takes the lease (connection-store.ts, acquireLease), so a refresh calls
-- apply_parked_tokens only when there is something to apply instead of once per refresh (a round trip each,
-- about a tenth of a refresh's CPU). plpgsql, volatile: its query sees what committed before it ran, after
-- acquire_refresh_lease's update of the row waited out any park holding that row.
create function provider_tokens.connection_has_parked(p_connection_id uuid)
returns boolean
language plpgsql
volatile
set search_path = ''
as $$
begin
  return exists (select 1 from public.pending_token_sets as p where p.connection_id = p_connection_id);
end
$$;

comment on function provider_tokens.connection_has_parked(uuid) is
  'Whether pending_token_sets holds a set for the connection (asked with the lease; see apply_parked_tokens).';
revoke execute on function provider_tokens.connection_has_parked(uuid) from public, anon, authenticated;
grant execute on function provider_tokens.connection_has_parked(uuid) to service_role;
