-- A scheduled refresh wrote its result in three statements: the compare-and-set save, the success audit row
-- (log_token_event) and, for providers whose refresh tokens die when idle, the keep-alive date
-- (schedule_keepalive). Each statement is a round trip and a socket write in the Edge Function, a large share
-- of its CPU per refreshed connection. save_refreshed_tokens now takes the other two as optional trailing
-- arguments and writes them in the same statement, after a successful save only.
--
-- The signature changes, so the old function is dropped rather than overloaded (a call with the eleven
-- arguments of before would otherwise be ambiguous). A call without the new arguments behaves as before.

drop function provider_tokens.save_refreshed_tokens(uuid, uuid, bigint, text, text, text, timestamptz, timestamptz, text[], text, jsonb);

create function provider_tokens.save_refreshed_tokens(
  p_connection_id uuid,
  p_owner uuid,
  p_expected_version bigint,
  p_access_token text,
  p_refresh_token text,
  p_key_id text,
  p_expires_at timestamptz,
  p_refresh_token_expires_at timestamptz default null,
  p_scopes text[] default null,
  p_token_type text default null,
  p_metadata jsonb default null,
  p_log_duration_ms integer default null,
  p_keepalive_at timestamptz default null
)
returns boolean
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_current record;
begin
  if p_access_token is null or p_key_id is null then
    raise exception using errcode = '22023', message = 'p_access_token and p_key_id are required';
  end if;

  select c.lease_owner, c.version, c.encryption_key_id, c.refresh_token is not null as has_refresh_token,
         c.user_id, c.provider
  into v_current
  from public.platform_connections as c
  where c.id = p_connection_id
  for update;

  -- Compare-and-set: only the lease owner, and only if nobody changed the tokens or the status since the
  -- caller read version. Otherwise nothing is written and the caller learns it lost.
  if not found or v_current.lease_owner is distinct from p_owner or v_current.version <> p_expected_version then
    return false;
  end if;

  -- One encryption_key_id describes both ciphertexts: keeping the stored refresh token is only possible
  -- when it was encrypted with the same key. After a key rotation the caller re-encrypts it and passes it.
  if p_refresh_token is null and v_current.has_refresh_token and v_current.encryption_key_id is distinct from p_key_id then
    raise exception using
      errcode = '22023',
      message = 'the stored refresh token is encrypted with another key: pass it re-encrypted with p_key_id';
  end if;

  perform provider_tokens.store_token_set(p_connection_id, p_access_token, p_refresh_token, p_key_id, p_expires_at,
    p_refresh_token_expires_at, p_scopes, p_token_type, p_metadata, now());

  -- The audit row and the keep-alive date must never cost the save: the provider may have rotated the refresh
  -- token, and this write is its one chance to be stored. Each runs in a sub-block of its own, whose handler
  -- rolls back only that block (a savepoint), so an error there leaves the token write in place and the
  -- other one still runs. The error is reported as a warning (SQLSTATE only: no argument is echoed).
  if p_log_duration_ms is not null then
    begin
      perform provider_tokens.log_token_event(p_connection_id, 'refresh', 'success', null, null, p_log_duration_ms,
        v_current.user_id, v_current.provider);
    exception when others then
      raise warning using message = format('save_refreshed_tokens: the audit row was not written (SQLSTATE %s)', sqlstate);
    end;
  end if;

  -- schedule_keepalive's own conditions decide (connected, unleased, not later than a date already set,
  -- before the token's expiry); the row it reads is the one just written.
  if p_keepalive_at is not null then
    begin
      perform provider_tokens.schedule_keepalive(p_connection_id, p_keepalive_at);
    exception when others then
      raise warning using message = format('save_refreshed_tokens: the keep-alive date was not set (SQLSTATE %s)', sqlstate);
    end;
  end if;

  return true;
end
$$;

comment on function provider_tokens.save_refreshed_tokens(uuid, uuid, bigint, text, text, text, timestamptz, timestamptz, text[], text, jsonb, integer, timestamptz) is
  'Writes refreshed ciphertexts if p_owner holds the lease and version = p_expected_version; a null '
  'refresh token (or refresh cap, scopes, token type) keeps the stored one. Sets status connected, resets '
  'failures and next_attempt_at, sets last_refreshed_at, bumps version and releases the lease. After a save, '
  'also appends the refresh''s success audit row when p_log_duration_ms is given, and applies p_keepalive_at '
  'as schedule_keepalive would; neither can make the save fail. Returns false (and changes nothing) otherwise.';
revoke execute on function provider_tokens.save_refreshed_tokens(uuid, uuid, bigint, text, text, text, timestamptz, timestamptz, text[], text, jsonb, integer, timestamptz) from public, anon, authenticated;
grant execute on function provider_tokens.save_refreshed_tokens(uuid, uuid, bigint, text, text, text, timestamptz, timestamptz, text[], text, jsonb, integer, timestamptz) to service_role;
