import { describe, expect, it } from "vitest";
import { EmailAddressResponseSchema } from "@/features/email-addresses/email-addresses.schemas";
import { call, expectBody, uniqueOrg } from "./helpers/api";

describe("smoke", () => {
  it("creates and lists an address", async () => {
    const org = uniqueOrg();
    const created = await call("POST", "/v2/email-settings/email-addresses", {
      org,
      body: { address: " Sales@Example.com " },
    });
    const body = expectBody(created, 201, EmailAddressResponseSchema);
    expect(body.address).toBe("sales@example.com");
    const list = await call("GET", "/v2/email-settings/email-addresses", { org });
    expect(list.status).toBe(200);
    expect(list.body).toHaveLength(1);
  });
});
