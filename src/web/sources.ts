/**
 * Where the web side gets its answers, in three kinds (PofSource):
 *
 *   'lookup'  any lookup in this process (the query server's interface):
 *             asked, answers at once;
 *   'engine'  an engine in this process with its connection verdicts:
 *             answers at once, and tells a request waiting for a
 *             connection when its verdict changes;
 *   'remote'  any other source in another process that is only asked
 *             (the shared store): answers later;
 *   'daemon'  a pof daemon's socket (through PofClient): answers later,
 *             and tells about the connections of the ports it watches.
 *
 * All answer in the JSON API's shapes, so the rest of the web side has one
 * code path, and switches on `kind` for what only some can do.
 *
 * The daemon source never lets a dead daemon cost every request its
 * timeout: once connecting fails it answers "unavailable" at once, and a
 * background probe (with back-off) finds out when the daemon is back.
 */
import { PofClient, type ConnEvent } from '../api/client.js';
import { connKey, type ConnVerdict, type ConnVerdicts } from '../state/conn-verdicts.js';
import { connToJson, hostToJson } from '../api/json.js';
import { isWatchUntil, type WatchUntil } from '../api/json-types.js';
import { engineLookup, type LookupSource } from '../api/lookup.js';
import type { PofLookup } from '../api/types.js';
import { isPofError, PofError } from '../errors.js';
import { intOption } from '../options.js';
import type { ConnTuple, PofAnswer, PofVia } from './result.js';

/** What every source does: it can be asked (what `pof logpipe` needs). */
export interface AskedSource {
  readonly via: PofVia;
  /** One question; null = nothing known. Rejects (or throws) when pof could not be asked. */
  ask(t: ConnTuple, timeoutMs: number): PofAnswer | null | Promise<PofAnswer | null>;
  /** What is known about an address alone (no connection). */
  askHost(addr: string, timeoutMs: number): PofAnswer | null | Promise<PofAnswer | null>;
  /** Set while the source is known to be unreachable: why. */
  unavailable(): string | null;
  close(): Promise<void>;
}

/** A lookup in this process: asked, it answers at once. */
export interface LookupPofSource extends AskedSource {
  readonly kind: 'lookup';
  ask(t: ConnTuple, timeoutMs: number): PofAnswer | null;
  askHost(addr: string, timeoutMs: number): PofAnswer | null;
}

/**
 * An engine in this process: answers at once, and, since it sees every
 * connection it captures, tells a request that came before its SYN was
 * processed when the connection's verdict changes.
 */
export interface EnginePofSource extends Omit<LookupPofSource, 'kind'> {
  readonly kind: 'engine';
  /** Waits up to `ms` for the connection's verdict to change; then what is known of it, or null. */
  awaitPush(t: ConnTuple, ms: number): Promise<PofAnswer | null>;
}

/** A source in another process that is only asked: its answers come later. */
export interface RemotePofSource extends AskedSource {
  readonly kind: 'remote';
  ask(t: ConnTuple, timeoutMs: number): Promise<PofAnswer | null>;
  askHost(addr: string, timeoutMs: number): Promise<PofAnswer | null>;
}

/** The kinds of source (DaemonSource is the last: asked over a socket, told of watched ports). */
export type PofSource = LookupPofSource | EnginePofSource | RemotePofSource | DaemonSource;

/** A lookup in this process (engineLookup(engine, conns), or any PofLookup). */
export function lookupSource(lookup: PofLookup, via: PofVia = 'engine'): LookupPofSource {
  return {
    kind: 'lookup',
    via,
    ask(t) {
      const c = lookup.connection(t.cli, t.cliPort, t.srv, t.srvPort);
      const h = lookup.host(t.cli);
      if (!c && !h) return null;
      return { host: h ? hostToJson(h) : null, conn: c ? connToJson(c) : null };
    },
    askHost(addr) {
      const h = lookup.host(addr);
      return h ? { host: hostToJson(h), conn: null } : null;
    },
    unavailable: () => null,
    close: async () => {},
  };
}

/** Requests waiting (each up to its own time) to be told of their connection, by 4-tuple key. */
class Waiters<T> {
  private readonly map = new Map<string, (v: T) => void>();

  get size(): number {
    return this.map.size;
  }

  /** Resolves with what wake(k, ...) gives within `ms`, else with null. */
  wait(k: string, ms: number): Promise<T | null> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        if (this.map.get(k) === got) this.map.delete(k);
        resolve(null);
      }, Math.max(1, Math.ceil(ms)));
      const got = (v: T): void => {
        clearTimeout(timer);
        resolve(v);
      };
      this.map.set(k, got);
    });
  }

  /** Hands `v` to the request waiting for `k`; false when none waits. */
  wake(k: string, v: T): boolean {
    const w = this.map.get(k);
    if (!w) return false;
    this.map.delete(k);
    w(v);
    return true;
  }
}

