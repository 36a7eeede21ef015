import type { AttachmentGraph } from "@/clients/graph/attachments";
import { GraphThrottledError } from "@/clients/graph/client";
import { forEachConcurrently } from "@/lib/concurrency";
import type { Services } from "@/lib/services";
import type { AttachmentRecord } from "./attachments";
import { storeMessageContent } from "./content";
import { hasMessageRow } from "./imported-messages.store";

/**
 * The store step of an import (the sync's pages and retries, live sync's delta pages): each message's
 * content goes to the MESSAGE_STORE bucket, and its D1 row keeps the metadata only (`body_store = 'r2'`,
 * the bodies null). A message whose content cannot be stored is reported failed with the reason; Graph
 * throttling is thrown, so the task is re-sent after Retry-After as for any other Graph request.
 */

/** What the store step reads of an import row. */
export interface ContentRow {
  graph_id: string;
  body_content_type: string | null;
  body: string | null;
  graph_modified_at: string | null;
  has_attachments: 0 | 1;
}

/** The body columns of a row whose content is in the store. */
export interface StoredBodyColumns {
  body: null;
  body_truncated: 0;
  body_sanitized: null;
  body_sanitized_truncated: 0;
  body_sanitizer_version: null;
  body_store: "r2";
  body_size: number;
}

export interface StoreBatchResult<R> {
  stored: (Omit<R, keyof StoredBodyColumns> & StoredBodyColumns)[];
  attachments: AttachmentRecord[];
  failed: { graph_id: string; error: string }[];
}

/** Messages stored at once per task (each is a few R2 calls, and Graph calls for its attachments). */
const CONCURRENCY = 6;

export interface StoreBatchOptions {
  services: Pick<Services, "d1" | "messageContent">;
  orgId: string;
  mailbox: string;
  graph: AttachmentGraph | null;
  attachmentMaxBytes: number;
  /**
   * Per Graph id, the attachment list Graph expanded into the import's page (`$expand=attachments`), so
   * those messages cost no list request; a message without one (live sync's delta) is listed on its own.
   */
  expandedAttachments?: ReadonlyMap<string, unknown[]>;
  /**
   * Whether the message has a row (then a failed store leaves its objects alone): the mailbox object's answer
   * for a mailbox whose mail is there; D1's by default.
   */
  hasRow?: (graphId: string) => Promise<boolean>;
}

const reason = (err: unknown) =>
  `Storing the message's content failed: ${(err instanceof Error ? err.message : String(err)).slice(0, 400)}`;

export async function storeBatch<R extends ContentRow>(
  rows: R[],
  options: StoreBatchOptions,
): Promise<StoreBatchResult<R>> {
  const result: StoreBatchResult<R> = { stored: [], attachments: [], failed: [] };
  // The throttling thrown is the last one to settle (its Retry-After the freshest), not the pool's first.
  let throttled: unknown = null;
  try {
    await forEachConcurrently(rows, CONCURRENCY, async (row) => {
      try {
        const stored = await storeMessageContent(
          options.services.messageContent,
          {
            ref: { orgId: options.orgId, mailbox: options.mailbox, graphId: row.graph_id },
            contentType: row.body_content_type,
            body: row.body ?? "",
            modifiedAt: row.graph_modified_at,
            hasAttachments: row.has_attachments === 1,
            expandedAttachments: options.expandedAttachments?.get(row.graph_id) ?? null,
          },
          {
            graph: options.graph,
            attachmentMaxBytes: options.attachmentMaxBytes,
            hasRow: () =>
              options.hasRow
                ? options.hasRow(row.graph_id)
                : hasMessageRow(options.services.d1, options.orgId, options.mailbox, row.graph_id),
          },
        );
        result.stored.push({
          ...row,
          body: null,
          body_truncated: 0,
          body_sanitized: null,
          body_sanitized_truncated: 0,
          body_sanitizer_version: null,
          body_store: "r2",
          body_size: stored.bodySize,
        });
        result.attachments.push(...stored.attachments);
      } catch (err) {
        if (!(err instanceof GraphThrottledError)) {
          result.failed.push({ graph_id: row.graph_id, error: reason(err) });
          return;
        }
        throttled = err;
        throw err; // no further row starts: the whole task is re-sent after Retry-After
      }
    });
  } catch {
    throw throttled;
  }
  return result;
}
