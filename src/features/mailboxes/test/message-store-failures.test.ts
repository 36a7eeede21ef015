import { env } from "cloudflare:workers";
import {
  addAttachments,
  bucketObjects,
  MB,
  mailboxWith,
  orgObjects,
  syncAll,
  syncItem,
} from "@test/helpers/message-store";
import { attachmentRows, messageRow } from "@test/helpers/rows";
import { describe, expect, it } from "vitest";
import { messagePrefix } from "@/db/message-store/keys";

/**
 * Attachment trouble. A corrupt attachment (Graph answers 500 ErrorCorruptData, or a stream that
 * ends before its Content-Length) fails its message into the failed-message / retry machinery and leaves
 * nothing of that message in the bucket; the other messages import. The per-attachment cap
 * (MAILBOX_ATTACHMENT_MAX_BYTES) records bigger files `skipped` with the reason instead of failing.
 */

describe("attachment failures and the size cap", () => {
  it("a corrupt attachment fails its message (retryable), stores nothing of it, and the rest imports", async () => {
    const h = await mailboxWith({ inbox: 3 });
    const [bad, short, good] = h.messages.map((m) => m.id);
    await addAttachments(h.email, bad ?? "", [
      { name: "ok.txt", size: 500 },
      { name: "broken.pdf", size: 4000, corrupt: "error" },
    ]);
    await addAttachments(h.email, short ?? "", [{ name: "cut.bin", size: 3 * MB, corrupt: "short" }]);
    await addAttachments(h.email, good ?? "", [{ name: "fine.pdf", size: 4000 }]);
    await syncAll(h, h.org, h.email);

    for (const id of [bad, short]) {
      const item = await syncItem(h.org, id ?? "");
      expect(item?.status).toBe("FAILED");
      expect(item?.attempts).toBe(1);
      expect(item?.last_error).toMatch(/^Storing the message's content failed: /);
      expect(await messageRow(h.org, id ?? "")).toBeNull();
      // Nothing of the failed message stays in the bucket (not even the attachment that was fine).
      const prefix = await messagePrefix({ orgId: h.org, mailbox: h.email, graphId: id ?? "" });
      expect([...(await bucketObjects(prefix)).keys()]).toEqual([]);
    }
    expect((await syncItem(h.org, bad ?? ""))?.last_error).toMatch(/ErrorCorruptData/);
    expect((await syncItem(h.org, short ?? ""))?.last_error).toMatch(/corrupt|ended|length|network|closed/i);
    expect(await messageRow(h.org, good ?? "")).toMatchObject({ body_store: "r2", has_attachments: 1 });
    const status = await h.api<{ inbox: { failed_messages: number; processed_messages: number } }>(
      "GET",
      `/v2/outlook/mailbox/${encodeURIComponent(h.email)}/sync/status`,
      { org: h.org },
    );
    expect(status.body.inbox).toMatchObject({ failed_messages: 2 });

    // The retry machinery takes over: retryMailboxSync attempts the failed messages again.
    const sync = await h.api<{ execution_id: string }>(
      "GET",
      `/v2/outlook/mailbox/${encodeURIComponent(h.email)}/sync/status`,
      { org: h.org },
    );
    const retry = await h.api("POST", `/v2/outlook/mailbox/${encodeURIComponent(h.email)}/sync/retry`, {
      org: h.org,
      body: { sync_id: sync.body.execution_id, scope: "all_failed" },
    });
    expect(retry.status).toBe(202);
    await h.drain();
    // Still corrupt at Graph: a second counted attempt, still nothing stored.
    expect(await syncItem(h.org, bad ?? "")).toMatchObject({ status: "FAILED", attempts: 2 });
    const left = [...(await orgObjects(h.org)).keys()];
    const goodPrefix = await messagePrefix({ orgId: h.org, mailbox: h.email, graphId: good ?? "" });
    expect(left.every((key) => key.startsWith(goodPrefix))).toBe(true);
  });

  it("an attachment over MAILBOX_ATTACHMENT_MAX_BYTES is recorded skipped with the reason; the message imports", async () => {
    const h = await mailboxWith({ inbox: 1 }, { MAILBOX_ATTACHMENT_MAX_BYTES: "100000" });
    const id = h.messages[0]?.id ?? "";
    await addAttachments(h.email, id, [
      { name: "small.txt", size: 99_000 },
      { name: "over-inline.bin", size: 200_000 },
      { name: "over-streamed.bin", size: 2 * MB },
    ]);
    await syncAll(h, h.org, h.email);
    // Imported: the row is there, and the ended sync's IMPORTED item is gone (only failures are kept).
    expect(await messageRow(h.org, id)).toMatchObject({ body_store: "r2", has_attachments: 1 });
    expect(await syncItem(h.org, id)).toBeNull();
    const results = (await attachmentRows(h.org, "name, state, skipped_reason, r2_key")) as {
      name: string;
      state: string;
      skipped_reason: string | null;
      r2_key: string | null;
    }[];
    expect(results.map((r) => [r.name, r.state])).toEqual([
      ["over-inline.bin", "skipped"],
      ["over-streamed.bin", "skipped"],
      ["small.txt", "stored"],
    ]);
    for (const r of results.filter((x) => x.state === "skipped")) {
      expect(r.skipped_reason).toMatch(/over the 100000-byte limit \(MAILBOX_ATTACHMENT_MAX_BYTES\)/);
      expect(r.r2_key).toBeNull();
    }
    // Only the stored one (and the two bodies) are in the bucket.
    expect((await orgObjects(h.org)).size).toBe(3);
  });
});
