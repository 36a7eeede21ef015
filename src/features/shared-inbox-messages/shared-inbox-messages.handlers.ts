import * as inboxMessages from "@/features/shared-inbox-messages";
import { errorBody } from "@/lib/errors";
import type { AppRouteHandler } from "@/lib/types";
import type {
  GetSharedInboxMessageAttachmentRoute,
  GetSharedInboxMessageOriginalBodyRoute,
  GetSharedInboxMessageRoute,
  ListSharedInboxMessagesRoute,
} from "./shared-inbox-messages.routes";

export const getSharedInboxMessage: AppRouteHandler<GetSharedInboxMessageRoute> = async (c) => {
  const { orgId } = c.get("auth");
  const { id, message_id: messageId } = c.req.valid("param");
  return c.json(await inboxMessages.getSharedInboxMessage(c.get("services"), orgId, id, messageId), 200);
};

export const getSharedInboxMessageAttachment: AppRouteHandler<GetSharedInboxMessageAttachmentRoute> = async (c) => {
  const { orgId } = c.get("auth");
  const { id, message_id: messageId, attachment_id: attachmentId } = c.req.valid("param");
  const { range } = c.req.valid("header");
  const download = await inboxMessages.getSharedInboxMessageAttachment(
    c.get("services"),
    orgId,
    { inboxId: id, messageId, attachmentId },
    range,
  );
  if (download.kind === "unsatisfiable") {
    const message = `The range is past the end of the attachment (${download.size} bytes)`;
    return c.json(errorBody(416, message), 416, { "Content-Range": `bytes */${download.size}` });
  }
  return c.body(download.body, download.status, download.headers);
};

export const listSharedInboxMessages: AppRouteHandler<ListSharedInboxMessagesRoute> = async (c) => {
  const { orgId } = c.get("auth");
  const { id } = c.req.valid("param");
  const query = c.req.valid("query");
  return c.json(await inboxMessages.listSharedInboxMessages(c.get("services"), orgId, id, query), 200);
};

/** The stored body as a download no browser renders (see the route's description). */
export const getSharedInboxMessageOriginalBody: AppRouteHandler<GetSharedInboxMessageOriginalBodyRoute> = async (c) => {
  const { orgId } = c.get("auth");
  const { id, message_id: messageId } = c.req.valid("param");
  const original = await inboxMessages.getSharedInboxMessageOriginalBody(c.get("services"), orgId, id, messageId);
  return c.text(original.content, 200, {
    "Content-Type": "text/plain; charset=utf-8",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox",
    "Content-Disposition": 'attachment; filename="original-body.txt"',
    "X-Body-Content-Type": original.contentType,
    "X-Body-Truncated": String(original.truncated),
  });
};
