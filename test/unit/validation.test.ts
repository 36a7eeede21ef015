import { describe, expect, it } from "vitest";
import {
  CUSTOM_INBOX_ID,
  canonicalDomain,
  canonicalEmailAddress,
  emailDomain,
  HEX_COLOR,
  isValidEmailAddress,
  isValidFqdn,
  normalizeDomain,
  parseDuplicateWindow,
} from "@/shared/validation";

describe("isValidEmailAddress", () => {
  it.each([
    "sales@example.com",
    "Sales@Example.COM",
    "  support@yourcompany.com  ",
    "first.last@sub.example.co.uk",
    "a+tag@example.io",
    "o'brien@example.com",
    "x@xn--bcher-kva.com",
    "x@b\u00fccher.com",
    "sales@example.com.",
    `${"a".repeat(64)}@example.com`,
  ])("accepts %j", (address) => {
    expect(isValidEmailAddress(address)).toBe(true);
  });

  it.each([
    "",
    "   ",
    "plainaddress",
    "@example.com",
    "user@",
    "user@@example.com",
    "a@b@example.com",
    "user@localhost",
    "user@1.2.3.4",
    "user@example",
    "user@example.c",
    "user@-example.com",
    "user@example-.com",
    "user@exa_mple.com",
    ".user@example.com",
    "user.@example.com",
    "us..er@example.com",
    "us er@example.com",
    "user@exam ple.com",
    "user@example..com",
    "user@example.com..",
    "user@example.com\u3002.",
    "user@.",
    "user@exam%2eple.com",
    "user@[127.0.0.1]",
    "user@\uff11\uff12\uff17.0.0.1",
    "user@xn--.com",
    "us\u00e9r@example.com",
    "user\uff20example.com",
    `${"a".repeat(65)}@example.com`,
    `a@${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(63)}.${"e".repeat(63)}.com`,
  ])("rejects %j", (address) => {
    expect(isValidEmailAddress(address)).toBe(false);
  });
});

describe("canonicalEmailAddress / emailDomain", () => {
  it.each([
    ["  Sales@Example.COM ", "sales@example.com"],
    ["sales@example.com.", "sales@example.com"],
    ["SUPPORT@EPILOT.CLOUD.", "support@epilot.cloud"],
    ["a@b\u00fccher.example", "a@xn--bcher-kva.example"],
    ["a@XN--BCHER-KVA.example", "a@xn--bcher-kva.example"],
    // Fullwidth letters and full stops, an ideographic full stop and a soft hyphen map as UTS #46 says.
    ["support@\uff45\uff50\uff49\uff4c\uff4f\uff54\uff0e\uff43\uff4c\uff4f\uff55\uff44", "support@epilot.cloud"],
    ["support@epilot\u3002cloud\uff0e", "support@epilot.cloud"],
    ["support@epi\u00adlot.cloud", "support@epilot.cloud"],
  ])("turns %j into %j", (input, canonical) => {
    expect(canonicalEmailAddress(input)).toBe(canonical);
    expect(canonicalEmailAddress(canonical)).toBe(canonical);
  });

  it("refuses over 254 characters once trimmed (before parsing) and a canonical form over 254", () => {
    expect(canonicalEmailAddress(`a@${"b".repeat(60)}.com${" ".repeat(10_000)}`)).toBe(`a@${"b".repeat(60)}.com`);
    expect(canonicalEmailAddress(`a@${"\u00fc".repeat(300)}.com`)).toBeUndefined();
    // 138 characters as typed; the seven CJK labels become 58-character punycode labels (over 400 in all).
    const cjkLabel = (i: number) =>
      Array.from({ length: 18 }, (_, k) => String.fromCodePoint(0x4e00 + i * 997 + k * 1013)).join("");
    const idn = `a@${Array.from({ length: 7 }, (_, i) => cjkLabel(i)).join(".")}.com`;
    expect(idn.length).toBeLessThanOrEqual(254);
    expect(canonicalEmailAddress(idn)).toBeUndefined();
    expect(canonicalEmailAddress(`a@${cjkLabel(0)}.com`)).toMatch(/^a@xn--[a-z0-9-]{54}\.com$/);
  });

  it("returns the canonical domain part", () => {
    expect(emailDomain(" Info@Mail.Example.com.")).toBe("mail.example.com");
    expect(emailDomain("no-at-sign")).toBe("");
  });
});

