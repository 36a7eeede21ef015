import { expectError, uniqueOrg } from "@test/helpers/api";
import { connectedMailbox } from "@test/helpers/fixtures";
import { listedIds, liveApi, liveStatus, waitFor } from "@test/helpers/live-harness";
import {
  addGraphMessage,
  connect,
  controlDelta,
  deleteGraphMessage,
  graphMailbox,
  moveGraphMessage,
  updateGraphMessage,
} from "@test/helpers/mailbox-harness";
import { countMessages } from "@test/helpers/rows";
import { describe, expect, it } from "vitest";

/**
 * Live sync on delta polling (no PUBLIC_BASE_URL, or no app-only consent): new, changed, moved and
 * deleted mail follows Graph within one poll interval, through the mailbox's Durable Object alarm and
 * wrangler.toml's real queue consumer; an expired delta token resyncs without duplicates or losses.
 */

const POLL_BOUND_MS = 1_000 + 10_000; // one poll interval (1 s here) + 10 s

describe("live sync, polling mode", { timeout: 40_000 }, () => {
  it("is live from the connect: new mail is listed within one poll interval, updates and deletions follow", async () => {
    const api = liveApi();
    const { org, email } = await connectedMailbox(api);
    const status = await liveStatus(api, org, email);
    expect(status).toMatchObject({ mailbox: email, status: "polling", poll_interval_seconds: 1, subscriptions: [] });
    expect(status.polling_reason).toMatch(/PUBLIC_BASE_URL/);
    await waitFor("the first delta run", async () => (await liveStatus(api, org, email)).last_delta_at !== null);

    const first = await addGraphMessage(email, { folder: "inbox", subject: "hello live" });
    await waitFor("the new message", async () => (await listedIds(api, org)).includes(first.id), POLL_BOUND_MS);

    await updateGraphMessage(email, first.id, { subject: "hello again" });
    await waitFor(
      "the update",
      async () => {
        const row = (
          await api<{ messages: { graph_id: string; subject: string }[] }>(
            "GET",
            "/v2/email-settings/shared-inboxes/default/messages",
            { org },
          )
        ).body.messages.find((m) => m.graph_id === first.id);
        return row?.subject === "hello again";
      },
      POLL_BOUND_MS,
    );

    await deleteGraphMessage(email, first.id);
    await waitFor("the deletion", async () => !(await listedIds(api, org)).includes(first.id), POLL_BOUND_MS);
    // Kept as a tombstone: one row, no longer listed.
    expect(await countMessages(org, email)).toBe(1);
    const live = await liveStatus(api, org, email);
    expect(live.last_error).toBeNull();
    expect(live.last_delta_at).not.toBeNull();
  });

  it("a message moved from Inbox to Sent Items stays one message, in its new folder", async () => {
    const api = liveApi();
    const { org, email } = await connectedMailbox(api);
    await waitFor("the first delta run", async () => (await liveStatus(api, org, email)).last_delta_at !== null);
    const message = await addGraphMessage(email, { folder: "inbox", subject: "to be moved" });
    await waitFor("the message", async () => (await listedIds(api, org)).includes(message.id), POLL_BOUND_MS);
    await moveGraphMessage(email, message.id, "sentitems");
    await waitFor(
      "the move",
      async () => {
        const body = (
          await api<{ messages: { graph_id: string; folder: string }[] }>(
            "GET",
            "/v2/email-settings/shared-inboxes/default/messages",
            { org },
          )
        ).body;
        return body.messages.some((m) => m.graph_id === message.id && m.folder === "sentitems");
      },
      POLL_BOUND_MS,
    );
    // Several more polls: it stays listed once (neither the removal from Inbox nor a replay undoes it).
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect((await listedIds(api, org)).filter((id) => id === message.id)).toHaveLength(1);
    expect(await countMessages(org, email)).toBe(1);
  });

  it("an expired delta token (410 syncStateNotFound / resyncRequired) resyncs: zero duplicates, zero lost", async () => {
    const api = liveApi();
    const { org, email } = await connectedMailbox(api);
    await waitFor("the first delta run", async () => (await liveStatus(api, org, email)).last_delta_at !== null);
    const before = [];
    for (let i = 0; i < 3; i++) before.push(await addGraphMessage(email, { subject: `before ${i}` }));
    await waitFor("the first messages", async () => (await listedIds(api, org)).length === 3, POLL_BOUND_MS);

    // Every token so far expires; more mail arrives, some replays come out of order.
    await controlDelta(email, { expire_tokens: true, fail: "resyncRequired" });
    await controlDelta(email, { replay: 3 });
    const after = [];
    for (let i = 0; i < 4; i++) after.push(await addGraphMessage(email, { folder: i % 2 ? "sentitems" : "inbox" }));
    const expected = [...before, ...after].map((m) => m.id).sort();
    await waitFor("the resync", async () => (await listedIds(api, org)).length >= expected.length, POLL_BOUND_MS);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect((await listedIds(api, org)).sort()).toEqual(expected);
    expect(await countMessages(org, email)).toBe(expected.length);
    const { stats } = await graphMailbox(email);
    expect(stats.withoutImmutableId).toBe(0);
    expect(stats.maxInFlight).toBeLessThanOrEqual(4);
  });

  it("connect with a timeframe: the import and live sync overlap without a gap or a duplicate", async () => {
    const api = liveApi();
    const {
      org,
      email,
      messages: seeded,
    } = await connectedMailbox(api, {
      name: "overlap",
      spec: { inbox: 12, sentitems: 5, max_page_size: 5 },
      connect: false,
    });
    // Mail of the last minutes: inside both the import's window and live sync's first round.
    const recent = [
      await addGraphMessage(email, { received: new Date(Date.now() - 5 * 60_000).toISOString() }),
      await addGraphMessage(email, { folder: "sentitems", received: new Date(Date.now() - 60_000).toISOString() }),
    ];
    await connect(api as never, org, email, { mailboxSyncTimeframe: "1m" });
    const arriving = await addGraphMessage(email, { subject: "while the import runs" });
    const expected = [...seeded, ...recent, arriving].map((m) => m.id).sort();
    await waitFor("every message", async () => (await listedIds(api, org)).length >= expected.length, 20_000);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect((await listedIds(api, org)).sort()).toEqual(expected);
    expect(await countMessages(org, email)).toBe(expected.length);
  });

  it("getMailboxLiveSync: 404 for a mailbox that is not connected in the caller's org", async () => {
    const api = liveApi();
    const { email } = await connectedMailbox(api);
    expectError(await api("GET", `/v2/outlook/mailbox/${encodeURIComponent(email)}/live`, { org: uniqueOrg() }), 404);
    expectError(await api("GET", "/v2/outlook/mailbox/not-an-email/live", { org: uniqueOrg() }), 400);
  });
});
