import { and, eq } from "drizzle-orm";
import type { Database } from "@/db/client";
import { outlookMailboxes } from "@/db/schema";
import { notFound } from "@/lib/errors";

/** The org's connected mailbox of that address (the mapping), if any. */
export function findMailbox(db: Database, orgId: string, email: string) {
  return db
    .select()
    .from(outlookMailboxes)
    .where(and(eq(outlookMailboxes.orgId, orgId), eq(outlookMailboxes.email, email)))
    .get();
}

export const mailboxNotConnected = (email: string) =>
  notFound(`No Outlook mailbox '${email}' is connected in this organization`);
