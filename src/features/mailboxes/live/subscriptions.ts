import { sha256 } from "@oslojs/crypto/sha2";
import { encodeBase64urlNoPadding, encodeHexLowerCase } from "@oslojs/encoding";
import { GraphError, type RequestSlots } from "@/clients/graph/client";
import { createSubscription, deleteSubscription, renewSubscription } from "@/clients/graph/live";
import { graphClient, SYNC_FOLDERS, type SyncFolder } from "@/clients/graph/mail";
import { AppOnlyTokenUnavailableError, appPermissionRefused, getAppOnlyToken } from "@/features/outlook";
import { logEvent } from "@/lib/log";
import type { Services } from "@/lib/services";
import { LIFECYCLE_PATH, NOTIFICATION_PATH, type PollingReasonCode } from "@/shared/mailbox-live";
import type { SubscriptionUpdate } from "./live-store";
import {
  type LiveState,
  type LiveSubscription,
  notificationBlocker,
  renewalDueAt,
  SUBSCRIPTION_RETRY_MS,
} from "./state";

/**
 * The upkeep of a mailbox's change-notification subscriptions (one per folder), done at the start of a
 * delta run when due: created with an app-only token (the application permission; delegated tokens cannot
 * subscribe to shared mailboxes), renewed once half their lifetime is gone or when Graph asks for
 * reauthorization, recreated when Graph removed one. Whatever fails leaves the mailbox on delta polling
 * with the reason (and its code), and is tried again after SUBSCRIPTION_RETRY_MS. A 401/403 from Graph means
 * the application permission is missing (revoked, or never granted): the tenant's connection records it.
 *
 * The clientState Graph echoes with every notification is `<object id>.<secret>`: the id routes the
 * notification to the mailbox's Durable Object without a database read; the 256-bit secret proves it
 * comes from Graph (only its SHA-256 is stored, and compared in constant time).
 */

export type Plan = LiveState & { subscriptionWork: boolean };

/** How often working subscriptions are looked at again (and with them the application permission). */
const PERMISSION_RECHECK_MS = 60 * 60 * 1000;

function newSecret() {
  const secret = encodeBase64urlNoPadding(crypto.getRandomValues(new Uint8Array(32)));
  return { secret, hash: encodeHexLowerCase(sha256(new TextEncoder().encode(secret))) };
}

/** Graph refuses app-only access to mail it has no application permission for with 401 or 403. */
const permissionRefused = (err: unknown) => err instanceof GraphError && (err.status === 403 || err.status === 401);

const reason = (err: unknown) =>
  err instanceof AppOnlyTokenUnavailableError
    ? err.reason
    : err instanceof GraphError
      ? `Microsoft Graph refused the subscription (${err.status} ${err.code})`
      : `The subscription could not be set up: ${err instanceof Error ? err.message.slice(0, 200) : String(err)}`;

/** What a 401/403 means (see appPermissionRefused), in words. */
const REFUSED: Record<string, string> = {
  app_permission_missing:
    "Microsoft Graph refused the subscription: the application permission Mail.Read is no longer granted in the tenant",
  mailbox_access_denied:
    "Microsoft Graph refused the app access to this mailbox although the tenant granted Mail.Read: an application " +
    "access policy may leave the mailbox out (README: Microsoft 365)",
};

/** The reason and its code for a failed upkeep; a 401/403 is looked into (revoked grant, or this mailbox only). */
async function failureOf(services: Services, plan: Plan, err: unknown): Promise<[string, PollingReasonCode]> {
  if (err instanceof AppOnlyTokenUnavailableError) return [err.reason, err.code];
  if (!permissionRefused(err)) return [reason(err), "subscription_failed"];
  const code = await appPermissionRefused(services, plan.orgId, plan.tenantId).catch(
    () => "subscription_failed" as const,
  );
  return [REFUSED[code] ?? reason(err), code];
}

