/**
 * `pof proxy`: a reverse proxy that fingerprints each client connection and
 * forwards X-Pof-* headers to the backend (see src/web/proxy.ts).
 *
 *   pof proxy --listen ADDR:PORT --upstream URL [-s PATH | -i IFACE]
 *             [--saved-syn | --no-saved-syn] [--headers LIST]
 *             [--access-log FILE] [--log-format FMT]
 *             [--tls-cert F --tls-key F] [--header-timeout MS]
 *             [--max-connections N] [--max-per-client N]
 *             [--upstream-timeout MS] [--store URL] [--http ADDR:PORT]
 *             [--proxy-protocol[=MODE] --trusted-proxy CIDR,...
 *              [--proxy-header-timeout MS]]
 *
 * Verdicts come from a pof daemon (-s, default /run/pof/pof.sock), from a
 * sensor of its own on an interface (-i, needs root), and/or from the SYNs
 * the kernel saved for the listening socket (Linux, no root). With a
 * daemon, saved SYNs are used where the kernel keeps them: each
 * connection's TCP facts are its own SYN's, at once, and the daemon is
 * asked only about client addresses (--no-saved-syn: the daemon tells of
 * each connection instead). --saved-syn alone uses no daemon. --store asks
 * the shared store (Redis) the sensor publishes to, in place of a daemon.
 *
 * Behind a load balancer, --proxy-protocol reads the PROXY header (v1 or
 * v2) the trusted balancers (--trusted-proxy) put first on each
 * connection: the client it names is the one looked up, limited, logged
 * and forwarded. --http serves Prometheus metrics at /metrics.
 * Runs until SIGINT or SIGTERM; SIGHUP reopens the access log.
 */
import { readFileSync } from 'node:fs';
import type net from 'node:net';

import { createHttpEndpoint, parseHttpAddress, type HttpEndpoint } from '../api/http-endpoint.js';
import { PofMetrics, type MetricSources } from '../api/metrics/registry.js';
import { parseStoreUrl } from '../api/store/keys.js';
import { StoreReader } from '../api/store/reader.js';
import { DEFAULT_MAX_CONN, DEFAULT_MAX_HOSTS } from '../config.js';
import { parseCidrList } from '../net/cidr.js';

import { ConnVerdicts } from '../state/conn-verdicts.js';
import { openLive, WAITED_LIVE_TIMEOUT_MS, type LiveCapture } from '../capture/live.js';
import { loadSignatures } from '../db/load.js';
import { DEFAULT_API_SOCKET } from '../config.js';
import { Engine } from '../engine.js';
import { isPofError, PofError } from '../errors.js';
import { HttpModule } from '../state/http-module.js';
import { AccessLog } from '../web/access-log.js';
import { MAX_TIMEOUT_MS, type PofOptions, type WaitFor } from '../web/core.js';
import { createPofProxy } from '../web/proxy.js';
import {
  DEFAULT_HEADER_TIMEOUT_MS,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_CONNECTIONS_PER_CLIENT,
  DEFAULT_UPSTREAM_TIMEOUT_MS,
  MAX_CONNECTIONS,
  MAX_HEADER_TIMEOUT_MS,
  MAX_UPSTREAM_TIMEOUT_MS,
  LIMIT_WARNING_EVERY_MS,
  type ProxyLimitOptions,
} from '../web/proxy-limits.js';
import { isPofValueName, POF_EXTRA_NAMES, POF_VAR_NAMES, type PofValueName } from '../web/result.js';
import {
  DEFAULT_HEADER_TIMEOUT_MS as DEFAULT_PROXY_HEADER_TIMEOUT_MS,
  MAX_HEADER_TIMEOUT_MS as MAX_PROXY_HEADER_TIMEOUT_MS,
  type ProxyProtocolOptions,
} from '../web/proxy-protocol-reader.js';
import { savedSynAvailable } from '../web/saved-syn.js';
import { asksHelp, helpText, parseArgs, stringFlag, type FlagSpec } from './args.js';
import { BATCH_MS_FLAG, batchMsFlag } from './sensor-flags.js';

interface Out {
  write(s: string): unknown;
}

