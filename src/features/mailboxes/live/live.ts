import {
  findMailbox,
  type LiveMailboxRow,
  listMailboxesForLive,
  tenantMailboxEmails,
} from "@/db/stores/outlook-mailboxes.store";
import { logEvent } from "@/lib/log";
import type { Services } from "@/lib/services";
import { mailboxNotConnected } from "../mailbox-errors";
import { lockStub } from "../sync/lock-stub";
import { BASELINE_MARGIN_MS, liveSettings } from "./state";
import { deleteSubscriptions } from "./subscriptions";

/**
 * Live sync as the rest of the mailbox feature uses it: started on connect, stopped on disconnect,
 * ensured for every connected mailbox by the hourly schedule (so mailboxes connected before live sync
 * existed become live without any call), resumed when a tenant is reconnected, and its status.
 */

/** Mail older than this is never backfilled by the first delta round of a mailbox connected earlier. */
const MAX_BACKFILL_MS = 30 * 24 * 60 * 60 * 1000;
/** Mailboxes the scheduled ensure handles at once. */
const ENSURE_CONCURRENCY = 10;
const ENSURE_PAGE = 200;

/**
 * Connect: live from now on (the first delta round reaches back BASELINE_MARGIN_MS). Never throws: a
 * mailbox whose object could not be reached is started by the hourly schedule.
 */
export async function startLive(services: Services, orgId: string, mailbox: string, tenantId: string) {
  const since = new Date(Date.now() - BASELINE_MARGIN_MS).toISOString();
  try {
    await lockStub(services, orgId, mailbox).ensureLive({ orgId, mailbox, tenantId, since }, liveSettings(services));
  } catch (err) {
    logFailure("mailbox_live_start_failed", orgId, err);
  }
}

/**
 * Disconnect: the object forgets the live state, then its subscriptions are deleted at Graph. Never
 * throws: should the object be unreachable, its next delta run finds the mapping gone and stops itself.
 */
export async function stopLive(services: Services, orgId: string, mailbox: string) {
  try {
    const stopped = await lockStub(services, orgId, mailbox).disableLive();
    if (!stopped) return;
    await deleteSubscriptions(services, { orgId, mailbox, tenantId: stopped.tenantId, ids: stopped.subscriptionIds });
  } catch (err) {
    logFailure("mailbox_live_stop_failed", orgId, err);
  }
}

function logFailure(event: string, orgId: string, err: unknown) {
  logEvent("warn", event, { orgId, message: err instanceof Error ? err.message.slice(0, 300) : String(err) });
}

/** getMailboxLiveSync: the mailbox's live status (404 when it is not connected in the org). */
export async function getMailboxLiveSync(
  services: Pick<Services, "db" | "mailboxObjects">,
  orgId: string,
  email: string,
) {
  if (!(await findMailbox(services.db, orgId, email))) throw mailboxNotConnected(email);
  return { mailbox: email, ...(await lockStub(services, orgId, email).liveStatus()) };
}

/** A reconnected tenant: its mailboxes waiting for a reconnect resume from their stored delta links. */
export async function resumeTenantLive(
  services: Pick<Services, "db" | "mailboxObjects">,
  orgId: string,
  tenantId: string,
) {
  for (const row of await tenantMailboxEmails(services.db, orgId, tenantId))
    await lockStub(services, orgId, row.email).resumeLive();
}

/**
 * The tenant's application permission may have been granted (an admin consent came back): every mailbox
 * of the org in that tenant sets up its change notifications again now.
 */
export async function retryTenantNotifications(
  services: Pick<Services, "db" | "mailboxObjects">,
  orgId: string,
  tenantId: string,
) {
  for (const row of await tenantMailboxEmails(services.db, orgId, tenantId)) {
    await lockStub(services, orgId, row.email).retryLiveNotifications();
  }
}

/**
 * The hourly schedule: every connected mailbox's object gets its live state (created if missing, with a
 * first round from its last sync's start, or its connect time, at most 30 days back) and settings; one
 * whose tenant is connected again resumes. Idempotent; answers how many states were created.
 */
export async function ensureAllLive(
  services: Pick<Services, "d1" | "config" | "mailboxObjects">,
): Promise<{ mailboxes: number; created: number }> {
  const settings = liveSettings(services);
  let after: [string, string] = ["", ""];
  let mailboxes = 0;
  let created = 0;
  for (;;) {
    const results = await listMailboxesForLive(services.d1, after, ENSURE_PAGE);
    for (let i = 0; i < results.length; i += ENSURE_CONCURRENCY) {
      const outcomes = await Promise.all(
        results.slice(i, i + ENSURE_CONCURRENCY).map((r) => ensureOne(services, r, settings)),
      );
      created += outcomes.filter(Boolean).length;
    }
    mailboxes += results.length;
    const last = results.at(-1);
    if (!last || results.length < ENSURE_PAGE) break;
    after = [last.org_id, last.email];
  }
  if (created > 0) logEvent("info", "mailbox_live_ensured", { mailboxes, created });
  return { mailboxes, created };
}

async function ensureOne(
  services: Pick<Services, "mailboxObjects">,
  row: LiveMailboxRow,
  settings: ReturnType<typeof liveSettings>,
) {
  const start = Date.parse(row.last_sync_at ?? row.connected_at);
  const since = new Date(Math.max(start - BASELINE_MARGIN_MS, Date.now() - MAX_BACKFILL_MS)).toISOString();
  const lock = lockStub(services, row.org_id, row.email);
  try {
    const { created } = await lock.ensureLive(
      { orgId: row.org_id, mailbox: row.email, tenantId: row.tenant_id, since },
      settings,
    );
    if (row.connection_status === "connected") await lock.resumeLive();
    return created;
  } catch (err) {
    logFailure("mailbox_live_ensure_failed", row.org_id, err);
    return false;
  }
}
