import type { Database } from "@/db/client";
import { badRequest } from "@/lib/errors";
import type { Services } from "@/lib/services";
import { canonicalDomain, emailDomain, normalizeDomain } from "@/shared/validation";
import { findPlatformAddressHolder } from "./email-addresses.store";
import { addressNotAvailable } from "./errors";

/** The domain of platform-provisioned addresses (EPILOT_EMAIL_DOMAIN) in canonical form. */
export function platformDomain(services: Pick<Services, "config">): string {
  const configured = services.config.EPILOT_EMAIL_DOMAIN;
  return canonicalDomain(configured) ?? normalizeDomain(configured);
}

/**
 * Where an address stands to the platform domain, judged on its canonical domain: `SUPPORT@EPILOT.CLOUD.`
 * or a fullwidth spelling is as much a platform address as `support@epilot.cloud`.
 */
function platformRelation(
  services: Pick<Services, "config">,
  address: string,
): "platform" | "below-platform" | "other" {
  const platform = platformDomain(services);
  const domain = emailDomain(address);
  if (domain === platform) return "platform";
  return domain.endsWith(`.${platform}`) ? "below-platform" : "other";
}

const provisionedOnly = (field: string, platform: string) =>
  badRequest(
    `${field}: @${platform} addresses are provisioned by the platform; use PUT /v2/email-settings/email-addresses/epilot:provision`,
  );

/** 400 for an address on the platform domain or one of its subdomains: only provisioning creates those. */
export function assertNotPlatformAddress(services: Pick<Services, "config">, address: string) {
  if (platformRelation(services, address) !== "other") throw provisionedOnly("address", platformDomain(services));
}

/** 400 unless the address is on the platform domain itself. */
export function assertPlatformAddress(services: Pick<Services, "config">, address: string) {
  const platform = platformDomain(services);
  if (platformRelation(services, address) !== "platform") throw badRequest(`address: must be an @${platform} address`);
}

/**
 * For the legacy `email_address` setting: a platform address belongs to the one org that provisioned it
 * (the namespace is shared by all orgs, first come first served, and held by the provisioned row). The
 * org holding it may record it; another org's answers 409 "not available" without saying who holds it;
 * one nobody holds, or one below the platform domain, answers 400 pointing at provisioning. Other
 * addresses pass. The holder is looked up across orgs only to answer yes or no, nothing of it is returned.
 */
export async function assertPlatformAddressHeldBy(
  services: Pick<Services, "config">,
  db: Database,
  orgId: string,
  address: string,
  field: string,
) {
  const relation = platformRelation(services, address);
  if (relation === "other") return;
  if (relation === "below-platform") throw provisionedOnly(field, platformDomain(services));
  const holder = await findPlatformAddressHolder(db, address);
  if (!holder) throw provisionedOnly(field, platformDomain(services));
  if (holder.orgId !== orgId) throw addressNotAvailable(address);
}