const FLAGS: readonly FlagSpec[] = [
  { name: 'listen', takesValue: true, valueName: 'ADDR:PORT', help: 'where to listen (e.g. 0.0.0.0:80, [::]:443, :8080)' },
  { name: 'upstream', takesValue: true, valueName: 'URL', help: 'the backend, e.g. http://127.0.0.1:8080' },
  { name: 's', takesValue: true, valueName: 'PATH', help: `ask the pof daemon on this socket (default ${DEFAULT_API_SOCKET})` },
  { name: 'i', takesValue: true, valueName: 'IFACE', help: 'run a sensor of its own on this interface (root)' },
  { name: 'store', takesValue: true, valueName: 'URL', help: 'ask the shared store (redis://HOST:PORT[/DB] or rediss://...) instead of a daemon; a password in the URL or in $POF_STORE_PASSWORD' },
  { name: 'saved-syn', takesValue: false, help: 'fingerprint the SYNs the kernel saved (Linux TCP_SAVE_SYN; no root); alone: no daemon' },
  { name: 'no-saved-syn', takesValue: false, help: 'with a daemon or the store: take each connection\'s TCP facts from it, not its saved SYN' },
  { name: 'proxy-protocol', takesValue: false, inlineValue: true, valueName: 'MODE', help: "read PROXY headers (v1, v2) from --trusted-proxy peers: 'required' (default) or 'optional'" },
  { name: 'trusted-proxy', takesValue: true, valueName: 'CIDR,...', help: 'the balancers allowed to send PROXY headers, e.g. 127.0.0.1/32,10.0.0.0/8' },
  { name: 'proxy-header-timeout', takesValue: true, valueName: 'MS', help: `a PROXY header must be whole within this, else the connection is closed (default ${DEFAULT_PROXY_HEADER_TIMEOUT_MS})` },
  { name: 'http', takesValue: true, valueName: 'ADDR:PORT', help: 'serve Prometheus metrics at /metrics there (address default 127.0.0.1)' },
  { name: 'f', takesValue: true, valueName: 'FILE', help: 'signature database for -i / saved SYNs' },
  { name: 'access-log', takesValue: true, valueName: 'FILE', help: "write an access log ('-' = stdout); SIGHUP reopens it" },
  { name: 'log-format', takesValue: true, valueName: 'FMT', help: 'Apache LogFormat string or nickname (default pof_combined)' },
  { name: 'tls-cert', takesValue: true, valueName: 'FILE', help: 'terminate TLS with this certificate (PEM): HTTP/2 and HTTP/1.1, and X-Pof-Ja4, -Ja4-R, -Ja3, -Tls-Client, -H2' },
  { name: 'tls-key', takesValue: true, valueName: 'FILE', help: '... and this key (PEM)' },
  { name: 'headers', takesValue: true, valueName: 'LIST', help: "which X-Pof-* headers to send: 'all' (default), 'mod_pof', 'none', or names (genre,details,app,...)" },
  { name: 'timeout', takesValue: true, valueName: 'MS', help: 'longest a request waits for pof (default 20)' },
  { name: 'wait', takesValue: true, valueName: 'WHAT', help: "wait for 'syn' (default), 'http' or 'none'" },
  { name: 'header-timeout', takesValue: true, valueName: 'MS', help: `a client's request head must arrive within this, else 408 and close (default ${DEFAULT_HEADER_TIMEOUT_MS})` },
  { name: 'max-connections', takesValue: true, valueName: 'N', help: `client connections open at once; more are closed (default ${DEFAULT_MAX_CONNECTIONS})` },
  { name: 'max-per-client', takesValue: true, valueName: 'N', help: `client connections open at once from one address (default ${DEFAULT_MAX_CONNECTIONS_PER_CLIENT})` },
  { name: 'upstream-timeout', takesValue: true, valueName: 'MS', help: `longest the backend may stay silent, else 504 (default ${DEFAULT_UPSTREAM_TIMEOUT_MS}; 0 = no limit)` },
  { ...BATCH_MS_FLAG, help: "with -i: ms the kernel may hold captured packets to batch them (default 1)" },
  { name: 'help', takesValue: false, help: 'show this help' },
  { name: 'h', takesValue: false, help: 'show this help' },
];

const USAGE = `Usage: pof proxy --listen ADDR:PORT --upstream URL [-s PATH | -i IFACE | --store URL]
                 [--saved-syn | --no-saved-syn] [--headers LIST]
                 [--access-log FILE] [--log-format FMT] [--tls-cert FILE --tls-key FILE]
                 [--proxy-protocol[=MODE] --trusted-proxy CIDR,...] [--http ADDR:PORT]
A reverse proxy that fingerprints each client connection and forwards
X-Pof-Genre, X-Pof-Details, ... to the backend (client-sent X-Pof-* are removed,
however spelled). With --tls-cert it serves HTTP/2 and HTTP/1.1 and adds what
only the decrypting end sees: the ClientHello's JA4 and JA3, the HTTP/2
fingerprint, and the HTTP signature of the decrypted request (X-Pof-App).

${helpText(FLAGS)}
`;

