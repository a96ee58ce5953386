-- Stand-in for pg_net (https://github.com/supabase/pg_net), which Debian does not package.
-- Same schema, names, signatures and behaviour: net.http_post / net.http_get only queue the request (a row of
-- net.http_request_queue) and return its id; after the calling transaction commits, a background worker sends
-- it and writes the answer to net._http_response under that id. A rolled-back transaction sends nothing.
-- pg_net's worker is a Postgres background worker; this one is a small Node loop the local stack's supervisor
-- runs (scripts/stack/pg-net-worker.ts), woken by NOTIFY on commit and polling as a backstop.
create schema if not exists net;
-- An earlier stand-in sent synchronously from PL/Python; a stack created then still has its helpers.
drop function if exists net._stand_in_send(text, text, jsonb, text, integer);
drop function if exists net._stand_in_request(text, text, jsonb, text, integer);

create table if not exists net.http_request_queue (
  id bigserial primary key,
  method text not null,
  url text not null,
  headers jsonb not null,
  body bytea,
  timeout_milliseconds integer not null
);

create unlogged table if not exists net._http_response (
  id bigint,
  status_code integer,
  content_type text,
  headers jsonb,
  content text,
  timed_out boolean,
  error_msg text,
  created timestamptz not null default now()
);
create index if not exists _http_response_created_idx on net._http_response (created);

create or replace function net._stand_in_url(url text, params jsonb) returns text
language sql immutable
set search_path = ''
as $$
  select case when params is null or params = '{}'::jsonb then url
    else url || case when position('?' in url) > 0 then '&' else '?' end || (
      select string_agg(
        replace(replace(replace(key, '%', '%25'), '&', '%26'), '=', '%3D') || '=' ||
        replace(replace(replace(replace(value, '%', '%25'), '&', '%26'), '=', '%3D'), ' ', '%20'), '&')
      from pg_catalog.jsonb_each_text(params))
  end
$$;

create or replace function net._stand_in_enqueue(
  p_method text, p_url text, p_headers jsonb, p_body bytea, p_timeout integer
) returns bigint
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_id bigint;
begin
  insert into net.http_request_queue (method, url, headers, body, timeout_milliseconds)
  values (p_method, p_url, coalesce(p_headers, '{}'::jsonb), p_body, coalesce(p_timeout, 5000))
  returning id into v_id;
  -- Delivered only if the transaction commits: the worker wakes then.
  perform pg_catalog.pg_notify('net_http_request_queue', v_id::text);
  return v_id;
end
$$;

create or replace function net.http_post(
  url text,
  body jsonb default '{}'::jsonb,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{"Content-Type": "application/json"}'::jsonb,
  timeout_milliseconds integer default 5000
) returns bigint
language sql
security definer
set search_path = ''
as $$
  select net._stand_in_enqueue('POST', net._stand_in_url(url, params), headers,
    pg_catalog.convert_to(body::text, 'UTF8'), timeout_milliseconds)
$$;

create or replace function net.http_get(
  url text,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{}'::jsonb,
  timeout_milliseconds integer default 5000
) returns bigint
language sql
security definer
set search_path = ''
as $$
  select net._stand_in_enqueue('GET', net._stand_in_url(url, params), headers, null, timeout_milliseconds)
$$;

revoke all on all tables in schema net from public;
revoke all on all sequences in schema net from public;
revoke execute on all functions in schema net from public;
-- As Supabase grants pg_net (its issue_pg_net_access event trigger): usage on net, execute on the two calls.
grant usage on schema net to postgres, anon, authenticated, service_role;
grant execute on function net.http_post(text, jsonb, jsonb, jsonb, integer), net.http_get(text, jsonb, jsonb, integer)
  to postgres, anon, authenticated, service_role;
grant select on net._http_response to postgres, service_role;
