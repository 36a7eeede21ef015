import { describe, expect, it } from "vitest";
import { fakeMailbox, type MailboxSpec } from "./helpers/fixtures";
import {
  addGraphMessage,
  controlDelta,
  delegatedToken,
  deleteGraphMessage,
  graphMailbox,
  moveGraphMessage,
  patchMailbox,
  testEnv,
  uniqueTenant,
  updateGraphMessage,
} from "./helpers/mailbox-harness";

/**
 * The fake Graph's delta query, driven as the Worker drives it (fetch with a bearer token), against what
 * Microsoft documents for message: delta (test/servers/fake-graph/delta.ts). The subscription side is in
 * test/fake-graph-subscriptions.test.ts.
 */

const GRAPH = testEnv.TEST_GRAPH_BASE_URL;
const IMMUTABLE = 'IdType="ImmutableId"';

interface DeltaPage {
  value: Record<string, unknown>[];
  "@odata.nextLink"?: string;
  "@odata.deltaLink"?: string;
}

async function get(url: string, tenant: string, options: { pageSize?: number; immutable?: boolean } = {}) {
  const prefer = [...(options.immutable === false ? [] : [IMMUTABLE])];
  if (options.pageSize) prefer.push(`odata.maxpagesize=${options.pageSize}`);
  return fetch(url, { headers: { authorization: `Bearer ${delegatedToken(tenant)}`, prefer: prefer.join(", ") } });
}

const deltaUrl = (email: string, folder: string, query = "") =>
  `${GRAPH}/users/${encodeURIComponent(email)}/mailFolders/${folder}/messages/delta${query}`;

/** Follows nextLinks to the deltaLink; answers every page and the deltaLink. */
async function round(start: string, tenant: string, options: { pageSize?: number; immutable?: boolean } = {}) {
  const pages: DeltaPage[] = [];
  let link: string | undefined = start;
  for (let i = 0; link && i < 50; i++) {
    const response = await get(link, tenant, options);
    expect(response.status, await response.clone().text()).toBe(200);
    const page = (await response.json()) as DeltaPage;
    expect(page["@odata.nextLink"] && page["@odata.deltaLink"]).toBeFalsy(); // never both
    pages.push(page);
    if (page["@odata.deltaLink"])
      return { pages, deltaLink: page["@odata.deltaLink"], items: pages.flatMap((p) => p.value) };
    link = page["@odata.nextLink"];
  }
  throw new Error("no deltaLink");
}

const seeded = (spec: MailboxSpec = {}) => fakeMailbox({ spec: { inbox: 5, sentitems: 2, ...spec } });

