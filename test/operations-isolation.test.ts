import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { AppEnv } from "@/lib/types";
import { type CallOptions, call, uniqueOrg } from "./helpers/api";
import { connectedMailbox } from "./helpers/fixtures";
import { CapturingQueue, deliverBatch, testEnv } from "./helpers/mailbox-harness";
import { fillPath, type ServedOperation, servedOperations } from "./helpers/operations";

/**
 * Tenant isolation over every operation of the served GET /openapi.json: org A holds data in every area
 * (addresses, inboxes, signatures and other settings, a domain, a Microsoft 365 connection, a connected
 * mailbox with imported mail and a finished sync). Org B, with a valid token of its own, then calls every
 * operation naming A's ids, addresses, domain, tenant, mailbox, sync and messages. No answer to B may carry
 * any of A's ids it did not send itself, and afterwards everything A can read is exactly as before. A new route is exercised on
 * arrival (its path parameters are filled by name); BODIES only says what to send where `{}` is not enough.
 */

const overrides = (queue: CapturingQueue): Partial<AppEnv> => ({
  MS_GRAPH_BASE_URL: testEnv.TEST_GRAPH_BASE_URL,
  MAILBOX_SYNC_QUEUE: queue as unknown as Queue,
});

interface OrgA {
  org: string;
  tenant: string;
  mailbox: string;
  domain: string;
  addressId: string;
  address: string;
  platformAddress: string;
  inboxId: string;
  signatureId: string;
  syncId: string;
  messageIds: string[];
}

const json = <T>(response: { status: number; body: unknown }, status: number): T => {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  return response.body as T;
};

async function seedOrgA(): Promise<OrgA> {
  const org = uniqueOrg("iso-a");
  // Names carry a label of their own, so A's org id is a secret no request of B's contains.
  const label = `a${crypto.randomUUID().slice(0, 8)}`;
  const queue = new CapturingQueue();
  const api = (method: string, path: string, options: CallOptions = {}) =>
    call(method, path, { org, ...options, env: overrides(queue) });
  const inbox = json<{ id: string }>(
    await api("POST", "/v2/email-settings/shared-inboxes", { body: { name: "A", color: "#123456" } }),
    201,
  );
  const signature = json<{ id: string }>(
    await api("POST", "/v1/email-settings", { body: { type: "signature", name: "A", html: "<p>A</p>" } }),
    200,
  );
  json(await api("POST", "/v1/email-settings", { body: { type: "restrict_duplicates_within", value: "5m" } }), 200);
  json(await api("POST", "/v1/email-settings", { body: { type: "whitelist_email_address", value: "a@x.test" } }), 200);
  const address = json<{ id: string; address: string }>(
    await api("POST", "/v2/email-settings/email-addresses", {
      body: { address: `sales@${label}.example.com`, shared_inbox_id: inbox.id, default_signature_id: signature.id },
    }),
    201,
  );
  json(await api("POST", "/v2/email-settings/email-addresses/primary", { body: { address: address.address } }), 200);
  const platformAddress = `${label}@epilot.cloud`;
  json(
    await api("PUT", "/v2/email-settings/email-addresses/epilot:provision", { body: { address: platformAddress } }),
    200,
  );
  const domain = `${label}.example.org`;
  json(await api("POST", "/v1/email-settings/domain", { body: { domain } }), 200);

  const { tenant, email: mailbox } = await connectedMailbox(call, {
    org,
    name: "box",
    spec: { inbox: 3, sentitems: 2 },
    connect: false,
  });
  json(await api("POST", "/v2/outlook/mailbox/connect", { body: { email: mailbox, shared_inbox_id: inbox.id } }), 201);
  const sync = json<{ execution_id: string }>(
    await api("POST", `/v2/outlook/mailbox/${mailbox}/sync`, { body: { timeframe: "1m" } }),
    202,
  );
  const workerEnv = { ...(env as unknown as AppEnv), ...overrides(queue) };
  for (let round = 0; queue.pending.length > 0; round++) {
    if (round > 100) throw new Error("the sync queue does not drain");
    await deliverBatch(workerEnv, queue.pending.splice(0, 10));
  }
  const messages = json<{ messages: { id: string }[] }>(
    await api("GET", `/v2/email-settings/shared-inboxes/${inbox.id}/messages`),
    200,
  );
  expect(messages.messages.length).toBeGreaterThan(0);
  return {
    org,
    tenant,
    mailbox,
    domain,
    addressId: address.id,
    address: address.address,
    platformAddress,
    inboxId: inbox.id,
    signatureId: signature.id,
    syncId: sync.execution_id,
    messageIds: messages.messages.map((m) => m.id),
  };
}

/** Path and query values by parameter name: always A's. */
const paramsOf = (a: OrgA): Record<string, string> => ({
  email: a.mailbox,
  message_id: a.messageIds[0] ?? "",
  type: "signature",
  successorInboxId: "default",
});

/** The path `{id}` names A's row of the area the path is in. */
function idFor(a: OrgA, path: string): string {
  if (path.startsWith("/v2/email-settings/email-addresses")) return a.addressId;
  if (path.startsWith("/v2/email-settings/shared-inboxes")) return a.inboxId;
  return a.signatureId;
}

