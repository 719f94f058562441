/**
 * StoreReader: what web nodes ask the shared store (Redis) about a
 * connection (by 4-tuple, with its client's host record) or an address.
 *
 * - Questions asked in the same turn of the event loop go out in one
 *   write (node-redis pipelines them); a connection's two keys are two
 *   GETs, not one MGET, so that keys in different Cluster slots work.
 * - Answers that know the connection's SYN verdict are kept for
 *   cacheTtlMs (keep-alive requests, several lookups per connection);
 *   unknown connections are not (the sensor may publish them any moment).
 *   Identical questions in flight are asked once.
 * - Each question has a timeout, and at most maxInFlight are out: beyond,
 *   callers are refused at once ('busy'). While Redis is down the reader
 *   refuses at once too (PofError E_STORE saying why), and it reconnects
 *   by itself. Errors are PofError E_STORE / E_STORE_TIMEOUT: the web side
 *   turns them into pof_err.
 */
import { PofError } from '../../errors.js';
import { intOption } from '../../options.js';
import { canonicalAddress } from '../../net/addr.js';
import type { JsonConn, JsonHost } from '../json-types.js';
import { connStoreKey, hostStoreKey, keyPrefixOption, parseStoreUrl } from './keys.js';
import { RedisConn, type RedisConnOptions } from './redis.js';

export const DEFAULT_STORE_TIMEOUT_MS = 50;
export const DEFAULT_STORE_CACHE_TTL_MS = 1000;
export const MAX_STORE_CACHE_TTL_MS = 3_600_000;
export const DEFAULT_STORE_CACHE_SIZE = 10_000;
export const MAX_STORE_CACHE_SIZE = 1_000_000;
export const DEFAULT_STORE_MAX_IN_FLIGHT = 1000;
export const MAX_STORE_IN_FLIGHT_CAP = 100_000;
/** Longest value read (a JsonConn is about 1 KB). */
export const MAX_STORE_VALUE = 64 * 1024;

export interface StoreReaderOptions extends RedisConnOptions {
  /** redis://[[user]:password@]host[:port][/db] or rediss://... */
  url: string;
  /** Key prefix (default 'pof:'), as the sensor's. */
  keyPrefix?: string;
  /** Default per-question timeout (ms, default 50). */
  timeoutMs?: number;
  /** How long a known connection's answer is reused (ms, default 1000; 0: never). */
  cacheTtlMs?: number;
  /** Most answers kept (default 10000; the oldest go first). */
  cacheSize?: number;
  /** Questions out at once (default 1000); more are refused at once. */
  maxInFlight?: number;
  /** Told of each Redis round trip: seconds, and whether it succeeded (metrics). */
  onLookup?: (seconds: number, ok: boolean) => void;
}

/** What the store knows of a connection and its client ("no match" is null). */
export interface StoreAnswer {
  host: JsonHost | null;
  conn: JsonConn | null;
}

export interface StoreConnQuery {
  cli: string;
  cliPort: number;
  srv: string;
  srvPort: number;
}

export interface StoreReaderStats {
  /** Questions asked of the reader. */
  lookups: number;
  /** Answered from the local cache, or by joining a question already out. */
  cached: number;
  joined: number;
  /** Round trips to Redis. */
  redis: number;
  /** Failed questions: timed out, refused while down, refused for being too many, Redis errors, bad values. */
  timeouts: number;
  down: number;
  busy: number;
  errors: number;
  badValues: number;
}

interface Cached {
  a: StoreAnswer;
  at: number;
}

const noop = (): void => {};

export class StoreReader {
  readonly conn: RedisConn;
  readonly keyPrefix: string;
  readonly timeoutMs: number;
  readonly cacheTtlMs: number;
  readonly cacheSize: number;
  readonly maxInFlight: number;
  readonly stats: StoreReaderStats = { lookups: 0, cached: 0, joined: 0, redis: 0, timeouts: 0, down: 0, busy: 0, errors: 0, badValues: 0 };
  private readonly cache = new Map<string, Cached>();
  private readonly asking = new Map<string, Promise<StoreAnswer | null>>();
  private inFlight = 0;
  private readonly onLookup: ((s: number, ok: boolean) => void) | undefined;
  private closed = false;

