/**
 * The web core's options (PofOptions): checked once, at construction, each
 * problem a PofError('E_CONFIG') naming the option; what the core runs with
 * (ResolvedOptions) and what follows from them (which source, which route).
 */
import type { PofClient } from '../api/client.js';
import type { WatchUntil } from '../api/json-types.js';
import type { LookupSource } from '../api/lookup.js';
import type { PofLookup } from '../api/types.js';
import { DEFAULT_API_SOCKET } from '../config.js';
import type { SignatureDb } from '../db/types.js';
import { PofError } from '../errors.js';
import { intOption } from '../options.js';
import type { ConnVerdicts } from '../state/conn-verdicts.js';
import { DEFAULT_HOST_TTL_MS, MAX_HOST_TTL_MS } from './host-cache.js';
import { ProxyProtocolReader, type ProxyProtocolMode, type ProxyProtocolOptions } from './proxy-protocol-reader.js';
import { POF_VAR_NAMES, type PofVarName } from './result.js';
import { savedSynAvailable, savedSynUnavailableReason } from './saved-syn.js';
import { checkTlsOptions, type PofTlsOptions } from './tls-server.js';
import type { StoreSetup } from './store-source.js';

export const DEFAULT_TIMEOUT_MS = 20;
export const MAX_TIMEOUT_MS = 60_000;
export const DEFAULT_RETRY_MS = 2;
export const DEFAULT_RETRY_ERRORS_MS = 1000;

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
   * Or the shared store the sensor publishes to (Redis): a URL
   * ('redis://10.0.0.5:6379', 'rediss://:secret@host:6380/2'), reader
   * options, or a StoreReader of one's own (not closed by close()). For a
   * web node with no daemon socket (see docs/cluster.md).
   */
  store?: StoreSetup;
  /**
   * Read a PROXY protocol header (v1 or v2) on each connection of the
   * servers the core is attached to, from the trusted proxies only: the
   * client it names is the one looked up (and logged, and forwarded).
   * Options ({ trusted: '10.0.0.0/8', mode, headerTimeoutMs }) or a
   * reader of one's own (its stats shared by the servers it reads for).
   */
  proxyProtocol?: ProxyProtocolOptions | ProxyProtocolReader;
  /**
   * On the TLS servers the core is attached to (https, http2 secure):
   * read each ClientHello and HTTP/2 start before Node does, for req.pof.tls,
   * req.pof.h2 and the decrypted request's HTTP signature (pofTls in
   * tls-server.ts). Default true; false leaves TLS servers alone; options
   * tune it.
   */
  tls?: boolean | PofTlsOptions;
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

/** The options as the core runs with them (PofCore.options). */
export interface ResolvedOptions {
  timeoutMs: number;
  waitFor: WaitFor;
  retryMs: number;
  retryErrorsMs: number;
  fields: readonly PofVarName[];
  savedSyn: boolean;
  source: 'daemon' | 'engine' | 'lookup' | 'store' | 'none';
  /** PROXY headers are read, in this mode; null when not. */
  proxyProtocol: ProxyProtocolMode | null;
  /** What TLS servers are read with (pofTls); null with tls: false. */
  tls: PofTlsOptions | null;
  /** Saved SYN + daemon: the daemon is asked about client addresses, kept this long (ms); null when not that route. */
  hostTtlMs: number | null;
}

/** The checked options, and what follows from them. */
export interface CoreSetup {
  resolved: ResolvedOptions;
  /** A daemon is the source (socket or client). */
  daemon: boolean;
  /** The daemon's socket: as given, or DEFAULT_API_SOCKET when no source at all is (undefined with a client). */
  socket: string | undefined;
  /** Saved SYN + daemon (waitFor 'syn'): TCP facts from the SYN itself, host facts asked by address. */
  hostRoute: boolean;
  hostTtlMs: number;
  /** Watch the server's ports (with a daemon). */
  watch: boolean;
  /** Told of each connection until what a request waits for is known. */
  until: WatchUntil;
  /** Reads the PROXY headers (proxyProtocol), or null. */
  proxyReader: ProxyProtocolReader | null;
}

const intOpt = (name: string, v: unknown, dflt: number, lo: number, hi: number): number => intOption(`pof middleware: ${name}`, v, dflt, lo, hi);

