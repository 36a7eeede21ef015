import { errorBody } from "@/lib/errors";
import type { AppRouteHandler } from "@/lib/types";
import { openAttachment } from "@/services/message-store/download";
import { getInboxMessage } from "@/services/message-store/read";
import type { GetSharedInboxMessageAttachmentRoute, GetSharedInboxMessageRoute } from "./shared-inbox-messages.routes";

export const getSharedInboxMessage: AppRouteHandler<GetSharedInboxMessageRoute> = async (c) => {
  const { orgId } = c.get("auth");
  const { id, message_id: messageId } = c.req.valid("param");
  return c.json(await getInboxMessage(c.env, orgId, id, messageId), 200);
};

export const getSharedInboxMessageAttachment: AppRouteHandler<GetSharedInboxMessageAttachmentRoute> = async (c) => {
  const { orgId } = c.get("auth");
  const { id, message_id: messageId, attachment_id: attachmentId } = c.req.valid("param");
  const { range } = c.req.valid("header");
  const download = await openAttachment(c.env, orgId, { inboxId: id, messageId, attachmentId }, range);
  if (download.kind === "unsatisfiable") {
    const message = `The range is past the end of the attachment (${download.size} bytes)`;
    return c.json(errorBody(416, message), 416, { "Content-Range": `bytes */${download.size}` });
  }
  return c.body(download.body, download.status, download.headers);
};
