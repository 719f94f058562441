/**
 * What a daemon knows about client addresses (its host records: uptime,
 * last HTTP verdict, language, NAT), kept for a short time by address.
 *
 * Used when each connection's TCP facts come from its own saved SYN: the
 * daemon is then asked about the client's address, not about every
 * connection, so a client's later connections within `ttlMs` are answered
 * at once, and one question at a time goes out per address. Only known
 * hosts are kept (a new client's record appears as the daemon sees its
 * SYN, so "unknown" is asked again); errors are not kept. Bounded: the
 * oldest entries go first.
 */
import type { PofAnswer } from './result.js';

export const DEFAULT_HOST_TTL_MS = 1000;
export const MAX_HOST_TTL_MS = 3_600_000;
export const DEFAULT_HOST_CACHE_SIZE = 4096;

export class HostCache {
  private readonly map = new Map<string, { a: PofAnswer; at: number }>();
  private readonly asking = new Map<string, Promise<PofAnswer | null>>();

  /**
   * @param ask     the question (rejects when the daemon could not be asked)
   * @param ttlMs   how long an answer is used (0: every connection asks)
   * @param maxSize most addresses kept
   */
  constructor(
    private readonly ask: (addr: string, timeoutMs: number) => Promise<PofAnswer | null>,
    readonly ttlMs: number,
    private readonly maxSize = DEFAULT_HOST_CACHE_SIZE,
  ) {}

  get size(): number {
    return this.map.size;
  }

  /** A fresh answer about `addr`, or undefined when it must be asked. */
  peek(addr: string): PofAnswer | undefined {
    if (!this.ttlMs) return undefined;
    const e = this.map.get(addr);
    if (!e) return undefined;
    if (performance.now() - e.at < this.ttlMs) return e.a;
    this.map.delete(addr);
    return undefined;
  }

  /** A question about `addr` is out (get() joins it). */
  pending(addr: string): boolean {
    return this.asking.has(addr);
  }

  /** Asks about `addr` (joining a question already out for it) and keeps a known host. */
  get(addr: string, timeoutMs: number): Promise<PofAnswer | null> {
    const out = this.asking.get(addr);
    if (out) return out;
    const p = this.ask(addr, timeoutMs).then(
      (a) => {
        this.asking.delete(addr);
        if (a && this.ttlMs) this.keep(addr, a);
        return a;
      },
      (e: unknown) => {
        this.asking.delete(addr);
        throw e;
      },
    );
    this.asking.set(addr, p);
    return p;
  }

  private keep(addr: string, a: PofAnswer): void {
    this.map.delete(addr);
    this.map.set(addr, { a, at: performance.now() });
    if (this.map.size > this.maxSize) this.map.delete(this.map.keys().next().value!);
  }
}