describe("fake Graph: message delta", () => {
  it("pages with opaque nextLinks on the same base until a deltaLink, with the $select'ed fields only", async () => {
    const { tenant, email, messages } = await seeded({ inbox: 7 });
    const start = deltaUrl(email, "inbox", "?$select=subject,receivedDateTime");
    const { pages, deltaLink, items } = await round(start, tenant, { pageSize: 3 });
    expect(pages.map((p) => p.value.length)).toEqual([3, 3, 1]);
    const base = deltaUrl(email, "inbox");
    for (const link of [...pages.map((p) => p["@odata.nextLink"]).filter(Boolean), deltaLink]) {
      const url = new URL(String(link));
      expect(`${url.origin}${url.pathname}`).toBe(new URL(base).href);
      expect(url.searchParams.has("$select")).toBe(false); // encoded into the token
    }
    expect(new URL(deltaLink).searchParams.get("$deltatoken")).toBeTruthy();
    expect(new URL(String(pages[0]?.["@odata.nextLink"])).searchParams.get("$skiptoken")).toBeTruthy();
    const inbox = messages.filter((m) => m.folder === "inbox").map((m) => m.id);
    expect(items.map((m) => m.id).sort()).toEqual([...inbox].sort());
    for (const item of items) expect(Object.keys(item).sort()).toEqual(["id", "receivedDateTime", "subject"]);
    expect((await graphMailbox(email)).stats.requests.delta).toBe(3);
  });

  it("a deltaLink answers the changes since it was issued: created and updated in full, deletions as @removed", async () => {
    const { tenant, email, messages } = await seeded();
    const first = await round(deltaUrl(email, "inbox", "?$select=subject,body"), tenant);
    const [kept, changed, gone] = messages.filter((m) => m.folder === "inbox");
    const created = await addGraphMessage(email, { folder: "inbox", subject: "New mail", body_html: "<p>hi</p>" });
    await addGraphMessage(email, { folder: "sentitems", subject: "Other folder" });
    await updateGraphMessage(email, String(changed?.id), { subject: "Edited" });
    await deleteGraphMessage(email, String(gone?.id));

    const second = await round(first.deltaLink, tenant);
    const byId = new Map(second.items.map((m) => [m.id, m]));
    expect(second.items).toHaveLength(3);
    expect(byId.get(created.id)).toEqual({
      id: created.id,
      subject: "New mail",
      body: { contentType: "html", content: "<p>hi</p>" },
    });
    expect(byId.get(changed?.id)).toMatchObject({ id: changed?.id, subject: "Edited" });
    expect(byId.get(gone?.id)).toEqual({ id: gone?.id, "@removed": { reason: "deleted" } });
    expect(byId.has(kept?.id)).toBe(false);
    // Nothing changed since: an empty round; the old deltaLink replays the same changes again.
    expect((await round(second.deltaLink, tenant)).items).toEqual([]);
    expect((await round(first.deltaLink, tenant)).items).toHaveLength(3);
  });

  it("a message moved to Sent Items is removed from the Inbox and present there with the same immutable id", async () => {
    const { tenant, email, messages } = await seeded();
    const inbox = await round(deltaUrl(email, "inbox"), tenant);
    const sent = await round(deltaUrl(email, "sentitems"), tenant);
    const moved = messages.find((m) => m.folder === "inbox");
    const restBefore = (await get(`${GRAPH}/users/${email}/messages/${moved?.id}`, tenant, { immutable: false }).then(
      (r) => r.json(),
    )) as { id: string };
    await moveGraphMessage(email, String(moved?.id), "sentitems");

    expect((await round(inbox.deltaLink, tenant)).items).toEqual([
      { id: moved?.id, "@removed": { reason: "deleted" } },
    ]);
    const arrived = (await round(sent.deltaLink, tenant)).items;
    expect(arrived.map((m) => m.id)).toEqual([moved?.id]);
    // Without the ImmutableId preference the REST id changes with the move, as Graph's does.
    const restAfter = (await get(`${GRAPH}/users/${email}/messages/${moved?.id}`, tenant, { immutable: false }).then(
      (r) => r.json(),
    )) as { id: string };
    expect(restAfter.id).not.toBe(restBefore.id);
  });

  it("$filter=receivedDateTime ge is the only filter and returns at most 5,000 messages, the newest", async () => {
    const { tenant, email, messages } = await seeded({ inbox: 5_050, sentitems: 0 });
    const since = new Date(Date.now() - 30 * 86_400_000).toISOString();
    const all = await round(
      deltaUrl(email, "inbox", `?$select=receivedDateTime&$filter=receivedDateTime ge ${since}`),
      tenant,
      {
        pageSize: 1000,
      },
    );
    expect(all.items).toHaveLength(5_000);
    const oldestListed = Math.min(...all.items.map((m) => Date.parse(String(m.receivedDateTime))));
    const left = messages.filter((m) => !all.items.some((i) => i.id === m.id));
    expect(left).toHaveLength(50);
    for (const m of left) expect(Date.parse(m.receivedDateTime)).toBeLessThanOrEqual(oldestListed);

    const bad = await get(deltaUrl(email, "inbox", "?$filter=subject eq 'x'"), tenant);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe("ErrorInvalidUrlQueryFilter");
  });

  it("replays already delivered changes out of order on demand", async () => {
    const { tenant, email } = await seeded();
    const first = await round(deltaUrl(email, "inbox"), tenant);
    const a = await addGraphMessage(email, { subject: "A" });
    const second = await round(first.deltaLink, tenant);
    expect(second.items.map((m) => m.id)).toEqual([a.id]);
    const b = await addGraphMessage(email, { subject: "B" });
    await controlDelta(email, { replay: 1 });
    const third = await round(second.deltaLink, tenant);
    expect(third.items.map((m) => m.id)).toEqual([b.id, a.id]); // A again, after B
    expect((await round(third.deltaLink, tenant)).items).toEqual([]); // a replay is one-off
  });

  it("expired tokens answer 410 Gone with syncStateNotFound or resyncRequired; a new initial round works", async () => {
    const { tenant, email } = await seeded({ inbox: 4 });
    const first = await round(deltaUrl(email, "inbox"), tenant, { pageSize: 2 });
    const midRound = String(first.pages[0]?.["@odata.nextLink"]);
    await controlDelta(email, { expire_tokens: true });
    for (const link of [first.deltaLink, midRound]) {
      const response = await get(link, tenant);
      expect(response.status).toBe(410);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe("syncStateNotFound");
    }
    const again = await round(deltaUrl(email, "inbox"), tenant);
    expect(again.items).toHaveLength(4);
    await controlDelta(email, { fail: "resyncRequired" });
    const response = await get(again.deltaLink, tenant);
    expect(response.status).toBe(410);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("resyncRequired");
  });

  it("throttles delta requests with 429 and Retry-After, and hides another tenant's mailbox", async () => {
    const { tenant, email } = await seeded();
    await patchMailbox(email, { throttle: { count: 1, retry_after: 9 } });
    const throttled = await get(deltaUrl(email, "inbox"), tenant);
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get("retry-after")).toBe("9");
    await throttled.body?.cancel();
    expect((await get(deltaUrl(email, "inbox"), tenant)).status).toBe(200);
    const foreign = await get(deltaUrl(email, "inbox"), uniqueTenant());
    expect(foreign.status).toBe(404);
    await foreign.body?.cancel();
  });
});