describe("canonicalDomain", () => {
  it("drops exactly one trailing dot, after mapping", () => {
    expect(canonicalDomain("Example.COM.")).toBe("example.com");
    expect(canonicalDomain("example.com..")).toBe("example.com.");
    expect(canonicalDomain("example\uff0ecom\uff0e\uff0e")).toBe("example.com.");
  });
});

describe("isValidFqdn", () => {
  it.each([
    "example.com",
    "Example.COM",
    "mail.yourcompany.com",
    "example.com.",
    " example.com ",
    "a-b.example.io",
    "123.example.com",
    "xn--bcher-kva.example",
    "example.xn--p1ai",
    `${"a".repeat(63)}.com`,
  ])("accepts %j", (domain) => {
    expect(isValidFqdn(domain)).toBe(true);
  });

  it.each([
    "",
    ".",
    "localhost",
    "not a domain",
    "1.2.3.4",
    "example",
    "example.c",
    "example.123",
    "-example.com",
    "example-.com",
    "exa_mple.com",
    "example..com",
    ".example.com",
    "example.com..",
    "https://example.com",
    "user@example.com",
    `${"a".repeat(64)}.com`,
    `${"a.".repeat(127)}com`,
  ])("rejects %j", (domain) => {
    expect(isValidFqdn(domain)).toBe(false);
  });
});

describe("normalizeDomain", () => {
  it("trims, lowercases and drops one trailing dot", () => {
    expect(normalizeDomain(" Mail.Example.COM. ")).toBe("mail.example.com");
    expect(normalizeDomain("example.com")).toBe("example.com");
  });
});

describe("parseDuplicateWindow", () => {
  it.each([
    ["10s", 10_000],
    ["5m", 300_000],
    ["1d", 86_400_000],
    ["2h", 7_200_000],
    ["1w", 604_800_000],
    ["250ms", 250],
    ["5M", 300_000],
    ["10MS", 10],
    [" 5 m ", 300_000],
    ["1.5m", 90_000],
    ["60000", 60_000],
    ["0", 0],
    ["0s", 0],
    ["-5m", 300_000],
    ["-60000", 60_000],
    ["-0", 0],
  ] as const)("parses %j as %i ms", (input, expected) => {
    expect(parseDuplicateWindow(input)).toBe(expected);
  });

  it.each([
    [60_000, 60_000],
    [0, 0],
    [-5_000, 5_000],
    [1_500.9, 1_500],
  ])("parses the number %d as %i ms", (input, expected) => {
    expect(parseDuplicateWindow(input)).toBe(expected);
  });

  it.each([
    "",
    "   ",
    "abc",
    "5 minutes",
    "5x",
    "m5",
    "5mm",
    "--5m",
    "+5m",
    "1e5",
    "5m10s",
    "0x10",
    "99999999999999999999",
    "9999999999999999d",
  ])("rejects %j", (input) => {
    expect(parseDuplicateWindow(input)).toBeUndefined();
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e300, -1e300])(
    "rejects the number %d",
    (input) => {
      expect(parseDuplicateWindow(input)).toBeUndefined();
    },
  );
});

describe("HEX_COLOR", () => {
  it.each(["#fff", "#FFF", "#2196F3", "#a1b2c3"])("matches %j", (color) => {
    expect(HEX_COLOR.test(color)).toBe(true);
  });
  it.each(["fff", "#ff", "#ffff", "#fffff", "#1234567", "#ggg", "red", ""])("does not match %j", (color) => {
    expect(HEX_COLOR.test(color)).toBe(false);
  });
});

describe("CUSTOM_INBOX_ID", () => {
  it.each(["a", "support-inbox", "Sales_2", "x".repeat(64)])("matches %j", (id) => {
    expect(CUSTOM_INBOX_ID.test(id)).toBe(true);
  });
  it.each(["", "x".repeat(65), "has space", "a/b", "a.b", "ü"])("does not match %j", (id) => {
    expect(CUSTOM_INBOX_ID.test(id)).toBe(false);
  });
});
