/**
 * What other features use of the custom-domain feature: the settings API adds a legacy `email_domain`
 * setting as a custom domain (addDomain with the domain config). The handlers call operations.ts, the
 * Cron Trigger recheck.ts. Nothing re-exported here imports another feature, so the settings feature may
 * import this file (or add.ts and config.ts themselves) from any of its modules without a cycle.
 *
 * Layout of this folder: config (the custom-domain vars), records (what to publish), checks (judging one
 * record's answer), check-records / check-name-servers (the lookups), state (a new domain's state and
 * its schedule), domain-verifications.store (every D1 read and write), add / verify / delete (the rules
 * of each operation), response (the API body), operations (what the handlers call), recheck (the Cron Trigger).
 */
export { addDomain } from "./add";
export { type DomainConfig, domainConfig } from "./config";
