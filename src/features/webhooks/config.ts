import type { Services } from "@/lib/services";

export interface WebhookConfig {
  /** Delay before attempt n+1 (index n), in seconds; its length is the most attempts a delivery gets. */
  retryDelaysSeconds: number[];
  /** Development only: http:// and loopback URLs are accepted. */
  allowInsecureUrls: boolean;
  timeoutMs: number;
  endpointsPerOrgMax: number;
  endpointConcurrency: number;
  disableAfterFailingMs: number;
  encryptionKeys: string | undefined;
}

export const DEFAULT_RETRY_DELAYS_SECONDS = [0, 5, 300, 1800, 7200, 18_000, 36_000, 36_000];
/** A queue message can be delayed by at most 12 hours. */
export const MAX_QUEUE_DELAY_SECONDS = 43_200;

/** The schedule from WEBHOOK_RETRY_DELAYS_SECONDS; any entry that is not a number >= 0 means the default. */
function retryDelays(list: string[]): number[] {
  const delays = list.map(Number);
  const valid = delays.length > 0 && delays.length <= 20 && delays.every((d) => Number.isFinite(d) && d >= 0);
  return valid ? delays.map((d) => Math.min(Math.round(d), MAX_QUEUE_DELAY_SECONDS)) : DEFAULT_RETRY_DELAYS_SECONDS;
}

export function webhookConfig(services: Pick<Services, "config" | "tokenKeys">): WebhookConfig {
  const config = services.config;
  return {
    retryDelaysSeconds: retryDelays(config.WEBHOOK_RETRY_DELAYS_SECONDS),
    allowInsecureUrls: config.WEBHOOK_ALLOW_INSECURE_URLS.toLowerCase() === "true",
    timeoutMs: config.WEBHOOK_TIMEOUT_MS,
    endpointsPerOrgMax: config.WEBHOOK_ENDPOINTS_PER_ORG_MAX,
    endpointConcurrency: config.WEBHOOK_ENDPOINT_CONCURRENCY,
    disableAfterFailingMs: config.WEBHOOK_DISABLE_AFTER_FAILING_SECONDS * 1000,
    // Read where a secret is sealed or opened: a refused development key fails only those steps (503, or a
    // delivery that could not be signed), not listing, updating or the rest of a delivery batch.
    get encryptionKeys() {
      return services.tokenKeys();
    },
  };
}
