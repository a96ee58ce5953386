// The benchmark's floor: a bare Deno server doing get-token's single-row SELECT through the same driver,
// with no JWT verification, no decryption and no gateway in front. What get-token adds is measured against it.
import postgres from "postgres";

const sql = postgres(Deno.env.get("SUPABASE_DB_URL")!, { max: 10, prepare: true, onnotice: () => {} });

Deno.serve(async (req) => {
  const { user_id, provider } = await req.json();
  const [row] = await sql`
    select id, access_token, token_expires_at, token_type, scopes, account_id from public.platform_connections
    where user_id = ${user_id} and provider = ${provider} and status <> 'disconnected' limit 2`;
  return Response.json({ access_token: row?.access_token ?? null, expires_at: row?.token_expires_at ?? null });
});
