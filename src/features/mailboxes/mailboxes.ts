import { GraphError, GraphThrottledError } from "@/clients/graph/client";
import { graphClient, mailboxPath } from "@/clients/graph/mail";
import { type Database, isUniqueViolation, nowIso } from "@/db/client";
import { hasRowsInD1, moveMessagesToInbox } from "@/db/message-store";
import { eventStatements, kickWebhookDeliveries } from "@/db/outbox";
import type { MailboxSyncTimeframe, OutlookMailboxRow } from "@/db/schema";
import { claimObjectStore, findMailboxStore, moveStoresToInbox } from "@/db/stores/mailbox-stores.store";
import {
  deleteMailbox,
  findMailbox,
  insertMailbox,
  listOrgMailboxes,
  listTenantMailboxes,
  moveMailboxesToInbox,
} from "@/db/stores/outlook-mailboxes.store";
import {
  assertSharedInboxExists,
  deleteAddressStatements,
  findEmailAddress,
  toEmailAddressResponse,
  upsertMailboxAddress,
} from "@/features/email-addresses";
import { getAccessToken, listConnections, OutlookTokenUnavailableError, outlookConfig } from "@/features/outlook";
import { ApiError, conflict, forbidden, notFound, unauthorized } from "@/lib/errors";
import { logEvent } from "@/lib/log";
import type { Services } from "@/lib/services";
import { DEFAULT_INBOX_ID } from "@/shared/default-inbox";
import { startLive, stopLive } from "./live/live";
import { purgeAfterDisconnect } from "./purge";
import { cancelRunningSync, startMailboxSync } from "./sync/pipeline";

export function toConnectedOutlookEmail(row: OutlookMailboxRow) {
  return {
    outlook_email: row.email,
    tenant_id: row.tenantId,
    provider: row.provider,
    connected_at: row.connectedAt,
    ...(row.connectedByUserId != null && { connected_by_user_id: row.connectedByUserId }),
  };
}

/** getConnectedOutlookEmails: the org's mailbox mappings, oldest first. */
export async function getConnectedOutlookEmails(services: Pick<Services, "db">, orgId: string) {
  const rows = await listOrgMailboxes(services.db, orgId);
  const outlookEmails = rows.map(toConnectedOutlookEmail);
  return { outlook_emails: outlookEmails, count: outlookEmails.length };
}

/** What a tenant admin must do so the connecting account can use a shared mailbox. */
const ACCESS_HINT =
  "A tenant admin must give the Microsoft 365 account that connected the tenant Full Access to this mailbox " +
  "(Exchange admin center, or Add-MailboxPermission -AccessRights FullAccess) and consent to the delegated " +
  "permissions Mail.ReadWrite.Shared and Mail.Send.Shared";

/**
 * Finds the org's connected tenant that can open the mailbox (`GET /users/{email}/mailFolders/inbox`),
 * trying each connected tenant in turn. 401 when no tenant has a usable token, 403 when none grants access.
 */
async function tenantWithAccess(services: Services, orgId: string, email: string): Promise<string> {
  const db = services.db;
  const connections = (await listConnections(db, orgId)).filter((c) => c.status === "connected");
  if (connections.length === 0) {
    throw unauthorized("The organization has no usable Microsoft 365 connection: connect a tenant first");
  }
  const config = outlookConfig(services);
  let usable = 0;
  let restDisabled = false;
  for (const connection of connections) {
    let token: string;
    try {
      token = await getAccessToken(services, orgId, connection.tenantId);
    } catch (err) {
      if (err instanceof OutlookTokenUnavailableError) continue;
      throw err;
    }
    usable++;
    const client = graphClient(config.graphBaseUrl, token, orgId, email);
    try {
      await client.get(client.url(`${mailboxPath(email)}/mailFolders/inbox`, { $select: "id" }));
      return connection.tenantId;
    } catch (err) {
      if (err instanceof GraphThrottledError) {
        throw new ApiError(503, "Microsoft Graph is throttling requests for this mailbox; retry later");
      }
      // No access through this tenant: try the next one.
      if (
        err instanceof GraphError &&
        ([401, 403, 404].includes(err.status) || err.code === "MailboxNotEnabledForRESTAPI")
      ) {
        if (err.code === "MailboxNotEnabledForRESTAPI") restDisabled = true;
        continue;
      }
      if (err instanceof GraphError)
        throw new ApiError(503, `Microsoft Graph could not check the mailbox (${err.code})`);
      throw new ApiError(503, "Microsoft Graph could not be reached to check the mailbox; retry later");
    }
  }
  if (usable === 0) {
    throw unauthorized("No Microsoft 365 connection of the organization has a usable token: reconnect the tenant");
  }
  const rest = restDisabled
    ? " The mailbox must also be enabled for REST API access (MailboxNotEnabledForRESTAPI)."
    : "";
  throw forbidden(`No connected Microsoft 365 tenant can access mailbox '${email}'. ${ACCESS_HINT}.${rest}`);
}

