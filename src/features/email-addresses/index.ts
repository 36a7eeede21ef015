/**
 * What other features (mailboxes, domains, settings, shared inboxes) use of the email-address feature. The
 * handlers call the operation modules beside this file: lookup (list, get), add, update, delete, primary,
 * provision.
 */
export {
  addressesAtDomain,
  clearDefaultSignatureStatement,
  deleteAddressStatements,
  moveAddressesToInboxStatement,
  noAddressAtDomain,
  upsertMailboxAddress,
} from "./email-addresses.store";
export { findEmailAddress } from "./lookup";
export { assertPlatformAddressHeldBy } from "./platform-address";
export { assertSharedInboxExists } from "./references";
export { type EmailAddressView, toEmailAddressResponse } from "./response";
