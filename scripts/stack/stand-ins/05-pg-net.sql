-- Stand-in for pg_net (https://github.com/supabase/pg_net), which Debian does not package.
-- Same schema, names and signatures: net.http_post / net.http_get return a request id, and the response is
-- a row of net._http_response with that id. Unlike pg_net, the request is made synchronously inside the
-- call (PL/Python, urllib), bounded by timeout_milliseconds; see 00-README.md.
create extension if not exists plpython3u;
create schema if not exists net;

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

create or replace function net._stand_in_request(
  method text, url text, headers jsonb, body text, timeout_milliseconds integer,
  out status_code integer, out content_type text, out response_headers jsonb, out content text,
  out timed_out boolean, out error_msg text
)
language plpython3u
as $py$
import json, socket, urllib.request, urllib.error
req = urllib.request.Request(url, data=None if body is None else body.encode("utf-8"), method=method)
for k, v in (json.loads(headers) if headers else {}).items():
    req.add_header(k, str(v))
timeout = max(timeout_milliseconds or 5000, 1) / 1000.0
try:
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        raw = resp.read()
        return (resp.status, resp.headers.get("Content-Type"), json.dumps(dict(resp.headers.items())),
                raw.decode("utf-8", "replace"), False, None)
except urllib.error.HTTPError as e:
    raw = e.read()
    return (e.code, e.headers.get("Content-Type"), json.dumps(dict(e.headers.items())),
            raw.decode("utf-8", "replace"), False, None)
except (socket.timeout, TimeoutError):
    return (None, None, None, None, True, "Timeout of %d ms reached" % (timeout_milliseconds or 5000))
except urllib.error.URLError as e:
    if isinstance(e.reason, (socket.timeout, TimeoutError)):
        return (None, None, None, None, True, "Timeout of %d ms reached" % (timeout_milliseconds or 5000))
    return (None, None, None, None, False, str(e.reason))
except Exception as e:
    return (None, None, None, None, False, str(e))
$py$;

create or replace function net._stand_in_send(
  p_method text, p_url text, p_headers jsonb, p_body text, p_timeout integer
) returns bigint
language plpgsql
as $$
declare
  v_id bigint;
  r record;
begin
  insert into net.http_request_queue (method, url, headers, body, timeout_milliseconds)
  values (p_method, p_url, p_headers, convert_to(coalesce(p_body, ''), 'utf8'), p_timeout)
  returning id into v_id;
  select * into r from net._stand_in_request(p_method, p_url, p_headers, p_body, p_timeout);
  insert into net._http_response (id, status_code, content_type, headers, content, timed_out, error_msg)
  values (v_id, r.status_code, r.content_type, r.response_headers, r.content, r.timed_out, r.error_msg);
  delete from net.http_request_queue where id = v_id;
  return v_id;
end
$$;

create or replace function net._stand_in_url(url text, params jsonb) returns text
language sql immutable
as $$
  select case when params is null or params = '{}'::jsonb then url
    else url || case when position('?' in url) > 0 then '&' else '?' end || (
      select string_agg(
        replace(replace(replace(key, '%', '%25'), '&', '%26'), '=', '%3D') || '=' ||
        replace(replace(replace(replace(value, '%', '%25'), '&', '%26'), '=', '%3D'), ' ', '%20'), '&')
      from jsonb_each_text(params))
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
as $$
  select net._stand_in_send('POST', net._stand_in_url(url, params), headers, body::text, timeout_milliseconds)
$$;

create or replace function net.http_get(
  url text,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{}'::jsonb,
  timeout_milliseconds integer default 5000
) returns bigint
language sql
as $$
  select net._stand_in_send('GET', net._stand_in_url(url, params), headers, null, timeout_milliseconds)
$$;

revoke all on all tables in schema net from public;
revoke execute on all functions in schema net from public;
grant usage on schema net to postgres, service_role;
grant execute on function net.http_post(text, jsonb, jsonb, jsonb, integer), net.http_get(text, jsonb, jsonb, integer) to postgres, service_role;
grant select on net._http_response to postgres, service_role;
