import { describe, expect, it } from "vitest";
import {
  CUSTOM_INBOX_ID,
  emailDomain,
  HEX_COLOR,
  isValidEmailAddress,
  isValidFqdn,
  normalizeDomain,
  normalizeEmailAddress,
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
    `${"a".repeat(65)}@example.com`,
    `a@${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(63)}.${"e".repeat(63)}.com`,
  ])("rejects %j", (address) => {
    expect(isValidEmailAddress(address)).toBe(false);
  });
});

describe("normalizeEmailAddress / emailDomain", () => {
  it("trims and lowercases", () => {
    expect(normalizeEmailAddress("  Sales@Example.COM ")).toBe("sales@example.com");
  });

  it("returns the normalized domain part", () => {
    expect(emailDomain(" Info@Mail.Example.com")).toBe("mail.example.com");
    expect(emailDomain("no-at-sign")).toBe("");
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
