/**
 * What other features (mailboxes) use of the email-address feature. The handlers call the operation
 * modules beside this file: lookup (list, get), add, update, delete, primary, provision.
 */
export { deleteAddressStatements } from "./delete";
export { findEmailAddress } from "./lookup";
export { assertPlatformAddressHeldBy } from "./platform-address";
export { assertSharedInboxExists } from "./references";
export { type EmailAddressView, toEmailAddressResponse } from "./response";
