import type { FakeMailboxSpec } from "../servers/fake-graph/admin";
import { uniqueOrg } from "./api";
import { grantAdminConsent } from "./live-harness";
import { type Api, connect, connectTenant, seedMailbox, uniqueMailbox, uniqueTenant } from "./mailbox-harness";

/**
 * The mailbox set-up the mailbox, message store, live sync and webhook tests share: a mailbox with generated
 * mail at the fake Graph, the org's connected tenant, and the connect. Each option is a variant some test
 * needs; the defaults are the common case (a fresh org and tenant, an empty mailbox, connected).
 */

/** The fake Graph's mailbox spec without its address and tenant (the fixtures choose those). */
export type MailboxSpec = Omit<FakeMailboxSpec, "email" | "tenant">;

export interface FakeMailboxOptions {
  /** Names the generated org and mailbox address (`<name>-…`), so a failing test's rows are easy to find. */
  name?: string;
  /** Default: a fresh tenant. */
  tenant?: string;
  /** Its mail and its trouble at the fake Graph (message counts, bodies, throttling, access...). */
  spec?: MailboxSpec;
}

/** A mailbox at the fake Graph only (no org): answers its tenant, address and generated messages. */
export async function fakeMailbox(options: FakeMailboxOptions = {}) {
  const tenant = options.tenant ?? uniqueTenant();
  const email = uniqueMailbox(options.name);
  const messages = await seedMailbox({ ...options.spec, email, tenant });
  return { tenant, email, messages };
}

export interface ConnectedMailboxOptions extends FakeMailboxOptions {
  /** Default: a fresh org. */
  org?: string;
  /** false: the org has connected the tenant already (a second mailbox of it). */
  connectTenant?: boolean;
  /** The tenant's application permission Mail.Read (live notifications), with Graph's subscription minimum. */
  consent?: boolean | { minExpirationMinutes?: number };
  /**
   * false: the test connects the mailbox itself (after a webhook, an inbox or a Graph change it needs first);
   * an object: more fields of the connect request (`shared_inbox_id`, `mailboxSyncTimeframe`).
   */
  connect?: boolean | Record<string, unknown>;
}

/**
 * A mailbox of an org's connected tenant with its mail at the fake Graph, connected through the API with
 * `api` unless `connect: false`. Answers the org, tenant, address and generated messages.
 */
export async function connectedMailbox(api: Api, options: ConnectedMailboxOptions = {}) {
  const org = options.org ?? uniqueOrg(options.name);
  const tenant = options.tenant ?? uniqueTenant();
  if (options.connectTenant !== false) await connectTenant(org, tenant);
  if (options.consent) {
    await grantAdminConsent(tenant, options.consent === true ? undefined : options.consent.minExpirationMinutes);
  }
  const { email, messages } = await fakeMailbox({ ...options, tenant });
  if (options.connect !== false) {
    await connect(api, org, email, options.connect === true ? {} : (options.connect ?? {}));
  }
  return { org, tenant, email, messages };
}