/**
 * Connects a mailbox: checks access with Graph, then in one batch links the org's email address entity
 * (reused when it exists) to the inbox and stores the mapping, with `mailbox.connected` (outbox). With a
 * timeframe a sync starts as well.
 */
export async function connectOutlookMailbox(
  services: Services,
  orgId: string,
  userId: string | undefined,
  input: { email: string; sharedInboxId?: string; timeframe?: MailboxSyncTimeframe },
) {
  const db = services.db;
  const email = input.email;
  const inboxId = input.sharedInboxId ?? DEFAULT_INBOX_ID;
  await assertSharedInboxExists(db, orgId, inboxId, "shared_inbox_id");
  const alreadyConnected = () => conflict(`Mailbox '${email}' is already connected in this organization`);
  if (await findMailbox(db, orgId, email)) throw alreadyConnected();
  const tenantId = await tenantWithAccess(services, orgId, email);
  const inD1 =
    (await findMailboxStore(db, orgId, email)) === undefined && (await hasRowsInD1(services.d1, orgId, email));
  const now = nowIso();
  try {
    const [[address]] = await db.batch([
      upsertMailboxAddress(db, orgId, userId, email, inboxId, now),
      insertMailbox(db, {
        orgId,
        email,
        tenantId,
        provider: "outlook",
        sharedInboxId: inboxId,
        connectedAt: now,
        connectedByUserId: userId ?? null,
      }),
      // Its mail goes to its Durable Object, unless it has mail in D1 from before (that moves first).
      ...(inD1 ? [] : [claimObjectStore(db, { orgId, mailbox: email, inboxId, now })]),
      ...eventStatements(db, {
        orgId,
        type: "mailbox.connected",
        data: { mailbox: email, tenant_id: tenantId, shared_inbox_id: inboxId },
      }),
    ]);
    if (!address) throw new Error("upserted email address was not returned");
    logEvent("info", "outlook_mailbox_connected", { orgId, tenantId });
    await kickWebhookDeliveries(services, orgId);
    // Live from now on (never throws: should the Durable Object be unreachable, the hourly schedule starts it).
    await startLive(services, orgId, email, tenantId);
    if (input.timeframe) await startMailboxSync(services, orgId, email, input.timeframe);
    return {
      email_address: toEmailAddressResponse(address),
      outlook_email: email,
      tenant_id: tenantId,
      provider: "outlook" as const,
    };
  } catch (err) {
    if (isUniqueViolation(err)) throw alreadyConnected();
    throw err;
  }
}

/**
 * Disconnects a mailbox: the mapping and the email address entity go (one batch; a primary address
 * hands the role to the oldest remaining active one), a running sync ends CANCELLED and the mailbox's
 * Graph subscriptions are deleted. Imported messages stay, unless `deleteImportedMail`: then, once
 * nothing writes for the mailbox any more, its messages, attachment rows and objects are deleted
 * (purge.ts; D1 rows first).
 */
