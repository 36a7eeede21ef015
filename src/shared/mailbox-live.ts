/**
 * The live sync states of a mailbox (getMailboxLiveSync): `live` with change notifications, `polling` on
 * delta polling alone, `paused` before its schedule started, `reconnect_required` while the tenant's
 * delegated connection is unusable.
 */
export const MAILBOX_LIVE_STATUSES = ["live", "polling", "paused", "reconnect_required"] as const;
export type MailboxLiveStatus = (typeof MAILBOX_LIVE_STATUSES)[number];

/** Where Graph posts change notifications and lifecycle events (PUBLIC_BASE_URL + path; no bearer token). */
export const NOTIFICATION_PATH = "/v2/outlook/notifications";
export const LIFECYCLE_PATH = "/v2/outlook/notifications/lifecycle";
