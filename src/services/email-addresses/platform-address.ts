import { appConfig } from "@/lib/config";
import { badRequest } from "@/lib/errors";
import { emailDomain, normalizeDomain } from "@/shared/validation";

/** The domain of platform-provisioned addresses (EPILOT_EMAIL_DOMAIN), lowercased. */
export function platformDomain(env: object): string {
  return normalizeDomain(appConfig(env).EPILOT_EMAIL_DOMAIN);
}

/** 400 for an address on the platform domain or one of its subdomains: only provisioning creates those. */
export function assertNotPlatformAddress(env: object, address: string) {
  const platform = platformDomain(env);
  const domain = emailDomain(address);
  if (domain === platform || domain.endsWith(`.${platform}`)) {
    throw badRequest(
      `address: @${platform} addresses are provisioned by the platform; use PUT /v2/email-settings/email-addresses/epilot:provision`,
    );
  }
}

/** 400 unless the address is on the platform domain itself. */
export function assertPlatformAddress(env: object, address: string) {
  const platform = platformDomain(env);
  if (emailDomain(address) !== platform) throw badRequest(`address: must be an @${platform} address`);
}
