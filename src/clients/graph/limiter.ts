/**
 * The one concurrency limiter of the Graph requests: at most `limit` slots are held at once, waiters are
 * served in arrival order, and a released slot goes straight to the next waiter (a newcomer cannot take
 * it while that waiter resumes). Used twice: per isolate and mailbox in GraphClient (slots without a
 * TTL, held for one request) and per mailbox across isolates in its Durable Object (MailboxSyncLock),
 * whose slots are held over RPC and so carry a TTL: a slot its holder never released (the holder
 * crashed) is reclaimed once the TTL has passed, and handed on to a waiter.
 */
export class SlotLimiter {
  /** Slot id -> when it expires (Infinity: never). */
  private readonly slots = new Map<string, number>();
  private readonly waiters: { ttlMs: number; grant: (id: string) => void }[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt = Number.POSITIVE_INFINITY;

  constructor(
    readonly limit: number,
    private readonly defaultTtlMs = Number.POSITIVE_INFINITY,
  ) {}

  /** Slots held now (expired ones not counted). */
  get inUse(): number {
    this.reclaimExpired();
    return this.slots.size;
  }

  /** Waits for a free slot; answers its id, for `release`. */
  acquire(ttlMs = this.defaultTtlMs): Promise<string> {
    this.reclaimExpired();
    if (this.slots.size < this.limit && this.waiters.length === 0) return Promise.resolve(this.take(ttlMs));
    return new Promise<string>((grant) => {
      this.waiters.push({ ttlMs, grant });
      this.watchExpiry();
    });
  }

  /** Frees a slot (answers false when it was not held, e.g. already reclaimed). */
  release(id: string): boolean {
    if (!this.slots.delete(id)) return false;
    this.handOn();
    return true;
  }

  /** Runs `task` in a slot. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    const id = await this.acquire();
    try {
      return await task();
    } finally {
      this.release(id);
    }
  }

  private take(ttlMs: number): string {
    const id = crypto.randomUUID();
    this.slots.set(id, Date.now() + ttlMs);
    return id;
  }

  private handOn() {
    while (this.slots.size < this.limit) {
      const next = this.waiters.shift();
      if (!next) return;
      next.grant(this.take(next.ttlMs));
    }
    this.watchExpiry();
  }

  private reclaimExpired() {
    const now = Date.now();
    let freed = false;
    for (const [id, expiresAt] of this.slots) {
      if (expiresAt <= now) {
        this.slots.delete(id);
        freed = true;
      }
    }
    if (freed) this.handOn();
  }

  /** While someone waits, wakes up when the first slot expires (only slots with a TTL ever do). */
  private watchExpiry() {
    if (this.waiters.length === 0) return;
    const first = Math.min(...this.slots.values());
    if (!Number.isFinite(first) || (this.timer !== undefined && this.timerAt <= first)) return;
    clearTimeout(this.timer);
    this.timerAt = first;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.reclaimExpired();
        this.watchExpiry();
      },
      Math.max(0, first - Date.now()),
    );
  }
}
