import { describe, expect, it } from "vitest";
import { EmailAddressResponseSchema } from "@/features/email-addresses/email-addresses.schemas";
import { SettingSchema } from "@/features/settings/settings.schemas";
import { SharedInboxResponseSchema } from "@/features/shared-inboxes/shared-inboxes.schemas";
import { type ApiResponse, call, expectBody, expectError, uniqueOrg } from "./helpers/api";

/**
 * Tenant isolation in depth for the address, inbox, bucket and settings operations: org B, with a valid
 * token of its own, must not see, change or delete anything of org A, whether it names A's rows by id or by
 * address, and a reference to A's rows is as unknown to B as a made-up one. Every served operation
 * (domains, Outlook and mailboxes included) is also driven generically by test/operations-isolation.test.ts.
 */

const ADDRESSES = "/v2/email-settings/email-addresses";
const INBOXES = "/v2/email-settings/shared-inboxes";
const BUCKETS = "/v2/email-settings/inbox-buckets";
const SETTINGS = "/v1/email-settings";

interface Seeded {
  org: string;
  address: { id: string; address: string };
  other: { id: string; address: string };
  platform: { id: string; address: string };
  /** A shared inbox with a server-generated id and one with a custom id. */
  inbox: { id: string; bucket_id: string };
  customInbox: { id: string };
  signature: { id: string };
}

async function seedOrgA(): Promise<Seeded> {
  const org = uniqueOrg("a");
  const inbox = expectBody(
    await call("POST", INBOXES, { org, body: { name: "A Support", color: "#123456", assignees: ["a-user"] } }),
    201,
    SharedInboxResponseSchema,
  );
  const customInbox = expectBody(
    await call("POST", INBOXES, { org, body: { id: "team", name: "A Team", color: "#abc" } }),
    201,
    SharedInboxResponseSchema,
  );
  const signature = expectBody(
    await call("POST", SETTINGS, { org, body: { type: "signature", name: "A Signature", html: "<p>A</p>" } }),
    200,
    SettingSchema,
  );
  const address = expectBody(
    await call("POST", ADDRESSES, {
      org,
      body: {
        address: `sales@${org}.example.com`,
        name: "A Sales",
        shared_inbox_id: inbox.id,
        default_signature_id: signature.id,
      },
    }),
    201,
    EmailAddressResponseSchema,
  );
  const other = expectBody(
    await call("POST", ADDRESSES, { org, body: { address: `info@${org}.example.com` } }),
    201,
    EmailAddressResponseSchema,
  );
  expectBody(
    await call("POST", `${ADDRESSES}/primary`, { org, body: { address: address.address } }),
    200,
    EmailAddressResponseSchema,
  );
  const platform = expectBody(
    await call("PUT", `${ADDRESSES}/epilot:provision`, { org, body: { address: `${org}@epilot.cloud` } }),
    200,
    EmailAddressResponseSchema,
  );
  return {
    org,
    address,
    other,
    platform,
    inbox: { id: inbox.id, bucket_id: inbox.bucket_id },
    customInbox: { id: customInbox.id },
    signature: { id: signature.id as string },
  };
}

/** Everything org A can read, to compare before and after B's attempts. */
async function snapshot(a: Seeded) {
  const read = async (path: string) => {
    const response = await call("GET", path, { org: a.org });
    expect(response.status, `${path}: ${JSON.stringify(response.body)}`).toBe(200);
    return response.body;
  };
  return {
    addresses: await read(ADDRESSES),
    address: await read(`${ADDRESSES}/${a.address.id}`),
    inboxes: await read(INBOXES),
    inbox: await read(`${INBOXES}/${a.inbox.id}`),
    customInbox: await read(`${INBOXES}/${a.customInbox.id}`),
    buckets: await read(BUCKETS),
    signatures: await read(`${SETTINGS}?type=signature`),
    signature: await read(`${SETTINGS}?type=signature&id=${a.signature.id}`),
  };
}

