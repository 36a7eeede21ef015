/**
 * Outbound webhooks, as other features use them: a feature commits its events with its own rows
 * (`eventStatements`, the transactional outbox; the mailbox writers' `message.received` statements for a
 * whole chunk of messages) and then kicks the delivery of what it committed.
 */
export { kickWebhookDeliveries } from "./dispatch";
export { eventStatements, newEventId } from "./outbox";
export { insertMessageReceivedDeliveries } from "./webhook-deliveries.store";
export { insertMessageReceivedEvents } from "./webhook-events.store";
