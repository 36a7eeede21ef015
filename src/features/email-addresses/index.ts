/**
 * What other features (mailboxes, domains) use of the email-address feature. The handlers call the operation
 * modules beside this file: lookup (list, get), add, update, delete, primary, provision.
 */
export { addressesAtDomain, deleteAddressStatements, noAddressAtDomain } from "./email-addresses.store";
export { findEmailAddress } from "./lookup";
export { assertPlatformAddressHeldBy } from "./platform-address";
export { assertSharedInboxExists } from "./references";
export { type EmailAddressView, toEmailAddressResponse } from "./response";
