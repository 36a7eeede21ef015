import { encodeSegment, type GraphClient, GraphError } from "./client";
import { DELTA_SELECT, type GraphMessage, mailboxPath, type SyncFolder } from "./mail";

/**
 * What live sync asks of Microsoft Graph: delta queries per mail folder and change-notification
 * subscriptions (create, renew, delete), as Microsoft documents them.
 *
 * - Delta: `GET /users/{id}/mailFolders/{folder}/messages/delta`, filtered `receivedDateTime ge <since>` (the
 *   only filter delta takes), paged by `@odata.nextLink` until an `@odata.deltaLink`; a removed message comes
 *   as `{"id", "@removed": {"reason"}}`; an expired sync state answers 410 Gone or `syncStateNotFound` /
 *   `resyncRequired`, which `isDeltaExpired` recognises.
 * - Subscriptions: `POST /subscriptions` (`created,updated,deleted` on `users/{id}/mailFolders('{folder}')/
 *   messages`, with a lifecycle URL and a per-subscription clientState), `PATCH /subscriptions/{id}` with a new
 *   `expirationDateTime`, `DELETE /subscriptions/{id}`.
 */

/** Messages per delta page. */
export const DELTA_PAGE_SIZE = 100;

/** The first request of a delta round of a folder: messages received since `since`. */
export function initialDeltaUrl(client: GraphClient, mailbox: string, folder: SyncFolder, since: string) {
  return client.url(`${mailboxPath(mailbox)}/mailFolders/${folder}/messages/delta`, {
    $filter: `receivedDateTime ge ${since}`,
    $select: DELTA_SELECT,
  });
}

export interface DeltaPage {
  /** Messages present (created or changed): their current state. */
  present: GraphMessage[];
  /** Ids of messages that left the folder (deleted or moved away). */
  removed: string[];
  nextLink?: string;
  deltaLink?: string;
}

/** One page of a delta round; the links are checked to stay on the Graph host before they are returned. */
export async function deltaPage(client: GraphClient, link: string): Promise<DeltaPage> {
  const body = await client.get<{
    value?: unknown[];
    "@odata.nextLink"?: string;
    "@odata.deltaLink"?: string;
  }>(link, { maxPageSize: DELTA_PAGE_SIZE });
  const present: GraphMessage[] = [];
  const removed: string[] = [];
  for (const item of Array.isArray(body.value) ? body.value : []) {
    if (!item || typeof item !== "object") continue;
    const message = item as GraphMessage & { "@removed"?: unknown };
    if (message["@removed"] !== undefined) {
      if (typeof message.id === "string" && message.id) removed.push(message.id);
    } else {
      present.push(message);
    }
  }
  const next = body["@odata.nextLink"];
  const delta = body["@odata.deltaLink"];
  return {
    present,
    removed,
    ...(next && { nextLink: client.assertGraphUrl(next) }),
    ...(!next && delta && { deltaLink: client.assertGraphUrl(delta) }),
  };
}

const EXPIRED_CODES = new Set(["syncstatenotfound", "resyncrequired", "syncstateinvalid"]);

/** The delta token is no longer usable: the folder must be resynced from a fresh round. */
export function isDeltaExpired(err: unknown): boolean {
  return err instanceof GraphError && (err.status === 410 || EXPIRED_CODES.has(err.code.toLowerCase()));
}

export const subscriptionResource = (mailbox: string, folder: SyncFolder) =>
  `users/${mailbox}/mailFolders('${folder}')/messages`;

export interface NewSubscription {
  mailbox: string;
  folder: SyncFolder;
  notificationUrl: string;
  lifecycleNotificationUrl: string;
  clientState: string;
  expiresAt: Date;
}

/** Creates a subscription; answers its id and the expiry Graph granted. */
export async function createSubscription(client: GraphClient, input: NewSubscription) {
  const created = await client.request<{ id?: string; expirationDateTime?: string }>(
    "POST",
    client.url("/subscriptions"),
    {
      body: {
        changeType: "created,updated,deleted",
        notificationUrl: input.notificationUrl,
        lifecycleNotificationUrl: input.lifecycleNotificationUrl,
        resource: subscriptionResource(input.mailbox, input.folder),
        expirationDateTime: input.expiresAt.toISOString(),
        clientState: input.clientState,
      },
    },
  );
  if (!created?.id) throw new GraphError(502, "InvalidSubscription", "Microsoft Graph answered no subscription id");
  return { id: created.id, expiresAt: grantedExpiry(created.expirationDateTime, input.expiresAt) };
}

/** Extends a subscription; answers the expiry Graph granted. */
export async function renewSubscription(client: GraphClient, id: string, expiresAt: Date) {
  const renewed = await client.request<{ expirationDateTime?: string }>(
    "PATCH",
    client.url(`/subscriptions/${encodeSegment(id)}`),
    { body: { expirationDateTime: expiresAt.toISOString() } },
  );
  return grantedExpiry(renewed?.expirationDateTime, expiresAt);
}

/** Deletes a subscription; one that is already gone (404) counts as deleted. */
export async function deleteSubscription(client: GraphClient, id: string) {
  try {
    await client.request("DELETE", client.url(`/subscriptions/${encodeSegment(id)}`));
  } catch (err) {
    if (!(err instanceof GraphError && err.status === 404)) throw err;
  }
}

function grantedExpiry(answered: string | undefined, asked: Date): number {
  const at = answered ? Date.parse(answered) : Number.NaN;
  return Number.isFinite(at) ? at : asked.getTime();
}

/** What the message and folder lookups need of a Graph client. */
export type GraphReader = Pick<GraphClient, "url" | "get">;

async function orNullWhenGone<T>(request: Promise<T>): Promise<T | null> {
  try {
    return await request;
  } catch (err) {
    if (err instanceof GraphError && err.status === 404) return null;
    throw err;
  }
}

/**
 * Where a message is now: the id of its folder (`parentFolderId`), or null when Graph no longer has it
 * (404: deleted for good). A delta `@removed` says only that it left the folder. Selects nothing else.
 */
export async function messageFolder(client: GraphReader, mailbox: string, id: string): Promise<string | null> {
  const url = client.url(`${mailboxPath(mailbox)}/messages/${encodeSegment(id)}`, { $select: "id,parentFolderId" });
  const found = await orNullWhenGone(client.get<{ parentFolderId?: unknown }>(url));
  return typeof found?.parentFolderId === "string" ? found.parentFolderId : null;
}

/** A message as a delta round would have listed it (the same fields), or null when Graph no longer has it. */
export function currentMessage(client: GraphReader, mailbox: string, id: string): Promise<GraphMessage | null> {
  const url = client.url(`${mailboxPath(mailbox)}/messages/${encodeSegment(id)}`, { $select: DELTA_SELECT });
  return orNullWhenGone(client.get<GraphMessage>(url));
}

/** The id of a well-known mail folder of the mailbox (what `parentFolderId` holds for it). */
export async function folderIdOf(client: GraphReader, mailbox: string, folder: SyncFolder): Promise<string> {
  const info = await client.get<{ id?: unknown }>(
    client.url(`${mailboxPath(mailbox)}/mailFolders/${folder}`, { $select: "id" }),
  );
  if (typeof info.id !== "string" || info.id === "") {
    throw new GraphError(502, "InvalidFolder", `Microsoft Graph answered no id for the ${folder} folder`);
  }
  return info.id;
}
