/**
 * The core every web adapter shares: from a request's socket to a PofResult.
 *
 *   - finds the connection's 4-tuple (IPv4-mapped IPv6 addresses as IPv4,
 *     IPv6 in pof's canonical text),
 *   - reads the saved SYN when asked to (Linux TCP_SAVE_SYN) and matches it,
 *   - asks pof (an engine in this process or the daemon's socket), waiting
 *     up to `timeoutMs` for the connection's verdict to appear,
 *   - caches the result on the TCP connection, so keep-alive requests ask
 *     once (errors are asked again after `retryErrorsMs`).
 *
 * Nothing here fails a request: whatever goes wrong ends as a result whose
 * `err` (pof_err) says why, within the timeout.
 */
import type net from 'node:net';

import type { PofClient } from '../api/client.js';
import type { ConnVerdicts } from '../state/conn-verdicts.js';
import type { JsonConn } from '../api/json-types.js';
import type { LookupSource } from '../api/lookup.js';
import type { PofLookup } from '../api/types.js';
import type { SignatureDb } from '../db/types.js';
import { isPofError, PofError } from '../errors.js';
import { intOption } from '../options.js';
import { canonicalAddress } from '../net/addr.js';
import { defaultWarning, probeDaemon } from './daemon-probe.js';
import { buildResult, errorResult, POF_VAR_NAMES, resultFor, type ConnTuple, type PofAnswer, type PofResult, type PofVarName, type PofVia } from './result.js';
import { DEFAULT_HOST_TTL_MS, HostCache, MAX_HOST_TTL_MS } from './host-cache.js';
import { enableSavedSyn, kernelTuple, readSavedSynView, savedSynAvailable, savedSynEnabled, savedSynProblem, savedSynUnavailableReason, SynFingerprinter, synTuple, type SynVerdict } from './saved-syn.js';
import { DaemonSource, engineSource, lookupSource, type PofSource } from './sources.js';

export const DEFAULT_TIMEOUT_MS = 20;
export const MAX_TIMEOUT_MS = 60_000;
export const DEFAULT_RETRY_MS = 2;
export const DEFAULT_RETRY_ERRORS_MS = 1000;
/** Share of timeoutMs spent waiting to be told about a connection of a watched port before asking. */
const PUSH_SHARE = 0.75;
/** Results kept per cached host answer, one per kind of SYN (see shapeOf). */
const MAX_SHAPES_PER_HOST = 16;

/** What to wait for (up to timeoutMs) before answering. */
export type WaitFor = 'none' | 'syn' | 'http';

export interface PofOptions {
  /** The pof daemon's API socket (`pof -s PATH`). */
  socket?: string;
  /** Or a PofClient of your own (not closed by close()). */
  client?: PofClient;
  /** Or an engine in this process with its connection verdicts. */
  engine?: LookupSource;
  conns?: ConnVerdicts;
  /** Or any lookup (engineLookup(...), a test double). */
  lookup?: PofLookup;
  /**
   * Fingerprint each connection's SYN as the kernel saved it (Linux
   * TCP_SAVE_SYN; see saved-syn.ts). Works alone, or before a daemon /
   * engine that adds what only traffic watching gives.
   */
  savedSyn?: boolean | { db?: SignatureDb; signatures?: string };
  /** Longest a request waits for pof, ms (default 20). */
  timeoutMs?: number;
  /**
   * 'syn' (default): wait (up to timeoutMs) until the connection's SYN
   * verdict is known; 'http': also its HTTP verdict; 'none': take the first
   * answer.
   */
  waitFor?: WaitFor;
  /** Pause between two questions while waiting, ms (default 2). */
  retryMs?: number;
  /** A connection whose lookup failed is asked again after this, ms (default 1000). */
  retryErrorsMs?: number;
  /** Which mod_pof variables to expose (and forward, for the proxy); default all. */
  fields?: readonly PofVarName[];
  /**
   * With a daemon: have it tell about each new connection to the server's
   * ports as it sees the SYN, so that a request is answered without a
   * question; false asks about each connection. Default true, except with
   * savedSyn (and waitFor 'syn'), where the daemon is asked about client
   * addresses instead (see hostTtlMs).
   */
  watch?: boolean;
  /**
   * With savedSyn and a daemon (waitFor 'syn'): each connection's TCP facts
   * are its own saved SYN's, and the daemon is asked only what it knows of
   * the client address (uptime, HTTP, language, NAT), an answer that is
   * used for this long (ms, default 1000; 0 asks for every connection).
   */
  hostTtlMs?: number;
  /**
   * Told once, at start, when the daemon's socket cannot be reached (each
   * request's pof_err says so too). Default: process.emitWarning (code
   * POF_DAEMON_UNREACHABLE).
   */
  onWarning?: (message: string) => void;
}