export async function disconnectOutlookMailbox(
  services: Services,
  orgId: string,
  email: string,
  options: { deleteImportedMail?: boolean } = {},
): Promise<OutlookMailboxRow> {
  const db = services.db;
  const mailbox = await findMailbox(db, orgId, email);
  if (!mailbox) throw notFound(`No Outlook mapping for '${email}' in this organization`);
  const address = await findEmailAddress(db, orgId, email);
  const [deleted] = await db.batch([
    deleteMailbox(db, orgId, email),
    ...eventStatements(db, {
      orgId,
      type: "mailbox.disconnected",
      data: { mailbox: email, tenant_id: mailbox.tenantId },
    }),
    ...(address ? deleteAddressStatements(db, orgId, address.id) : []),
  ]);
  if (deleted.length === 0) throw notFound(`No Outlook mapping for '${email}' in this organization`);
  await cancelRunningSync(services, orgId, email);
  // Live sync stops: its state goes (late notifications and runs find nothing) and its subscriptions too.
  await stopLive(services, orgId, email);
  await deleteSubscriptions(services, mailbox).catch((err) =>
    logEvent("warn", "outlook_subscription_cleanup_failed", {
      orgId,
      message: err instanceof Error ? err.message.slice(0, 300) : String(err),
    }),
  );
  logEvent("info", "outlook_mailbox_disconnected", { orgId, tenantId: mailbox.tenantId });
  await kickWebhookDeliveries(services, orgId);
  if (options.deleteImportedMail) await purgeAfterDisconnect(services, orgId, email);
  return mailbox;
}

/** Deletes the Graph subscriptions whose resource is this mailbox (`GET /subscriptions`, then DELETE each). */
async function deleteSubscriptions(services: Services, mailbox: OutlookMailboxRow) {
  const config = outlookConfig(services);
  let token: string;
  try {
    token = await getAccessToken(services, mailbox.orgId, mailbox.tenantId);
  } catch (err) {
    if (err instanceof OutlookTokenUnavailableError) return; // nothing can be done without a token
    throw err;
  }
  const client = graphClient(config.graphBaseUrl, token, mailbox.orgId, mailbox.email);
  const prefix = `users/${mailbox.email}/`;
  const ids: string[] = [];
  let link: string | undefined = client.url("/subscriptions");
  for (let pages = 0; link && pages < 20; pages++) {
    const page: Awaited<ReturnType<typeof client.page<{ id: string; resource?: string }>>> = await client.page<{
      id: string;
      resource?: string;
    }>(link, 100);
    for (const s of page.value) {
      const resource = (s.resource ?? "").replace(/^\//, "").toLowerCase();
      if (resource.startsWith(prefix) || resource === prefix.slice(0, -1)) ids.push(s.id);
    }
    link = page.nextLink;
  }
  await Promise.all(ids.map((id) => client.request("DELETE", client.url(`/subscriptions/${encodeURIComponent(id)}`))));
}

/**
 * For disconnectOutlook (tenant): disconnects every mailbox connected through the tenant as
 * disconnectOutlookMailbox does, and answers their shared inboxes (for `affected_shared_inboxes`).
 * Call it before the connection is deleted, so the subscriptions can still be deleted with its token.
 */
export async function disconnectTenantMailboxes(
  services: Services,
  orgId: string,
  tenantId: string,
): Promise<string[]> {
  const rows = await listTenantMailboxes(services.db, orgId, tenantId);
  const inboxes = new Set<string>();
  for (const row of rows) {
    try {
      await disconnectOutlookMailbox(services, orgId, row.email);
      inboxes.add(row.sharedInboxId);
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404)) throw err; // disconnected concurrently
    }
  }
  return [...inboxes];
}

/**
 * For deleteSharedInbox: statements to add to its batch so the deleted inbox's mailbox mappings and
 * imported messages move to the successor inbox (and its bucket; `default` for the default inbox): D1's
 * rows one by one, a mailbox whose mail is in its object by its directory row.
 */
export function moveMailboxDataStatements(db: Database, orgId: string, fromInboxId: string, toInboxId: string) {
  return [
    moveMailboxesToInbox(db, orgId, fromInboxId, toInboxId),
    moveMessagesToInbox(db, orgId, fromInboxId, toInboxId),
    moveStoresToInbox(db, orgId, fromInboxId, toInboxId),
  ] as const;
}
