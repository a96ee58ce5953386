import type { AadContext } from "./aad.ts";
import { decryptSecret } from "./decrypt-secret.ts";
import { encryptSecret } from "./encrypt-secret.ts";
import { keyIdOf } from "./envelope.ts";
import type { KeyRing } from "./key-ring.ts";

/**
 * Whether an envelope was encrypted with a key other than the ring's primary key (rotation pending).
 *
 * @throws CryptoError `envelope_malformed`.
 * @see https://csrc.nist.gov/pubs/sp/800/57/pt1/r5/final
 */
export function needsReencryption(ring: KeyRing, envelope: string): boolean {
  return keyIdOf(envelope) !== ring.primaryKeyId;
}

/**
 * Key rotation step: returns the envelope re-encrypted under the primary key (new IV, same AAD).
 *
 * When the envelope already uses the primary key it is still decrypted (so corruption is reported) and then
 * returned unchanged; compare the result with the input, or call {@link needsReencryption} first, to skip
 * the database write.
 *
 * @throws CryptoError as `decryptSecret` does.
 * @see https://csrc.nist.gov/pubs/sp/800/57/pt1/r5/final (key rotation, cryptoperiods)
 */
export async function reencryptSecret(ring: KeyRing, envelope: string, aad: AadContext): Promise<string> {
  const plaintext = await decryptSecret(ring, envelope, aad);
  if (!needsReencryption(ring, envelope)) return envelope;
  return encryptSecret(ring, plaintext, aad);
}