/**
 * What `pof proxy -i` captures, as little as the engine needs:
 *   - of what clients send: SYNs, FINs and RSTs, and segments that carry
 *     data (the HTTP request); not their bare ACKs, which tell the engine
 *     nothing (about two packets in five of a short connection);
 *   - of what the proxy sends back: its SYN+ACKs (a request is read as
 *     part of a connection whose handshake was seen both ways, as p0f
 *     does), its FINs and its RST+ACKs (a connection the proxy ends leaves
 *     the engine's flow table then, even when its client never closes its
 *     side). Not its responses, the bulk of its packets, which would be
 *     fingerprinted for nothing: the proxy reports on its clients. Nor its
 *     bare RSTs, which answer segments of connections already ended.
 * (tcp[] and ip[] reach IPv4 headers only: over IPv6 all of both is taken.)
 */
export function sensorFilter(port: number): string {
  const ends = 'tcp[tcpflags] & (tcp-syn|tcp-fin|tcp-rst) != 0';
  const carriesData = 'ip[2:2] - ((ip[0] & 0xf) << 2) - ((tcp[12] & 0xf0) >> 2) != 0';
  const proxyEnds = 'tcp[tcpflags] & (tcp-syn|tcp-fin) != 0 or tcp[tcpflags] & (tcp-rst|tcp-ack) == (tcp-rst|tcp-ack)';
  return `(tcp dst port ${port} and (ip6 or ${ends} or ${carriesData})) or (tcp src port ${port} and (ip6 or ${proxyEnds}))`;
}

/**
 * --headers: 'all' (undefined: the proxy's default), 'mod_pof' (mod_pof's
 * variables), 'none' (client-sent X-Pof-* are still removed), or field
 * names, bare, with 'pof_' or as headers ('genre,pof_app,X-Pof-Ua-Mismatch').
 */
export function parseHeaders(v: string): PofValueName[] | undefined {
  if (v === 'all') return undefined;
  if (v === 'mod_pof') return [...POF_VAR_NAMES];
  if (v === 'none') return [];
  const names = v.split(',').map((w) => w.trim().toLowerCase().replace(/-/g, '_'));
  const out: PofValueName[] = [];
  for (const w of names) {
    const name = w.startsWith('pof_') ? w : w.startsWith('x_pof_') ? w.slice(2) : `pof_${w}`;
    if (!isPofValueName(name)) {
      const all = [...POF_VAR_NAMES, ...POF_EXTRA_NAMES].map((n) => n.slice(4)).join(', ');
      throw new PofError('E_USAGE', `--headers: unknown field '${w}' (known: all, mod_pof, none, ${all})`);
    }
    out.push(name);
  }
  return out;
}

/** "127.0.0.1:8080", "[::1]:8080", ":8080", "8080" -> host (undefined = all) and port. */
export function parseListen(v: string): { host: string | undefined; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(v) ?? /^()()(\d{1,5})$/.exec(v);
  if (!m) throw new PofError('E_USAGE', `--listen wants ADDR:PORT (got '${v}')`);
  const port = Number(m[3]);
  if (port > 65535) throw new PofError('E_USAGE', `--listen: port out of range in '${v}'`);
  const host = m[1] ?? (m[2] || undefined);
  return { host, port };
}

/** --header-timeout, --max-connections, ...: what is given, checked. */
function limitFlags(flags: Map<string, string | true>): ProxyLimitOptions {
  const num = (flag: string, what: string, lo: number, hi: number): number | undefined => {
    if (!flags.has(flag)) return undefined;
    const v = stringFlag(flags, flag) ?? '';
    if (!/^\d+$/.test(v) || Number(v) < lo || Number(v) > hi) throw new PofError('E_USAGE', `--${flag} wants ${what} in ${lo}..${hi} (got '${v}')`);
    return Number(v);
  };
  return {
    headerTimeoutMs: num('header-timeout', 'milliseconds', 1, MAX_HEADER_TIMEOUT_MS),
    maxConnections: num('max-connections', 'a count', 1, MAX_CONNECTIONS),
    maxConnectionsPerClient: num('max-per-client', 'a count', 1, MAX_CONNECTIONS),
    upstreamTimeoutMs: num('upstream-timeout', 'milliseconds', 0, MAX_UPSTREAM_TIMEOUT_MS),
  };
}

