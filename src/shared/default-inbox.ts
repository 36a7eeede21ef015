/**
 * The built-in inbox every org has without storing it, and its bucket. The HTTP schemas refuse the id for
 * a new inbox; the services answer it on reads and route addresses to it by default.
 */
export const DEFAULT_INBOX_ID = "default";

/** The bucket of the default inbox (stored inboxes get a UUID bucket when they are created). */
export const DEFAULT_BUCKET_ID = "default";
