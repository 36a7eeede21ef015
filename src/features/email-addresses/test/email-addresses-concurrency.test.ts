import { type ApiResponse, call, expectBody, expectError, uniqueOrg } from "@test/helpers/api";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  type EmailAddressResponse,
  EmailAddressResponseSchema,
} from "@/features/email-addresses/email-addresses.schemas";
import { SharedInboxResponseSchema } from "@/features/shared-inboxes/shared-inboxes.schemas";

const BASE = "/v2/email-settings/email-addresses";
const PRIMARY = `${BASE}/primary`;
const PROVISION = `${BASE}/epilot:provision`;
const AddressList = z.array(EmailAddressResponseSchema);

const at = (idOrAddress: string) => `${BASE}/${encodeURIComponent(idOrAddress)}`;
const epilot = (name: string) => `${name}-${crypto.randomUUID().slice(0, 8)}@epilot.cloud`;

async function add(org: string, address: string): Promise<EmailAddressResponse> {
  return expectBody(await call("POST", BASE, { org, body: { address } }), 201, EmailAddressResponseSchema);
}

async function list(org: string): Promise<EmailAddressResponse[]> {
  return expectBody(await call("GET", BASE, { org }), 200, AddressList);
}

async function makePrimary(org: string, address: string) {
  return expectBody(await call("POST", PRIMARY, { org, body: { address } }), 200, EmailAddressResponseSchema);
}

/**
 * Runs `request` after `roundTrips` cheap reads for the org. Racing two requests with different
 * head starts makes many interleavings of their statements likely; the assertions hold for any.
 */
async function withHeadStart<T>(org: string, roundTrips: number, request: () => Promise<T>): Promise<T> {
  for (let i = 0; i < roundTrips; i++) await call("GET", BASE, { org });
  return request();
}

/** Head starts (in round trips) for the first and the second of two racing requests. */
const HEAD_STARTS: [number, number][] = [
  [0, 0],
  [1, 0],
  [2, 0],
  [3, 0],
  [0, 1],
  [0, 2],
  [0, 3],
];

const statuses = (responses: ApiResponse[]) => responses.map((r) => r.status).sort();
const primaries = (rows: EmailAddressResponse[]) => rows.filter((r) => r.is_primary);

/** An org with `count` active addresses; the first one is primary. */
async function orgWithAddresses(count: number) {
  const org = uniqueOrg();
  const rows: EmailAddressResponse[] = [];
  for (let i = 0; i < count; i++) rows.push(await add(org, `addr${i}@example.com`));
  const first = rows[0];
  if (first) await makePrimary(org, first.id);
  return { org, rows };
}

