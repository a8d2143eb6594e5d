import { ChatError, errors } from '../domain/errors.ts';
import { TokenBucket } from './token-bucket.ts';

/** What one connection may ask of the server; the same numbers apply to STOMP, SockJS and Socket.IO. */
export interface InboundLimits {
  /** Requests (frames, events) accepted but not yet handled; a client past this is flooding. */
  maxPending: number;
  /** Message sends per second, and the burst above it. */
  sendRatePerSecond: number;
  sendBurst: number;
  /** Subscribe/unsubscribe (and room enter) requests per second, and the burst above it. */
  subscribeRatePerSecond: number;
  subscribeBurst: number;
  /** Live subscriptions (destinations) one connection may hold. */
  maxSubscriptions: number;
}

export const DEFAULT_INBOUND_LIMITS: InboundLimits = {
  maxPending: 256,
  sendRatePerSecond: 20,
  sendBurst: 40,
  subscribeRatePerSecond: 20,
  subscribeBurst: 100,
  maxSubscriptions: 200,
};

/** How a request counts against the limits. */
export type RequestKind = 'send' | 'subscribe' | 'other';

/**
 * One connection's inbound limits. Requests are admitted when they arrive, before they wait in the
 * connection's queue: a flood is refused at once instead of piling up behind slow I/O. Each admitted request
 * must be `settled` once handled.
 */
export class InboundLimiter {
  readonly limits: InboundLimits;
  private readonly sends: TokenBucket;
  private readonly subscribes: TokenBucket;
  private pendingCount = 0;

  constructor(limits: InboundLimits) {
    this.limits = limits;
    this.sends = new TokenBucket(limits.sendRatePerSecond, limits.sendBurst);
    this.subscribes = new TokenBucket(limits.subscribeRatePerSecond, limits.subscribeBurst);
  }

  get pending(): number {
    return this.pendingCount;
  }

  /** Admit a request or say why not (the caller rejects it; STOMP then closes the connection). */
  admit(kind: RequestKind, now = Date.now()): ChatError | undefined {
    if (this.pendingCount >= this.limits.maxPending) return errors.rateLimited(`too many requests in flight (at most ${this.limits.maxPending})`);
    if (kind === 'send' && !this.sends.take(now)) return errors.rateLimited(`rate limit exceeded: at most ${this.limits.sendRatePerSecond} messages per second`);
    if (kind === 'subscribe' && !this.subscribes.take(now)) {
      return errors.rateLimited(`rate limit exceeded: at most ${this.limits.subscribeRatePerSecond} subscriptions per second`);
    }
    this.pendingCount++;
    return undefined;
  }

  settled(): void {
    if (this.pendingCount > 0) this.pendingCount--;
  }

  /** Refuse a subscription that would take the connection past its cap. */
  checkSubscriptions(held: number, adding: number): void {
    if (held + adding > this.limits.maxSubscriptions) {
      throw new ChatError('LIMIT_EXCEEDED', 429, `too many subscriptions: at most ${this.limits.maxSubscriptions} per connection`);
    }
  }
}
