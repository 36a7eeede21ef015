import { call, expectBody, expectError, uniqueOrg } from "@test/helpers/api";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { EmailAddressResponseSchema } from "@/features/email-addresses/email-addresses.schemas";
import { InboxBucketResponseSchema, SharedInboxResponseSchema } from "@/features/shared-inboxes/shared-inboxes.schemas";

const INBOXES = "/v2/email-settings/shared-inboxes";
const BUCKETS = "/v2/email-settings/inbox-buckets";
const ADDRESSES = "/v2/email-settings/email-addresses";

const InboxListSchema = z.array(SharedInboxResponseSchema);
const BucketListSchema = z.array(InboxBucketResponseSchema);

async function addInbox(org: string, body: Record<string, unknown> = {}, user?: string) {
  const resp = await call("POST", INBOXES, { org, user, body: { name: "Sales", color: "#2196F3", ...body } });
  return expectBody(resp, 201, SharedInboxResponseSchema);
}

async function getInbox(org: string, id: string) {
  return call("GET", `${INBOXES}/${encodeURIComponent(id)}`, { org });
}

async function listInboxes(org: string) {
  return expectBody(await call("GET", INBOXES, { org }), 200, InboxListSchema);
}

async function listBuckets(org: string) {
  return expectBody(await call("GET", BUCKETS, { org }), 200, BucketListSchema);
}

async function addAddress(org: string, address: string, sharedInboxId?: string) {
  const resp = await call("POST", ADDRESSES, {
    org,
    body: { address, ...(sharedInboxId !== undefined && { shared_inbox_id: sharedInboxId }) },
  });
  return expectBody(resp, 201, EmailAddressResponseSchema);
}

async function addressInbox(org: string, address: string) {
  const resp = await call("GET", `${ADDRESSES}/${encodeURIComponent(address)}`, { org });
  return expectBody(resp, 200, EmailAddressResponseSchema).shared_inbox_id;
}

