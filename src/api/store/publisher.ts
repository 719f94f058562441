/**
 * StorePublisher: the sensor's side of the shared store. Give it each
 * connection verdict and host record as the engine updates them; it
 * publishes them to Redis (keys.ts) without ever making capture wait:
 *
 *   conn(v) / host(h)   O(1): the record is marked dirty (a bounded set;
 *                       several updates in a row are published once, the
 *                       latest)
 *   next turn           dirty connections are encoded (codec.ts) into a
 *                       shared ring (ring.ts), at most `batch` per turn;
 *                       dirty hosts every hostIntervalMs (a busy client's
 *                       record changes with each SYN, and is worth
 *                       publishing a few times a second, not each time)
 *   other threads       (publish-worker.ts, `threads` of them, records
 *                       spread by key so that a key's updates stay in
 *                       order) make the JSON and send SETs with TTLs to
 *                       Redis, pipelined, a bounded number waiting
 *
 * Whatever does not fit is dropped and counted: the queue full (the ring
 * filled, then the dirty set: Redis or the threads slower than capture),
 * or Redis down (nothing is kept for later: an outage's verdicts are stale
 * when it ends). The threads reconnect by themselves; publishing resumes
 * with the next verdicts.
 *
 * The daemon wiring:
 *
 *   const pub = new StorePublisher({ url: 'redis://10.0.0.5:6379' });
 *   conns.onUpdate((v) => { pub.conn(v); const h = engine.hosts.get(v.cli); if (h) pub.host(h); });
 *   ... on exit: await pub.close();
 */
import { PofError } from '../../errors.js';
import { intOption } from '../../options.js';
import type { ConnVerdict } from '../../state/conn-verdicts.js';
import type { HostView } from '../types.js';
import { RecordWriter, writeConn, writeHost } from './codec.js';
import { DEFAULT_CONN_TTL_S, DEFAULT_HOST_TTL_S, keyPrefixOption, MAX_TTL_S, parseStoreUrl, type StoreUrl } from './keys.js';
import { PublishShard } from './publish-shard.js';
import type { RedisConnOptions } from './redis.js';
import { MAX_RING_BYTES, MIN_RING_BYTES } from './ring.js';

export const DEFAULT_PUBLISH_QUEUE = 65_536;
export const MAX_PUBLISH_QUEUE = 4_000_000;
export const DEFAULT_PUBLISH_RING_BYTES = 16 * 1024 * 1024;
export const DEFAULT_PUBLISH_IN_FLIGHT = 16_384;
export const MAX_PUBLISH_IN_FLIGHT = 1_000_000;
export const DEFAULT_PUBLISH_BATCH = 2048;
export const DEFAULT_HOST_INTERVAL_MS = 250;
export const MAX_PUBLISH_THREADS = 16;
/** How long close() waits for what is in flight (ms). */
const CLOSE_WAIT_MS = 2000;

export interface StorePublisherOptions extends Omit<RedisConnOptions, 'onState'> {
  /** redis://[[user]:password@]host[:port][/db] or rediss://... */
  url: string;
  /** Key prefix (default 'pof:'). */
  keyPrefix?: string;
  /** TTL of connection keys / host keys (s, default 300 / 3600). */
  connTtlS?: number;
  hostTtlS?: number;
  /** Publish host records too (default true). */
  hosts?: boolean;
  /** Dirty hosts are published every this many ms (default 250; 0: every turn, as connections). */
  hostIntervalMs?: number;
  /** Publishing threads, each with its own Redis connection (default 1). */
  threads?: number;
  /** Records waiting to be encoded (default 65536); more are dropped. */
  maxQueue?: number;
  /** Ring between the sensor's thread and each publishing thread (bytes, default 16 MiB). */
  ringBytes?: number;
  /** SETs waiting for Redis's answers at once, per thread (default 16384). */
  maxInFlight?: number;
  /** Records encoded per turn of the event loop, and sent per batch (default 2048). */
  batch?: number;
  /** Told when Redis goes down (why) or comes back (null). */
  onState?: (down: string | null) => void;
  /** Told of each batch's round trip (seconds), for metrics. */
  onPublish?: (seconds: number) => void;
}

