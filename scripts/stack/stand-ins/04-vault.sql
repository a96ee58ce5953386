-- Stand-in for Supabase Vault (supabase_vault). Same names and signatures as the platform's:
-- vault.create_secret, vault.update_secret, and the vault.decrypted_secrets view.
create schema if not exists vault;

create table if not exists vault._stand_in_key (
  id boolean primary key default true check (id),
  key text not null
);
insert into vault._stand_in_key (key)
values (encode(extensions.gen_random_bytes(32), 'hex'))
on conflict (id) do nothing;
revoke all on vault._stand_in_key from public;

create table if not exists vault.secrets (
  id uuid primary key default extensions.gen_random_uuid(),
  name text unique,
  description text not null default '',
  secret text not null,
  key_id uuid,
  nonce bytea,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
revoke all on vault.secrets from public;

create or replace function vault.create_secret(
  new_secret text,
  new_name text default null,
  new_description text default '',
  new_key_id uuid default null
) returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_id uuid;
begin
  insert into vault.secrets (name, description, secret, key_id)
  values (
    new_name,
    coalesce(new_description, ''),
    encode(extensions.pgp_sym_encrypt(new_secret, (select key from vault._stand_in_key)), 'base64'),
    new_key_id
  )
  returning id into v_id;
  return v_id;
end
$$;

create or replace function vault.update_secret(
  secret_id uuid,
  new_secret text default null,
  new_name text default null,
  new_description text default null,
  new_key_id uuid default null
) returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  update vault.secrets set
    secret = case when new_secret is null then secret
      else encode(extensions.pgp_sym_encrypt(new_secret, (select key from vault._stand_in_key)), 'base64') end,
    name = coalesce(new_name, name),
    description = coalesce(new_description, description),
    key_id = coalesce(new_key_id, key_id),
    updated_at = now()
  where id = secret_id;
end
$$;

create or replace view vault.decrypted_secrets as
select
  s.id,
  s.name,
  s.description,
  s.secret,
  extensions.pgp_sym_decrypt(decode(s.secret, 'base64'), (select key from vault._stand_in_key)) as decrypted_secret,
  s.key_id,
  s.nonce,
  s.created_at,
  s.updated_at
from vault.secrets s;

revoke all on vault.decrypted_secrets from public;
revoke execute on function vault.create_secret(text, text, text, uuid) from public;
revoke execute on function vault.update_secret(uuid, text, text, text, uuid) from public;
grant usage on schema vault to postgres, service_role;
grant select on vault.decrypted_secrets to postgres, service_role;
-- As on hosted projects, `postgres` manages secrets (the CLI's [db.vault] upsert reads vault.secrets' names).
grant select (id, name, description, created_at, updated_at), delete on vault.secrets to postgres;
grant execute on function vault.create_secret(text, text, text, uuid), vault.update_secret(uuid, text, text, text, uuid) to postgres;
