import * as pg from "./postgres.ts";

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}$/;

/** Creates or finds a user in auth.users, as signing up through GoTrue would. */
export async function ensureUser(email: string): Promise<{ id: string; email: string }> {
  if (!EMAIL.test(email)) throw new Error(`not an email address: ${JSON.stringify(email)}`);
  const sql = pg.connect();
  try {
    const normalised = email.toLowerCase();
    const [row] = await sql<{ id: string; email: string }[]>`
      with inserted as (
        insert into auth.users (email) values (${normalised})
        on conflict (email) do nothing
        returning id, email
      )
      select id, email from inserted
      union all
      select id, email from auth.users where email = ${normalised}
      limit 1`;
    return row!;
  } finally {
    await sql.end();
  }
}
