import type { Context } from "hono";
import * as mailboxes from "@/features/mailboxes";
import type { AppBindings, AppRouteHandler } from "@/lib/types";
import type {
  ConnectOutlookMailboxRoute,
  DisconnectOutlookMailboxRoute,
  GetConnectedOutlookEmailsRoute,
  GetMailboxLiveSyncRoute,
  GetMailboxSyncStatusRoute,
  RetryMailboxSyncRoute,
  StartMailboxSyncRoute,
} from "./mailboxes.routes";

export const connectOutlookMailbox: AppRouteHandler<ConnectOutlookMailboxRoute> = async (c) => {
  const { orgId, userId } = c.get("auth");
  const body = c.req.valid("json");
  const result = await mailboxes.connectOutlookMailbox(c.get("services"), orgId, userId, {
    email: body.email,
    sharedInboxId: body.shared_inbox_id,
    timeframe: body.mailboxSyncTimeframe,
  });
  return c.json(result, 201);
};

export const disconnectOutlookMailbox: AppRouteHandler<DisconnectOutlookMailboxRoute> = async (c) => {
  const { orgId } = c.get("auth");
  const { email } = c.req.valid("param");
  const { deleteImportedMail } = c.req.valid("query");
  await mailboxes.disconnectOutlookMailbox(c.get("services"), orgId, email, {
    deleteImportedMail: deleteImportedMail === "true",
  });
  return c.json({ success: true, email }, 200);
};

export const getConnectedOutlookEmails: AppRouteHandler<GetConnectedOutlookEmailsRoute> = async (c) => {
  const { orgId } = c.get("auth");
  return c.json(await mailboxes.getConnectedOutlookEmails(c.get("services"), orgId), 200);
};

export const startMailboxSync: AppRouteHandler<StartMailboxSyncRoute> = async (c) => {
  const { orgId } = c.get("auth");
  const { email } = c.req.valid("param");
  const { timeframe } = c.req.valid("json");
  return c.json(await mailboxes.startMailboxSync(c.get("services"), orgId, email, timeframe), 202);
};

export const getMailboxSyncStatus: AppRouteHandler<GetMailboxSyncStatusRoute> = async (c) => {
  const { orgId } = c.get("auth");
  const { email } = c.req.valid("param");
  return c.json(await mailboxes.getMailboxSyncStatus(c.get("services"), orgId, email), 200);
};

export const retryMailboxSync: AppRouteHandler<RetryMailboxSyncRoute> = async (c) => {
  const { orgId } = c.get("auth");
  const { email } = c.req.valid("param");
  const body = c.req.valid("json");
  return c.json(
    await mailboxes.retryMailboxSync(c.get("services"), orgId, email, {
      syncId: body.sync_id,
      messageIds: body.message_ids,
    }),
    202,
  );
};

export const getMailboxLiveSync: AppRouteHandler<GetMailboxLiveSyncRoute> = async (c) => {
  const { orgId } = c.get("auth");
  const { email } = c.req.valid("param");
  return c.json(await mailboxes.getMailboxLiveSync(c.get("services"), orgId, email), 200);
};

/**
 * Graph's change and lifecycle notifications (public: see src/app.ts). `?validationToken=` is the
 * subscription handshake: the token is echoed as text/plain. Otherwise the JSON body is handed over and
 * the answer is 202, whatever it held (Graph retries non-2xx answers; invalid ones are only logged).
 */
export function graphNotifications(kind: "change" | "lifecycle") {
  return async (c: Context<AppBindings>) => {
    const echo = mailboxes.validationEcho(c.req.query("validationToken"));
    if (echo !== null) return c.text(echo, 200, { "Content-Type": "text/plain; charset=utf-8" });
    const body: unknown = await c.req.json().catch(() => null);
    await mailboxes.receiveNotifications(c.get("services"), body, kind);
    return c.body(null, 202);
  };
}