export interface StorePublisherStats {
  /** Updates taken (conn() and host() calls while up). */
  updates: number;
  /** Records encoded for the threads (connections, hosts), and acknowledged by Redis. */
  encoded: number;
  encodedConns: number;
  encodedHosts: number;
  published: number;
  /**
   * Dropped: the queue full (Redis or the threads behind: the ring filled,
   * then the dirty set), Redis down, a record too large.
   */
  dropped: { full: number; down: number; tooLarge: number };
  /** Redis refused a SET (OOM, ...) or a record could not be made. */
  errors: number;
  lastError: string | null;
  /** Records waiting to be encoded, bytes in the rings, SETs waiting for Redis. */
  queued: number;
  ringBytes: number;
  inFlight: number;
}

/** A cheap, stable hash of a string (FNV-1a), to pick a key's thread. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export class StorePublisher {
  readonly url: StoreUrl;
  readonly keyPrefix: string;
  readonly maxQueue: number;
  readonly batch: number;
  readonly hostIntervalMs: number;
  private readonly hosts: boolean;
  private readonly conns = new Set<ConnVerdict>();
  private readonly hostSet = new Set<HostView>();
  private readonly writer = new RecordWriter();
  private readonly shards: PublishShard[];
  private scheduled = false;
  private hostTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private downWhy: string | null;
  private closed = false;
  private readonly onState: ((down: string | null) => void) | undefined;
  private readonly local = { updates: 0, conns: 0, hosts: 0, full: 0, down: 0, tooLarge: 0 };

  /** Checks the options (PofError E_CONFIG, one line) and starts the publishing threads. */
  constructor(opts: StorePublisherOptions) {
    if (opts === null || typeof opts !== 'object') throw new PofError('E_CONFIG', 'store: options must be an object');
    this.url = parseStoreUrl(opts.url);
    this.keyPrefix = keyPrefixOption('store', opts.keyPrefix);
    const connTtlS = intOption('store: connTtlS', opts.connTtlS, DEFAULT_CONN_TTL_S, 1, MAX_TTL_S);
    const hostTtlS = intOption('store: hostTtlS', opts.hostTtlS, DEFAULT_HOST_TTL_S, 1, MAX_TTL_S);
    this.maxQueue = intOption('store: maxQueue', opts.maxQueue, DEFAULT_PUBLISH_QUEUE, 1, MAX_PUBLISH_QUEUE);
    const ringBytes = intOption('store: ringBytes', opts.ringBytes, DEFAULT_PUBLISH_RING_BYTES, MIN_RING_BYTES, MAX_RING_BYTES);
    const maxInFlight = intOption('store: maxInFlight', opts.maxInFlight, DEFAULT_PUBLISH_IN_FLIGHT, 1, MAX_PUBLISH_IN_FLIGHT);
    this.batch = intOption('store: batch', opts.batch, DEFAULT_PUBLISH_BATCH, 1, 1_000_000);
    this.hostIntervalMs = intOption('store: hostIntervalMs', opts.hostIntervalMs, DEFAULT_HOST_INTERVAL_MS, 0, 60_000);
    const threads = intOption('store: threads', opts.threads, 1, 1, MAX_PUBLISH_THREADS);
    if (opts.hosts !== undefined && typeof opts.hosts !== 'boolean') throw new PofError('E_CONFIG', 'store: hosts must be true or false');
    this.hosts = opts.hosts ?? true;
    for (const k of ['onState', 'onPublish'] as const) {
      if (opts[k] !== undefined && typeof opts[k] !== 'function') throw new PofError('E_CONFIG', `store: ${k} must be a function`);
    }
    this.onState = opts.onState;
    const { connectTimeoutMs, reconnectMinMs, reconnectMaxMs, tls, password } = opts;
    // Checked here, where a bad value is one line at start-up, not a dead thread.
    intOption('store: connectTimeoutMs', connectTimeoutMs, 1, 1, 600_000);
    intOption('store: reconnectMinMs', reconnectMinMs, 1, 1, 600_000);
    intOption('store: reconnectMaxMs', reconnectMaxMs, 600_000, reconnectMinMs ?? 1, 3_600_000);
    if (password !== undefined && typeof password !== 'string') throw new PofError('E_CONFIG', 'store: password must be a string');
    this.downWhy = `not connected yet to ${this.url.display}`;
    const data = { url: this.url, conn: { connectTimeoutMs, reconnectMinMs, reconnectMaxMs, tls, password }, keyPrefix: this.keyPrefix, connTtlS, hostTtlS, maxInFlight, batch: this.batch };
    const events = { onState: () => this.shardState(), onLatency: opts.onPublish };
    this.shards = Array.from({ length: threads }, () => new PublishShard(data, ringBytes, events));
  }

  /** Why nothing is published now (Redis down, closed), or null. */
  unavailable(): string | null {
    return this.downWhy;
  }

  /** Publishes (soon) a connection's verdicts. Never throws, never waits. */
  conn(v: ConnVerdict): void {
    if (this.downWhy !== null) return void this.local.down++;
    this.local.updates++;
    if (!this.conns.has(v)) {
      if (this.conns.size + this.hostSet.size >= this.maxQueue) return void this.local.full++;
      this.conns.add(v);
    }
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.encode);
    }
  }

  /** Publishes (soon) a host's record. Never throws, never waits. */
  host(h: HostView): void {
    if (!this.hosts) return;
    if (this.downWhy !== null) return void this.local.down++;
    this.local.updates++;
    if (!this.hostSet.has(h)) {
      if (this.conns.size + this.hostSet.size >= this.maxQueue) return void this.local.full++;
      this.hostSet.add(h);
    }
    if (this.hostIntervalMs === 0) {
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.encode);
      }
    } else if (!this.hostTimer) {
      this.hostTimer = setTimeout(this.encodeHosts, this.hostIntervalMs);
      this.hostTimer.unref();
    }
  }

  /** The thread of a connection (by its 4-tuple's client port and address) or a host (by address). */
  private shardOf(addr: string, port: number): PublishShard {
    const s = this.shards;
    return s.length === 1 ? s[0]! : s[(hash(addr) + port) % s.length]!;
  }

  /** Encodes one record into its thread's ring; false when the ring is full. */
  private push(shard: PublishShard): boolean {
    return shard.ring.push(this.writer.buf, this.writer.off);
  }

  /** Encodes up to `batch` dirty connections (and hosts, without a host interval); again next turn if more wait. */
  private readonly encode = (): void => {
    this.scheduled = false;
    if (this.closed) return;
    const touched = new Set<PublishShard>();
    let n = 0;
    let full = false;
    for (const v of this.conns) {
      if (n >= this.batch) break;
      if (!writeConn(this.writer, v)) {
        this.local.tooLarge++;
        this.conns.delete(v);
        continue;
      }
      const sh = this.shardOf(v.cli, v.cliPort);
      if (!this.push(sh)) {
        full = true;
        break;
      }
      touched.add(sh);
      this.conns.delete(v);
      this.local.conns++;
      n++;
    }
    if (this.hostIntervalMs === 0 && !full) n += this.encodeHostBatch(this.batch - n, touched);
    for (const sh of touched) sh.ring.notify();
    if (full) this.retrySoon();
    else if ((this.conns.size || (this.hostIntervalMs === 0 && this.hostSet.size)) && !this.scheduled) {
      this.scheduled = true;
      setImmediate(this.encode);
    }
  };

  /** Every hostIntervalMs: the dirty hosts, `batch` per turn. */
  private readonly encodeHosts = (): void => {
    this.hostTimer = null;
    if (this.closed) return;
    const touched = new Set<PublishShard>();
    this.encodeHostBatch(this.batch, touched);
    for (const sh of touched) sh.ring.notify();
    if (this.hostSet.size && !this.hostTimer) {
      // More than a batch, or a full ring: the rest on the next turns.
      this.hostTimer = setTimeout(this.encodeHosts, touched.size ? 0 : 2);
      this.hostTimer.unref();
    }
  };

  private encodeHostBatch(max: number, touched: Set<PublishShard>): number {
    let n = 0;
    for (const h of this.hostSet) {
      if (n >= max) break;
      if (!writeHost(this.writer, h)) {
        this.local.tooLarge++;
        this.hostSet.delete(h);
        continue;
      }
      const sh = this.shardOf(h.addr, 0);
      if (!this.push(sh)) break;
      touched.add(sh);
      this.hostSet.delete(h);
      this.local.hosts++;
      n++;
    }
    return n;
  }

  /** A ring is full (Redis or a thread behind): what waits stays dirty, bounded; try again shortly. */
  private retrySoon(): void {
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.conns.size && !this.scheduled) {
        this.scheduled = true;
        setImmediate(this.encode);
      }
    }, 2);
    this.retryTimer.unref();
  }

  /** A thread's state changed: down while any is (they share one Redis). */
  private shardState(): void {
    const why = this.shards.find((s) => s.down !== null)?.down ?? null;
    if (this.closed || why === this.downWhy) return;
    this.downWhy = why;
    if (why !== null) {
      const n = this.conns.size + this.hostSet.size;
      if (n) {
        this.local.down += n;
        this.conns.clear();
        this.hostSet.clear();
      }
    }
    if (this.onState) {
      try {
        this.onState(why);
      } catch {
        // The caller's fault is not the sensor's.
      }
    }
  }

  get stats(): StorePublisherStats {
    const l = this.local;
    let published = 0;
    let errors = 0;
    let downThere = 0;
    let inFlight = 0;
    let ringBytes = 0;
    let lastError: string | null = null;
    for (const s of this.shards) {
      published += s.stats.published;
      errors += s.stats.errors;
      downThere += s.stats.droppedDown;
      inFlight += s.stats.inFlight;
      ringBytes += s.ring.used;
      lastError ??= s.stats.lastError;
    }
    return {
      updates: l.updates,
      encoded: l.conns + l.hosts,
      encodedConns: l.conns,
      encodedHosts: l.hosts,
      published,
      dropped: { full: l.full, down: l.down + downThere, tooLarge: l.tooLarge },
      errors,
      lastError,
      queued: this.conns.size + this.hostSet.size,
      ringBytes,
      inFlight,
    };
  }

  /**
   * Encodes everything dirty now (hosts too) and waits until Redis has
   * answered every SET (or `timeoutMs` passed). For tests and shutdown.
   */
  async flush(timeoutMs = CLOSE_WAIT_MS): Promise<void> {
    const end = performance.now() + timeoutMs;
    while ((this.conns.size || this.hostSet.size) && this.downWhy === null && !this.closed && performance.now() < end) {
      const before = this.conns.size + this.hostSet.size;
      this.encode();
      const touched = new Set<PublishShard>();
      this.encodeHostBatch(this.batch, touched);
      for (const sh of touched) sh.ring.notify();
      if (this.conns.size + this.hostSet.size === before) await new Promise((r) => setTimeout(r, 2));
    }
    await Promise.all(this.shards.map((s) => s.flush(Math.max(1, end - performance.now()))));
  }

  /** Publishes what is dirty (waiting at most 2 s), then stops the threads. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.downWhy === null) await this.flush().catch(() => {});
    this.closed = true;
    this.downWhy = 'store closed';
    for (const t of [this.retryTimer, this.hostTimer]) if (t) clearTimeout(t);
    await Promise.all(this.shards.map((s) => s.close()));
  }
}
