/**
 * Per-connection send limit: `ratePerSecond` tokens refill continuously up to `burst`; each send takes one.
 * The clock is a parameter so the arithmetic is testable without waiting.
 */
export class TokenBucket {
  private readonly ratePerSecond: number;
  private readonly burst: number;
  private tokens: number;
  private updatedAt: number;

  constructor(ratePerSecond: number, burst: number, now = Date.now()) {
    this.ratePerSecond = ratePerSecond;
    this.burst = burst;
    this.tokens = burst;
    this.updatedAt = now;
  }

  /** Take one token if there is one; false means the caller is over its rate. */
  take(now = Date.now()): boolean {
    // A clock step backwards must not mint or burn tokens.
    const elapsedMs = Math.max(0, now - this.updatedAt);
    this.tokens = Math.min(this.burst, this.tokens + (elapsedMs / 1000) * this.ratePerSecond);
    this.updatedAt = Math.max(this.updatedAt, now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