/**
 * An engine in this process with its connection verdicts: asked like any
 * lookup, and, since the engine sees every connection it captures, a
 * request that comes before its SYN was processed waits to be told of it
 * (woken by the observation) rather than asking again and again.
 */
export function engineSource(engine: LookupSource, conns: ConnVerdicts): EnginePofSource {
  const base = lookupSource(engineLookup(engine, conns), 'engine');
  const waiters = new Waiters<true>();
  let stop: (() => void) | null = null;
  const onUpdate = (v: ConnVerdict): void => {
    if (waiters.size) waiters.wake(connKey(v.cli, v.cliPort, v.srv, v.srvPort), true);
  };
  return {
    ...base,
    kind: 'engine',
    awaitPush(t, ms) {
      stop ??= conns.onUpdate(onUpdate);
      // Woken inside the engine's handling of a packet: the answer is read
      // once that batch is done (a SYN's MTU observation follows it).
      return waiters.wait(connKey(t.cli, t.cliPort, t.srv, t.srvPort), ms).then((told) => (told ? base.ask(t, 0) : null));
    },
    async close() {
      stop?.();
      stop = null;
    },
  };
}

export interface DaemonSourceOptions {
  /** A client to use (not closed by close()); or `path` to make one. */
  client?: PofClient;
  path?: string;
  /** First wait before probing a daemon found down (ms); doubles up to probeMaxMs. */
  probeMinMs?: number;
  probeMaxMs?: number;
  /** Timeout of one probe (ms). */
  probeTimeoutMs?: number;
  /** Watch the ports asked about, to be told of their connections (default true). */
  watch?: boolean;
  /** Be told of each connection until its client's SYN ('syn', default) or HTTP request ('http') is known. */
  until?: WatchUntil;
  /** How long an event waits to be taken (ms, default PUSHED_TTL_MS). */
  pushedTtlMs?: number;
}

export const DEFAULT_PROBE_MIN_MS = 250;
export const DEFAULT_PROBE_MAX_MS = 5000;
export const DEFAULT_PROBE_TIMEOUT_MS = 1000;
/** Connection events kept for connections not asked about yet (oldest dropped first). */
export const MAX_PUSHED = 4096;
/**
 * An event not taken within this (ms) is left alone: it is about an earlier
 * connection (answered by a question before the event came) whose 4-tuple a
 * new connection now reuses.
 */
export const PUSHED_TTL_MS = 2000;

/** Connect errors that mean "nobody is listening there". */
const DOWN = new Set(['ENOENT', 'ECONNREFUSED', 'EACCES', 'ENOTSOCK', 'EPERM', 'ECONNRESET', 'EPIPE']);

/**
 * A pof daemon over its socket: asked (the answer comes later), and told,
 * port by port as it agrees to watch them, about each connection it sees.
 */
export class DaemonSource implements AskedSource {
  readonly kind = 'daemon' as const;
  readonly via = 'daemon' as const;
  readonly client: PofClient;
  private readonly own: boolean;
  private down: string | null = null;
  private probeTimer: NodeJS.Timeout | null = null;
  private probeDelay: number;
  private readonly probeMin: number;
  private readonly probeMax: number;
  private readonly probeTimeout: number;
  private closed = false;
  /** Questions sent to the daemon (for tests and stats). */
  asked = 0;
  /** Events of connections nobody asked about yet, by 4-tuple (insertion order = age). */
  private readonly pushed = new Map<string, { a: PofAnswer; at: number }>();
  private readonly waiters = new Waiters<PofAnswer>();
  /** Watched ports: being asked for, agreed, or refused (a p0f or an older pof). */
  private readonly ports = new Map<number, 'asking' | 'yes' | 'no'>();
  /** Events come to this source (false when a shared client's events go elsewhere). */
  private readonly pushable: boolean;
  private readonly pushedTtl: number;
  private readonly until: WatchUntil;

  constructor(opts: DaemonSourceOptions) {
    if (opts.client) {
      this.client = opts.client;
      this.own = false;
    } else {
      if (typeof opts.path !== 'string' || !opts.path) throw new PofError('E_CONFIG', 'the pof daemon socket path is required');
      // The client's own timeout is a ceiling; each question carries its own.
      this.client = new PofClient({ path: opts.path, timeoutMs: 1000, reconnectMinMs: 20, reconnectMaxMs: 2000 });
      this.own = true;
    }
    this.probeMin = opts.probeMinMs ?? DEFAULT_PROBE_MIN_MS;
    this.probeMax = opts.probeMaxMs ?? DEFAULT_PROBE_MAX_MS;
    this.probeTimeout = opts.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
    this.probeDelay = this.probeMin;
    this.pushable = opts.watch !== false && this.client.onConnEvent === null;
    this.pushedTtl = intOption('pushedTtlMs', opts.pushedTtlMs, PUSHED_TTL_MS, 1, 3_600_000);
    if (opts.until !== undefined && !isWatchUntil(opts.until)) throw new PofError('E_CONFIG', `until must be 'syn' or 'http' (got ${String(opts.until)})`);
    this.until = opts.until ?? 'syn';
    if (this.pushable) this.client.onConnEvent = (e) => this.onEvent(e);
  }

