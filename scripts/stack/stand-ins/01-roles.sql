-- Stand-in for the roles every Supabase project has. On hosted Supabase they exist before any migration.
-- Applied by the local stack as its superuser `postgres`, or, for a database laid out as a hosted project
-- (scripts/stack/postgres.ts createSupabaseLayoutCluster), as `supabase_admin`, the bootstrap superuser: then
-- `postgres` is created here as the platform has it, without superuser.
do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'postgres') then
    create role postgres login createdb createrole replication bypassrls password 'postgres';
  end if;
  if not exists (select 1 from pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticator') then
    create role authenticator login noinherit password 'postgres';
  end if;
end
$$;

grant anon, authenticated, service_role to authenticator;
grant anon, authenticated, service_role to postgres;

-- The platform's defaults: the API roles may use public, and what postgres creates there is granted to
-- them. Row level security is what protects rows; migrations revoke what must never be reachable.
grant usage on schema public to anon, authenticated, service_role;
grant all on schema public to postgres;
do $$
begin
  execute format('grant all on database %I to postgres', current_database());
end
$$;
alter default privileges for role postgres in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges for role postgres in schema public grant all on functions to anon, authenticated, service_role;
alter default privileges for role postgres in schema public grant all on sequences to anon, authenticated, service_role;
