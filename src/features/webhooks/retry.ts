import { MAX_QUEUE_DELAY_SECONDS } from "./config";

/**
 * Seconds until the next attempt after `attempts` sends, or undefined when the schedule is spent.
 * `delays[n]` is the wait before attempt n+1, so after `attempts` sends the next wait is `delays[attempts]`.
 * A Retry-After (429/503) longer than the schedule's wait is honoured, up to the 12 hours a queue can delay.
 */
export function nextDelaySeconds(delays: number[], attempts: number, retryAfterSeconds?: number): number | undefined {
  const scheduled = delays[attempts];
  if (scheduled === undefined) return undefined;
  return Math.min(Math.max(scheduled, retryAfterSeconds ?? 0), MAX_QUEUE_DELAY_SECONDS);
}

/** A Retry-After header (delta-seconds or an HTTP date) as seconds from `now`; undefined when absent or bad. */
export function parseRetryAfter(value: string | null, now: Date): number | undefined {
  if (!value) return undefined;
  const text = value.trim();
  if (/^\d{1,10}$/.test(text)) return Number(text);
  if (text.length > 64) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - +now) / 1000));
}
