/**
 * The webhook endpoint operations: create (answers the signing secret once), list, get, update, delete and
 * rotate the secret (the previous one keeps signing for 24 hours). URLs pass the SSRF guard on every write.
 */
import { nowIso } from "@/db/client";
import {
  deleteEndpointRows,
  findEndpoint,
  insertEndpoint,
  listEndpoints,
  rotateSecret,
  updateEndpoint,
} from "@/db/outbox/webhook-endpoints.store";
import type { WebhookEndpointRow } from "@/db/schema";
import { conflict, notFound } from "@/lib/errors";
import type { Services } from "@/lib/services";
import type { AuthContext } from "@/lib/types";
import type { WebhookEventType } from "@/shared/webhook-events";
import { webhookConfig } from "./config";
import { sealSecret } from "./endpoint-secrets";
import { toWebhookResponse } from "./response";
import { generateSecret } from "./signing";
import { checkWebhookUrl } from "./url-guard";

type EndpointServices = Pick<Services, "db" | "config" | "tokenKeys">;

/** How long the previous secret keeps signing after a rotation. */
export const ROTATION_OVERLAP_MS = 24 * 3600_000;

export interface WebhookInput {
  url?: string;
  /** Omitted or null: every event type. */
  event_types?: WebhookEventType[] | null;
  description?: string | null;
  enabled?: boolean;
}

export const webhookNotFound = (id: string) =>
  notFound(
    `Webhook '${id.slice(0, 100)}' not found in your organization: list them with GET /v2/email-settings/webhooks`,
  );

const distinctTypes = (types: WebhookEventType[] | null | undefined) => (types ? [...new Set(types)].sort() : null);

async function ownEndpoint(services: Pick<Services, "db">, auth: AuthContext, id: string): Promise<WebhookEndpointRow> {
  const row = await findEndpoint(services.db, auth.orgId, id);
  if (!row) throw webhookNotFound(id);
  return row;
}

export async function createWebhook(
  services: EndpointServices,
  auth: AuthContext,
  input: WebhookInput & { url: string },
) {
  const config = webhookConfig(services);
  const url = checkWebhookUrl(input.url, config.allowInsecureUrls);
  const id = `wh_${crypto.randomUUID().replaceAll("-", "")}`;
  const secret = generateSecret();
  const now = nowIso();
  const row: WebhookEndpointRow = {
    id,
    orgId: auth.orgId,
    url,
    description: input.description ?? null,
    eventTypes: distinctTypes(input.event_types),
    enabled: true,
    disabledReason: null,
    secretSealed: await sealSecret(config.encryptionKeys, auth.orgId, id, secret),
    previousSecretSealed: null,
    previousSecretExpiresAt: null,
    failingSince: null,
    createdAt: now,
    updatedAt: now,
    createdBy: auth.userId ?? null,
    updatedBy: auth.userId ?? null,
  };
  if (!(await insertEndpoint(services.db, row, config.endpointsPerOrgMax))) {
    throw conflict(
      `Your organization already has ${config.endpointsPerOrgMax} webhooks, the most allowed: delete one first`,
    );
  }
  return { ...toWebhookResponse(row), secret };
}

export async function listWebhooks(services: Pick<Services, "db">, auth: AuthContext) {
  const rows = await listEndpoints(services.db, auth.orgId);
  return { results: rows.map((row) => toWebhookResponse(row)) };
}

export async function getWebhook(services: Pick<Services, "db">, auth: AuthContext, id: string) {
  return toWebhookResponse(await ownEndpoint(services, auth, id));
}

export async function updateWebhook(services: EndpointServices, auth: AuthContext, id: string, input: WebhookInput) {
  const config = webhookConfig(services);
  const values: Partial<WebhookEndpointRow> = { updatedAt: nowIso(), updatedBy: auth.userId ?? null };
  if (input.url !== undefined) values.url = checkWebhookUrl(input.url, config.allowInsecureUrls);
  if (input.event_types !== undefined) values.eventTypes = distinctTypes(input.event_types);
  if (input.description !== undefined) values.description = input.description;
  if (input.enabled !== undefined) {
    values.enabled = input.enabled;
    // Re-enabling starts afresh; disabling by hand says so.
    values.disabledReason = input.enabled ? null : "Disabled by a user";
    values.failingSince = null;
  }
  const row = await updateEndpoint(services.db, auth.orgId, id, values);
  if (!row) throw webhookNotFound(id);
  return toWebhookResponse(row);
}

export async function deleteWebhook(services: Pick<Services, "db">, auth: AuthContext, id: string): Promise<void> {
  if (!(await deleteEndpointRows(services.db, auth.orgId, id))) throw webhookNotFound(id);
}

export async function rotateWebhookSecret(services: EndpointServices, auth: AuthContext, id: string) {
  const config = webhookConfig(services);
  await ownEndpoint(services, auth, id);
  const secret = generateSecret();
  const now = new Date();
  const until = new Date(+now + ROTATION_OVERLAP_MS).toISOString();
  const sealed = await sealSecret(config.encryptionKeys, auth.orgId, id, secret);
  const row = await rotateSecret(services.db, auth.orgId, id, sealed, until, now.toISOString());
  if (!row) throw webhookNotFound(id);
  return { ...toWebhookResponse(row, now), secret };
}
