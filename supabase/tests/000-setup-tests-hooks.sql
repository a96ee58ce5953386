-- Runs first (pg_prove takes the files in name order). Installs pgTAP and the `tests` schema of helpers the
-- other files use, and keeps them: this part is committed, not rolled back. It is idempotent.
-- The helpers follow basejump's supabase_test_helpers, written for this project.

create extension if not exists pgtap with schema extensions;

create schema if not exists tests;
grant usage on schema tests to anon, authenticated, service_role;

-- Creates a user in auth.users tagged with a test identifier, and returns its id.
create or replace function tests.create_supabase_user(identifier text, email text default null)
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_id uuid := gen_random_uuid();
begin
  insert into auth.users (id, aud, role, email, raw_user_meta_data, created_at, updated_at)
  values (
    v_id,
    'authenticated',
    'authenticated',
    coalesce(email, identifier || '@tests.invalid'),
    jsonb_build_object('test_identifier', identifier),
    now(),
    now()
  );
  return v_id;
end
$$;

-- The id of the test user created with this identifier (security definer: callable while authenticated).
create or replace function tests.get_supabase_uid(identifier text)
returns uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_id uuid;
begin
  select u.id into v_id
  from auth.users as u
  where u.raw_user_meta_data ->> 'test_identifier' = identifier
  limit 1;
  if v_id is null then
    raise exception 'no test user with identifier %', identifier;
  end if;
  return v_id;
end
$$;

create or replace function tests.get_supabase_user_email(identifier text)
returns text
language sql
stable
security definer
set search_path = ''
as $$
  select u.email::text from auth.users as u where u.id = tests.get_supabase_uid(identifier)
$$;

-- Acts as that user for the rest of the transaction, as PostgREST does: role authenticated and the JWT
-- claims in request.jwt.claims. Not security definer: it changes the role of the caller.
create or replace function tests.authenticate_as(identifier text)
returns void
language plpgsql
set search_path = ''
as $$
declare
  v_id uuid := tests.get_supabase_uid(identifier);
  v_email text := tests.get_supabase_user_email(identifier);
begin
  perform set_config('role', 'authenticated', true);
  perform set_config(
    'request.jwt.claims',
    jsonb_build_object('sub', v_id, 'role', 'authenticated', 'aud', 'authenticated', 'email', v_email)::text,
    true
  );
end
$$;

create or replace function tests.authenticate_as_service_role()
returns void
language plpgsql
set search_path = ''
as $$
begin
  perform set_config('role', 'service_role', true);
  perform set_config('request.jwt.claims', jsonb_build_object('role', 'service_role')::text, true);
end
$$;

-- Back to an anonymous API caller: role anon, no claims. (`reset role` returns to postgres.)
create or replace function tests.clear_authentication()
returns void
language plpgsql
set search_path = ''
as $$
begin
  perform set_config('role', 'anon', true);
  perform set_config('request.jwt.claims', '', true);
end
$$;

-- A well-formed stand-in for a ciphertext envelope (v1.<key id>.<iv>.<ciphertext>, unpadded base64url), distinct
-- per label. Not encrypted: the database only ever sees the shape.
create or replace function tests.envelope(label text, key_id text default 'k1')
returns text
language sql
immutable
set search_path = ''
as $$
  select 'v1.' || key_id || '.AAAAAAAAAAAAAAAA.'
    || rtrim(translate(encode(sha256(convert_to(label, 'UTF8')), 'base64'), '+/', '-_'), '=')
$$;

comment on schema tests is 'pgTAP helpers for supabase/tests (created by 000-setup-tests-hooks.sql).';

grant execute on all functions in schema tests to anon, authenticated, service_role;

begin;
set local search_path = public, extensions, tests;
select plan(1);
select ok(true, 'pgTAP and the tests helpers are installed');
select * from finish();
rollback;
