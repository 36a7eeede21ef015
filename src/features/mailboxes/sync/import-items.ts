import type { SyncFolder } from "@/clients/graph/mail";
import type { MailboxItemStatus } from "@/db/schema";
import type { Services } from "@/lib/services";
import { mailHomeOf } from "../mail-home";
import { lockStub } from "./lock-stub";
import { countItems, findItems, foldersWithPendingItems, type ItemFilter } from "./mailbox-sync-items.store";

/**
 * The import state of a mailbox's messages, wherever the mailbox's mail is: D1's `mailbox_sync_items` for a
 * mailbox not moved yet, its Durable Object's `import_items` otherwise. An execution's items are all in one of
 * the two: a mailbox starts moving only while no import holds its lease.
 */

type ItemServices = Pick<Services, "db" | "d1" | "mailboxObjects">;

/** How many items of an execution are in each folder and status. */
export async function itemCounts(
  services: ItemServices,
  scope: { orgId: string; mailbox: string },
  executionId: string,
): Promise<{ folder: SyncFolder; status: string; n: number }[]> {
  const home = await mailHomeOf(services, scope.orgId, scope.mailbox);
  if (home.store === "d1") return countItems(services.d1, scope.orgId, executionId);
  return lockStub(services, scope.orgId, scope.mailbox).importItemCounts(scope, executionId);
}

/** The items (Graph id and folder) of a mailbox that match the filter. */
export async function findImportItems(
  services: ItemServices,
  filter: ItemFilter,
): Promise<{ graphId: string; folder: SyncFolder }[]> {
  const home = await mailHomeOf(services, filter.orgId, filter.mailbox);
  if (home.store === "d1") return findItems(services.db, filter);
  const owner = { orgId: filter.orgId, mailbox: filter.mailbox };
  return lockStub(services, filter.orgId, filter.mailbox).findImportItems(owner, {
    ...(filter.executionId !== undefined && { executionId: filter.executionId }),
    ...(filter.status !== undefined && { status: filter.status as MailboxItemStatus }),
    ...(filter.ids !== undefined && { ids: [...filter.ids] }),
  });
}

/** The folders of an execution that still have a message waiting (PENDING). */
export async function foldersWithPending(
  services: ItemServices,
  scope: { orgId: string; mailbox: string },
  executionId: string,
): Promise<Set<SyncFolder>> {
  const home = await mailHomeOf(services, scope.orgId, scope.mailbox);
  if (home.store === "d1") return foldersWithPendingItems(services.db, scope.orgId, executionId);
  const pending = await lockStub(services, scope.orgId, scope.mailbox).findImportItems(scope, {
    executionId,
    status: "PENDING",
  });
  return new Set(pending.map((item) => item.folder));
}