/**
 * Checks the options. Exactly one of socket, client, engine (+conns),
 * lookup or store may be given; savedSyn may be given with any of them or
 * alone. With none of them, the daemon on DEFAULT_API_SOCKET is asked, as
 * by `pof query`, `pof proxy` and `pof logpipe`. (The store's URL and
 * options are checked as the core makes its reader: still before anything
 * runs.)
 */
export function resolveOptions(opts: PofOptions): CoreSetup {
  if (opts === null || typeof opts !== 'object') throw new PofError('E_CONFIG', 'pof middleware: options must be an object');
  const given = [opts.socket !== undefined, opts.client !== undefined, opts.engine !== undefined, opts.lookup !== undefined, opts.store !== undefined].filter(Boolean).length;
  if (given > 1) throw new PofError('E_CONFIG', 'pof middleware: give one of socket, client, engine (with conns), lookup or store');
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
  const socket = opts.socket ?? (!given && !savedSyn ? DEFAULT_API_SOCKET : undefined);
  const daemon = socket !== undefined || opts.client !== undefined;
  // Saved SYN + daemon: TCP facts from the SYN itself, host facts asked by address.
  const hostRoute = savedSyn && daemon && waitFor === 'syn';
  const hostTtlMs = intOpt('hostTtlMs', opts.hostTtlMs, DEFAULT_HOST_TTL_MS, 0, MAX_HOST_TTL_MS);
  if (savedSyn && !savedSynAvailable()) throw new PofError('E_CONFIG', `pof middleware: savedSyn: ${savedSynUnavailableReason()}`);
  const proxyReader = proxyProtocolReader(opts.proxyProtocol);
  if (opts.tls !== undefined && typeof opts.tls !== 'boolean' && (typeof opts.tls !== 'object' || opts.tls === null)) {
    throw new PofError('E_CONFIG', 'pof middleware: tls must be true, false or pofTls options');
  }
  const tlsOpts: PofTlsOptions | null = opts.tls === false ? null : opts.tls === undefined || opts.tls === true ? {} : { ...opts.tls };
  if (tlsOpts) {
    try {
      checkTlsOptions(tlsOpts);
    } catch (e) {
      throw e instanceof PofError ? new PofError('E_CONFIG', `pof middleware: ${e.message}`) : e;
    }
  }

  const resolved: ResolvedOptions = {
    timeoutMs: intOpt('timeoutMs', opts.timeoutMs, DEFAULT_TIMEOUT_MS, 1, MAX_TIMEOUT_MS),
    waitFor,
    retryMs: intOpt('retryMs', opts.retryMs, DEFAULT_RETRY_MS, 1, 1000),
    retryErrorsMs: intOpt('retryErrorsMs', opts.retryErrorsMs, DEFAULT_RETRY_ERRORS_MS, 0, 3_600_000),
    fields: [...fields],
    savedSyn,
    source: daemon ? 'daemon' : opts.engine ? 'engine' : opts.lookup ? 'lookup' : opts.store !== undefined ? 'store' : 'none',
    proxyProtocol: proxyReader?.mode ?? null,
    tls: tlsOpts,
    hostTtlMs: hostRoute ? hostTtlMs : null,
  };
  return { resolved, daemon, socket, hostRoute, hostTtlMs, watch: opts.watch ?? !hostRoute, until: waitFor === 'http' ? 'http' : 'syn', proxyReader };
}

/** The proxyProtocol option's reader (its options checked: one E_CONFIG line), or null. */
function proxyProtocolReader(pp: PofOptions['proxyProtocol']): ProxyProtocolReader | null {
  if (pp === undefined) return null;
  if (pp instanceof ProxyProtocolReader) return pp;
  if (pp === null || typeof pp !== 'object') {
    throw new PofError('E_CONFIG', "pof middleware: proxyProtocol must be options ({ trusted: '10.0.0.0/8', mode, headerTimeoutMs }) or a ProxyProtocolReader");
  }
  try {
    return new ProxyProtocolReader(pp);
  } catch (e) {
    throw e instanceof PofError ? new PofError('E_CONFIG', `pof middleware: ${e.message}`) : e;
  }
}
