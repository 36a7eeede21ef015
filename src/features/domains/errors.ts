import { ApiError, conflict, notFound } from "@/lib/errors";

/** Thrown when no lookup reached the resolver at all: the operation answers 502. */
export class ResolverUnreachableError extends ApiError {
  constructor(reason: string) {
    super(502, `The DNS resolver could not be reached, so nothing was checked: ${reason}. Please retry later.`);
  }
}

export function domainNotFound(domain: string) {
  return notFound(`Domain '${domain}' not found in this organization`);
}

export function alreadyConfigured(domain: string) {
  return conflict(`Domain '${domain}' is already configured for this organization`);
}

export function tooManyDomains(max: number) {
  return conflict(
    `This organization already has ${max} domains, the most it can hold; delete a domain it no longer uses before adding another`,
  );
}

/** 409 for a domain still used by email addresses: names up to five of them. */
export function domainInUse(domain: string, addresses: { address: string }[]) {
  const shown = addresses.slice(0, 5).map((a) => a.address);
  const more = addresses.length > shown.length ? ` and ${addresses.length - shown.length} more` : "";
  return conflict(
    `Domain '${domain}' is still used by email addresses ${shown.join(", ")}${more}; delete or move them first`,
  );
}

/** 409 for a domain whose records are in place but that another organization holds verified (never says which). */
export function verifiedElsewhere(domain: string) {
  return conflict(
    `Domain '${domain}' cannot be verified yet: its records are in place, but it is still verified for another ` +
      "organization on the platform. That verification is re-checked at the next scheduled run (within about an " +
      "hour) and ends if its records are gone; verify again after that.",
  );
}
