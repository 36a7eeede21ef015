/**
 * What a queue's consumer does with one message's body, without seeing the message: the entry layer
 * (src/entry/queues.ts) runs it, and acknowledges, retries or gives up by the queue's policy.
 */

/**
 * Thrown by queue work: do it again after `delaySeconds` as `next`, a new message (so it does not count as a
 * failed attempt; e.g. Microsoft Graph's Retry-After).
 */
export class RetryLater<T> extends Error {
  constructor(
    readonly delaySeconds: number,
    readonly next: T,
  ) {
    super(`retry in ${delaySeconds} s`);
    this.name = "RetryLater";
  }
}

export interface QueueWork<T> {
  /** Logs a failed attempt (what to alert on is the work's to say). */
  logFailure(body: T, err: unknown, attempts: number): void;
  /** The reason recorded when a dead-letter queue's message is given up. */
  exhaustedReason: string;
  /** Does the work; a throw is a failed attempt (retried by the queue's policy), RetryLater re-sends. */
  run(body: T): Promise<void>;
  /** The work will not be done (its retries are exhausted, or it reached the dead-letter queue): record that. */
  giveUp(body: T, reason: string): Promise<void>;
  /** Messages of one batch that run at once, per group (default: the whole batch at once). */
  concurrency?: { groupOf(body: T): string; perGroup: number };
  /** Runs after each batch (e.g. a sweep for what a crash left behind); it handles its own failures. */
  afterBatch?(): Promise<void>;
}
