import type { Database } from "@/db/client";
import { addressesAtDomain } from "@/features/email-addresses";
import { deleteDomainRows, selectDomain } from "./domain-verifications.store";
import { domainInUse, domainNotFound } from "./errors";

/** Deletes the domain setting (its verification state goes with it) unless addresses still use it. */
export async function deleteDomain(db: Database, orgId: string, domain: string): Promise<void> {
  const { setting } = await selectDomain(db, orgId, domain);
  const using = await addressesAtDomain(db, orgId, domain);
  if (using.length > 0) throw domainInUse(domain, using);
  if (await deleteDomainRows(db, setting, domain)) return;
  // Nothing was deleted: an address was created meanwhile, or the domain is already gone.
  const nowUsing = await addressesAtDomain(db, orgId, domain);
  if (nowUsing.length > 0) throw domainInUse(domain, nowUsing);
  throw domainNotFound(domain);
}
