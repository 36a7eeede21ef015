import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { describe, expect, it } from "vitest";
import { isCanonicalBase64url } from "@/clients/identity/jws-compact";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** Forgiving base64 (atob): padding optional, unused trailing bits dropped; undefined when it fails. */
function lenientDecode(segment: string): Uint8Array | undefined {
  try {
    const binary = atob(segment.replaceAll("-", "+").replaceAll("_", "/"));
    return Uint8Array.from(binary, (char) => char.charCodeAt(0));
  } catch {
    return undefined;
  }
}

describe("isCanonicalBase64url", () => {
  it("accepts exactly the spellings that encode(decode(x)) gives back, for every last character", () => {
    for (let length = 1; length <= 6; length++) {
      const encoded = encodeBase64urlNoPadding(crypto.getRandomValues(new Uint8Array(length)));
      expect(isCanonicalBase64url(encoded)).toBe(true);
      for (const last of ALPHABET) {
        const variant = encoded.slice(0, -1) + last;
        const bytes = lenientDecode(variant);
        const canonical = bytes !== undefined && encodeBase64urlNoPadding(bytes) === variant;
        expect(isCanonicalBase64url(variant), variant).toBe(canonical);
      }
    }
  });

  it("refuses padding, the standard alphabet's + and /, other characters and a lone last character", () => {
    expect(isCanonicalBase64url("")).toBe(true);
    for (const segment of ["AQ==", "AQ=", "AAE=", "+/8", "ab c", "ab\n", "ABCDE"]) {
      expect(isCanonicalBase64url(segment), JSON.stringify(segment)).toBe(false);
    }
  });
});
