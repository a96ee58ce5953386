-- oauth_parked_grants: the second phase of the connect flow. oauth-callback exchanges the code and parks the
-- grant here instead of storing a connection; the page at redirect_to then calls oauth-complete with its
-- user's JWT, and only the user who started the flow turns the grant into a connection. The callback runs in
-- whichever browser finishes the provider's consent, which need not be the browser of the user who started
-- (a forwarded authorization URL): the claim with the user's own JWT is what binds the account to the user.
--
-- Only the SHA-256 of the connect id is stored; the tokens are one ciphertext bound to the row (AAD). A grant
-- lives 10 minutes and is claimed at most once: claiming deletes it, whoever claims. Expired grants are
-- revoked at the provider and deleted by oauth-callback's sweep, which the pg_cron job
-- revoke-expired-parked-grants calls every 5 minutes (revoking needs HTTP and the key ring, so it runs in an
-- Edge Function); a grant still here a day after it expired (the sweep could not run) is deleted unrevoked.

create table public.oauth_parked_grants (
  id uuid primary key default gen_random_uuid(),
  -- SHA-256 of the connect id handed to the browser (32 random bytes, base64url).
  connect_hash bytea not null,
  user_id uuid not null references auth.users (id) on delete cascade,
  provider text not null,
  account_id text not null,
  -- Ciphertext envelope of the token response (JSON), bound to this row and column.
  sealed_grant text not null,
  encryption_key_id text not null,
  -- Non-secret facts the connection keeps (Shopify shop, QuickBooks realmId, Lightspeed domain_prefix, ...).
  metadata jsonb not null default '{}',
  expires_at timestamptz not null default (now() + interval '10 minutes'),
  created_at timestamptz not null default now(),

  constraint oauth_parked_grants_connect_hash_key unique (connect_hash),
  constraint oauth_parked_grants_connect_hash_check check (octet_length(connect_hash) = 32),
  constraint oauth_parked_grants_provider_check check (provider ~ '^[a-z][a-z0-9_]{0,31}$'),
  constraint oauth_parked_grants_account_id_check check (char_length(account_id) between 1 and 255),
  constraint oauth_parked_grants_sealed_grant_check check (
    octet_length(sealed_grant) <= 65536
    and sealed_grant ~ '^v1\.[A-Za-z0-9_-]{1,32}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22,}$'
    and split_part(sealed_grant, '.', 2) = encryption_key_id
  ),
  constraint oauth_parked_grants_encryption_key_id_check check (encryption_key_id ~ '^[A-Za-z0-9_-]{1,32}$'),
  constraint oauth_parked_grants_metadata_check check (
    jsonb_typeof(metadata) = 'object' and octet_length(metadata::text) <= 8192
  ),
  constraint oauth_parked_grants_expires_at_check check (
    expires_at > created_at and expires_at <= created_at + interval '1 hour'
  )
);

comment on table public.oauth_parked_grants is
  'Exchanged but unclaimed OAuth grants (oauth-callback parks, oauth-complete claims). Hashed connect id, '
  'tokens encrypted as one ciphertext bound to the row, 10 minutes, single use. Only service_role reaches it.';
comment on column public.oauth_parked_grants.connect_hash is 'SHA-256 (32 bytes) of the connect id.';
comment on column public.oauth_parked_grants.sealed_grant is 'Ciphertext envelope of the token response.';

create index oauth_parked_grants_user_id_idx on public.oauth_parked_grants (user_id);
create index oauth_parked_grants_expires_at_idx on public.oauth_parked_grants (expires_at);

alter table public.oauth_parked_grants enable row level security;
revoke all on table public.oauth_parked_grants from public, anon, authenticated, service_role;
grant select, insert, delete on table public.oauth_parked_grants to service_role;

create function public.claim_parked_grant(
  p_connect_hash bytea
)
returns setof public.oauth_parked_grants
language sql
volatile
set search_path = ''
as $$
  -- Deletes whatever it returns, expired or not, so a grant is claimed at most once: a concurrent second
  -- claimer waits for the row lock and then finds nothing. The caller decides what the claim is worth
  -- (the right user, not expired) and revokes the grant when it is worth nothing.
  delete from public.oauth_parked_grants as g
  where g.connect_hash = p_connect_hash
  returning g.*
$$;

comment on function public.claim_parked_grant(bytea) is
  'oauth-complete: removes the parked grant of a connect id hash and returns it (expired ones too, to be '
  'revoked). At most one caller ever gets the row.';
revoke execute on function public.claim_parked_grant(bytea) from public, anon, authenticated;
grant execute on function public.claim_parked_grant(bytea) to service_role;

create function public.claim_expired_parked_grants(
  p_limit integer default 100
)
returns setof public.oauth_parked_grants
language sql
volatile
set search_path = ''
as $$
  -- Overlapping sweeps, or a claim in flight, never get the same row: a delete that meets a row another
  -- transaction deleted waits for it and then skips the row. (No FOR UPDATE: service_role has no UPDATE here.)
  delete from public.oauth_parked_grants as g
  where g.id in (
    select e.id from public.oauth_parked_grants as e
    where e.expires_at <= now()
    order by e.expires_at
    limit greatest(1, least(coalesce(p_limit, 100), 1000))
  )
  returning g.*
$$;

comment on function public.claim_expired_parked_grants(integer) is
  'The sweep of oauth-callback: removes up to p_limit (1 to 1000) expired parked grants and returns them, '
  'to be revoked at their providers.';
revoke execute on function public.claim_expired_parked_grants(integer) from public, anon, authenticated;
grant execute on function public.claim_expired_parked_grants(integer) to service_role;

create function public.purge_stale_parked_grants()
returns bigint
language sql
volatile
set search_path = ''
as $$
  with purged as (
    delete from public.oauth_parked_grants
    where expires_at < now() - interval '1 day'
    returning 1
  )
  select count(*) from purged
$$;

comment on function public.purge_stale_parked_grants() is
  'Backstop when the revoking sweep cannot run: deletes parked grants that expired more than a day ago '
  '(unrevoked); returns the count.';
revoke execute on function public.purge_stale_parked_grants() from public, anon, authenticated;
grant execute on function public.purge_stale_parked_grants() to service_role;

create extension if not exists pg_cron with schema pg_catalog;

-- Every 5 minutes oauth-callback's sweep revokes and deletes expired grants (POST with the service key, the
-- project URL and key read from Vault as for refresh-expiring-tokens). oauth-callback has verify_jwt = false,
-- so both a legacy service_role JWT and a new sb_secret_ key reach it; the function checks the key itself.
select cron.schedule(
  'revoke-expired-parked-grants',
  '*/5 * * * *',
  $job$
  select net.http_post(
    url := (select decrypted_secret from vault.decrypted_secrets where name = 'project_url')
      || '/functions/v1/oauth-callback',
    headers := jsonb_build_object(
      'Content-Type', 'application/json',
      'Authorization', 'Bearer ' || (select decrypted_secret from vault.decrypted_secrets where name = 'service_role_key')
    ),
    body := '{"sweep":"expired_grants"}'::jsonb,
    timeout_milliseconds := 5000
  ) as request_id;
  $job$
);

select cron.schedule(
  'purge-stale-parked-grants',
  '41 * * * *',
  'select public.purge_stale_parked_grants()'
);