/** Answers the subscription state after the upkeep (to record in the object). */
export async function maintainSubscriptions(
  services: Services,
  plan: Plan,
  objectId: string,
  slots: RequestSlots,
): Promise<SubscriptionUpdate> {
  const now = Date.now();
  const blocker = notificationBlocker(plan.settings);
  if (blocker) {
    return {
      subscriptions: [],
      pollingReason: blocker,
      pollingReasonCode: "no_public_url",
      nextCheckAt: Number.POSITIVE_INFINITY,
    };
  }
  let client: ReturnType<typeof graphClient>;
  try {
    const token = await getAppOnlyToken(services, plan.orgId, plan.tenantId);
    client = graphClient(services.config.MS_GRAPH_BASE_URL, token, plan.orgId, plan.mailbox, slots);
  } catch (err) {
    if (!(err instanceof AppOnlyTokenUnavailableError)) throw err;
    return {
      subscriptions: [],
      pollingReason: err.reason,
      pollingReasonCode: err.code,
      nextCheckAt: now + SUBSCRIPTION_RETRY_MS,
    };
  }
  const base = plan.settings.publicBaseUrl.replace(/(?<!\/)\/+$/, "");
  const lifetimeMs = plan.settings.subscriptionLifetimeMinutes * 60_000;
  const kept: LiveSubscription[] = [];
  let failure: string | null = null;
  let failureCode: PollingReasonCode | null = null;
  for (const folder of SYNC_FOLDERS) {
    try {
      kept.push(await upkeep(client, plan, folder, { base, objectId, lifetimeMs, now }));
    } catch (err) {
      if (failure === null) [failure, failureCode] = await failureOf(services, plan, err);
      logEvent("warn", "mailbox_live_subscription_failed", {
        orgId: plan.orgId,
        folder,
        error: err instanceof GraphError ? err.code : err instanceof Error ? err.name : typeof err,
      });
      const old = plan.subscriptions.find((s) => s.folder === folder && s.expiresAt > now);
      if (old) kept.push(old);
    }
  }
  const renewals = kept.map((s) => renewalDueAt(s, plan.settings));
  // Also looked at on a slow schedule while all is well: the app-only token is asked for again once its
  // hour is over, so a revoked application permission is noticed even between renewals.
  const nextCheckAt = Math.min(now + (failure ? SUBSCRIPTION_RETRY_MS : PERMISSION_RECHECK_MS), ...renewals);
  return { subscriptions: kept, pollingReason: failure, pollingReasonCode: failureCode, nextCheckAt };
}

async function upkeep(
  client: ReturnType<typeof graphClient>,
  plan: Plan,
  folder: SyncFolder,
  ctx: { base: string; objectId: string; lifetimeMs: number; now: number },
): Promise<LiveSubscription> {
  const expiresAt = new Date(ctx.now + ctx.lifetimeMs);
  const current = plan.subscriptions.find((s) => s.folder === folder && s.expiresAt > ctx.now);
  if (current && !current.renewNow && renewalDueAt(current, plan.settings) > ctx.now) return current;
  if (current) {
    try {
      const granted = await renewSubscription(client, current.id, expiresAt);
      return { id: current.id, folder, expiresAt: granted, secretHash: current.secretHash };
    } catch (err) {
      // Gone at Graph (removed, expired): create a new one below.
      if (!(err instanceof GraphError && err.status === 404)) throw err;
    }
  }
  const { secret, hash } = newSecret();
  const created = await createSubscription(client, {
    mailbox: plan.mailbox,
    folder,
    notificationUrl: `${ctx.base}${NOTIFICATION_PATH}`,
    lifecycleNotificationUrl: `${ctx.base}${LIFECYCLE_PATH}`,
    clientState: `${ctx.objectId}.${secret}`,
    expiresAt,
  });
  return { id: created.id, folder, expiresAt: created.expiresAt, secretHash: hash };
}

/**
 * Deletes subscriptions at Graph (disconnect, or a run that lost its grant after creating them), best
 * effort: one that cannot be deleted expires on its own, and its notifications find no state.
 */
export async function deleteSubscriptions(
  services: Services,
  input: { orgId: string; mailbox: string; tenantId: string; ids: string[] },
) {
  if (input.ids.length === 0) return;
  try {
    const token = await getAppOnlyToken(services, input.orgId, input.tenantId);
    const client = graphClient(services.config.MS_GRAPH_BASE_URL, token, input.orgId, input.mailbox);
    await Promise.all(input.ids.map((id) => deleteSubscription(client, id)));
  } catch (err) {
    logEvent("warn", "mailbox_live_subscription_delete_failed", {
      orgId: input.orgId,
      error: err instanceof GraphError ? err.code : err instanceof Error ? err.name : typeof err,
    });
  }
}
