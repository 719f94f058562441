/**
 * The core every web adapter shares: from a request's socket to a PofResult.
 *
 *   - finds the connection's 4-tuple: the client's as a trusted proxy's
 *     PROXY header names it (proxyProtocol: the servers attached read the
 *     headers, proxy-protocol-reader.ts), else the socket's (conn-tuple.ts),
 *   - on TLS servers, reads each ClientHello (and HTTP/2 start) before
 *     Node does (tls option: tls-server.ts; the adapters add what it gives
 *     to each request's result: secure-result.ts),
 *   - reads the saved SYN when asked to (Linux TCP_SAVE_SYN) and matches it
 *     (syn-reading.ts),
 *   - asks pof (an engine in this process, the daemon's socket or the
 *     shared store: sources.ts, store-source.ts),
 *     waiting up to `timeoutMs` for the connection's verdict to appear
 *     (verdict-wait.ts), or, with saved SYNs and a daemon, only for what it
 *     knows of the client address (host-results.ts),
 *   - caches the result on the TCP connection (conn-entry.ts), so keep-alive
 *     requests ask once (errors are asked again after `retryErrorsMs`).
 *
 * Options are checked in core-options.ts. Nothing here fails a request:
 * whatever goes wrong ends as a result whose `err` (pof_err) says why,
 * within the timeout.
 */
import type net from 'node:net';
import tls from 'node:tls';

import { ConnEntries } from './conn-entry.js';
import { connTuple } from './conn-tuple.js';
import { resolveOptions, type PofOptions, type ResolvedOptions } from './core-options.js';
import { answeredBy, satisfied, synResult } from './core-results.js';
import { newCoreStats, type PofCoreStats } from './core-stats.js';
import { defaultWarning, probeDaemon } from './daemon-probe.js';
import { HostCache } from './host-cache.js';
import { HostResults } from './host-results.js';
import { proxyProtocolReaderOf, proxyTupleOf, withProxyProtocol, type ProxyProtocolReader } from './proxy-protocol-reader.js';
import { errorResult, POF_VAR_NAMES, type ConnTuple, type PofAnswer, type PofResult } from './result.js';
import { enableSavedSyn, type SynFingerprinter } from './saved-syn.js';
import { DaemonSource, engineSource, lookupSource, type PofSource } from './sources.js';
import { storeSource } from './store-source.js';
import type { StoreReader } from '../api/store/reader.js';
import { readSavedSyn, synFingerprinter } from './syn-reading.js';
import { pofTls, pofTlsLate } from './tls-server.js';
import { waitForVerdict } from './verdict-wait.js';

export { connTuple } from './conn-tuple.js';
export { DEFAULT_RETRY_ERRORS_MS, DEFAULT_RETRY_MS, DEFAULT_TIMEOUT_MS, MAX_TIMEOUT_MS, type PofOptions, type WaitFor } from './core-options.js';
export type { PofCoreStats } from './core-stats.js';

export interface PofCore {
  readonly options: Readonly<ResolvedOptions>;
  readonly stats: PofCoreStats;
  /** The PROXY header reader (proxyProtocol), shared by the servers attached; null without. */
  readonly proxyProtocol: ProxyProtocolReader | null;
  /** The shared store's reader (store), for its stats; null without. */
  readonly store: StoreReader | null;
  /**
   * The result for a request's socket: a value when cached, else a promise
   * (never rejected; settles within timeoutMs plus a few ms).
   */
  get(socket: net.Socket): PofResult | Promise<PofResult>;
  /** The cached result, if any, without asking. */
  peek(socket: net.Socket): PofResult | undefined;
  /** Reads (and caches) the saved SYN of a new connection; call it on 'connection'. */
  onConnection(socket: net.Socket): void;
  /**
   * Prepares for a server's connections, before it listens: reads their
   * PROXY headers (proxyProtocol), turns saved SYNs on (savedSyn) and, with
   * a daemon, starts watching its port once it listens. Once per server is
   * enough; again does nothing more.
   */
  attachServer(server: net.Server): void;
  close(): Promise<void>;
}

