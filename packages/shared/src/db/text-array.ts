import type { Sql } from "./create-sql.ts";

/**
 * A `text[]` parameter that survives every connection: the array travels as JSON text and is unpacked in SQL.
 * A connection that has not fetched its array types yet (a fresh one, or any behind a transaction pooler,
 * where type fetching is off) would otherwise send a plain array as one text value.
 */
export const textArray = (sql: Sql, values: readonly string[]) =>
  sql`array(select jsonb_array_elements_text(${JSON.stringify(values)}::text::jsonb))`;
