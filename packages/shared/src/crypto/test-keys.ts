/**
 * Deterministic key material for tests only (never used outside `*.test.ts`).
 *
 * @see https://nvlpubs.nist.gov/nistpubs/Legacy/SP/nistspecialpublication800-38d.pdf
 */
export const HEX_K1 = "0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0";
/**
 * Second deterministic test key.
 */
export const HEX_K2 = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";
/**
 * Third deterministic test key.
 */
export const HEX_K3 = "5555555555555555aaaaaaaaaaaaaaaa0123456789abcdef0123456789abcdef";
