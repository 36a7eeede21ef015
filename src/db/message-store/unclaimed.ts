import { hasMailboxStore } from "@/db/stores/mailbox-stores.store";
import { mailboxConnected } from "@/db/stores/outlook-mailboxes.store";
import { logEvent } from "@/lib/log";
import type { Services } from "@/lib/services";
import { graphIdsWithoutRow } from "./imported-messages.store";
import { messagePrefix } from "./keys";
import { deletePrefix } from "./objects";

/**
 * Objects a writer stored for messages whose D1 row never came (its write was refused, or skipped a message
 * removed meanwhile) or is gone (a purge deleted it meanwhile). Writers store objects before rows, so only
 * the writer can know that its objects lost the race; it calls one of these after its write.
 */

type StoreServices = Pick<Services, "d1" | "messageContent">;

/** Deletes the stored objects of the given messages (their rows are known to be missing or tombstones). */
export async function dropContentOf(
  services: Pick<Services, "messageContent">,
  orgId: string,
  mailbox: string,
  graphIds: string[],
): Promise<void> {
  for (const graphId of graphIds) {
    await deletePrefix(services.messageContent, await messagePrefix({ orgId, mailbox, graphId }));
  }
}

/**
 * After a write whose guard refused it: when the mailbox is no longer connected, removes the objects this
 * attempt stored for the messages that have no row (nothing will ever point at them). While the mailbox
 * is connected nothing is removed: the refusal was a superseded lease, and the current writer may be
 * about to claim the same keys. `withoutRow`: which of them have no listed row (the mailbox object's answer
 * for a mailbox whose mail is there; D1's by default). Answers how many messages' objects went.
 */
export async function dropUnclaimedContent(
  services: StoreServices,
  orgId: string,
  mailbox: string,
  graphIds: string[],
  withoutRow?: (graphIds: string[]) => Promise<string[]>,
): Promise<number> {
  if (graphIds.length === 0) return 0;
  if (await mailboxConnected(services.d1, orgId, mailbox)) return 0;
  const dropped = withoutRow
    ? await dropListed(services, orgId, mailbox, await withoutRow(graphIds))
    : await dropContentWithoutRow(services, orgId, mailbox, graphIds);
  if (dropped > 0) logEvent("info", "mailbox_refused_write_cleaned", { orgId, messages: dropped });
  return dropped;
}

/**
 * After an import write the guard let through that added fewer rows than it was given: the messages still
 * without a row, or with a tombstone, were skipped because live sync saw them removed meanwhile (an existing
 * row is a redelivery: kept). Removes what this attempt stored for them. Answers how many messages' objects went.
 */
export async function dropSkippedContent(
  services: StoreServices,
  orgId: string,
  mailbox: string,
  graphIds: string[],
): Promise<number> {
  const dropped = await dropContentWithoutRow(services, orgId, mailbox, graphIds);
  if (dropped > 0) logEvent("info", "mailbox_removed_message_content_dropped", { orgId, messages: dropped });
  return dropped;
}

async function dropListed(services: StoreServices, orgId: string, mailbox: string, graphIds: string[]) {
  await dropContentOf(services, orgId, mailbox, graphIds);
  return graphIds.length;
}

/**
 * Deletes the objects of the given messages that have no row, or only a tombstone (a message deleted
 * meanwhile keeps no content); answers how many messages that was.
 */
async function dropContentWithoutRow(services: StoreServices, orgId: string, mailbox: string, graphIds: string[]) {
  if (graphIds.length === 0) return 0;
  // The mailbox's mail is (or is moving) in its Durable Object: D1 holding no row proves nothing, so nothing
  // is deleted on D1's word (at worst an object stays unclaimed).
  if (await hasMailboxStore(services.d1, orgId, mailbox)) return 0;
  const without = await graphIdsWithoutRow(services.d1, orgId, mailbox, graphIds);
  for (const graphId of without) {
    await deletePrefix(services.messageContent, await messagePrefix({ orgId, mailbox, graphId }));
  }
  return without.length;
}
