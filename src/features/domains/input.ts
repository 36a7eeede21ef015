import { badRequest } from "@/lib/errors";
import { canonicalDomain, isSameOrSubdomain, parseCustomDomain } from "@/shared/domain-names";

/** The `domain` field of a request body, which the contract's schema leaves optional. */
function requireDomainField(input: string | undefined): string {
  if (input === undefined) throw badRequest('domain: is required, e.g. {"domain": "mail.yourcompany.com"}');
  return input;
}

/** `{domain}` of verify/delete: normalized like addDomain, but any stored domain can be named (legacy rows). */
export function lookupDomainName(input: string | undefined): string {
  const domain = canonicalDomain(requireDomainField(input));
  if (!domain) throw badRequest("domain: must be a domain name such as mail.yourcompany.com");
  return domain;
}

/** `{domain}` of addDomain: a public, registrable name outside the platform's own domain; 400 otherwise. */
export function newDomainName(input: string | undefined, platformDomain: string): string {
  const parsed = parseCustomDomain(requireDomainField(input));
  if (!parsed.ok) throw badRequest(`domain: ${parsed.reason}`);
  const domain = parsed.domain;
  if (isSameOrSubdomain(domain, platformDomain)) {
    throw badRequest(`domain: ${domain} belongs to the platform's own ${platformDomain}; add a domain you own`);
  }
  return domain;
}