  /** Checks the options (PofError E_CONFIG) and starts connecting; see ready(). */
  constructor(opts: StoreReaderOptions) {
    if (opts === null || typeof opts !== 'object') throw new PofError('E_CONFIG', 'store: options must be an object');
    const url = parseStoreUrl(opts.url);
    this.keyPrefix = keyPrefixOption('store', opts.keyPrefix);
    this.timeoutMs = intOption('store: timeoutMs', opts.timeoutMs, DEFAULT_STORE_TIMEOUT_MS, 1, 60_000);
    this.cacheTtlMs = intOption('store: cacheTtlMs', opts.cacheTtlMs, DEFAULT_STORE_CACHE_TTL_MS, 0, MAX_STORE_CACHE_TTL_MS);
    this.cacheSize = intOption('store: cacheSize', opts.cacheSize, DEFAULT_STORE_CACHE_SIZE, 1, MAX_STORE_CACHE_SIZE);
    this.maxInFlight = intOption('store: maxInFlight', opts.maxInFlight, DEFAULT_STORE_MAX_IN_FLIGHT, 1, MAX_STORE_IN_FLIGHT_CAP);
    if (opts.onLookup !== undefined && typeof opts.onLookup !== 'function') throw new PofError('E_CONFIG', 'store: onLookup must be a function');
    this.onLookup = opts.onLookup;
    this.conn = new RedisConn(url, opts);
    this.opened = this.conn.open();
    this.opened.catch(noop);
  }

  private readonly opened: Promise<void>;

  /** Resolves once connected the first time (it keeps trying until then). */
  ready(): Promise<void> {
    return this.opened;
  }

  /** Why the store cannot be asked now, or null. */
  unavailable(): string | null {
    return this.closed ? 'store closed' : this.conn.down;
  }

  /**
   * What the store knows of one connection and of its client's address;
   * null when it knows neither. Addresses in any text form (canonicalised).
   * Rejects with PofError E_STORE / E_STORE_TIMEOUT within the timeout.
   */
  connection(q: StoreConnQuery, timeoutMs = this.timeoutMs): Promise<StoreAnswer | null> {
    this.stats.lookups++;
    const c = canonicalAddress(q.cli);
    const s = canonicalAddress(q.srv);
    if (!c || !s || c.ver !== s.ver) return Promise.reject(new PofError('E_STORE', 'not a connection: give two addresses of one IP version'));
    const ck = connStoreKey(this.keyPrefix, c.addr, q.cliPort, s.addr, q.srvPort);
    const hk = hostStoreKey(this.keyPrefix, c.addr);
    return this.ask(ck, timeoutMs, () => this.getTwo(ck, hk), (a) => a !== null && a.conn !== null && a.conn.client.tcp !== null);
  }

  /** What the store knows of an address; null when nothing. */
  host(addr: string, timeoutMs = this.timeoutMs): Promise<JsonHost | null> {
    this.stats.lookups++;
    const a = canonicalAddress(addr);
    if (!a) return Promise.reject(new PofError('E_STORE', `not an IP address: ${addr.slice(0, 64)}`));
    const hk = hostStoreKey(this.keyPrefix, a.addr);
    return this.ask(hk, timeoutMs, () => this.getOne(hk).then((h) => (h ? { host: h as JsonHost, conn: null } : null)), (x) => x !== null).then((x) => x?.host ?? null);
  }