/**
 * --proxy-protocol[=MODE], --trusted-proxy, --proxy-header-timeout: the
 * reader's options, checked (undefined without --proxy-protocol). Refused
 * connections are told of on `warn`, at most every LIMIT_WARNING_EVERY_MS.
 */
function proxyProtocolFlags(flags: Map<string, string | true>, warn: (m: string) => void): ProxyProtocolOptions | undefined {
  const v = flags.get('proxy-protocol');
  if (v === undefined) {
    for (const f of ['trusted-proxy', 'proxy-header-timeout']) if (flags.has(f)) throw new PofError('E_USAGE', `--${f} goes with --proxy-protocol`);
    return undefined;
  }
  const mode = v === true ? 'required' : v;
  if (mode !== 'required' && mode !== 'optional') throw new PofError('E_USAGE', `--proxy-protocol wants 'required' (the default) or 'optional', as --proxy-protocol=optional (got '${mode}')`);
  const trustedText = stringFlag(flags, 'trusted-proxy');
  if (!trustedText) throw new PofError('E_USAGE', '--proxy-protocol needs --trusted-proxy CIDR,... (the balancers allowed to send PROXY headers)');
  const trusted = parseCidrList(trustedText);
  if (!trusted.ok) throw new PofError('E_USAGE', `--trusted-proxy: ${trusted.error}`);
  let headerTimeoutMs: number | undefined;
  if (flags.has('proxy-header-timeout')) {
    const t = stringFlag(flags, 'proxy-header-timeout') ?? '';
    if (!/^\d+$/.test(t) || Number(t) < 1 || Number(t) > MAX_PROXY_HEADER_TIMEOUT_MS) {
      throw new PofError('E_USAGE', `--proxy-header-timeout wants milliseconds in 1..${MAX_PROXY_HEADER_TIMEOUT_MS} (got '${t}')`);
    }
    headerTimeoutMs = Number(t);
  }
  let refused = 0;
  // Told at most every LIMIT_WARNING_EVERY_MS per reason, so that clients
  // that went away cannot hide an untrusted peer's refusal.
  const lastWarned = new Map<string, number>();
  return {
    trusted: trusted.list,
    mode,
    headerTimeoutMs,
    onRefused: (r) => {
      refused++;
      const now = performance.now();
      if (now - (lastWarned.get(r.reason) ?? -Infinity) < LIMIT_WARNING_EVERY_MS) return;
      lastWarned.set(r.reason, now);
      warn(`PROXY protocol: ${r.detail}: connection closed (${refused} refused so far)`);
    },
  };
}

export interface RunningProxy {
  readonly address: net.AddressInfo;
  readonly url: string;
  /** Where --http serves /metrics, or null. */
  readonly http: { host: string; port: number } | null;
  /** Where verdicts come from, e.g. 'saved SYNs + daemon /run/pof/pof.sock'. */
  readonly route: string;
  close(): Promise<void>;
}

function readPem(flag: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new PofError('E_USAGE', `--${flag}: cannot read ${file}: ${(e as Error).message}`);
  }
}