/** Sanity: the seeded state is what the assertions below rely on. */
function expectSeeded(state: Awaited<ReturnType<typeof snapshot>>, a: Seeded) {
  expect(state.addresses).toHaveLength(3);
  expect(state.address).toMatchObject({
    is_primary: true,
    shared_inbox_id: a.inbox.id,
    default_signature_id: a.signature.id,
  });
  expect(state.inboxes).toHaveLength(2);
  expect(state.buckets).toHaveLength(2);
  expect(state.signatures).toHaveLength(1);
}

const notFound = (response: ApiResponse) => expectError(response, 404);

describe("tenant isolation: org B against org A's data", () => {
  it("email addresses: get, update, delete and primary by id and by address answer 404", async () => {
    const a = await seedOrgA();
    const before = await snapshot(a);
    expectSeeded(before, a);
    const b = uniqueOrg("b");

    for (const key of [a.address.id, a.address.address, a.address.address.toUpperCase(), a.platform.id, a.other.id]) {
      const path = `${ADDRESSES}/${encodeURIComponent(key)}`;
      notFound(await call("GET", path, { org: b }));
      notFound(await call("PUT", path, { org: b, body: { name: "Hijacked", is_active: false } }));
      notFound(await call("DELETE", path, { org: b }));
      notFound(await call("POST", `${ADDRESSES}/primary`, { org: b, body: { address: key } }));
    }
    expect((await call("GET", ADDRESSES, { org: b })).body).toEqual([]);

    expect(await snapshot(a)).toEqual(before);
  });

  it("email addresses: B can add the same address for itself without touching A's", async () => {
    const a = await seedOrgA();
    const before = await snapshot(a);
    const b = uniqueOrg("b");

    const own = expectBody(
      await call("POST", ADDRESSES, { org: b, body: { address: a.address.address } }),
      201,
      EmailAddressResponseSchema,
    );
    expect(own.id).not.toBe(a.address.id);
    expectBody(
      await call("POST", `${ADDRESSES}/primary`, { org: b, body: { address: own.address } }),
      200,
      EmailAddressResponseSchema,
    );
    expect(
      expectBody(await call("GET", `${ADDRESSES}/${own.address}`, { org: b }), 200, EmailAddressResponseSchema).id,
    ).toBe(own.id);
    expect(((await call("GET", ADDRESSES, { org: b })).body as unknown[]).length).toBe(1);
    expect((await call("DELETE", `${ADDRESSES}/${own.address}`, { org: b })).status).toBe(204);

    expect(await snapshot(a)).toEqual(before);
  });

  it("email addresses: references to A's inbox or signature are unknown to B", async () => {
    const a = await seedOrgA();
    const before = await snapshot(a);
    const b = uniqueOrg("b");

    const base = { address: `x@${b}.example.com` };
    expectError(
      await call("POST", ADDRESSES, { org: b, body: { ...base, shared_inbox_id: a.inbox.id } }),
      400,
      /shared_inbox_id/,
    );
    expectError(
      await call("POST", ADDRESSES, { org: b, body: { ...base, default_signature_id: a.signature.id } }),
      400,
      /default_signature_id/,
    );
    const own = expectBody(await call("POST", ADDRESSES, { org: b, body: base }), 201, EmailAddressResponseSchema);
    const ownPath = `${ADDRESSES}/${own.id}`;
    expectError(await call("PUT", ownPath, { org: b, body: { shared_inbox_id: a.inbox.id } }), 400, /shared_inbox_id/);
    expectError(
      await call("PUT", ownPath, { org: b, body: { default_signature_id: a.signature.id } }),
      400,
      /default_signature_id/,
    );

    expect(await snapshot(a)).toEqual(before);
  });

  it("provisioning A's platform address for B is refused and leaves A's untouched", async () => {
    const a = await seedOrgA();
    const before = await snapshot(a);
    const b = uniqueOrg("b");

    expectError(
      await call("PUT", `${ADDRESSES}/epilot:provision`, { org: b, body: { address: a.platform.address } }),
      409,
    );
    expect((await call("GET", ADDRESSES, { org: b })).body).toEqual([]);

    expect(await snapshot(a)).toEqual(before);
  });

  it("shared inboxes and buckets: get, update and delete answer 404, lists are B's own (empty)", async () => {
    const a = await seedOrgA();
    const before = await snapshot(a);
    const b = uniqueOrg("b");

    for (const id of [a.inbox.id, a.customInbox.id, a.inbox.bucket_id]) {
      const path = `${INBOXES}/${encodeURIComponent(id)}`;
      notFound(await call("GET", path, { org: b }));
      notFound(await call("PUT", path, { org: b, body: { name: "Hijacked", color: "#000" } }));
      notFound(await call("DELETE", path, { org: b }));
      notFound(await call("DELETE", `${path}?successorInboxId=default`, { org: b }));
    }
    expect((await call("GET", INBOXES, { org: b })).body).toEqual([]);
    expect((await call("GET", BUCKETS, { org: b })).body).toEqual([]);

    expect(await snapshot(a)).toEqual(before);
  });

  it("shared inboxes: B may reuse A's custom id, and A's inbox cannot be B's successor", async () => {
    const a = await seedOrgA();
    const before = await snapshot(a);
    const b = uniqueOrg("b");

    const own = expectBody(
      await call("POST", INBOXES, { org: b, body: { id: a.customInbox.id, name: "B Team", color: "#fff" } }),
      201,
      SharedInboxResponseSchema,
    );
    expect(own).toMatchObject({ id: a.customInbox.id, name: "B Team" });
    const other = expectBody(
      await call("POST", INBOXES, { org: b, body: { name: "B Other", color: "#eee" } }),
      201,
      SharedInboxResponseSchema,
    );
    expectError(
      await call("DELETE", `${INBOXES}/${other.id}?successorInboxId=${a.inbox.id}`, { org: b }),
      400,
      /successorInboxId/,
    );
    expect((await call("PUT", `${INBOXES}/${own.id}`, { org: b, body: { name: "B Team 2" } })).status).toBe(200);
    expect((await call("DELETE", `${INBOXES}/${own.id}`, { org: b })).status).toBe(204);
    const bucketsOfB = (await call("GET", BUCKETS, { org: b })).body as { inbox_id: string }[];
    expect(bucketsOfB.map((bucket) => bucket.inbox_id)).toEqual([other.id]);

    expect(await snapshot(a)).toEqual(before);
  });

  it("settings: getSettings with id, updateSetting and deleteSetting answer 404, lists are B's own (empty)", async () => {
    const a = await seedOrgA();
    const before = await snapshot(a);
    const b = uniqueOrg("b");

    notFound(await call("GET", `${SETTINGS}?type=signature&id=${a.signature.id}`, { org: b }));
    notFound(
      await call("POST", `${SETTINGS}/${a.signature.id}`, {
        org: b,
        body: { type: "signature", name: "Hijacked", html: "<p>x</p>" },
      }),
    );
    notFound(await call("DELETE", SETTINGS, { org: b, body: { type: "signature", id: a.signature.id } }));
    expect((await call("GET", `${SETTINGS}?type=signature`, { org: b })).body).toEqual([]);

    expect(await snapshot(a)).toEqual(before);
  });

  it("settings: a setting B adds with A's id in the body gets its own id", async () => {
    const a = await seedOrgA();
    const before = await snapshot(a);
    const b = uniqueOrg("b");

    const created = expectBody(
      await call("POST", SETTINGS, {
        org: b,
        body: { type: "signature", id: a.signature.id, org_id: a.org, name: "B Signature", html: "<p>B</p>" },
      }),
      200,
      SettingSchema,
    );
    expect(created.id).not.toBe(a.signature.id);
    expect(created.org_id ?? b).toBe(b);
    const listed = (await call("GET", `${SETTINGS}?type=signature`, { org: b })).body as { id: string }[];
    expect(listed.map((s) => s.id)).toEqual([created.id]);

    expect(await snapshot(a)).toEqual(before);
  });
});
