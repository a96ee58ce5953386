/**
 * Where an encrypted value lives. Bound into the ciphertext as additional authenticated data, so a value
 * copied to another row or column no longer decrypts.
 *
 * `rowId` must be the row's stable text form (for a Postgres `uuid`, the lowercase text Postgres prints),
 * known before the row is written.
 *
 * @see https://nvlpubs.nist.gov/nistpubs/Legacy/SP/nistspecialpublication800-38d.pdf (GCM, section 5.2.1.1 on AAD)
 */
export interface AadContext {
  /** Table name, optionally schema-qualified, e.g. `public.platform_connections`. */
  readonly table: string;
  /** Column name, e.g. `refresh_token`. */
  readonly column: string;
  /** Primary key of the row as text. */
  readonly rowId: string;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?$/;
const AAD_LABEL = "provider-tokens/aad/v1";

/**
 * Builds the stable AAD string for a value: `provider-tokens/aad/v1|<table>|<column>|<rowId>`. Table and column
 * are SQL identifiers (no `|`), and `rowId` comes last, so distinct contexts never produce the same string.
 *
 * @throws TypeError naming the offending field when a part is missing or malformed.
 * @see https://nvlpubs.nist.gov/nistpubs/Legacy/SP/nistspecialpublication800-38d.pdf
 */
export function aadString(context: AadContext): string {
  if (typeof context !== "object" || context === null) throw new TypeError('"aad" must be an object');
  const { table, column, rowId } = context;
  if (typeof table !== "string" || !IDENTIFIER.test(table)) {
    throw new TypeError('"aad.table" must be an SQL identifier such as "public.platform_connections"');
  }
  if (typeof column !== "string" || !IDENTIFIER.test(column) || column.includes(".")) {
    throw new TypeError('"aad.column" must be an SQL column name such as "refresh_token"');
  }
  if (typeof rowId !== "string" || rowId.length === 0 || rowId.length > 256) {
    throw new TypeError('"aad.rowId" must be a non-empty string of at most 256 characters');
  }
  return `${AAD_LABEL}|${table}|${column}|${rowId}`;
}

/**
 * The AAD bytes handed to AES-GCM: UTF-8 of {@link aadString}.
 *
 * @see https://www.w3.org/TR/WebCryptoAPI/#dfn-AesGcmParams
 */
export function aadBytes(context: AadContext): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(aadString(context));
}
