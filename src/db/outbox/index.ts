/**
 * The event outbox of outbound webhooks (transactional outbox): a feature commits its events with its own
 * rows (`eventStatements`; the mailbox writers' `message.received` statements for a whole chunk of
 * messages) and then kicks the relay (`kickWebhookDeliveries`), which claims due deliveries and hands them
 * to the delivery queue. It sits below the features because every one that changes state writes to it; the
 * webhooks room (src/features/webhooks) manages endpoints and delivers. Each webhook table's SQL is in its
 * store here.
 */
export { kickWebhookDeliveries } from "./dispatch";
export { eventStatements, newEventId } from "./outbox";
export { type RelayedEvent, relayMessageEvents } from "./relay";
export { insertMessageReceivedDeliveries } from "./webhook-deliveries.store";
export { insertMessageReceivedEvents } from "./webhook-events.store";
