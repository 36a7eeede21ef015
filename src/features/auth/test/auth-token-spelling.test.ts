import { decodeBase64urlIgnorePadding } from "@oslojs/encoding";
import { call, expectError, uniqueOrg } from "@test/helpers/api";
import { signSegments, signToken } from "@test/helpers/tokens";
import { describe, expect, it } from "vitest";

/**
 * A bearer token has one spelling and no critical extensions: a token re-spelled with `=` padding or
 * with non-zero unused bits (the same bytes to a lenient decoder), or one whose header has `crit`
 * (RFC 7515 §4.1.11, none of which this API understands), is refused like any invalid token: 401.
 */

const LIST = "/v2/email-settings/email-addresses";
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

const listWith = (token: string, org: string) => call("GET", LIST, { token, org });

/** The segment with the `=` padding standard base64 would add. */
const padded = (segment: string) => segment + "=".repeat((4 - (segment.length % 4)) % 4);
/** The segment with one `=` of its two: a lenient decoder accepts that too. */
const halfPadded = (segment: string) => `${segment}=`;

/** The segment with its last character's unused low bit set: the same bytes to a decoder that ignores them. */
function withTrailingBit(segment: string) {
  const last = ALPHABET.indexOf(segment.slice(-1));
  return segment.slice(0, -1) + ALPHABET[last + 1];
}

/**
 * A valid token for `org` whose header and payload segments both end in a partial group (length % 4 == 2),
 * so each can be padded or given non-zero unused bits; filler fields adjust the lengths.
 */
async function tokenWithPartialGroups(org: string) {
  for (let h = 0; h < 3; h++) {
    for (let p = 0; p < 3; p++) {
      const token = await signToken({ org, header: { f: "x".repeat(h) }, claims: { f: "x".repeat(p) } });
      const [header = "", payload = "", signature = ""] = token.split(".");
      if (header.length % 4 === 2 && payload.length % 4 === 2) return { token, header, payload, signature };
    }
  }
  throw new Error("no filler gives both segments a partial last group");
}

/**
 * Asserts that `variant` is a different spelling of the same bytes to the JWT library's decoder, so only
 * the spelling check can refuse it.
 */
function expectSameBytes(variant: string, canonical: string) {
  expect(variant).not.toBe(canonical);
  expect(decodeBase64urlIgnorePadding(variant)).toEqual(decodeBase64urlIgnorePadding(canonical));
}

describe("bearer token spelling", () => {
  it("accepts the canonical spelling and refuses a padded or non-canonical signature", async () => {
    const org = uniqueOrg();
    const { token, header, payload, signature } = await tokenWithPartialGroups(org);
    expect((await listWith(token, org)).status).toBe(200);
    // An RS256 signature is 256 bytes: 342 characters, a partial last group.
    expect(signature.length % 4).toBe(2);
    for (const variant of [padded(signature), halfPadded(signature)]) {
      expectSameBytes(variant, signature);
      expectError(await listWith(`${header}.${payload}.${variant}`, org), 401, /unpadded base64url/);
    }
    expectError(await listWith(`${header}.${payload}.${withTrailingBit(signature)}`, org), 401, /Malformed/);
  });

  it("refuses a header or payload spelled with padding or non-zero unused bits, even when signed as sent", async () => {
    const org = uniqueOrg();
    const { header, payload } = await tokenWithPartialGroups(org);
    expect((await listWith(await signSegments(header, payload), org)).status).toBe(200);
    for (const spell of [padded, halfPadded]) {
      expectSameBytes(spell(header), header);
      expectSameBytes(spell(payload), payload);
      expectError(await listWith(await signSegments(spell(header), payload), org), 401, /unpadded base64url/);
      expectError(await listWith(await signSegments(header, spell(payload)), org), 401, /unpadded base64url/);
    }
    for (const [h, p] of [
      [withTrailingBit(header), payload],
      [header, withTrailingBit(payload)],
    ] as const) {
      expectError(await listWith(await signSegments(h, p), org), 401, /Malformed/);
    }
  });

  it("refuses characters outside the base64url alphabet, a fourth segment and empty segments", async () => {
    const org = uniqueOrg();
    const [header = "", payload = "", signature = ""] = (await signToken({ org })).split(".");
    for (const token of [
      `${header}.${payload}.${signature.slice(0, -2)}+/`,
      `${header}.${payload}.${signature.slice(0, -1)}!`,
      `${header.slice(0, -1)}=.${payload}.${signature}`,
      `${header}.${payload}.${signature}.`,
    ]) {
      expectError(await listWith(token, org), 401, /Invalid bearer token: Malformed/);
    }
    for (const token of [`${header}.${payload}.`, `${header}..${signature}`, `.${payload}.${signature}`]) {
      expectError(await listWith(token, org), 401, /Invalid bearer token/);
    }
  });
});

describe("bearer token crit header", () => {
  it.each([
    ["a claim", { crit: ["exp"] }, /does not understand/],
    ["a registered header", { crit: ["kid"] }, /malformed crit/],
    ["alg itself", { crit: ["alg"] }, /malformed crit/],
    ["an extension it does not understand", { crit: ["x-unknown"], "x-unknown": true }, /does not understand/],
    ["unencoded payload (RFC 7797)", { crit: ["b64"], b64: true }, /does not understand/],
    ["an empty list", { crit: [] }, /malformed crit/],
    ["a string", { crit: "b64", b64: true }, /malformed crit/],
    ["a list with a non-string", { crit: [1] }, /malformed crit/],
    ["null", { crit: null }, /malformed crit/],
  ])("refuses a signed token whose crit names %s: 401", async (_, header, message) => {
    const org = uniqueOrg();
    expectError(await listWith(await signToken({ org, header }), org), 401, message);
  });

  it("accepts the same token without crit", async () => {
    const org = uniqueOrg();
    expect((await listWith(await signToken({ org, header: { "x-unknown": true } }), org)).status).toBe(200);
  });
});
