/**
 * One Redis connection as the store uses it (node-redis, @redis/client):
 * made from a checked store URL, never crashing on its errors, reconnecting
 * by itself with doubling waits, and saying at any time whether it is up
 * (and if not, why, in one line without the password).
 *
 * While the connection is down, commands are refused at once by the
 * client (no offline queue): nothing piles up, callers fail fast and say so.
 *
 * node-redis is loaded by open(), not on import: whatever imports pof
 * without using the store does not pay for loading it.
 */
import net from 'node:net';
import type tls from 'node:tls';

import type { RedisClientType } from '@redis/client';

import { PofError } from '../../errors.js';
import { intOption } from '../../options.js';
import type { StoreUrl } from './keys.js';

export const DEFAULT_CONNECT_TIMEOUT_MS = 2000;
export const DEFAULT_RECONNECT_MIN_MS = 50;
export const DEFAULT_RECONNECT_MAX_MS = 2000;

export interface RedisConnOptions {
  /** How long one connection attempt may take (ms, default 2000). */
  connectTimeoutMs?: number;
  /** Waits between reconnection attempts, doubling (ms, default 50 .. 2000). */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** TLS options for rediss:// (a private CA: { ca }); the URL's host is the server name. */
  tls?: tls.ConnectionOptions;
  /** Overrides the URL's password (keeps it off command lines). */
  password?: string;
  /** Told when the connection goes down (why) or comes back (null). */
  onState?: (down: string | null) => void;
}

export type StoreClient = RedisClientType;

let loading: Promise<typeof import('@redis/client')> | null = null;
const loadRedis = (): Promise<typeof import('@redis/client')> => (loading ??= import('@redis/client'));

export class RedisConn {
  /** The node-redis client, once open() has made it (until then the connection is down). */
  client: StoreClient | null = null;
  readonly url: StoreUrl;
  private readonly make: (m: typeof import('@redis/client')) => StoreClient;
  private downWhy: string | null;
  private started = false;
  private closed = false;
  private readonly onState: ((down: string | null) => void) | undefined;
  /** Times the connection was lost, and came back. */
  losses = 0;
  reconnects = 0;

  constructor(url: StoreUrl, opts: RedisConnOptions = {}, what = 'store') {
    this.url = url;
    const connectTimeout = intOption(`${what}: connectTimeoutMs`, opts.connectTimeoutMs, DEFAULT_CONNECT_TIMEOUT_MS, 1, 600_000);
    const min = intOption(`${what}: reconnectMinMs`, opts.reconnectMinMs, DEFAULT_RECONNECT_MIN_MS, 1, 600_000);
    const max = intOption(`${what}: reconnectMaxMs`, opts.reconnectMaxMs, DEFAULT_RECONNECT_MAX_MS, min, 3_600_000);
    if (opts.password !== undefined && typeof opts.password !== 'string') throw new PofError('E_CONFIG', `${what}: password must be a string`);
    this.onState = opts.onState;
    this.downWhy = `not connected yet to ${url.display}`;
    const password = opts.password ?? url.password;
    // Never give up; doubling waits with a little jitter so that many web
    // nodes do not come back at the same instant.
    const reconnectStrategy = (retries: number): number => Math.min(max, min * 2 ** Math.min(retries, 20)) * (0.9 + Math.random() * 0.2);
    const socket = url.tls
      ? { tls: true as const, host: url.host, port: url.port, ...(net.isIP(url.host) ? {} : { servername: url.host }), connectTimeout, reconnectStrategy, ...(opts.tls ?? {}) }
      : { host: url.host, port: url.port, connectTimeout, reconnectStrategy };
    this.make = (m) => {
      const c = m.createClient({
        socket,
        ...(url.username ? { username: url.username } : {}),
        ...(password ? { password } : {}),
        database: url.database,
        disableOfflineQueue: true,
        disableClientInfo: true,
      }) as unknown as StoreClient;
      c.on('error', (e: unknown) => this.setDown(describe(e, url)));
      c.on('ready', () => {
        if (this.downWhy !== null && this.started) this.reconnects++;
        this.started = true;
        this.setDown(null);
      });
      c.on('end', () => {
        if (!this.closed) this.setDown(`connection to ${url.display} ended`);
      });
      return c;
    };
  }

  /** Why the connection is down, or null while it is up. */
  get down(): string | null {
    return this.downWhy;
  }

  private setDown(why: string | null): void {
    if (why === this.downWhy) return;
    if (why !== null && this.downWhy === null) this.losses++;
    this.downWhy = why;
    if (this.onState) {
      try {
        this.onState(why);
      } catch {
        // The caller's fault is not the connection's.
      }
    }
  }

  /**
   * Starts connecting (and reconnecting for as long as it is open). Resolves
   * when first connected, or rejects with PofError E_STORE when the first
   * attempt fails; it keeps trying in the background either way.
   */
  open(): Promise<void> {
    return loadRedis()
      .then((m) => {
        if (this.closed) throw new PofError('E_STORE', 'store closed');
        this.client ??= this.make(m);
        return this.client.connect();
      })
      .then(
        () => undefined,
        (e: unknown) => {
          throw e instanceof PofError ? e : new PofError('E_STORE', describe(e, this.url));
        },
      );
  }

  /** Closes the connection; commands not yet answered are dropped. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.downWhy = 'closed';
    try {
      if (this.client?.isOpen) this.client.destroy();
    } catch {
      // already closed
    }
  }
}

/** One line about a Redis error: the OS code, the server's error, or the client's. */
export function describe(e: unknown, url: StoreUrl): string {
  const x = e as { code?: string; message?: string; cause?: { code?: string; message?: string } } | null;
  const code = x?.code ?? x?.cause?.code;
  const msg = (x?.message ?? String(e)).split('\n')[0]!.slice(0, 200);
  if (code && /^E[A-Z]+$/.test(code)) return `redis unavailable (${code} ${url.display})`;
  return `redis ${url.display}: ${msg}`;
}