  /** Starts watching `port` (once; call it for every connection). */
  watchPort(port: number): void {
    if (!this.pushable || this.ports.has(port) || this.down || this.closed) return;
    this.ports.set(port, 'asking');
    this.client.watch(port, { until: this.until }).then(
      () => void this.ports.set(port, 'yes'),
      (e: unknown) => {
        // Refused: ask about each connection. Not reached: try again later.
        if (isPofError(e) && e.code === 'E_API_REFUSED') this.ports.set(port, 'no');
        else this.ports.delete(port);
      },
    );
  }

  /** Whether the daemon tells about `port`'s connections now. */
  watching(port: number): boolean {
    return this.ports.get(port) === 'yes' && !this.down;
  }

  /** What the daemon told about the connection, handed over once (null: nothing, or too old). */
  take(t: ConnTuple): PofAnswer | null {
    if (!this.pushed.size) return null;
    const k = connKey(t.cli, t.cliPort, t.srv, t.srvPort);
    const p = this.pushed.get(k);
    if (!p) return null;
    this.pushed.delete(k);
    if (performance.now() - p.at > this.pushedTtl) return null;
    return p.a;
  }

  /** Waits up to `ms` to be told about the connection; null when nothing came. */
  awaitPush(t: ConnTuple, ms: number): Promise<PofAnswer | null> {
    return this.waiters.wait(connKey(t.cli, t.cliPort, t.srv, t.srvPort), ms);
  }

  private onEvent(e: ConnEvent): void {
    const c = e.conn;
    const k = connKey(c.cli.addr, c.cli.port, c.srv.addr, c.srv.port);
    const a: PofAnswer = { host: e.host, conn: c };
    if (this.waiters.wake(k, a)) return;
    this.pushed.delete(k);
    this.pushed.set(k, { a, at: performance.now() });
    if (this.pushed.size > MAX_PUSHED) this.pushed.delete(this.pushed.keys().next().value!);
  }

  unavailable(): string | null {
    return this.down;
  }

  ask(t: ConnTuple, timeoutMs: number): Promise<PofAnswer | null> {
    if (this.down) return Promise.reject(new PofError('E_API', this.down));
    this.asked++;
    return this.client.queryConnection({ cli: t.cli, cliPort: t.cliPort, srv: t.srv, srvPort: t.srvPort }, { timeoutMs: Math.max(1, Math.ceil(timeoutMs)) }).catch(this.failed);
  }

  /** After a failed question: notes whether the daemon is down, and passes the error on. */
  private readonly failed = (e: unknown): never => {
    this.noteFailure();
    throw e;
  };

  /** What the daemon knows about an address alone (no connection); null = nothing. */
  async askHost(addr: string, timeoutMs: number): Promise<PofAnswer | null> {
    if (this.down) throw new PofError('E_API', this.down);
    this.asked++;
    try {
      const h = await this.client.queryHostJson(addr, { timeoutMs: Math.max(1, Math.ceil(timeoutMs)) });
      return h ? { host: h, conn: null } : null;
    } catch (e) {
      this.noteFailure();
      throw e;
    }
  }

  /** After a failed question: is the daemon down (the client's connection says so)? */
  private noteFailure(): void {
    const code = this.client.connectError;
    if (code && DOWN.has(code) && !this.closed) this.markDown(`pof daemon unavailable (${code} on ${this.client.path})`);
  }

  private markDown(why: string): void {
    if (this.down) return;
    this.down = why;
    this.probeDelay = this.probeMin;
    this.scheduleProbe();
  }

  private scheduleProbe(): void {
    if (this.closed || this.probeTimer) return;
    this.probeTimer = setTimeout(() => {
      this.probeTimer = null;
      this.client.status({ timeoutMs: this.probeTimeout }).then(
        () => {
          this.down = null;
          this.probeDelay = this.probeMin;
        },
        () => {
          this.probeDelay = Math.min(this.probeMax, this.probeDelay * 2);
          this.scheduleProbe();
        },
      );
    }, this.probeDelay);
    this.probeTimer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.pushable) this.client.onConnEvent = null;
    this.pushed.clear();
    if (this.probeTimer) clearTimeout(this.probeTimer);
    this.probeTimer = null;
    if (this.own) await this.client.close();
  }
}
