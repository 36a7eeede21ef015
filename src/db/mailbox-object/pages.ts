import type { SyncFolder } from "@/clients/graph/mail";
import type { AttachmentRecord } from "@/db/message-store/attachments";
import type { ImportOutcome } from "./import-items.store";
import type { IndexStores } from "./index";
import type { IncomingMessage, WrittenRows } from "./messages.store";
import type { SearchFields } from "./search.store";

const writtenIds = (written: WrittenRows) => new Set(written.written.map((row) => row.graph_id));

/**
 * What one import page or one delta page changes in a mailbox object's index, composed from the tables'
 * statements. The object runs each inside one transactionSync after its own fencing (the lease for an import,
 * the current live run for a delta page), so a page's rows, attachment rows, search entries, item outcomes and
 * events are written together or not at all.
 */

export interface ImportPage {
  rows: (IncomingMessage & SearchFields)[];
  attachments: AttachmentRecord[];
  outcomes: ImportOutcome[];
}

export interface PageWrite extends WrittenRows {
  /** Of the page's rows, the Graph ids with no listed row after the write: their stored content has no owner. */
  withoutRow: string[];
  /** Message events recorded (to relay to the webhook tables). */
  events: number;
}

/** Rows (a stored message stays; see IMPORT_INSERT), their events, attachment rows, then the outcomes. */
export function writeImportPage(
  stores: IndexStores,
  page: ImportPage,
  at: { executionId: string; now: string; readAt: string; mailbox: string; sharedInboxId: string },
): PageWrite & { inserted: number } {
  const written = stores.messages.writeImportRows(page.rows, at);
  const events = stores.events.recordReceived(page.rows, written, at);
  stores.attachments.upsert(page.attachments, at.now);
  stores.search.indexWritten(page.rows, writtenIds(written), page.attachments);
  stores.items.recordOutcomes(page.outcomes, at);
  const withoutRow = stores.messages.withoutRow(page.rows.map((row) => row.graph_id));
  return { ...written, inserted: written.written.length, withoutRow, events };
}

export interface LivePage {
  folder: SyncFolder;
  rows: (IncomingMessage & SearchFields)[];
  attachments: AttachmentRecord[];
  /** Graph ids that left `folder` (deleted, or moved out of the synced folders). */
  removed: string[];
  /** A resync round's page: the Graph ids it lists are marked; `sweep` at its deltaLink. */
  resync?: { round: string; since: string; startedAt: string; present: string[]; sweep: boolean };
}

/**
 * A delta page in the order D1's live writer runs it: upserts (newest wins) and their events, attachment rows,
 * a resync round's marks, removals kept from a running import (`importExecution`), tombstones, the sweep.
 * Answers the Graph ids it made tombstones (their content goes after the transaction).
 */
export function writeLivePage(
  stores: IndexStores,
  page: LivePage,
  at: { executionId: string; now: string; mailbox: string; sharedInboxId: string; importExecution: string | null },
): PageWrite & { tombstoned: string[] } {
  const written = stores.messages.upsertLiveRows(page.rows, at);
  const events = stores.events.recordReceived(page.rows, written, at);
  stores.attachments.upsert(page.attachments, at.now);
  stores.search.indexWritten(page.rows, writtenIds(written), page.attachments);
  if (page.resync) stores.messages.markSeen(page.folder, page.resync.round, page.resync.present);
  if (at.importExecution) {
    stores.items.recordRemovedDuringImport(page.folder, page.removed, { executionId: at.importExecution, now: at.now });
  }
  const tombstoned = stores.messages.tombstone(page.folder, page.removed, at.now);
  if (page.resync?.sweep) tombstoned.push(...stores.messages.sweepUnseen(page.folder, page.resync, at.now));
  stores.attachments.dropFor(tombstoned);
  stores.search.remove(tombstoned);
  const withoutRow = stores.messages.withoutRow(page.rows.map((row) => row.graph_id));
  return { ...written, withoutRow, tombstoned, events };
}