/** What B sends, naming A's things; operations not listed send `{}` when they take a body. */
const BODIES: Record<string, (a: OrgA) => unknown> = {
  provisionEpilotEmailAddress: (a) => ({ address: a.platformAddress }),
  setEmailAddressPrimary: (a) => ({ address: a.address }),
  updateEmailAddress: (a) => ({ name: "B", shared_inbox_id: a.inboxId, default_signature_id: a.signatureId }),
  addEmailAddress: (a) => ({ address: a.address, shared_inbox_id: a.inboxId, default_signature_id: a.signatureId }),
  updateSharedInbox: () => ({ name: "B" }),
  addSharedInbox: () => ({ name: "B", color: "#000000" }),
  disconnectOutlook: (a) => ({ tenant_id: a.tenant }),
  connectOutlookMailbox: (a) => ({ email: a.mailbox, shared_inbox_id: a.inboxId }),
  startMailboxSync: () => ({ timeframe: "1m" }),
  retryMailboxSync: (a) => ({ sync_id: a.syncId, scope: "all_failed" }),
  addSetting: () => ({ type: "signature", name: "B", html: "<p>B</p>" }),
  deleteSetting: (a) => ({ type: "signature", id: a.signatureId }),
  updateSetting: () => ({ type: "signature", name: "B" }),
  addDomain: (a) => ({ domain: a.domain }),
  deleteDomain: (a) => ({ domain: a.domain }),
  verifyNameServers: (a) => ({ domain: a.domain }),
  verifyDomain: (a) => ({ domain: a.domain }),
  createWebhook: () => ({ url: "https://hooks.example.com/b", event_types: ["domain.verified"] }),
  updateWebhook: () => ({ url: "https://hooks.example.com/b2", enabled: false }),
};

function requestFor(op: ServedOperation, a: OrgA) {
  const values = { ...paramsOf(a), id: idFor(a, op.path) };
  const query = new URLSearchParams();
  for (const name of op.requiredQuery) query.set(name, values[name as keyof typeof values] ?? "x");
  if (op.operationId === "getSettings") query.set("id", a.signatureId);
  if (op.operationId === "deleteSharedInbox") query.set("successorInboxId", "default");
  const path = fillPath(op.path, values);
  const body = op.hasBody ? (BODIES[op.operationId]?.(a) ?? {}) : undefined;
  return { path: query.size ? `${path}?${query}` : path, body };
}

/** Everything A can read, through the API, to compare before and after B's calls. */
async function snapshotOf(a: OrgA) {
  const paths = [
    "/v2/email-settings/email-addresses",
    `/v2/email-settings/email-addresses/${a.addressId}`,
    "/v2/email-settings/shared-inboxes",
    `/v2/email-settings/shared-inboxes/${a.inboxId}`,
    "/v2/email-settings/inbox-buckets",
    ...["signature", "email_domain", "email_address", "whitelist_email_address", "restrict_duplicates_within"].map(
      (type) => `/v1/email-settings?type=${type}`,
    ),
    "/v1/email-settings/domain",
    "/v2/outlook/connection/status",
    "/v2/outlook/mailbox/mappings",
    `/v2/outlook/mailbox/${a.mailbox}/sync/status`,
    `/v2/email-settings/shared-inboxes/${a.inboxId}/messages`,
  ];
  const snapshot: Record<string, unknown> = {};
  for (const path of paths) {
    const response = await call("GET", path, { org: a.org });
    expect(response.status, `${path}: ${JSON.stringify(response.body)}`).toBe(200);
    snapshot[path] = response.body;
  }
  return snapshot;
}

const operations = (await servedOperations()).filter((op) => !op.isPublic);
let a: OrgA;
let before: Record<string, unknown>;
/** A's identifiers that must never appear in an answer to B. */
let secrets: string[];

beforeAll(async () => {
  a = await seedOrgA();
  before = await snapshotOf(a);
  secrets = [a.org, a.tenant, a.addressId, a.inboxId, a.signatureId, a.syncId, ...a.messageIds];
}, 60_000);

describe("tenant isolation over every served operation: org B against org A", () => {
  it("has a body for every served operation that needs more than {}", () => {
    const known = new Set(operations.map((op) => op.operationId));
    expect(Object.keys(BODIES).filter((id) => !known.has(id))).toEqual([]);
  });

  it.each(operations)("$operationId ($method $path) reveals nothing of A and changes nothing of A", async (op) => {
    const b = uniqueOrg("iso-b");
    const { path, body } = requestFor(op, a);
    const response = await call(op.method, path, { org: b, body, env: overrides(new CapturingQueue()) });
    expect(response.status, `${op.method} ${path}: ${JSON.stringify(response.body)}`).toBeLessThan(500);
    const text = typeof response.body === "string" ? response.body : JSON.stringify(response.body);
    // An answer may echo what B itself sent (e.g. "Shared inbox '<id>' not found"), nothing else of A's.
    const sent = `${path} ${JSON.stringify(body ?? null)}`;
    for (const secret of secrets.filter((s) => !sent.includes(s))) {
      expect(text, `answer to B names A's ${secret}`).not.toContain(secret);
    }
    expect(await snapshotOf(a)).toEqual(before);
  });
});