  private ask(key: string, timeoutMs: number, fetch: () => Promise<StoreAnswer | null>, keep: (a: StoreAnswer | null) => boolean): Promise<StoreAnswer | null> {
    const hit = this.cache.get(key);
    if (hit) {
      if (performance.now() - hit.at < this.cacheTtlMs) {
        this.stats.cached++;
        return Promise.resolve(hit.a);
      }
      this.cache.delete(key);
    }
    const down = this.unavailable();
    if (down) {
      this.stats.down++;
      return Promise.reject(new PofError('E_STORE', down));
    }
    let p = this.asking.get(key);
    if (p) this.stats.joined++;
    else {
      if (this.inFlight >= this.maxInFlight) {
        this.stats.busy++;
        return Promise.reject(new PofError('E_STORE', `store busy: ${this.maxInFlight} questions already waiting for redis`));
      }
      this.inFlight++;
      const t0 = performance.now();
      p = Promise.resolve()
        .then(fetch)
        .then(
          (a) => {
            this.inFlight--;
            this.asking.delete(key);
            this.onLookup?.((performance.now() - t0) / 1000, true);
            if (this.cacheTtlMs && keep(a)) this.keep(key, a!);
            return a;
          },
          (e: unknown) => {
            this.inFlight--;
            this.asking.delete(key);
            this.onLookup?.((performance.now() - t0) / 1000, false);
            this.stats.errors++;
            throw e instanceof PofError ? e : new PofError('E_STORE', this.conn.down ?? `redis error: ${(e as Error)?.message?.split('\n')[0] ?? String(e)}`);
          },
        );
      this.asking.set(key, p);
    }
    return withTimeout(p, timeoutMs, () => {
      this.stats.timeouts++;
      return new PofError('E_STORE_TIMEOUT', `redis did not answer within ${timeoutMs} ms`);
    });
  }

  private keep(key: string, a: StoreAnswer): void {
    this.cache.delete(key);
    this.cache.set(key, { a, at: performance.now() });
    if (this.cache.size > this.cacheSize) {
      // The oldest tenth in one pass (see ConnVerdicts.evictOldest).
      let n = Math.max(1, Math.floor(this.cacheSize / 10));
      for (const k of this.cache.keys()) {
        this.cache.delete(k);
        if (--n === 0) break;
      }
    }
  }

  /** The client (up: ask() checked unavailable() first). */
  private client(): NonNullable<RedisConn['client']> {
    const c = this.conn.client;
    if (!c) throw new PofError('E_STORE', this.conn.down ?? 'not connected');
    return c;
  }

  private getOne(key: string): Promise<unknown> {
    this.stats.redis++;
    return this.client().get(key).then((v) => this.parse(v, key));
  }

  private getTwo(connKey: string, hostKey: string): Promise<StoreAnswer | null> {
    this.stats.redis++;
    const c = this.client();
    return Promise.all([c.get(connKey), c.get(hostKey)]).then(([cv, hv]) => {
      const conn = this.parse(cv, connKey) as JsonConn | null;
      const host = this.parse(hv, hostKey) as JsonHost | null;
      return conn || host ? { conn, host } : null;
    });
  }

  /** A stored JSON value, or null (missing, or not what the sensor writes: counted). */
  private parse(v: unknown, key: string): unknown {
    if (v === null || v === undefined) return null;
    if (typeof v !== 'string' || v.length > MAX_STORE_VALUE) {
      this.stats.badValues++;
      return null;
    }
    try {
      const o: unknown = JSON.parse(v);
      if (typeof o === 'object' && o !== null && !Array.isArray(o) && (key.includes(':conn:') ? 'client' in o && 'cli' in o : 'addr' in o)) return o;
    } catch {
      // counted below
    }
    this.stats.badValues++;
    return null;
  }

  /** Answers in the cache now. */
  get cached(): number {
    return this.cache.size;
  }

  /** Questions waiting for Redis now. */
  get pending(): number {
    return this.inFlight;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.cache.clear();
    await this.conn.close();
  }
}

/** `p`, or the error `late()` makes if it has not settled within `ms`. */
function withTimeout<T>(p: Promise<T>, ms: number, late: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(late()), Math.max(1, Math.ceil(ms)));
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}
