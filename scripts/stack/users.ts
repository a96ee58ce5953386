import * as pg from "./postgres.ts";

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}$/;

export interface StackUser {
  id: string;
  email: string;
  /** auth.users.raw_app_meta_data, which GoTrue puts in the access token as `app_metadata`. */
  app_metadata: Record<string, unknown>;
}

/**
 * Creates or finds a user in auth.users, as signing up through GoTrue would. `admin: true` sets
 * `app_metadata.provider_tokens_admin` (what an operator does with `auth.admin.updateUserById` on a hosted
 * project); `admin: false` clears it; undefined leaves it as it is.
 */
export async function ensureUser(email: string, options: { admin?: boolean } = {}): Promise<StackUser> {
  if (!EMAIL.test(email)) throw new Error(`not an email address: ${JSON.stringify(email)}`);
  const sql = pg.connect();
  try {
    const normalised = email.toLowerCase();
    await sql`insert into auth.users (email) values (${normalised}) on conflict (email) do nothing`;
    const [row] = options.admin === undefined
      ? await sql<StackUser[]>`select id, email, coalesce(raw_app_meta_data, '{}') as app_metadata from auth.users where email = ${normalised}`
      : await sql<StackUser[]>`
          update auth.users
          set raw_app_meta_data = coalesce(raw_app_meta_data, '{}') || jsonb_build_object('provider_tokens_admin', ${options.admin}::boolean),
              updated_at = now()
          where email = ${normalised}
          returning id, email, raw_app_meta_data as app_metadata`;
    return row!;
  } finally {
    await sql.end();
  }
}
