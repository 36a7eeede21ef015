import type { D1AttachmentRow, D1MessageRow, MovedItem } from "@/db/mailbox-object";
import {
  attachmentRowsToMove,
  graphIdsWithoutRow,
  hasMessageRow,
  legacyBodiesOf,
  type MovingMessageRow,
  migrateLegacyBody,
  rowsToMove,
} from "@/db/message-store";
import { findMailboxStore } from "@/db/stores/mailbox-stores.store";
import type { Services } from "@/lib/services";
import { searchableBody } from "@/shared/search-text";
import type { Adoption } from "./sync/lock-stub";
import { itemsToMove } from "./sync/mailbox-sync-items.store";

/**
 * Where a mailbox's mail is written: D1 (a mailbox from before the mailbox objects, not moved yet) or its
 * Durable Object. While the mailbox moves, pages go to the object, and each page first hands the object the
 * D1 rows of the messages it touches (`adoptionFor`), so a message keeps its id and is never written twice.
 */
export type MailHome = { store: "d1" } | { store: "object"; sharedInboxId: string; moving: boolean };

export async function mailHomeOf(services: Pick<Services, "db">, orgId: string, mailbox: string): Promise<MailHome> {
  const row = await findMailboxStore(services.db, orgId, mailbox);
  if (!row) return { store: "d1" };
  return { store: "object", sharedInboxId: row.sharedInboxId, moving: row.state === "moving" };
}

/**
 * Whether a message has a row, and which of some messages have no listed row, asked of wherever the mailbox's
 * mail is: its object, and while it moves D1 too (a message not handed over yet has its row there), so a
 * writer's clean-up never deletes the content of a message D1 still holds.
 */
export function rowChecks(
  services: Pick<Services, "d1">,
  home: Extract<MailHome, { store: "object" }>,
  object: {
    hasMessage(owner: Owner, graphId: string): Promise<boolean>;
    messagesWithoutRow(owner: Owner, ids: string[]): Promise<string[]>;
  },
  owner: Owner,
) {
  return {
    hasRow: async (graphId: string) =>
      (await object.hasMessage(owner, graphId)) ||
      (home.moving && (await hasMessageRow(services.d1, owner.orgId, owner.mailbox, graphId))),
    withoutRow: async (graphIds: string[]) => {
      const without = await object.messagesWithoutRow(owner, graphIds);
      if (!home.moving || without.length === 0) return without;
      // Of those, the ones D1 has no listed row of either.
      return graphIdsWithoutRow(services.d1, owner.orgId, owner.mailbox, without);
    },
  };
}

type Owner = { orgId: string; mailbox: string };

/** Rows with their bodies' searchable text (from the converted rows, which still hold the bodies). */
export function withSearchBodies<R extends { graph_id: string }>(
  rows: R[],
  converted: { graph_id: string; body: string | null; body_content_type: string | null }[],
): (R & { search_body: string })[] {
  const bodies = new Map(converted.map((row) => [row.graph_id, row]));
  return rows.map((row) => {
    const source = bodies.get(row.graph_id);
    return { ...row, search_body: source ? searchableBody(source.body, source.body_content_type) : "" };
  });
}

/**
 * D1's rows of the mailbox for its object to take over: the messages (their bodies moved to R2 first, where
 * they still were in D1), their attachment rows and import items. `select`: the messages a page touches, or the
 * move's next chunk.
 */
export async function adoptionFor(
  services: Pick<Services, "d1" | "messageContent">,
  scope: { orgId: string; mailbox: string },
  select: { graphIds: string[] } | { after: string; limit: number },
): Promise<Adoption & { lastGraphId: string | null }> {
  let rows = await rowsToMove(services.d1, scope, select);
  if (rows.some((row) => row.legacy_body === 1)) {
    await moveLegacyBodies(services, scope.orgId, rows);
    rows = await rowsToMove(services.d1, scope, { graphIds: rows.map((row) => row.graph_id) });
  }
  const ids = rows.map((row) => row.id);
  const graphIds = rows.map((row) => row.graph_id);
  const [attachments, items] = await Promise.all([
    ids.length > 0 ? attachmentRowsToMove(services.d1, scope.orgId, ids) : [],
    "graphIds" in select
      ? itemsToMove(services.d1, scope.orgId, scope.mailbox, select.graphIds)
      : graphIds.length > 0
        ? itemsToMove(services.d1, scope.orgId, scope.mailbox, graphIds)
        : [],
  ]);
  return {
    messages: rows.map(({ legacy_body: _, ...row }) => row) as unknown as D1MessageRow[],
    attachments: attachments as unknown as D1AttachmentRow[],
    items: items as unknown as MovedItem[],
    lastGraphId: graphIds.sort().at(-1) ?? null,
  };
}

/** Bodies still in D1 go to R2 first (as a read moves them), so the object's row points at them there. */
async function moveLegacyBodies(
  services: Pick<Services, "d1" | "messageContent">,
  orgId: string,
  rows: MovingMessageRow[],
) {
  const legacy = await legacyBodiesOf(
    services.d1,
    orgId,
    rows.filter((row) => row.legacy_body === 1).map((row) => row.id),
  );
  for (const row of legacy) {
    await migrateLegacyBody(services.d1, services.messageContent, {
      id: row.id,
      orgId: row.org_id,
      mailbox: row.mailbox,
      graphId: row.graph_id,
      bodyContentType: row.body_content_type,
      body: row.body,
      graphModifiedAt: row.graph_modified_at,
    });
  }
}
