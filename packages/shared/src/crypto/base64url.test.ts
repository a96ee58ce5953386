import { describe, expect, it } from "vitest";
import { decodeBase64Url, encodeBase64Url } from "./base64url.ts";

describe("base64url", () => {
  it("encodes the RFC 4648 test vectors without padding and with the URL alphabet", () => {
    const enc = (s: string) => encodeBase64Url(new TextEncoder().encode(s));
    expect(enc("")).toBe("");
    expect(enc("f")).toBe("Zg");
    expect(enc("fo")).toBe("Zm8");
    expect(enc("foo")).toBe("Zm9v");
    expect(enc("foob")).toBe("Zm9vYg");
    expect(encodeBase64Url(new Uint8Array([0xfb, 0xff, 0xbf]))).toBe("-_-_");
  });

  it("round-trips every byte value", () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(decodeBase64Url(encodeBase64Url(bytes))).toEqual(bytes);
  });

  it("agrees with the platform's base64 on random lengths and bytes", () => {
    for (let len = 0; len < 70; len++) {
      const bytes = crypto.getRandomValues(new Uint8Array(len));
      const expected = Buffer.from(bytes).toString("base64url");
      expect(encodeBase64Url(bytes)).toBe(expected);
      expect(decodeBase64Url(expected)).toEqual(bytes);
    }
  });

  it.each([["Zg=="], ["Zm9v+"], ["a"], ["Zh"], ["Zm9v/"], ["Zm8="], ["Zm9"], ["Zm9v é"], ["Zm9\u{1F600}"], ["Zm\u0080v"], ["Zm9v\n"]])("rejects %j", (text) => {
    expect(() => decodeBase64Url(text)).toThrow(TypeError);
  });
});