/** Starts the proxy from command-line arguments (what runProxy runs until a signal). */
export async function startProxy(argv: string[], stderr: Out): Promise<RunningProxy> {
  const { flags, rest } = parseArgs(argv, FLAGS, 'pof proxy');
  if (rest.length) throw new PofError('E_USAGE', `unexpected argument '${rest[0]}' (see pof proxy --help)`);
  const str = (k: string): string | undefined => stringFlag(flags, k);
  const listenText = str('listen');
  const upstream = str('upstream');
  if (!listenText) throw new PofError('E_USAGE', '--listen ADDR:PORT is required');
  if (!upstream) throw new PofError('E_USAGE', '--upstream URL is required');
  if (!URL.canParse(upstream) || !/^https?:$/.test(new URL(upstream).protocol)) {
    throw new PofError('E_USAGE', `--upstream wants an http:// or https:// URL (got '${upstream}')`);
  }
  const listen = parseListen(listenText);
  const headers = flags.has('headers') ? parseHeaders(str('headers')!) : undefined;
  if (flags.has('s') && flags.has('i')) throw new PofError('E_USAGE', '-s and -i cannot be used together');
  const storeText = str('store');
  if (storeText !== undefined && (flags.has('s') || flags.has('i'))) throw new PofError('E_USAGE', '--store cannot be used with -s or -i');
  if (storeText !== undefined) {
    try {
      parseStoreUrl(storeText, '--store');
    } catch (e) {
      throw isPofError(e) ? new PofError('E_USAGE', e.message) : e;
    }
  }
  const proxyProtocol = proxyProtocolFlags(flags, (m) => stderr.write(`pof proxy: ${m}\n`));
  const httpAt = flags.has('http') ? parseHttpAddress(str('http')!, '--http') : null;
  const certFile = str('tls-cert');
  const keyFile = str('tls-key');
  if (!!certFile !== !!keyFile) throw new PofError('E_USAGE', '--tls-cert and --tls-key go together');
  let timeoutMs: number | undefined;
  if (flags.has('timeout')) {
    const t = str('timeout')!;
    if (!/^\d+$/.test(t) || Number(t) < 1 || Number(t) > MAX_TIMEOUT_MS) throw new PofError('E_USAGE', `--timeout wants milliseconds in 1..${MAX_TIMEOUT_MS} (got '${t}')`);
    timeoutMs = Number(t);
  }
  const limits = limitFlags(flags);
  const wait = str('wait');
  if (wait !== undefined && wait !== 'syn' && wait !== 'http' && wait !== 'none') throw new PofError('E_USAGE', "--wait wants 'syn', 'http' or 'none'");
  const iface = str('i');
  if (flags.has('saved-syn') && flags.has('no-saved-syn')) throw new PofError('E_USAGE', '--saved-syn and --no-saved-syn cannot be used together');
  // With a daemon (or the store), saved SYNs are used where the kernel keeps them.
  const savedSyn = flags.has('saved-syn') || (!iface && !flags.has('no-saved-syn') && savedSynAvailable());
  const dbFile = str('f');
  const batchMs = batchMsFlag(flags);
  if (batchMs !== undefined && !iface) throw new PofError('E_USAGE', '--batch-ms is for -i (a sensor of its own)');
  if (dbFile !== undefined && !iface && !savedSyn) throw new PofError('E_USAGE', '-f is for -i or saved SYNs (the daemon has its own database)');
  const accessLogFile = str('access-log');
  if (!accessLogFile && flags.has('log-format')) throw new PofError('E_USAGE', '--log-format goes with --access-log');

  // Everything is checked: from here on things are opened (and closed again on failure).
  const metrics = httpAt ? new PofMetrics() : null;
  // A daemon that cannot be reached is told once, at start (requests carry X-Pof-Err).
  const pofOpts: PofOptions = { timeoutMs, waitFor: wait as WaitFor | undefined, onWarning: (m) => stderr.write(`pof proxy: ${m}\n`), proxyProtocol };
  const sources: MetricSources = {};
  let capture: LiveCapture | null = null;
  let startSensor: ((port: number) => void) | null = null;
  const db = iface || (savedSyn && dbFile) ? loadSignatures(dbFile) : null;
  if (savedSyn) pofOpts.savedSyn = db ? { db } : true;
  if (iface) {
    const conns = new ConnVerdicts();
    const counts = metrics?.observations;
    const engine = new Engine({ db: db! }, counts ? (o) => (conns.observe(o), counts.observe(o)) : (o) => conns.observe(o));
    engine.addModule(new HttpModule());
    pofOpts.engine = engine;
    pofOpts.conns = conns;
    sources.engine = () => engine.stats;
    sources.capture = () => (capture as LiveCapture | null)?.stats() ?? null;
    sources.tables = () => [
      { table: 'hosts', entries: engine.hosts.size, capacity: DEFAULT_MAX_HOSTS, evicted: engine.hosts.evicted },
      { table: 'flows', entries: engine.flows.size, capacity: DEFAULT_MAX_CONN, evicted: engine.flows.evicted },
      { table: 'conns', entries: conns.size, capacity: conns.capacity, evicted: conns.evicted },
    ];
    startSensor = (port) => {
      capture = openLive({ iface, filter: sensorFilter(port), timeoutMs: batchMs ?? WAITED_LIVE_TIMEOUT_MS });
      capture.onPackets((rec) => engine.handle(rec));
      capture.onError((e) => stderr.write(`pof proxy: ${e.message}\n`));
      if (capture.warning) stderr.write(`pof proxy: ${capture.warning}\n`);
    };
  } else if (storeText !== undefined) {
    const reader = new StoreReader({ url: storeText, password: process.env.POF_STORE_PASSWORD || undefined, onLookup: metrics?.storeLookup });
    pofOpts.store = reader;
    sources.reader = () => ({ up: reader.unavailable() === null, stats: reader.stats });
    // Told once, as a daemon that cannot be reached is (requests carry X-Pof-Err until it answers).
    reader.ready().catch((e: unknown) => {
      if (reader.unavailable() !== 'store closed') stderr.write(`pof proxy: ${(e as Error).message} (requests carry X-Pof-Err until it answers)\n`);
    });
  } else if (flags.has('s') || !flags.has('saved-syn')) {
    pofOpts.socket = str('s') ?? DEFAULT_API_SOCKET;
  }
  const store = pofOpts.store instanceof StoreReader ? pofOpts.store : null;

  let accessLog: AccessLog | undefined;
  let proxy: ReturnType<typeof createPofProxy>;
  try {
    accessLog = accessLogFile ? new AccessLog({ file: accessLogFile, format: str('log-format') ?? 'pof_combined' }) : undefined;
    proxy = createPofProxy({
      upstream,
      pof: pofOpts,
      accessLog,
      headers,
      tls: certFile ? { cert: readPem('tls-cert', certFile), key: readPem('tls-key', keyFile!) } : undefined,
      ...limits,
      onError: (e) => stderr.write(`pof proxy: upstream: ${e.message}\n`),
      onWarning: (m) => stderr.write(`pof proxy: ${m}\n`),
    });
  } catch (e) {
    await store?.close();
    await accessLog?.close();
    throw e;
  }
  const pp = proxy.core.proxyProtocol;
  if (pp) sources.proxyProtocol = () => pp.stats;
  metrics?.setSources(sources);
  const endpoint: HttpEndpoint | null = httpAt && metrics ? createHttpEndpoint({ ...httpAt, metrics, onError: (m) => stderr.write(`pof proxy: ${m}\n`) }) : null;
  const closeAll = async (): Promise<void> => {
    (capture as LiveCapture | null)?.close();
    await endpoint?.close();
    await proxy.close();
    await store?.close();
    await accessLog?.close();
  };
  // With a fixed port the sensor starts first, so that no SYN is missed.
  if (startSensor && listen.port) startSensor(listen.port);
  let address: net.AddressInfo;
  try {
    address = await proxy.listen(listen.port, listen.host);
  } catch (e) {
    await closeAll();
    throw new PofError('E_IO', `cannot listen on ${listenText}: ${(e as Error).message}`);
  }
  if (startSensor && !listen.port) startSensor(address.port);
  let http: { host: string; port: number } | null = null;
  if (endpoint) {
    try {
      http = await endpoint.listen();
    } catch (e) {
      await closeAll();
      throw e;
    }
  }
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `${certFile ? 'https' : 'http'}://${host}:${address.port}`;
  const parts = [
    pp ? `PROXY headers ${pp.mode === 'optional' ? 'optional' : 'required'} from ${str('trusted-proxy')}` : null,
    iface ? `own sensor on ${iface}` : null,
    savedSyn ? 'saved SYNs' : null,
    pofOpts.socket ? `daemon ${pofOpts.socket}` : null,
    store ? `store ${store.conn.url.display}` : null,
  ];
  return {
    address,
    url,
    http,
    route: parts.filter(Boolean).join(' + '),
    close: closeAll,
  };
}

/** `pof proxy ...`: runs until SIGINT / SIGTERM; 0 on a clean stop, 1 on errors, 2 on usage. */
export async function runProxy(argv: string[], stdout: Out, stderr: Out): Promise<number> {
  if (asksHelp(argv, FLAGS)) {
    stdout.write(USAGE);
    return 0;
  }
  let running: RunningProxy;
  try {
    running = await startProxy(argv, stderr);
  } catch (e) {
    if (isPofError(e)) {
      stderr.write(`pof proxy: ${e.message}\n`);
      return e.code === 'E_USAGE' ? 2 : 1;
    }
    throw e;
  }
  const h = running.http;
  const metricsAt = h ? `; metrics at http://${h.host.includes(':') ? `[${h.host}]` : h.host}:${h.port}/metrics` : '';
  stdout.write(`pof proxy: listening on ${running.url} (${running.route})${metricsAt}\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await running.close();
  return 0;
}
