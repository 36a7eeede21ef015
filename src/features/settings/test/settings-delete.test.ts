import { call, expectBody, expectError, uniqueOrg } from "@test/helpers/api";
import { ADDRESSES, add, getOne, list, remove, SETTINGS, signature } from "@test/helpers/settings";
import { describe, expect, it } from "vitest";
import { EmailAddressResponseSchema } from "@/features/email-addresses/email-addresses.schemas";
import { SettingSchema } from "@/features/settings/settings.schemas";

describe("DELETE /v1/email-settings", () => {
  it("returns the deleted setting and removes it", async () => {
    const org = uniqueOrg();
    const keep = await add(org, { type: "whitelist_email_address", value: "keep@example.com" });
    const doomed = await add(org, { type: "whitelist_email_address", value: "gone@example.com", note: "bye" });
    const resp = await remove(org, doomed.id ?? "", "whitelist_email_address");
    expect(expectBody(resp, 200, SettingSchema)).toEqual(doomed);
    expectError(await getOne(org, "whitelist_email_address", doomed.id ?? ""), 404);
    expect(await list(org, "whitelist_email_address")).toEqual([keep]);
  });

  it("frees a unique value for reuse", async () => {
    const org = uniqueOrg();
    const first = await add(org, { type: "email_domain", value: "example.com" });
    expect((await remove(org, first.id ?? "", "email_domain")).status).toBe(200);
    const again = await add(org, { type: "email_domain", value: "example.com" });
    expect(again.id).not.toBe(first.id);
  });

  it("answers 404 for an unknown id, and the second time", async () => {
    const org = uniqueOrg();
    expectError(await remove(org, "ghost", "signature"), 404, /ghost/);
    const created = await add(org, signature());
    expect((await remove(org, created.id ?? "", "signature")).status).toBe(200);
    expectError(await remove(org, created.id ?? "", "signature"), 404);
  });

  it("answers 404 when the type does not match and keeps the setting", async () => {
    const org = uniqueOrg();
    const created = await add(org, signature());
    expectError(await remove(org, created.id ?? "", "email_domain"), 404);
    expect(await list(org, "signature")).toEqual([created]);
  });

  it("answers 404 for another org's setting and keeps it", async () => {
    const orgA = uniqueOrg("a");
    const orgB = uniqueOrg("b");
    const theirs = await add(orgA, signature());
    expectError(await remove(orgB, theirs.id ?? "", "signature"), 404);
    expect(await list(orgA, "signature")).toEqual([theirs]);
  });

  it.each([
    [{}, /type|id/],
    [{ id: "x" }, /type/],
    [{ type: "signature" }, /id/],
    [{ id: "", type: "signature" }, /id/],
    [{ id: "x", type: "bogus" }, /type/],
  ])("refuses the body %j with 400", async (body, pattern) => {
    const org = uniqueOrg();
    expectError(await call("DELETE", SETTINGS, { org, body }), 400, pattern);
  });

  it("clears default_signature_id on every address that used the deleted signature", async () => {
    const org = uniqueOrg();
    const doomed = await add(org, signature({ name: "Doomed" }));
    const other = await add(org, signature({ name: "Other" }));
    for (const [address, sig] of [
      ["a@example.com", doomed.id],
      ["b@example.com", doomed.id],
      ["c@example.com", other.id],
      ["d@example.com", undefined],
    ] as const) {
      const resp = await call("POST", ADDRESSES, {
        org,
        body: { address, ...(sig !== undefined && { default_signature_id: sig }) },
      });
      expect(expectBody(resp, 201, EmailAddressResponseSchema).default_signature_id).toBe(sig);
    }

    expect(expectBody(await remove(org, doomed.id ?? "", "signature"), 200, SettingSchema).id).toBe(doomed.id);

    const signatureOf = async (address: string) => {
      const resp = await call("GET", `${ADDRESSES}/${address}`, { org });
      const body = expectBody(resp, 200, EmailAddressResponseSchema);
      return { has: "default_signature_id" in body, id: body.default_signature_id };
    };
    expect(await signatureOf("a@example.com")).toEqual({ has: false, id: undefined });
    expect(await signatureOf("b@example.com")).toEqual({ has: false, id: undefined });
    expect(await signatureOf("c@example.com")).toEqual({ has: true, id: other.id });
    expect(await signatureOf("d@example.com")).toEqual({ has: false, id: undefined });
    expect(await list(org, "signature")).toEqual([other]);
  });

  it("leaves another org's addresses alone when a signature is deleted", async () => {
    const orgA = uniqueOrg("a");
    const orgB = uniqueOrg("b");
    const sigA = await add(orgA, signature());
    const sigB = await add(orgB, signature());
    await call("POST", ADDRESSES, { org: orgB, body: { address: "b@example.com", default_signature_id: sigB.id } });
    expect((await remove(orgA, sigA.id ?? "", "signature")).status).toBe(200);
    const resp = await call("GET", `${ADDRESSES}/b@example.com`, { org: orgB });
    expect(expectBody(resp, 200, EmailAddressResponseSchema).default_signature_id).toBe(sigB.id);
  });
});
