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

/**
 * Why a mailbox is on delta polling rather than change notifications, for a program to act on
 * (`polling_reason_code` beside the text): `app_permission_missing` (an administrator must grant the
 * application permission: offer the admin consent), `mailbox_access_denied` (the tenant granted it, but Graph
 * refuses the app this mailbox: an application access policy leaves it out), `no_public_url` (no public https
 * URL), `subscription_failed` (Graph, or Microsoft's token endpoint, refused for another reason; retried), `subscription_pending` (being
 * set up), `reconnect_required` (the tenant's sign-in must be renewed), `not_started`.
 */
export const POLLING_REASON_CODES = [
  "app_permission_missing",
  "mailbox_access_denied",
  "no_public_url",
  "subscription_failed",
  "subscription_pending",
  "reconnect_required",
  "not_started",
] as const;
export type PollingReasonCode = (typeof POLLING_REASON_CODES)[number];
