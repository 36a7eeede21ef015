/**
 * Outbound webhooks, as other features use them: a feature commits its events with its own rows
 * (`eventStatements`, the transactional outbox) and then kicks the delivery of what it committed.
 */
export { kickWebhookDeliveries } from "./dispatch";
export { eventStatements, newEventId } from "./outbox";
