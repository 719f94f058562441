/**
 * PofClient: queries a pof (or p0f 3, for address lookups) API socket over
 * one persistent connection (client-transport.ts: pipelining, timeouts,
 * reconnects, a bounded queue). Address lookups use the p0f 3 binary
 * protocol; richer and per-connection lookups, watches and status use JSON
 * lines (pof only), host and connection records asked for in the compact
 * form. Events told to a watching client come to onConnEvent.
 */
import { PofError } from '../errors.js';
import { intOption as intOpt } from '../options.js';
import { parseAddress } from '../net/addr.js';
import { ClientTransport, type TransportOptions } from './client-transport.js';
import { unpackConn, unpackHost } from './compact.js';
import { isWatchUntil, type JsonAnswerObject, type JsonConn, type JsonHost, type ServerStatus, type WatchUntil } from './json-types.js';
import { decodeV3Response, encodeV3Query, type V3HostInfo } from './v3.js';

export {
  DEFAULT_CLIENT_MAX_IN_FLIGHT,
  DEFAULT_CLIENT_MAX_QUEUE,
  DEFAULT_CLIENT_TIMEOUT_MS,
  DEFAULT_RECONNECT_MAX_MS,
  DEFAULT_RECONNECT_MIN_MS,
} from './client-transport.js';
export { MAX_ANSWER_LINE } from './client-replies.js';

export type PofClientOptions = TransportOptions;

/** What a watching client is told about a connection to a watched port (see watch()). */
export interface ConnEvent {
  host: JsonHost | null;
  conn: JsonConn;
}

export interface QueryOptions {
  timeoutMs?: number;
}

export interface ConnQuery {
  cli: string;
  cliPort: number;
  srv: string;
  srvPort: number;
}

export type { JsonConn, JsonHost, ServerStatus, V3HostInfo };

export class PofClient {
  readonly path: string;
  private readonly transport: ClientTransport;
  /** The server answered "unknown field" to a compact query: ask in the keyed form. */
  private compactRefused = false;
  /** Server ports watched, with the query that watches each (sent again after a reconnect). */
  private readonly watched = new Map<number, string>();
  /** Told about each connection event of a watched port; events are dropped while null. */
  onConnEvent: ((e: ConnEvent) => void) | null = null;
  /** Event lines that could not be read. */
  badEvents = 0;

  constructor(opts: PofClientOptions) {
    this.transport = new ClientTransport(opts, {
      // Events missed while away are lost; later ones come again.
      onConnect: () => {
        for (const line of this.watched.values()) this.transport.send('json', line).catch(() => undefined);
      },
      onEvent: (o) => this.onEvent(o),
      keepConnected: () => this.watched.size > 0,
    });
    this.path = this.transport.path;
  }

  /**
   * While the client has no connection: the error code of its last attempt
   * (ENOENT, ECONNREFUSED, ...), else null.
   */
  get connectError(): string | null {
    return this.transport.connectError;
  }

  /** Queries waiting to be sent or answered. */
  get pending(): number {
    return this.transport.pending;
  }

  /**
   * What p0f 3 knows about an address (p0f 3 binary protocol): the fields
   * of its response, or null when the host is unknown.
   */
  async queryHost(addr: string, opts: QueryOptions = {}): Promise<V3HostInfo | null> {
    const p = parseAddress(addr);
    if (!p) throw new PofError('E_API', `not an IP address: ${addr}`);
    const r = (await this.transport.send('v3', encodeV3Query(p.bytes), opts.timeoutMs)) as Buffer;
    const d = decodeV3Response(r);
    if (!d.ok) throw new PofError('E_API', `bad answer from ${this.path} (${d.reason})`);
    if (d.status === 'bad query') throw new PofError('E_API_REFUSED', `${this.path} did not understand the query`);
    return d.status === 'ok' ? d.host : null;
  }

  /** Everything pof knows about an address (JSON), or null. */
  async queryHostJson(addr: string, opts: QueryOptions = {}): Promise<JsonHost | null> {
    const a = await this.queryRecords({ addr }, opts);
    return a ? a.host : null;
  }

  /** What pof saw on one connection, and about its client host; null when neither is known. */
  queryConnection(q: ConnQuery, opts: QueryOptions = {}): Promise<{ host: JsonHost | null; conn: JsonConn | null } | null> {
    return this.queryRecords({ cli: q.cli, cli_port: q.cliPort, srv: q.srv, srv_port: q.srvPort }, opts);
  }

