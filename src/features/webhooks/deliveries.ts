/** The delivery log (keyset paged, newest first), redelivery of one event, and the test event. */
import { decodeBase64urlIgnorePadding, encodeBase64urlNoPadding } from "@oslojs/encoding";
import { nowIso } from "@/db/client";
import { kickWebhookDeliveries } from "@/db/outbox/dispatch";
import { eventStatements, newEventId } from "@/db/outbox/outbox";
import { listDeliveryPage, resetDelivery } from "@/db/outbox/webhook-deliveries.store";
import { findEndpoint } from "@/db/outbox/webhook-endpoints.store";
import { badRequest, conflict, notFound } from "@/lib/errors";
import type { Services } from "@/lib/services";
import type { AuthContext } from "@/lib/types";
import { webhookNotFound } from "./endpoints";
import { toDeliveryResponse } from "./response";

type DeliveryServices = Pick<Services, "db" | "queues">;

export const DELIVERIES_PAGE_DEFAULT = 25;

const encodeCursor = (createdAt: string, id: string) =>
  encodeBase64urlNoPadding(new TextEncoder().encode(JSON.stringify([createdAt, id])));

function decodeCursor(cursor: string): { createdAt: string; id: string } {
  try {
    const [createdAt, id] = JSON.parse(new TextDecoder().decode(decodeBase64urlIgnorePadding(cursor)));
    if (typeof createdAt === "string" && typeof id === "string") return { createdAt, id };
  } catch {
    // answered below
  }
  throw badRequest("cursor is not valid: pass the next_cursor of the previous page unchanged");
}

async function ownEndpoint(services: Pick<Services, "db">, orgId: string, id: string) {
  const endpoint = await findEndpoint(services.db, orgId, id);
  if (!endpoint) throw webhookNotFound(id);
  return endpoint;
}

export async function listWebhookDeliveries(
  services: Pick<Services, "db">,
  auth: AuthContext,
  id: string,
  page: { limit?: number; cursor?: string },
) {
  await ownEndpoint(services, auth.orgId, id);
  const limit = page.limit ?? DELIVERIES_PAGE_DEFAULT;
  const after = page.cursor ? decodeCursor(page.cursor) : undefined;
  const rows = await listDeliveryPage(services.db, auth.orgId, id, limit + 1, after);
  const results = rows.slice(0, limit);
  const last = results[results.length - 1];
  return {
    results: results.map(toDeliveryResponse),
    next_cursor: rows.length > limit && last ? encodeCursor(last.createdAt, last.id) : null,
  };
}

const disabled = (id: string) =>
  conflict(`Webhook '${id}' is disabled: enable it first (updateWebhook with {"enabled": true})`);

export async function redeliverWebhookEvent(
  services: DeliveryServices,
  auth: AuthContext,
  id: string,
  eventId: string,
) {
  const endpoint = await ownEndpoint(services, auth.orgId, id);
  if (!endpoint.enabled) throw disabled(id);
  const row = await resetDelivery(services.db, auth.orgId, id, eventId, nowIso());
  if (!row) {
    throw notFound(`Event '${eventId.slice(0, 100)}' was never sent to webhook '${id}': see listWebhookDeliveries`);
  }
  await kickWebhookDeliveries(services, auth.orgId);
  return toDeliveryResponse(row);
}

/** Sends a `webhook.test` event to this endpoint only; answers the event as it is sent. */
export async function sendTestWebhookEvent(services: DeliveryServices, auth: AuthContext, id: string) {
  const endpoint = await ownEndpoint(services, auth.orgId, id);
  if (!endpoint.enabled) throw disabled(id);
  const db = services.db;
  const at = new Date();
  const eventId = newEventId();
  const data = { webhook_id: id, message: "This is a test event sent by sendTestWebhookEvent." };
  await db.batch(
    eventStatements(
      db,
      { orgId: auth.orgId, type: "webhook.test", data, id: eventId, at },
      {
        onlyIfChanged: false,
        endpointId: id,
      },
    ),
  );
  await kickWebhookDeliveries(services, auth.orgId);
  return { event_id: eventId, event: { type: "webhook.test" as const, timestamp: at.toISOString(), data } };
}