export interface PofCoreStats {
  /** Connections looked up (cache misses). */
  lookups: number;
  /** Requests answered from the connection cache. */
  cached: number;
  /** Questions asked of the source (polls included). */
  asked: number;
  /** Lookups that ended with an error. */
  errors: number;
  /** Connections with a saved SYN read. */
  savedSyns: number;
  /** Lookups answered by what a watching daemon had told already (no wait, no question). */
  told: number;
  /** Lookups that waited for the daemon to tell, and were told while waiting. */
  toldLate: number;
  /** Lookups with a saved SYN whose client address the daemon had been asked about already (no question). */
  hostCached: number;
}

export interface PofCore {
  readonly options: Readonly<ResolvedOptions>;
  readonly stats: PofCoreStats;
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
   * Prepares for a server's connections: turns saved SYNs on (when savedSyn
   * is set) and, with a daemon, starts watching its port once it listens.
   */
  attachServer(server: net.Server): void;
  close(): Promise<void>;
}

interface ResolvedOptions {
  timeoutMs: number;
  waitFor: WaitFor;
  retryMs: number;
  retryErrorsMs: number;
  fields: readonly PofVarName[];
  savedSyn: boolean;
  source: 'daemon' | 'engine' | 'lookup' | 'none';
  /** Saved SYN + daemon: the daemon is asked about client addresses, kept this long (ms); null when not that route. */
  hostTtlMs: number | null;
}

const intOpt = (name: string, v: unknown, dflt: number, lo: number, hi: number): number => intOption(`pof middleware: ${name}`, v, dflt, lo, hi);

/** The 4-tuple of an accepted socket, or null (closed, not TCP). */
export function connTuple(socket: net.Socket): ConnTuple | null {
  // One native call where the addon is built (Linux); else Node's getters.
  const k = kernelTuple(socket);
  if (k !== undefined) return k;
  const ra = socket.remoteAddress;
  const la = socket.localAddress;
  const rp = socket.remotePort;
  const lp = socket.localPort;
  if (!ra || !la || rp === undefined || lp === undefined) return null;
  const c = canonicalAddress(ra);
  const s = canonicalAddress(la);
  if (!c || !s || c.ver !== s.ver) return null;
  return { ipVer: c.ver, cli: c.addr, cliPort: rp, srv: s.addr, srvPort: lp };
}

