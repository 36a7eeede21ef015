import type { Services } from "@/lib/services";
import { deleteAttachmentRows, deleteMessageChunk } from "./imported-messages.store";
import { type MessageRef, mailboxPrefix, messagePrefix, orgPrefix } from "./keys";
import { deletePrefix } from "./objects";

/**
 * What the message store removes with the message rows: a gone message's attachment rows and objects, and
 * a mailbox's (or an org's) imported mail. The statements are in imported-messages.store.ts.
 */

/**
 * Removes what the store holds for messages that are gone (live sync's tombstones): their attachment
 * rows and every object under their keys.
 */
export async function removeMessageContent(db: D1Database, bucket: R2Bucket, refs: MessageRef[]): Promise<void> {
  if (refs.length === 0) return;
  const byMailbox = new Map<string, MessageRef[]>();
  for (const ref of refs)
    byMailbox.set(`${ref.orgId}\n${ref.mailbox}`, [...(byMailbox.get(`${ref.orgId}\n${ref.mailbox}`) ?? []), ref]);
  for (const group of byMailbox.values()) {
    const first = group[0] as MessageRef;
    await deleteAttachmentRows(
      db,
      first.orgId,
      first.mailbox,
      group.map((r) => r.graphId),
    );
  }
  for (const ref of refs) await deletePrefix(bucket, await messagePrefix(ref));
}

/** Messages whose rows (and attachment rows) one transaction of a mailbox purge deletes. */
const PURGE_CHUNK_ROWS = 500;

/**
 * Removes an org's imported mail (one mailbox's, or all of it): the D1 rows first (so no row points at a
 * missing object), in transactions of PURGE_CHUNK_ROWS messages with their attachment rows (so a big
 * mailbox never needs one huge statement), then every object under the mailbox's (or org's) prefix, in
 * deletes of at most 1000 keys. Answers how many message rows and objects went. Objects that a racing
 * writer stores afterwards are that writer's to remove (mailboxes/purge.ts). `between`: what must happen
 * after the rows and before the objects (the purge empties the mailbox's Durable Object there).
 */
export async function deleteMailboxContent(
  services: Pick<Services, "d1" | "messageContent">,
  orgId: string,
  mailbox?: string,
  between?: () => Promise<void>,
): Promise<{ messages: number; objects: number }> {
  let messages = 0;
  for (;;) {
    const changes = await deleteMessageChunk(services.d1, orgId, mailbox, PURGE_CHUNK_ROWS);
    messages += changes;
    if (changes < PURGE_CHUNK_ROWS) break;
  }
  await between?.();
  const prefix = mailbox ? await mailboxPrefix(orgId, mailbox) : orgPrefix(orgId);
  const objects = await deletePrefix(services.messageContent, prefix);
  return { messages, objects };
}
