import { isUniqueViolation, nowIso } from "@/db/client";
import type { Services } from "@/lib/services";
import { provisionStatements } from "./email-addresses.store";
import { addressNotAvailable } from "./errors";
import { assertPlatformAddress } from "./platform-address";
import { type EmailAddressView, toEmailAddressResponse } from "./response";

/**
 * Provisions (or reactivates) the org's platform address on EPILOT_EMAIL_DOMAIN. An org has one active
 * platform address: provisioning another deactivates the rest, and when the primary was one of them the
 * new address takes over the role. Platform addresses are one namespace, first come first served: one
 * another org holds answers 409 without saying who holds it.
 */
export async function provisionEpilotEmailAddress(
  services: Pick<Services, "db" | "config">,
  orgId: string,
  userId: string | undefined,
  address: string,
): Promise<EmailAddressView> {
  assertPlatformAddress(services, address);
  const { db } = services;
  try {
    return toEmailAddressResponse(await provisionStatements(db, orgId, userId, address, nowIso()));
  } catch (err) {
    if (isUniqueViolation(err, "email_addresses.address")) {
      throw addressNotAvailable(address);
    }
    throw err;
  }
}
