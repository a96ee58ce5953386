/**
 * Text put in place of a secret found inside upstream error text.
 *
 * @see https://cheatsheetseries.owasp.org/cheatsheets/Logging_Cheat_Sheet.html#data-to-exclude
 */
export const REDACTED = "[redacted]";

/**
 * Upstream descriptions longer than this are cut, so a provider echoing a whole request cannot flood logs.
 */
export const MAX_DESCRIPTION_LENGTH = 300;

/**
 * Replaces every occurrence of the given secrets (tokens, client secret) in upstream text, then truncates it.
 * Secrets shorter than 6 characters are ignored (they would redact ordinary words).
 */
export function redactSecrets(text: string, secrets: ReadonlyArray<string | undefined>): string {
  let out = text;
  for (const secret of secrets) {
    if (typeof secret === "string" && secret.length >= 6) out = out.split(secret).join(REDACTED);
  }
  return out.length > MAX_DESCRIPTION_LENGTH ? `${out.slice(0, MAX_DESCRIPTION_LENGTH)}…` : out;
}