describe("email addresses under concurrent requests", () => {
  it("accepts exactly one of 20 parallel adds of the same address", async () => {
    const org = uniqueOrg();
    const variants = ["race@example.com", "RACE@example.com", " Race@Example.Com "];
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        call("POST", BASE, { org, body: { address: variants[i % variants.length] } }),
      ),
    );
    const created = responses.filter((r) => r.status === 201);
    expect(created).toHaveLength(1);
    const winner = expectBody(created[0] as ApiResponse, 201, EmailAddressResponseSchema);
    for (const r of responses.filter((r) => r.status !== 201)) expectError(r, 409, /already exists/);

    const rows = await list(org);
    expect(rows).toEqual([winner]);
    expect(winner.address).toBe("race@example.com");
  });

  it("stores all of 20 parallel adds of different addresses", async () => {
    const org = uniqueOrg();
    const addresses = Array.from({ length: 20 }, (_, i) => `user${i}@example.com`);
    const responses = await Promise.all(addresses.map((address) => call("POST", BASE, { org, body: { address } })));
    const ids = responses.map((r) => expectBody(r, 201, EmailAddressResponseSchema).id);
    const rows = await list(org);
    expect(rows.map((r) => r.address).sort()).toEqual([...addresses].sort());
    expect(new Set(rows.map((r) => r.id))).toEqual(new Set(ids));
  });

  it("leaves exactly one primary after 20 parallel primary switches", async () => {
    const { org, rows } = await orgWithAddresses(5);
    const targets = Array.from(
      { length: 20 },
      () => rows[Math.floor(Math.random() * rows.length)] as EmailAddressResponse,
    );
    const responses = await Promise.all(
      targets.map((t, i) => call("POST", PRIMARY, { org, body: { address: i % 2 ? t.id : t.address.toUpperCase() } })),
    );
    responses.forEach((r, i) => {
      const body = expectBody(r, 200, EmailAddressResponseSchema);
      expect(body.id).toBe(targets[i]?.id);
      expect(body.is_primary).toBe(true);
    });
    const after = await list(org);
    expect(after).toHaveLength(5);
    expect(primaries(after)).toHaveLength(1);
    expect(after.every((r) => r.is_active)).toBe(true);
  });

  it("lets exactly one of a parallel primary switch and deactivation of the same address win", async () => {
    // Several orgs at once so the requests interleave in different orders.
    await Promise.all(
      Array.from({ length: 5 }, async () => {
        const { org, rows } = await orgWithAddresses(3);
        const target = rows[1] as EmailAddressResponse;
        const [switched, deactivated] = await Promise.all([
          call("POST", PRIMARY, { org, body: { address: target.id } }),
          call("PUT", at(target.id), { org, body: { is_active: false } }),
        ]);
        const after = await list(org);
        const stored = after.find((r) => r.id === target.id);
        const primary = primaries(after);
        expect(primary).toHaveLength(1);
        expect(primary[0]?.is_active).toBe(true);
        if (switched.status === 200) {
          expectBody(switched, 200, EmailAddressResponseSchema);
          expectError(deactivated, 409, /primary/);
          expect(stored).toMatchObject({ is_primary: true, is_active: true });
        } else {
          expectError(switched, 409, /inactive/);
          expectBody(deactivated, 200, EmailAddressResponseSchema);
          expect(stored).toMatchObject({ is_primary: false, is_active: false });
          expect(primary[0]?.id).toBe(rows[0]?.id);
        }
      }),
    );
  });

  it("deletes an address once when 10 deletes race", async () => {
    const org = uniqueOrg();
    const keep = await add(org, "keep@example.com");
    const gone = await add(org, "gone@example.com");
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) => call("DELETE", at(i % 2 ? gone.id : gone.address), { org })),
    );
    expect(responses.filter((r) => r.status === 204)).toHaveLength(1);
    for (const r of responses.filter((r) => r.status !== 204)) expectError(r, 404, /not found/);
    expect(await list(org)).toEqual([keep]);
  });

  it("keeps a primary when the primary and its successor are deleted at the same time", async () => {
    await Promise.all(
      Array.from({ length: 5 }, async () => {
        const { org, rows } = await orgWithAddresses(4);
        const [primary, successor] = rows as [EmailAddressResponse, EmailAddressResponse];
        const responses = await Promise.all([
          call("DELETE", at(primary.id), { org }),
          call("DELETE", at(successor.id), { org }),
        ]);
        expect(statuses(responses)).toEqual([204, 204]);
        const after = await list(org);
        expect(after.map((r) => r.id)).toEqual([rows[2]?.id, rows[3]?.id]);
        expect(primaries(after).map((r) => r.id)).toEqual([rows[2]?.id]);
      }),
    );
  });

  it("keeps exactly one primary when the primary is deleted while another address is made primary", async () => {
    await Promise.all(
      Array.from({ length: 5 }, async () => {
        const { org, rows } = await orgWithAddresses(4);
        const [primary, , target] = rows as [EmailAddressResponse, EmailAddressResponse, EmailAddressResponse];
        const [deleted, switched] = await Promise.all([
          call("DELETE", at(primary.id), { org }),
          call("POST", PRIMARY, { org, body: { address: target.id } }),
        ]);
        expect(deleted.status).toBe(204);
        expectBody(switched, 200, EmailAddressResponseSchema);
        const after = await list(org);
        expect(after).toHaveLength(3);
        expect(primaries(after)).toHaveLength(1);
      }),
    );
  });

  it("keeps exactly one active platform address when several are provisioned in parallel", async () => {
    const org = uniqueOrg();
    const addresses = Array.from({ length: 6 }, (_, i) => epilot(`p${i}`));
    const responses = await Promise.all(addresses.map((address) => call("PUT", PROVISION, { org, body: { address } })));
    for (const r of responses) expectBody(r, 200, EmailAddressResponseSchema);
    const rows = await list(org);
    expect(rows.map((r) => r.address).sort()).toEqual([...addresses].sort());
    expect(rows.every((r) => r.is_epilot_email_address)).toBe(true);
    expect(rows.filter((r) => r.is_active)).toHaveLength(1);
  });

  it("gives a platform address to exactly one of several orgs provisioning it at once", async () => {
    const address = epilot("contested");
    const orgs = Array.from({ length: 5 }, () => uniqueOrg());
    const responses = await Promise.all(orgs.map((org) => call("PUT", PROVISION, { org, body: { address } })));
    const winners = responses.flatMap((r, i) => (r.status === 200 ? [orgs[i] as string] : []));
    expect(winners).toHaveLength(1);
    for (const r of responses.filter((r) => r.status !== 200)) {
      expect(expectError(r, 409, /is not available; choose another name/)).not.toMatch(/organi[sz]ation/i);
    }
    for (const org of orgs) {
      const rows = await list(org);
      expect(rows.map((r) => r.address)).toEqual(org === winners[0] ? [address] : []);
    }
  });

  it("never leaves an address pointing at a shared inbox deleted while the address was added", async () => {
    await Promise.all(
      HEAD_STARTS.map(async ([addDelay, deleteDelay]) => {
        const org = uniqueOrg();
        const inboxResp = await call("POST", "/v2/email-settings/shared-inboxes", {
          org,
          body: { name: "Doomed", color: "#123456" },
        });
        const inbox = expectBody(inboxResp, 201, SharedInboxResponseSchema).id;
        const [added, deleted] = await Promise.all([
          withHeadStart(org, addDelay, () =>
            call("POST", BASE, { org, body: { address: "a@example.com", shared_inbox_id: inbox } }),
          ),
          withHeadStart(org, deleteDelay, () => call("DELETE", `/v2/email-settings/shared-inboxes/${inbox}`, { org })),
        ]);
        expect(deleted.status).toBe(204);
        const rows = await list(org);
        if (added.status === 201) {
          expectBody(added, 201, EmailAddressResponseSchema);
          // Added before the delete: the delete moved it to the default inbox.
          expect(rows.map((r) => r.shared_inbox_id)).toEqual(["default"]);
        } else {
          expectError(added, 400, /shared_inbox_id/);
          expect(rows).toEqual([]);
        }
      }),
    );
  });

  it("never leaves an address pointing at a shared inbox deleted while the address was updated", async () => {
    await Promise.all(
      HEAD_STARTS.map(async ([updateDelay, deleteDelay]) => {
        const org = uniqueOrg();
        const inboxResp = await call("POST", "/v2/email-settings/shared-inboxes", {
          org,
          body: { name: "Doomed", color: "#123456" },
        });
        const inbox = expectBody(inboxResp, 201, SharedInboxResponseSchema).id;
        const address = await add(org, "a@example.com");
        const [updated, deleted] = await Promise.all([
          withHeadStart(org, updateDelay, () =>
            call("PUT", at(address.id), { org, body: { shared_inbox_id: inbox, name: "Moved" } }),
          ),
          withHeadStart(org, deleteDelay, () => call("DELETE", `/v2/email-settings/shared-inboxes/${inbox}`, { org })),
        ]);
        expect(deleted.status).toBe(204);
        const [stored] = await list(org);
        expect(stored?.shared_inbox_id).toBe("default");
        if (updated.status === 200) {
          expectBody(updated, 200, EmailAddressResponseSchema);
          expect(stored?.name).toBe("Moved");
        } else {
          expectError(updated, 400, /shared_inbox_id/);
          expect(stored?.name).toBeUndefined();
        }
      }),
    );
  });

  it("never leaves an address pointing at a signature deleted while the address was added", async () => {
    await Promise.all(
      HEAD_STARTS.map(async ([addDelay, deleteDelay]) => {
        const org = uniqueOrg();
        const sigResp = await call("POST", "/v1/email-settings", {
          org,
          body: { type: "signature", name: "Sig", html: "<p>x</p>" },
        });
        const sig = expectBody(sigResp, 200, z.object({ id: z.string() })).id;
        const [added, deleted] = await Promise.all([
          withHeadStart(org, addDelay, () =>
            call("POST", BASE, { org, body: { address: "a@example.com", default_signature_id: sig } }),
          ),
          withHeadStart(org, deleteDelay, () =>
            call("DELETE", "/v1/email-settings", { org, body: { type: "signature", id: sig } }),
          ),
        ]);
        expect(deleted.status).toBe(200);
        const rows = await list(org);
        if (added.status === 201) {
          expectBody(added, 201, EmailAddressResponseSchema);
          expect(rows).toHaveLength(1);
          expect(rows[0]?.default_signature_id).toBeUndefined();
        } else {
          expectError(added, 400, /default_signature_id/);
          expect(rows).toEqual([]);
        }
      }),
    );
  });
});
