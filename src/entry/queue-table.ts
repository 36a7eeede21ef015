/**
 * The queues this Worker consumes, with the policy the entry layer applies to each (src/entry/queues.ts).
 * No imports: scripts/check-config.mjs reads it and compares it with wrangler.toml's [[queues.consumers]].
 */

export interface QueuePolicy {
  /** wrangler.toml `max_retries` of its consumer. */
  maxRetries: number;
  /** The queue its exhausted messages go to (wrangler.toml `dead_letter_queue`), if any. */
  deadLetterQueue?: string;
  /** This queue is a dead-letter queue: its messages are given up, not run. */
  deadLetters: boolean;
  /**
   * On the last failed attempt: `give-up` records the failure and acknowledges (the work ends cleanly);
   * `dead-letter` lets the queue move the message on.
   */
  whenExhausted: "give-up" | "dead-letter";
  /** Delay of the next attempt: `exponential-60` 2^attempts seconds up to 60; `none` the queue's default. */
  backoff: "exponential-60" | "none";
}

export const QUEUES = {
  "mailbox-sync": {
    maxRetries: 5,
    deadLetterQueue: "mailbox-sync-dlq",
    deadLetters: false,
    whenExhausted: "give-up",
    backoff: "exponential-60",
  },
  "mailbox-sync-dlq": { maxRetries: 2, deadLetters: true, whenExhausted: "give-up", backoff: "exponential-60" },
  "webhook-deliveries": {
    maxRetries: 3,
    deadLetterQueue: "webhook-deliveries-dlq",
    deadLetters: false,
    whenExhausted: "dead-letter",
    backoff: "none",
  },
  "webhook-deliveries-dlq": { maxRetries: 2, deadLetters: true, whenExhausted: "dead-letter", backoff: "none" },
} as const satisfies Record<string, QueuePolicy>;

export type QueueName = keyof typeof QUEUES;