  /**
   * A host or connection query, asked for in the compact form (compact.ts;
   * cheaper to parse) unless the server refused it once (a pof from before
   * it), and answered in the keyed form; null for "no match".
   */
  private queryRecords(query: Record<string, unknown>, opts: QueryOptions): Promise<{ host: JsonHost | null; conn: JsonConn | null } | null> {
    const compact = !this.compactRefused;
    const line = JSON.stringify(compact ? { ...query, compact: true } : query) + '\n';
    return this.transport.send('json', line, opts.timeoutMs).then((v) => {
      const a = v as { status: string; error?: unknown; host?: unknown; conn?: unknown };
      if (a.status === 'bad query') {
        if (compact && typeof a.error === 'string' && a.error.startsWith('unknown field "compact"')) {
          this.compactRefused = true;
          return this.queryRecords(query, opts);
        }
        throw new PofError('E_API_REFUSED', `bad query: ${String(a.error)}`);
      }
      if (a.status !== 'ok') return null;
      if (!compact) return { host: (a.host ?? null) as JsonHost | null, conn: (a.conn ?? null) as JsonConn | null };
      const host = unpackHost(a.host ?? null);
      const conn = unpackConn(a.conn ?? null);
      if (host === undefined || conn === undefined) throw new PofError('E_API', `${this.path}: malformed compact answer`);
      return { host, conn };
    });
  }

  /**
   * Asks the server to tell this client (onConnEvent) about every connection
   * to `srvPort` whose verdict it learns or updates from now on, so that a
   * web server need not ask about each new connection. With `until`, only
   * until the client's SYN ('syn') or HTTP request ('http') verdict is
   * known: fewer events, for a client that wants no more. Resolves once the
   * server agreed; rejects for a server that cannot (p0f, an older pof).
   * The watch is renewed after a reconnect.
   */
  async watch(srvPort: number, opts: QueryOptions & { until?: WatchUntil } = {}): Promise<void> {
    const port = intOpt('srvPort', srvPort, 0, 0, 65535);
    if (opts.until !== undefined && !isWatchUntil(opts.until)) throw new PofError('E_CONFIG', `until must be 'syn' or 'http' (got ${String(opts.until)})`);
    const query = opts.until ? { op: 'watch', srv_port: port, until: opts.until } : { op: 'watch', srv_port: port };
    const a = await this.queryJson(query, opts);
    if (a.status !== 'ok') throw new PofError('E_API', `${this.path} did not agree to watch port ${port}`);
    this.watched.set(port, JSON.stringify(query) + '\n');
  }

  /** Server status counters. */
  async status(opts: QueryOptions = {}): Promise<ServerStatus> {
    const a = await this.queryJson({ op: 'status' }, opts);
    if (a.status !== 'ok' || !a.server) throw new PofError('E_API', `no status from ${this.path}`);
    return a.server as ServerStatus;
  }

  /**
   * Sends one JSON query object and returns the answer object. "bad query"
   * answers reject with the server's error text.
   */
  async queryJson(query: Record<string, unknown>, opts: QueryOptions = {}): Promise<JsonAnswerObject> {
    const line = JSON.stringify(query) + '\n';
    const a = (await this.transport.send('json', line, opts.timeoutMs)) as JsonAnswerObject;
    if (a.status === 'bad query') throw new PofError('E_API_REFUSED', `bad query: ${a.error}`);
    return a;
  }

  /** Rejects everything outstanding and closes the connection. */
  close(): Promise<void> {
    return this.transport.close();
  }

  /** One event: handed on when it reads right, else counted (never fatal). */
  private onEvent(o: Record<string, unknown> | null): void {
    const handler = this.onConnEvent;
    if (!handler) return;
    if (!o) {
      this.badEvents++;
      return;
    }
    const host = unpackHost(o.host ?? null);
    const conn = unpackConn(o.conn ?? null);
    if (host === undefined || !conn) {
      this.badEvents++;
      return;
    }
    try {
      handler({ host, conn });
    } catch (e) {
      // The handler's own error, raised where it cannot leave this read half done.
      process.nextTick(() => {
        throw e;
      });
    }
  }
}
