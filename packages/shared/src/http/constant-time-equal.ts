const encoder = new TextEncoder();

/**
 * Compares two strings without leaking where they differ or how long the secret is: both are MACed with a
 * fresh random key and the fixed-length MACs compared in full.
 */
export async function constantTimeEqual(a: string, b: string): Promise<boolean> {
  const key = await crypto.subtle.importKey(
    "raw", crypto.getRandomValues(new Uint8Array(32)), { name: "HMAC", hash: "SHA-256" }, false, ["sign"],
  );
  const [ma, mb] = await Promise.all([
    crypto.subtle.sign("HMAC", key, encoder.encode(a)),
    crypto.subtle.sign("HMAC", key, encoder.encode(b)),
  ]);
  return equalBytes(new Uint8Array(ma), new Uint8Array(mb));
}

/** Compares two byte arrays in full, whatever the first difference (for MACs of equal length). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
