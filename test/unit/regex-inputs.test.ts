import { describe, expect, it } from "vitest";
import { canonicalName, type DnsResolver, type LookupResult } from "@/clients/dns";
import { checkDomainRecords } from "@/features/domains/check-records";
import { domainConfig } from "@/features/domains/config";
import { expectedRecords } from "@/features/domains/records";
import { SettingSchema } from "@/features/settings/settings.schemas";
import { appConfig } from "@/lib/config";
import { redactQueryParams } from "@/lib/errors";
import { DURATION_MAX_LENGTH, parseDuplicateWindow } from "@/shared/validation";
import { call, expectBody, expectError, uniqueOrg } from "../helpers/api";

/** The domain config for these vars, as the services would hand it over. */
const domainConfigOf = (vars: object) => domainConfig({ config: appConfig(vars) });

/**
 * The functions whose regexes backtracked, fed long adversarial inputs: the attack
 * strings recheck reported. Each must give the right answer; speed is measured in bench/, not here.
 */

describe("parseDuplicateWindow with adversarial input", () => {
  it.each([
    ["spaces then a stray letter (the issue's input)", `1${" ".repeat(32_000)}x`],
    ["tabs between a number and a minus number", `0\t${"\t".repeat(54_773)}-0`],
    ["a valid duration padded past the bound", `${" ".repeat(DURATION_MAX_LENGTH)}5m`],
    ["a million digits", "9".repeat(1_000_000)],
    ["a 1 MiB run of spaces", " ".repeat(1 << 20)],
  ])("refuses %s", (_, input) => {
    expect(parseDuplicateWindow(input)).toBeUndefined();
  });

  it("still reads durations with spaces inside the bound", () => {
    expect(parseDuplicateWindow(" 5 m ")).toBe(300_000);
    expect(parseDuplicateWindow(`${" ".repeat(20)}-1.5h${" ".repeat(20)}`)).toBe(5_400_000);
    expect(parseDuplicateWindow("-9007199254740991ms")).toBe(9_007_199_254_740_991);
  });

  it("the API answers the issue's input with 400 and stores nothing", async () => {
    const org = uniqueOrg();
    const value = `1${" ".repeat(32_000)}x`;
    expectError(
      await call("POST", "/v1/email-settings", { org, body: { type: "restrict_duplicates_within", value } }),
      400,
      /^value: must be a duration/,
    );
    const listed = await call("GET", "/v1/email-settings?type=restrict_duplicates_within", { org });
    expect(expectBody(listed, 200, SettingSchema.array())).toEqual([]);
    const ok = await call("POST", "/v1/email-settings", {
      org,
      body: { type: "restrict_duplicates_within", value: " -5M " },
    });
    expect(expectBody(ok, 200, SettingSchema)).toMatchObject({ value: "5m", duration_ms: 300_000 });
  });
});

describe("canonicalName with adversarial input", () => {
  it("strips every trailing dot and nothing else", () => {
    expect(canonicalName(" Mail.Example.COM.. ")).toBe("mail.example.com");
    expect(canonicalName("example.com")).toBe("example.com");
    expect(canonicalName("...")).toBe("");
    expect(canonicalName("")).toBe("");
  });

  it("reads recheck's attack string (a long run of dots followed by another character)", () => {
    const dots = ".".repeat(54_773);
    expect(canonicalName(`${dots}\u0000.`)).toBe(`${dots}\u0000`);
    expect(canonicalName(`a${dots}b`)).toBe(`a${dots}b`);
    expect(canonicalName(`A${dots}`)).toBe("a");
  });

  it("a published TXT record of 60 000 dots is judged like any other wrong record", async () => {
    const config = domainConfigOf({});
    const state = { token: "b".repeat(40), dkimKeyId: "k2k2k2k2k2k2" };
    const records = expectedRecords("mail.acme.com", state, config).filter((r) => r.purpose === "ownership");
    const txt: LookupResult = {
      status: "found",
      records: [{ type: "TXT", value: `x${".".repeat(60_000)}y` }],
      cnames: [],
    };
    const resolver: DnsResolver = { lookup: async () => txt };
    const [check] = await checkDomainRecords("mail.acme.com", records, resolver, config);
    expect(check?.status).toBe("missing");
    expect(check?.found[0]).toHaveLength(512);
  });
});

/** The pattern redactQueryParams replaced; exact on short inputs, quadratic on long ones. */
const oldRedact = (text: string) =>
  text.replace(/\nparams: [\s\S]*?(?=\n\s+at |$)/, "\nparams: [redacted]").slice(0, 4000);

describe("redactQueryParams", () => {
  it("redacts drizzle's bound values up to the stack trace", () => {
    const text =
      "Failed query: insert into settings values (?, ?)\nparams: a@b.com,<p>secret</p>\n    at run (x.js:1:1)";
    expect(redactQueryParams(text)).toBe(
      "Failed query: insert into settings values (?, ?)\nparams: [redacted]\n    at run (x.js:1:1)",
    );
  });

  it("redacts to the end when no stack follows, and leaves text without params alone", () => {
    expect(redactQueryParams("Failed query: x\nparams: 1,2,3")).toBe("Failed query: x\nparams: [redacted]");
    expect(redactQueryParams("no such table: settings")).toBe("no such table: settings");
  });

  it("redacts recheck's attack string (newline-tab pairs without a stack frame) completely", () => {
    const text = `Failed query: x\nparams: ${"\n\t".repeat(38_730)}\u0000 secret@customer.com`;
    expect(redactQueryParams(text)).toBe("Failed query: x\nparams: [redacted]");
  });

  it("finds the stack frame after a long run of whitespace", () => {
    const text = `Failed query: x\nparams: secret${"\n\t ".repeat(50_000)}at run (x.js:1:1)`;
    const redacted = redactQueryParams(text);
    expect(redacted.startsWith("Failed query: x\nparams: [redacted]\n")).toBe(true);
    expect(redacted).not.toContain("secret");
    expect(redacted.length).toBeLessThanOrEqual(4000);
  });

  it("answers exactly as the old pattern did on short inputs", () => {
    // Every string of up to 7 characters over an alphabet that can form stack frames and params lines.
    const alphabet = ["\n", " ", "\t", "a", "t", "x", "at "];
    const prefix = "Failed query: q\nparams: ";
    let compared = 0;
    const visit = (suffix: string, depth: number) => {
      const text = prefix + suffix;
      expect(redactQueryParams(text), JSON.stringify(text)).toBe(oldRedact(text));
      compared++;
      if (depth < 5) for (const piece of alphabet) visit(suffix + piece, depth + 1);
    };
    visit("", 0);
    expect(compared).toBeGreaterThan(10_000);
  });
});
