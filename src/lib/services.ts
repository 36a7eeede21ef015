import type { Database } from "@/db/client";
import type { AppConfig } from "./config";

/**
 * What the features work with, built once per env by the entry layer (src/entry/services.ts) and handed to
 * them: a request's handlers take it from `c.get("services")` (rebound to the request's D1 session), queue
 * and cron work gets it from its entry.
 * Below the entry layer nothing reads `env`; a service takes the parts of this object it uses
 * (`Pick<Services, "db" | "config">`), so its signature says what it touches and a test can hand in others.
 */
export interface Services {
  /** drizzle over the control-plane D1 database. */
  db: Database;
  /** The same database for the stores' raw statements and batches (`prepare`, `batch`). */
  d1: D1Database;
  /** The typed config (src/lib/config.ts), parsed once. */
  config: AppConfig;
  /**
   * TOKEN_ENCRYPTION_KEYS as sealing and opening may use them: the development key only on a developer's
   * machine (src/lib/token-keys.ts); throws the 503 that says so anywhere else.
   */
  tokenKeys: () => string | undefined;
  /** R2: the mail's bodies and attachments. */
  messageContent: R2Bucket;
  queues: {
    /** Import pages, live runs and purges of the mailboxes. */
    mailboxSync: Queue;
    /** Signed webhook deliveries. */
    webhookDeliveries: Queue;
  };
  /** One Durable Object per mailbox: its sync lease, fencing token, live state and message index. */
  mailboxObjects: CloudflareBindings["MAILBOX_SYNC_LOCK"];
  /** The current time (tests may hand in another clock). */
  now: () => Date;
}
