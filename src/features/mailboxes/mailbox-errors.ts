import { notFound } from "@/lib/errors";

/** 404 for an operation on a mailbox the org has not connected (or has disconnected). */
export const mailboxNotConnected = (email: string) =>
  notFound(`No Outlook mailbox '${email}' is connected in this organization`);
