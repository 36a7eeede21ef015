import { and, eq } from "drizzle-orm";
import type { Database } from "@/db/client";
import { emailAddresses } from "@/db/schema";
import { appConfig } from "@/lib/config";
import { badRequest } from "@/lib/errors";
import { canonicalDomain, emailDomain, normalizeDomain } from "@/shared/validation";
import { addressNotAvailable } from "./errors";

/** The domain of platform-provisioned addresses (EPILOT_EMAIL_DOMAIN) in canonical form. */
export function platformDomain(env: object): string {
  const configured = appConfig(env).EPILOT_EMAIL_DOMAIN;
  return canonicalDomain(configured) ?? normalizeDomain(configured);
}

/**
 * Where an address stands to the platform domain, judged on its canonical domain: `SUPPORT@EPILOT.CLOUD.`
 * or a fullwidth spelling is as much a platform address as `support@epilot.cloud`.
 */
function platformRelation(env: object, address: string): "platform" | "below-platform" | "other" {
  const platform = platformDomain(env);
  const domain = emailDomain(address);
  if (domain === platform) return "platform";
  return domain.endsWith(`.${platform}`) ? "below-platform" : "other";
}

const provisionedOnly = (field: string, platform: string) =>
  badRequest(
    `${field}: @${platform} addresses are provisioned by the platform; use PUT /v2/email-settings/email-addresses/epilot:provision`,
  );

/** 400 for an address on the platform domain or one of its subdomains: only provisioning creates those. */
export function assertNotPlatformAddress(env: object, address: string) {
  if (platformRelation(env, address) !== "other") throw provisionedOnly("address", platformDomain(env));
}

/** 400 unless the address is on the platform domain itself. */
export function assertPlatformAddress(env: object, address: string) {
  const platform = platformDomain(env);
  if (platformRelation(env, address) !== "platform") throw badRequest(`address: must be an @${platform} address`);
}

/**
 * For the legacy `email_address` setting: a platform address belongs to the one org that provisioned it
 * (the namespace is shared by all orgs, first come first served, and held by the provisioned row). The
 * org holding it may record it; another org's answers 409 "not available" without saying who holds it;
 * one nobody holds, or one below the platform domain, answers 400 pointing at provisioning. Other
 * addresses pass. The holder is looked up across orgs only to answer yes or no, nothing of it is returned.
 */
export async function assertPlatformAddressHeldBy(
  env: object,
  db: Database,
  orgId: string,
  address: string,
  field: string,
) {
  const relation = platformRelation(env, address);
  if (relation === "other") return;
  if (relation === "below-platform") throw provisionedOnly(field, platformDomain(env));
  const holder = await db
    .select({ orgId: emailAddresses.orgId })
    .from(emailAddresses)
    .where(and(eq(emailAddresses.address, address), eq(emailAddresses.isEpilotEmailAddress, true)))
    .get();
  if (!holder) throw provisionedOnly(field, platformDomain(env));
  if (holder.orgId !== orgId) throw addressNotAvailable(address);
}