describe("POST /v2/email-settings/shared-inboxes", () => {
  it("creates an inbox with a generated id, its bucket and the caller as creator", async () => {
    const org = uniqueOrg();
    const inbox = await addInbox(org, { name: "Sales Inquiries", color: "#2196F3" }, "user-42");
    expect(inbox.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(inbox.name).toBe("Sales Inquiries");
    expect(inbox.color).toBe("#2196F3");
    expect(inbox.assignees).toEqual([]);
    expect(inbox.created_by).toBe("user-42");
    expect(inbox.bucket_id).not.toBe("default");
    expect(inbox.bucket_id).not.toBe(inbox.id);
    expect(Date.parse(inbox.created_at)).not.toBeNaN();

    const fetched = expectBody(await getInbox(org, inbox.id), 200, SharedInboxResponseSchema);
    expect(fetched).toEqual(inbox);
    expect(await listBuckets(org)).toEqual([{ id: inbox.bucket_id, inbox_id: inbox.id }]);
  });

  it("stores a custom id, trimmed name, color and assignees", async () => {
    const org = uniqueOrg();
    const inbox = await addInbox(org, {
      id: "support-inbox_2",
      name: "  Customer Support  ",
      color: "#abc",
      assignees: ["user-1", "user-2"],
    });
    expect(inbox).toMatchObject({
      id: "support-inbox_2",
      name: "Customer Support",
      color: "#abc",
      assignees: ["user-1", "user-2"],
    });
    const fetched = expectBody(await getInbox(org, "support-inbox_2"), 200, SharedInboxResponseSchema);
    expect(fetched).toMatchObject({ name: "Customer Support", color: "#abc", assignees: ["user-1", "user-2"] });
    expect(fetched.bucket_id).toBe(inbox.bucket_id);
  });

  it("accepts a name of exactly 120 characters and a 64-character id", async () => {
    const org = uniqueOrg();
    const inbox = await addInbox(org, { id: "x".repeat(64), name: "n".repeat(120) });
    expect(inbox.id).toBe("x".repeat(64));
    expect(inbox.name).toHaveLength(120);
  });

  it.each([
    [{ color: "#2196F3" }, /name/],
    [{ name: "", color: "#2196F3" }, /name/],
    [{ name: "   ", color: "#2196F3" }, /name/],
    [{ name: "n".repeat(121), color: "#2196F3" }, /name/],
    [{ name: 42, color: "#2196F3" }, /name/],
    [{ name: "Sales" }, /color/],
    [{ name: "Sales", color: "" }, /color/],
    [{ name: "Sales", color: "red" }, /color/],
    [{ name: "Sales", color: "2196F3" }, /color/],
    [{ name: "Sales", color: "#2196F" }, /color/],
    [{ name: "Sales", color: "#GGGGGG" }, /color/],
    [{ name: "Sales", color: "#2196F3A" }, /color/],
    [{ name: "Sales", color: "#2196F3", id: "" }, /id/],
    [{ name: "Sales", color: "#2196F3", id: "has space" }, /id/],
    [{ name: "Sales", color: "#2196F3", id: "a/b" }, /id/],
    [{ name: "Sales", color: "#2196F3", id: "x".repeat(65) }, /id/],
    [{ name: "Sales", color: "#2196F3", id: "default" }, /id.*default/],
    [{ name: "Sales", color: "#2196F3", id: "DEFAULT" }, /id.*default/],
    [{ name: "Sales", color: "#2196F3", assignees: "user-1" }, /assignees/],
    [{ name: "Sales", color: "#2196F3", assignees: [""] }, /assignees/],
  ])("rejects %j with 400 naming the field", async (body, pattern) => {
    const org = uniqueOrg();
    expectError(await call("POST", INBOXES, { org, body }), 400, pattern);
    expect(await listInboxes(org)).toEqual([]);
    expect(await listBuckets(org)).toEqual([]);
  });

  it("refuses a taken id with 409 and keeps the first inbox and its single bucket", async () => {
    const org = uniqueOrg();
    const first = await addInbox(org, { id: "sales", name: "First" });
    const resp = await call("POST", INBOXES, { org, body: { id: "sales", name: "Second", color: "#000" } });
    expectError(resp, 409, /sales/);
    const fetched = expectBody(await getInbox(org, "sales"), 200, SharedInboxResponseSchema);
    expect(fetched.name).toBe("First");
    expect(await listInboxes(org)).toHaveLength(1);
    expect(await listBuckets(org)).toEqual([{ id: first.bucket_id, inbox_id: "sales" }]);
  });

  it("creates exactly one inbox and one bucket when the same id is added concurrently", async () => {
    const org = uniqueOrg();
    const body = { id: "race", name: "Race", color: "#000" };
    const responses = await Promise.all([1, 2, 3].map(() => call("POST", INBOXES, { org, body })));
    expect(responses.map((r) => r.status).sort()).toEqual([201, 409, 409]);
    for (const r of responses.filter((r) => r.status === 409)) expectError(r, 409, /race/);
    const winner = responses.find((r) => r.status === 201);
    if (!winner) throw new Error("no request created the inbox");
    const created = expectBody(winner, 201, SharedInboxResponseSchema);
    expect(await listBuckets(org)).toEqual([{ id: created.bucket_id, inbox_id: "race" }]);
  });

  it("lets two organizations use the same custom id", async () => {
    const orgA = uniqueOrg();
    const orgB = uniqueOrg();
    const a = await addInbox(orgA, { id: "sales", name: "A" });
    const b = await addInbox(orgB, { id: "sales", name: "B" });
    expect(a.bucket_id).not.toBe(b.bucket_id);
    expect(expectBody(await getInbox(orgA, "sales"), 200, SharedInboxResponseSchema).name).toBe("A");
    expect(expectBody(await getInbox(orgB, "sales"), 200, SharedInboxResponseSchema).name).toBe("B");
  });
});

describe("the default inbox", () => {
  it("exists without being created", async () => {
    const org = uniqueOrg();
    const inbox = expectBody(await getInbox(org, "default"), 200, SharedInboxResponseSchema);
    expect(inbox.id).toBe("default");
    expect(inbox.bucket_id).toBe("default");
    expect(inbox.assignees).toEqual([]);
  });

  it("is never listed, nor is its bucket", async () => {
    const org = uniqueOrg();
    expect(await listInboxes(org)).toEqual([]);
    expect(await listBuckets(org)).toEqual([]);
    const inbox = await addInbox(org);
    expect((await listInboxes(org)).map((i) => i.id)).toEqual([inbox.id]);
    expect((await listBuckets(org)).map((b) => b.inbox_id)).toEqual([inbox.id]);
  });

  it("cannot be deleted", async () => {
    const org = uniqueOrg();
    const other = await addInbox(org);
    expectError(await call("DELETE", `${INBOXES}/default`, { org }), 400, /default/);
    expectError(await call("DELETE", `${INBOXES}/default?successorInboxId=${other.id}`, { org }), 400, /default/);
    expectBody(await getInbox(org, "default"), 200, SharedInboxResponseSchema);
  });

  it("cannot be changed", async () => {
    const org = uniqueOrg();
    const before = expectBody(await getInbox(org, "default"), 200, SharedInboxResponseSchema);
    expectError(await call("PUT", `${INBOXES}/default`, { org, body: { name: "Mine" } }), 400, /default/);
    const after = expectBody(await getInbox(org, "default"), 200, SharedInboxResponseSchema);
    expect(after).toEqual(before);
  });
});

describe("GET /v2/email-settings/shared-inboxes/{id}", () => {
  it("answers 404 for an unknown inbox", async () => {
    const org = uniqueOrg();
    expectError(await getInbox(org, "nope"), 404, /nope/);
  });

  it("is exact about the id", async () => {
    const org = uniqueOrg();
    await addInbox(org, { id: "Sales" });
    expectBody(await getInbox(org, "Sales"), 200, SharedInboxResponseSchema);
    expectError(await getInbox(org, "sales"), 404);
  });
});

describe("GET /v2/email-settings/shared-inboxes", () => {
  it("lists the org's inboxes in creation order", async () => {
    const org = uniqueOrg();
    const created = [];
    for (const name of ["Zeta", "Alpha", "Mid", "Beta"]) created.push(await addInbox(org, { name }));
    const list = await listInboxes(org);
    expect(list.map((i) => i.name)).toEqual(["Zeta", "Alpha", "Mid", "Beta"]);
    expect(list).toEqual(created);
    const buckets = await listBuckets(org);
    expect(buckets).toEqual(created.map((i) => ({ id: i.bucket_id, inbox_id: i.id })));
  });

  it("records the token user as creator of each inbox", async () => {
    const org = uniqueOrg();
    await addInbox(org, { name: "One" }, "alice");
    await addInbox(org, { name: "Two" }, "bob");
    const list = await listInboxes(org);
    expect(list.map((i) => [i.name, i.created_by])).toEqual([
      ["One", "alice"],
      ["Two", "bob"],
    ]);
  });
});

describe("PUT /v2/email-settings/shared-inboxes/{id}", () => {
  it("changes only the fields sent and records the updater", async () => {
    const org = uniqueOrg();
    const inbox = await addInbox(org, { name: "Sales", color: "#111111", assignees: ["u1"] }, "creator");

    const renamed = await call("PUT", `${INBOXES}/${inbox.id}`, { org, user: "editor", body: { name: " Renamed " } });
    expect(expectBody(renamed, 200, SharedInboxResponseSchema)).toMatchObject({
      id: inbox.id,
      name: "Renamed",
      color: "#111111",
      assignees: ["u1"],
      bucket_id: inbox.bucket_id,
      created_by: "creator",
      updated_by: "editor",
      created_at: inbox.created_at,
    });

    const recolored = await call("PUT", `${INBOXES}/${inbox.id}`, { org, body: { color: "#fff" } });
    expect(expectBody(recolored, 200, SharedInboxResponseSchema)).toMatchObject({ name: "Renamed", color: "#fff" });

    const reassigned = await call("PUT", `${INBOXES}/${inbox.id}`, { org, body: { assignees: ["u2", "u3"] } });
    expect(expectBody(reassigned, 200, SharedInboxResponseSchema).assignees).toEqual(["u2", "u3"]);

    const cleared = await call("PUT", `${INBOXES}/${inbox.id}`, { org, body: { assignees: [] } });
    expect(expectBody(cleared, 200, SharedInboxResponseSchema).assignees).toEqual([]);

    const stored = expectBody(await getInbox(org, inbox.id), 200, SharedInboxResponseSchema);
    expect(stored).toMatchObject({ name: "Renamed", color: "#fff", assignees: [], bucket_id: inbox.bucket_id });
    expect(await listBuckets(org)).toEqual([{ id: inbox.bucket_id, inbox_id: inbox.id }]);
  });

  it("accepts an empty body and changes nothing but the audit fields", async () => {
    const org = uniqueOrg();
    const inbox = await addInbox(org, { name: "Keep", color: "#123456", assignees: ["u1"] });
    const resp = await call("PUT", `${INBOXES}/${inbox.id}`, { org, body: {} });
    expect(expectBody(resp, 200, SharedInboxResponseSchema)).toMatchObject({
      name: "Keep",
      color: "#123456",
      assignees: ["u1"],
    });
  });

  it.each([
    [{ name: "" }, /name/],
    [{ name: "  " }, /name/],
    [{ name: "n".repeat(121) }, /name/],
    [{ color: "blue" }, /color/],
    [{ color: "#12345" }, /color/],
    [{ assignees: "u1" }, /assignees/],
    [{ assignees: [1] }, /assignees/],
  ])("rejects %j with 400 and keeps the stored inbox", async (body, pattern) => {
    const org = uniqueOrg();
    const inbox = await addInbox(org, { name: "Keep", color: "#123456" });
    expectError(await call("PUT", `${INBOXES}/${inbox.id}`, { org, body }), 400, pattern);
    const stored = expectBody(await getInbox(org, inbox.id), 200, SharedInboxResponseSchema);
    expect(stored).toMatchObject({ name: "Keep", color: "#123456", assignees: [] });
  });

  it("answers 404 for an unknown inbox", async () => {
    const org = uniqueOrg();
    expectError(await call("PUT", `${INBOXES}/ghost`, { org, body: { name: "X" } }), 404, /ghost/);
    expect(await listInboxes(org)).toEqual([]);
  });
});

describe("DELETE /v2/email-settings/shared-inboxes/{id}", () => {
  it("moves the inbox's addresses to the default inbox and removes the inbox and its bucket", async () => {
    const org = uniqueOrg();
    const doomed = await addInbox(org, { name: "Doomed" });
    const kept = await addInbox(org, { name: "Kept" });
    await addAddress(org, "a@example.com", doomed.id);
    await addAddress(org, "b@example.com", doomed.id);
    await addAddress(org, "c@example.com", kept.id);
    await addAddress(org, "d@example.com");

    const resp = await call("DELETE", `${INBOXES}/${doomed.id}`, { org });
    expect(resp.status).toBe(204);
    expect(resp.body).toBe("");

    expectError(await getInbox(org, doomed.id), 404);
    expect((await listInboxes(org)).map((i) => i.id)).toEqual([kept.id]);
    expect(await listBuckets(org)).toEqual([{ id: kept.bucket_id, inbox_id: kept.id }]);
    expect(await addressInbox(org, "a@example.com")).toBe("default");
    expect(await addressInbox(org, "b@example.com")).toBe("default");
    expect(await addressInbox(org, "c@example.com")).toBe(kept.id);
    expect(await addressInbox(org, "d@example.com")).toBe("default");
  });

  it("moves the addresses to the given successor inbox", async () => {
    const org = uniqueOrg();
    const doomed = await addInbox(org, { name: "Doomed" });
    const successor = await addInbox(org, { id: "heir", name: "Heir" });
    await addAddress(org, "a@example.com", doomed.id);
    await addAddress(org, "b@example.com", successor.id);

    const resp = await call("DELETE", `${INBOXES}/${doomed.id}?successorInboxId=heir`, { org });
    expect(resp.status).toBe(204);
    expect(resp.body).toBe("");

    expect(await addressInbox(org, "a@example.com")).toBe("heir");
    expect(await addressInbox(org, "b@example.com")).toBe("heir");
    expectError(await getInbox(org, doomed.id), 404);
    expect(await listBuckets(org)).toEqual([{ id: successor.bucket_id, inbox_id: "heir" }]);
  });

  it("accepts the default inbox as an explicit successor", async () => {
    const org = uniqueOrg();
    const doomed = await addInbox(org);
    await addAddress(org, "a@example.com", doomed.id);
    const resp = await call("DELETE", `${INBOXES}/${doomed.id}?successorInboxId=default`, { org });
    expect(resp.status).toBe(204);
    expect(await addressInbox(org, "a@example.com")).toBe("default");
  });

  it("refuses an unknown successor with 400 and changes nothing", async () => {
    const org = uniqueOrg();
    const inbox = await addInbox(org);
    await addAddress(org, "a@example.com", inbox.id);
    const resp = await call("DELETE", `${INBOXES}/${inbox.id}?successorInboxId=ghost`, { org });
    expectError(resp, 400, /successorInboxId.*ghost/);
    expectBody(await getInbox(org, inbox.id), 200, SharedInboxResponseSchema);
    expect(await addressInbox(org, "a@example.com")).toBe(inbox.id);
    expect(await listBuckets(org)).toEqual([{ id: inbox.bucket_id, inbox_id: inbox.id }]);
  });

  it("refuses the inbox itself as its successor with 400", async () => {
    const org = uniqueOrg();
    const inbox = await addInbox(org);
    const resp = await call("DELETE", `${INBOXES}/${inbox.id}?successorInboxId=${inbox.id}`, { org });
    expectError(resp, 400, /successorInboxId/);
    expectBody(await getInbox(org, inbox.id), 200, SharedInboxResponseSchema);
  });

  it("refuses an empty successor with 400", async () => {
    const org = uniqueOrg();
    const inbox = await addInbox(org);
    expectError(await call("DELETE", `${INBOXES}/${inbox.id}?successorInboxId=`, { org }), 400, /successorInboxId/);
    expectBody(await getInbox(org, inbox.id), 200, SharedInboxResponseSchema);
  });

  it("answers 404 for an unknown inbox", async () => {
    const org = uniqueOrg();
    expectError(await call("DELETE", `${INBOXES}/ghost`, { org }), 404, /ghost/);
  });

  it("answers 404 when deleting the same inbox twice", async () => {
    const org = uniqueOrg();
    const inbox = await addInbox(org);
    expect((await call("DELETE", `${INBOXES}/${inbox.id}`, { org })).status).toBe(204);
    expectError(await call("DELETE", `${INBOXES}/${inbox.id}`, { org }), 404);
  });

  it("frees the id for a new inbox with a new bucket", async () => {
    const org = uniqueOrg();
    const first = await addInbox(org, { id: "reuse" });
    expect((await call("DELETE", `${INBOXES}/reuse`, { org })).status).toBe(204);
    const second = await addInbox(org, { id: "reuse", name: "Again" });
    expect(second.bucket_id).not.toBe(first.bucket_id);
    expect(await listBuckets(org)).toEqual([{ id: second.bucket_id, inbox_id: "reuse" }]);
  });
});

describe("organization isolation", () => {
  it("hides one org's inboxes and buckets from another", async () => {
    const orgA = uniqueOrg("a");
    const orgB = uniqueOrg("b");
    const inbox = await addInbox(orgA, { id: "private" });
    await addAddress(orgA, "a@example.com", inbox.id);
    const own = await addInbox(orgB, { name: "B's own" });

    expectError(await getInbox(orgB, "private"), 404);
    expectError(await call("PUT", `${INBOXES}/private`, { org: orgB, body: { name: "Hijacked" } }), 404);
    expectError(await call("DELETE", `${INBOXES}/private`, { org: orgB }), 404);
    expect((await listInboxes(orgB)).map((i) => i.id)).toEqual([own.id]);
    expect(await listBuckets(orgB)).toEqual([{ id: own.bucket_id, inbox_id: own.id }]);

    // Nothing changed for org A.
    const stored = expectBody(await getInbox(orgA, "private"), 200, SharedInboxResponseSchema);
    expect(stored).toEqual(inbox);
    expect(await listBuckets(orgA)).toEqual([{ id: inbox.bucket_id, inbox_id: "private" }]);
    expect(await addressInbox(orgA, "a@example.com")).toBe("private");
  });

  it("does not accept another org's inbox as successor", async () => {
    const orgA = uniqueOrg("a");
    const orgB = uniqueOrg("b");
    await addInbox(orgA, { id: "theirs" });
    const mine = await addInbox(orgB);
    const resp = await call("DELETE", `${INBOXES}/${mine.id}?successorInboxId=theirs`, { org: orgB });
    expectError(resp, 400, /successorInboxId/);
    expectBody(await getInbox(orgB, mine.id), 200, SharedInboxResponseSchema);
  });

  it("only moves the deleting org's addresses", async () => {
    const orgA = uniqueOrg("a");
    const orgB = uniqueOrg("b");
    await addInbox(orgA, { id: "same" });
    await addInbox(orgB, { id: "same" });
    await addAddress(orgA, "a@example.com", "same");
    await addAddress(orgB, "b@example.com", "same");
    expect((await call("DELETE", `${INBOXES}/same`, { org: orgA })).status).toBe(204);
    expect(await addressInbox(orgA, "a@example.com")).toBe("default");
    expect(await addressInbox(orgB, "b@example.com")).toBe("same");
    expectBody(await getInbox(orgB, "same"), 200, SharedInboxResponseSchema);
    expect((await listBuckets(orgB)).map((b) => b.inbox_id)).toEqual(["same"]);
  });
});

describe("shared inbox description", () => {
  it("is optional, stored trimmed, returned, and changeable by update", async () => {
    const org = uniqueOrg();
    const plain = await addInbox(org);
    expect(plain.description).toBeUndefined();

    const inbox = await addInbox(org, { name: "Support", description: "  Incoming support requests " });
    expect(inbox.description).toBe("Incoming support requests");
    const fetched = expectBody(await getInbox(org, inbox.id), 200, SharedInboxResponseSchema);
    expect(fetched.description).toBe("Incoming support requests");

    const updated = expectBody(
      await call("PUT", `${INBOXES}/${inbox.id}`, { org, body: { description: "Escalations only" } }),
      200,
      SharedInboxResponseSchema,
    );
    expect(updated).toMatchObject({ name: "Support", description: "Escalations only" });
    expect((await listInboxes(org)).find((i) => i.id === inbox.id)?.description).toBe("Escalations only");
  });

  it("refuses a description over 1000 characters with 400 naming the field", async () => {
    const org = uniqueOrg();
    const resp = await call("POST", INBOXES, {
      org,
      body: { name: "X", color: "#fff", description: "d".repeat(1001) },
    });
    expectError(resp, 400, /description/);
    expect(await listInboxes(org)).toEqual([]);
  });
});
