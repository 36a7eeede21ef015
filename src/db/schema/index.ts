/**
 * Every table carries `org_id` and every query filters on it: tenant isolation is a property of the
 * schema, not only of the handlers. Timestamps are ISO-8601 strings because the contract returns
 * them that way; lists order by (created_at, rowid) so rows created in the same millisecond keep
 * their insertion order. Uniqueness rules live in indexes so concurrent requests cannot break them.
 *
 * One file per feature; this index is what `@/db/schema` and drizzle-kit read.
 */
export * from "./addresses-inboxes-settings";
export * from "./domains";
export * from "./mailboxes";
export * from "./outlook";
export * from "./webhooks";
