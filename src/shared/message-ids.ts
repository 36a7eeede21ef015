/**
 * Message ids of mail kept in a mailbox's Durable Object: UUIDs (version 8, RFC 9562) whose first 48 bits are
 * the mailbox's key, so a read finds the one object that holds the message without asking every mailbox of the
 * inbox. Ids issued before (random version 4 UUIDs) keep working: a read that cannot tell the mailbox from the
 * id asks each.
 */

const hex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");

/** The 12 hex digits naming a mailbox in its messages' ids: the start of SHA-256 over org and address. */
export async function mailboxKey(orgId: string, mailbox: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${orgId}\n${mailbox}`));
  return hex(new Uint8Array(digest).subarray(0, 6));
}

/** A new message id carrying `key` (the rest random: 74 bits). */
export function newMessageId(key: string): string {
  const random = hex(crypto.getRandomValues(new Uint8Array(10)));
  const variant = ((Number.parseInt(random.slice(3, 4), 16) & 0x3) | 0x8).toString(16);
  return `${key.slice(0, 8)}-${key.slice(8, 12)}-8${random.slice(0, 3)}-${variant}${random.slice(4, 7)}-${random.slice(7, 19)}`;
}

const V8 = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The mailbox key an id carries, or null for an id of another shape (one issued before, or not ours). */
export function mailboxKeyOf(id: string): string | null {
  return V8.test(id) ? `${id.slice(0, 8)}${id.slice(9, 13)}` : null;
}
