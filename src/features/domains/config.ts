import { canonicalName, createDohResolver, type DnsResolver } from "@/clients/dns";
import { ApiError } from "@/lib/errors";
import type { Services } from "@/lib/services";

/** The custom-domain settings of one deployment, in the form the domain rules use them. */
export interface DomainConfig {
  dohUrl: string;
  dohTimeoutMs: number;
  nameServers: string[];
  inboundMxHost: string;
  spfInclude: string;
  dkimTargetDomain: string;
  platformDomain: string;
  recheckBatchSize: number;
  /** Most custom domains one organization may hold (DOMAINS_PER_ORG_MAX). */
  maxDomainsPerOrg: number;
}

function isHttpUrl(value: string): boolean {
  try {
    const { protocol } = new URL(value);
    return protocol === "https:" || protocol === "http:";
  } catch {
    return false;
  }
}

/**
 * The domain vars from the services' config (defaults in src/lib/config.ts), names compared in canonical form. A DOH_URL
 * that is not an http(s) URL is a 503.
 */
export function domainConfig(services: Pick<Services, "config">): DomainConfig {
  const { config } = services;
  if (!isHttpUrl(config.DOH_URL)) {
    throw new ApiError(503, "DNS lookups are not configured: DOH_URL must be an http(s) URL of a DoH resolver");
  }
  return {
    dohUrl: config.DOH_URL,
    dohTimeoutMs: config.DOH_TIMEOUT_MS,
    nameServers: [...new Set(config.PLATFORM_NAME_SERVERS.map(canonicalName).filter(Boolean))],
    inboundMxHost: canonicalName(config.INBOUND_MX_HOST),
    spfInclude: canonicalName(config.SPF_INCLUDE),
    dkimTargetDomain: canonicalName(config.DKIM_TARGET_DOMAIN),
    platformDomain: canonicalName(config.EPILOT_EMAIL_DOMAIN),
    recheckBatchSize: config.DOMAIN_RECHECK_BATCH_SIZE,
    maxDomainsPerOrg: config.DOMAINS_PER_ORG_MAX,
  };
}

export function resolverFor(config: DomainConfig): DnsResolver {
  return createDohResolver({ url: config.dohUrl, timeoutMs: config.dohTimeoutMs });
}