/** Builds the shared core from validated options (see core-options.ts). */
export function createPofCore(opts: PofOptions = {}): PofCore {
  const setup = resolveOptions(opts);
  const resolved: ResolvedOptions = setup.resolved;
  const daemonSource = setup.daemon ? new DaemonSource({ path: setup.socket, client: opts.client, watch: setup.watch, until: setup.until }) : null;
  const stopProbe = daemonSource ? probeDaemon(daemonSource.client.path, opts.onWarning ?? defaultWarning) : null;
  const fromStore = opts.store !== undefined ? storeSource(opts.store) : null;
  const source: PofSource | null =
    daemonSource ?? fromStore ?? (opts.engine ? engineSource(opts.engine, opts.conns!) : opts.lookup ? lookupSource(opts.lookup, 'engine') : null);
  const pp = setup.proxyReader;
  const fp: SynFingerprinter | null = resolved.savedSyn ? synFingerprinter(opts.savedSyn!) : null;
  const stats = newCoreStats();
  const entries = new ConnEntries(
    POF_VAR_NAMES.filter((k) => !resolved.fields.includes(k)),
    stats,
  );
  const hosts =
    setup.hostRoute && daemonSource
      ? new HostResults(daemonSource, new HostCache((addr, ms) => daemonSource.askHost(addr, ms), setup.hostTtlMs), entries, resolved.timeoutMs, stats)
      : null;

  return {
    options: resolved,
    stats,
    proxyProtocol: pp,
    store: fromStore?.reader ?? null,
    onConnection(socket) {
      // A connection relayed by a balancer: its saved SYN is the balancer's.
      if (fp && !(pp && proxyTupleOf(socket))) readSavedSyn(fp, socket, entries.of(socket), stats);
    },
    attachServer(server) {
      // Headers first: a server's 'connection' comes once its header is read.
      if (pp && !proxyProtocolReaderOf(server)) withProxyProtocol(server, pp);
      // Then the ClientHello, before TLS (and HTTP/2's start, before HTTP/2).
      if (resolved.tls && server instanceof tls.Server) pofTls(server, resolved.tls);
      if (fp) enableSavedSyn(server);
      // Watch the server's port from the start, not from its first connection.
      const src = source;
      if (src?.kind === 'daemon') {
        const watch = (): void => {
          const a = server.address();
          if (a && typeof a === 'object') src.watchPort(a.port);
        };
        if (server.listening) watch();
        else server.once('listening', watch);
      }
    },
    peek(socket) {
      return entries.get(socket)?.result ?? undefined;
    },
    get(socket) {
      const e = entries.of(socket);
      if (e.result && (!e.result.err || e.result.found || performance.now() - e.at < resolved.retryErrorsMs)) {
        stats.cached++;
        return e.result;
      }
      if (e.pending) {
        stats.cached++;
        return e.pending;
      }
      stats.lookups++;
      // A TLS connection of a server nobody attached: read the next ones' hellos.
      if (resolved.tls) pofTlsLate(socket, resolved.tls);
      // The client's connection as a trusted balancer's PROXY header names
      // it (null: a LOCAL or UNKNOWN header, the real endpoints apply).
      let relayed: ConnTuple | null | undefined;
      if (pp) {
        relayed = proxyTupleOf(socket);
        if (relayed === undefined && pp.mode === 'required') {
          const why = unreadHeader(pp, socket);
          if (why) return entries.keep(e, errorResult(connTuple(socket), why));
        }
      }
      // Its saved SYN is then the balancer's, not the client's.
      if (fp && !relayed) readSavedSyn(fp, socket, e, stats);
      const t = relayed ?? e.synTuple ?? connTuple(socket);
      if (!t) return entries.keep(e, errorResult(null, 'connection has no address (closed?)'));
      // Fast path: a source in this process that knows the connection
      // already (the usual case) answers without a promise.
      if (!source) return entries.keep(e, e.syn ? synResult(t, e.syn) : errorResult(t, e.synErr ?? 'no saved SYN'));
      if (hosts && e.syn) return hosts.resultOf(t, e);
      let told: PofAnswer | null = null;
      if (source.kind === 'daemon') {
        if (!source.unavailable()) {
          // Told already (a watched port)? Else start watching for the next ones.
          source.watchPort(t.srvPort);
          told = source.take(t);
          if (told && satisfied(told, resolved.waitFor, e.syn)) {
            stats.told++;
            return entries.keep(e, answeredBy(source.via, t, e, told));
          }
        }
      } else if ((source.kind === 'lookup' || source.kind === 'engine') && !source.unavailable()) {
        let a: PofAnswer | null = null;
        let ok = true;
        try {
          stats.asked++;
          a = source.ask(t, resolved.timeoutMs);
        } catch {
          ok = false;
        }
        if (ok && satisfied(a, resolved.waitFor, e.syn)) return entries.keep(e, answeredBy(source.via, t, e, a));
      }
      return entries.keepWhenSettled(
        e,
        waitForVerdict(source, t, e, told, resolved, stats).catch((x: unknown) => errorResult(t, x instanceof Error ? x.message : String(x))),
      );
    },
    async close() {
      stopProbe?.();
      if (source) await source.close();
    },
  };
}

/**
 * Required mode, a connection without a header: it came before its server
 * read headers (the core was attached late, or not at all). The server
 * reads them from its next connection on; this one's result says why it
 * has no client. Null when the server reads headers (the socket is not
 * the server's own, e.g. a test's): looked up as it is.
 */
function unreadHeader(pp: ProxyProtocolReader, socket: net.Socket): string | null {
  const server = (socket as net.Socket & { server?: net.Server }).server;
  if (!server || proxyProtocolReaderOf(server)) return null;
  try {
    withProxyProtocol(server, pp);
  } catch {
    // it reads them now, through another's reader
  }
  return 'no PROXY header read: the connection came before its server read them (attach(server) on the middleware, before listen)';
}