interface Entry {
  result: PofResult | null;
  pending: Promise<PofResult> | null;
  at: number;
  syn: SynVerdict | null;
  synErr: string | null;
  synRead: boolean;
  /** The connection's 4-tuple as its saved SYN gives it (null: ask the socket). */
  synTuple: ConnTuple | null;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function satisfied(a: PofAnswer | null, waitFor: WaitFor, syn: SynVerdict | null): boolean {
  if (waitFor === 'none') return true;
  const side = a?.conn?.client;
  if (waitFor === 'syn') return syn !== null || !!side?.tcp;
  return !!side?.http;
}

function emptySide(): JsonConn['client'] {
  return { tcp: null, mtu: null, uptime: null, http: null, nat: null };
}

/** The source's answer with the saved SYN's verdict in place of (or as) the connection's TCP facts. */
function withSyn(t: ConnTuple, a: PofAnswer | null, syn: SynVerdict): PofAnswer {
  const conn: JsonConn = a?.conn
    ? { ...a.conn, client: { ...a.conn.client } }
    : {
        ip_version: t.ipVer,
        cli: { addr: t.cli, port: t.cliPort },
        srv: { addr: t.srv, port: t.srvPort },
        first_seen: Math.floor(Date.now() / 1000),
        last_seen: Math.floor(Date.now() / 1000),
        encap: false,
        sendsyn: false,
        client: emptySide(),
        server: emptySide(),
      };
  conn.client.tcp = syn.tcp;
  if (syn.mtu) conn.client.mtu = syn.mtu;
  return { host: a?.host ?? null, conn };
}

/**
 * Builds the shared core from validated options. Exactly one of socket,
 * client, engine (+conns) or lookup may be given; savedSyn may be given
 * with any of them or alone.
 */
export function createPofCore(opts: PofOptions = {}): PofCore {
  if (opts === null || typeof opts !== 'object') throw new PofError('E_CONFIG', 'pof middleware: options must be an object');
  const given = [opts.socket !== undefined, opts.client !== undefined, opts.engine !== undefined, opts.lookup !== undefined].filter(Boolean).length;
  if (given > 1) throw new PofError('E_CONFIG', 'pof middleware: give one of socket, client, engine (with conns) or lookup');
  if (opts.socket !== undefined && (typeof opts.socket !== 'string' || !opts.socket || opts.socket.includes('\0'))) {
    throw new PofError('E_CONFIG', 'pof middleware: socket must be a socket file path');
  }
  if (opts.engine !== undefined && opts.conns === undefined) {
    throw new PofError('E_CONFIG', 'pof middleware: engine needs conns (the ConnVerdicts its observations feed)');
  }
  if (opts.conns !== undefined && opts.engine === undefined) throw new PofError('E_CONFIG', 'pof middleware: conns given without engine');
  const waitFor = opts.waitFor ?? 'syn';
  if (waitFor !== 'none' && waitFor !== 'syn' && waitFor !== 'http') {
    throw new PofError('E_CONFIG', `pof middleware: waitFor must be 'none', 'syn' or 'http' (got ${String(waitFor)})`);
  }
  const fields = opts.fields ?? POF_VAR_NAMES;
  if (!Array.isArray(fields) || fields.some((f) => !(POF_VAR_NAMES as readonly string[]).includes(f))) {
    throw new PofError('E_CONFIG', `pof middleware: fields must list names among ${POF_VAR_NAMES.join(', ')}`);
  }
  const savedSyn = opts.savedSyn !== undefined && opts.savedSyn !== false;
  if (opts.savedSyn !== undefined && typeof opts.savedSyn !== 'boolean' && (typeof opts.savedSyn !== 'object' || opts.savedSyn === null)) {
    throw new PofError('E_CONFIG', 'pof middleware: savedSyn must be true, false or { db | signatures }');
  }
  if (opts.watch !== undefined && typeof opts.watch !== 'boolean') throw new PofError('E_CONFIG', 'pof middleware: watch must be true or false');
  if (opts.onWarning !== undefined && typeof opts.onWarning !== 'function') throw new PofError('E_CONFIG', 'pof middleware: onWarning must be a function');
  const daemon = opts.socket !== undefined || opts.client !== undefined;
  // Saved SYN + daemon: TCP facts from the SYN itself, host facts asked by address.
  const hostRoute = savedSyn && daemon && waitFor === 'syn';
  const hostTtlMs = intOpt('hostTtlMs', opts.hostTtlMs, DEFAULT_HOST_TTL_MS, 0, MAX_HOST_TTL_MS);
  if (savedSyn && !savedSynAvailable()) throw new PofError('E_CONFIG', `pof middleware: savedSyn: ${savedSynUnavailableReason()}`);
  if (!given && !savedSyn) throw new PofError('E_CONFIG', 'pof middleware: give socket, client, engine (with conns), lookup or savedSyn');

  const resolved: ResolvedOptions = {
    timeoutMs: intOpt('timeoutMs', opts.timeoutMs, DEFAULT_TIMEOUT_MS, 1, MAX_TIMEOUT_MS),
    waitFor,
    retryMs: intOpt('retryMs', opts.retryMs, DEFAULT_RETRY_MS, 1, 1000),
    retryErrorsMs: intOpt('retryErrorsMs', opts.retryErrorsMs, DEFAULT_RETRY_ERRORS_MS, 0, 3_600_000),
    fields: [...fields],
    savedSyn,
    source: daemon ? 'daemon' : opts.engine ? 'engine' : opts.lookup ? 'lookup' : 'none',
    hostTtlMs: hostRoute ? hostTtlMs : null,
  };

  const watch = opts.watch ?? !hostRoute;
  // Told of each connection until what a request waits for is known.
  const until = waitFor === 'http' ? 'http' : 'syn';
  const daemonSource = daemon ? new DaemonSource({ path: opts.socket, client: opts.client, watch, until }) : null;
  const stopProbe = daemonSource ? probeDaemon(daemonSource.client.path, opts.onWarning ?? defaultWarning) : null;
  const source: PofSource | null =
    daemonSource ?? (opts.engine ? engineSource(opts.engine, opts.conns!) : opts.lookup ? lookupSource(opts.lookup, 'engine') : null);

  let fp: SynFingerprinter | null = null;
  if (savedSyn) {
    const s = opts.savedSyn;
    if (typeof s === 'object' && s.db) fp = new SynFingerprinter(s.db);
    else fp = SynFingerprinter.fromFile(typeof s === 'object' && s.signatures ? s.signatures : undefined);
  }

  const stats: PofCoreStats = { lookups: 0, cached: 0, asked: 0, errors: 0, savedSyns: 0, told: 0, toldLate: 0, hostCached: 0 };
  const hosts = hostRoute && daemonSource ? new HostCache((addr, ms) => daemonSource.askHost(addr, ms), hostTtlMs) : null;
  // Each connection's entry is kept on its socket, under this core's own
  // key, and goes with it. A WeakMap would do the same, but costs every
  // minor GC ephemeron work for each live connection, which measured a few
  // percent of a proxy's CPU with a new connection per request.
  const kEntry = Symbol('pof connection');
  const cached = (socket: net.Socket): Entry | undefined => (socket as net.Socket & { [kEntry]?: Entry })[kEntry];
  /** The pof_* variables left out by `fields`, deleted from each result. */
  const dropped = POF_VAR_NAMES.filter((k) => !resolved.fields.includes(k));

  const entryOf = (socket: net.Socket): Entry => {
    let e = cached(socket);
    if (!e) {
      e = { result: null, pending: null, at: 0, syn: null, synErr: null, synRead: false, synTuple: null };
      (socket as net.Socket & { [kEntry]?: Entry })[kEntry] = e;
    }
    return e;
  };

  const readSyn = (socket: net.Socket, e: Entry): void => {
    if (e.synRead || !fp) return;
    e.synRead = true;
    const server = (socket as net.Socket & { server?: net.Server }).server;
    let why: string | null = server ? savedSynProblem(server) : null;
    if (server && !savedSynEnabled(server)) {
      // First connection of a server nobody attached: enable it for the next ones.
      try {
        enableSavedSyn(server);
      } catch (x) {
        why = (x as Error).message;
      }
    }
    const bytes = readSavedSynView(socket);
    if (!bytes) {
      e.synErr = why ?? 'no saved SYN (accepted before TCP_SAVE_SYN was on: attach(server) on the middleware turns it on before the first connection)';
      return;
    }
    stats.savedSyns++;
    e.synTuple = synTuple(bytes);
    const r = fp.fingerprint(bytes);
    if (r.ok) e.syn = r.verdict;
    else e.synErr = r.reason;
  };

  const finish = (r: PofResult): PofResult => {
    for (const k of dropped) delete (r.vars as Partial<Record<PofVarName, string>>)[k];
    if (r.err) stats.errors++;
    return r;
  };

  const lookup = async (source: PofSource, t: ConnTuple, e: Entry, told: PofAnswer | null): Promise<PofResult> => {
    const via: PofVia[] = e.syn ? ['saved-syn'] : [];
    const deadline = performance.now() + resolved.timeoutMs;
    let last: PofAnswer | null = told;
    let err: string | null = null;
    let answered = told !== null;
    // What was told already, if anything, did not satisfy waitFor.
    let done = false;
    // A watched port: the daemon tells of each connection it sees, so wait
    // for that (most of the time allowed) rather than ask and ask again.
    const tells = source.kind === 'engine' || (source.kind === 'daemon' && source.watching(t.srvPort)) ? source : null;
    if (tells && resolved.waitFor !== 'none') {
      const until = performance.now() + resolved.timeoutMs * PUSH_SHARE;
      for (let left = until - performance.now(); left > 0 && !done; left = until - performance.now()) {
        const a = await tells.awaitPush(t, left);
        if (!a) break;
        if (!answered) stats.toldLate++;
        last = a;
        answered = true;
        done = satisfied(a, resolved.waitFor, e.syn);
      }
    }
    while (!done) {
      const down = source.unavailable();
      if (down) {
        err = down;
        break;
      }
      const left = deadline - performance.now();
      if (left <= 0) {
        err = last ? null : `no verdict within ${resolved.timeoutMs} ms`;
        break;
      }
      try {
        stats.asked++;
        last = await source.ask(t, left);
        answered = true;
      } catch (x) {
        err = answered && isPofError(x) && x.code === 'E_API_TIMEOUT' ? (source.unavailable() ?? `no verdict within ${resolved.timeoutMs} ms`) : askError(source, x);
        break;
      }
      if (satisfied(last, resolved.waitFor, e.syn)) break;
      const pause = Math.min(resolved.retryMs, deadline - performance.now());
      if (pause <= 0) {
        if (!last) err = `no verdict within ${resolved.timeoutMs} ms`;
        break;
      }
      await sleep(pause);
    }
    if (answered) via.push(source.via);
    const answer = e.syn ? withSyn(t, last, e.syn) : last;
    // With a saved SYN the request has its TCP verdict: a daemon problem
    // is still reported, but the result is found.
    const r = buildResult(t, answer, via, err);
    if (!r.found && answered) r.vars.pof_type = '2';
    return r;
  };

  /** The connection's saved SYN verdict alone (no source answered). */
  const synResult = (t: ConnTuple, syn: SynVerdict, err: string | null = null): PofResult => buildResult(t, withSyn(t, null, syn), ['saved-syn'], err);

  /** A lookup under way: later requests on the connection join it, and its result is cached when it settles. */
  const pend = (e: Entry, p: Promise<PofResult>): Promise<PofResult> => {
    const q = p.then((r) => {
      e.pending = null;
      return cacheResult(e, r);
    });
    e.pending = q;
    return q;
  };

  /** Why asking `source` failed, for pof_err. */
  const askError = (source: PofSource, x: unknown): string =>
    source.unavailable() ??
    (isPofError(x) && x.code === 'E_API_TIMEOUT' ? `pof did not answer within ${resolved.timeoutMs} ms` : x instanceof Error ? x.message : String(x));

  /**
   * Saved SYN + daemon: the connection's own SYN verdict, with what the
   * daemon knows of the client address (from the host cache, else asked).
   * The daemon being down or slow costs only the host facts.
   */
  const withHost = (source: PofSource, hosts: HostCache, t: ConnTuple, e: Entry): PofResult | Promise<PofResult> => {
    const down = source.unavailable();
    if (down) return cacheResult(e, synResult(t, e.syn!, down));
    const known = hosts.peek(t.cli);
    if (known) {
      stats.hostCached++;
      return cacheResult(e, resultFor(shapeOf(source, known, t, e), t));
    }
    if (!hosts.pending(t.cli)) stats.asked++;
    return pend(
      e,
      hosts.get(t.cli, resolved.timeoutMs).then(
        (a) => answeredBy(source, t, e, a),
        (x: unknown) => synResult(t, e.syn!, askError(source, x)),
      ),
    );
  };

  /**
   * The result of a cached host answer with a SYN verdict, but for its
   * conn: the same for each connection of the address while the answer is
   * cached (and its SYN alike), so made once and copied (resultFor). Kept
   * as long as the answer is.
   */
  const shapes = new WeakMap<PofAnswer, Map<SynVerdict, PofResult>>();
  const shapeOf = (source: PofSource, a: PofAnswer, t: ConnTuple, e: Entry): PofResult => {
    let bySyn = shapes.get(a);
    if (!bySyn) shapes.set(a, (bySyn = new Map()));
    let r = bySyn.get(e.syn!);
    if (!r) {
      // (Each copy drops the fields left out as it is cached: see finish.)
      r = answeredBy(source, t, e, a);
      // A client's SYNs come in a few kinds; bounded all the same.
      if (bySyn.size >= MAX_SHAPES_PER_HOST) bySyn.clear();
      bySyn.set(e.syn!, r);
    }
    return r;
  };

  /** The result of an answer that satisfied waitFor at once (with the saved SYN's verdict, if any). */
  const answeredBy = (source: PofSource, t: ConnTuple, e: Entry, a: PofAnswer | null): PofResult =>
    buildResult(t, e.syn ? withSyn(t, a, e.syn) : a, e.syn ? ['saved-syn', source.via] : [source.via]);

  const cacheResult = (e: Entry, r: PofResult): PofResult => {
    e.result = finish(r);
    e.at = performance.now();
    return e.result;
  };

  const core: PofCore = {
    options: resolved,
    stats,
    onConnection(socket) {
      if (fp) readSyn(socket, entryOf(socket));
    },
    attachServer(server) {
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
      return cached(socket)?.result ?? undefined;
    },
    get(socket) {
      const e = entryOf(socket);
      if (e.result && (!e.result.err || e.result.found || performance.now() - e.at < resolved.retryErrorsMs)) {
        stats.cached++;
        return e.result;
      }
      if (e.pending) {
        stats.cached++;
        return e.pending;
      }
      stats.lookups++;
      readSyn(socket, e);
      const t = e.synTuple ?? connTuple(socket);
      if (!t) return cacheResult(e, errorResult(null, 'connection has no address (closed?)'));
      // Fast path: a source in this process that knows the connection
      // already (the usual case) answers without a promise.
      if (!source) return cacheResult(e, e.syn ? synResult(t, e.syn) : errorResult(t, e.synErr ?? 'no saved SYN'));
      if (hosts && e.syn) return withHost(source, hosts, t, e);
      let told: PofAnswer | null = null;
      if (source.kind === 'daemon' && !source.unavailable()) {
        // Told already (a watched port)? Else start watching for the next ones.
        source.watchPort(t.srvPort);
        told = source.take(t);
        if (told && satisfied(told, resolved.waitFor, e.syn)) {
          stats.told++;
          return cacheResult(e, answeredBy(source, t, e, told));
        }
      }
      if ((source.kind === 'lookup' || source.kind === 'engine') && !source.unavailable()) {
        let a: PofAnswer | null = null;
        let ok = true;
        try {
          stats.asked++;
          a = source.ask(t, resolved.timeoutMs);
        } catch {
          ok = false;
        }
        if (ok && satisfied(a, resolved.waitFor, e.syn)) return cacheResult(e, answeredBy(source, t, e, a));
      }
      return pend(
        e,
        lookup(source, t, e, told).catch((x: unknown) => errorResult(t, x instanceof Error ? x.message : String(x))),
      );
    },
    async close() {
      stopProbe?.();
      if (source) await source.close();
    },
  };
  return core;
}
