/**
 * Per-connection verdicts: what the engine said about one TCP connection
 * (4-tuple), so that p0f 2 style and JSON connection queries answer for that
 * very connection even when several clients share an address (NAT). Fed
 * from the engine's observations; bounded, least recently updated entries
 * go first. A new SYN on a known 4-tuple starts a new entry (port reuse).
 */
import { PofError } from '../errors.js';
import type { Observation, ObservationMod, TcpVerdict } from '../observation.js';

import type { TlsClientInfo } from '../observation.js';

export const DEFAULT_CONN_VERDICTS = 10000;
export const MAX_CONN_VERDICTS = 1_000_000;

/** A side's TCP verdict: the engine's own object (fingerprint/syn-verdict.ts), kept as it is. */
export type { TcpVerdict } from '../observation.js';

export interface HttpVerdict {
  app: { name: string; flavor: string | null; generic: boolean } | null;
  label: string | null;
  language: string | null;
  badSw: number;
  params: string | null;
  rawSig: string | null;
}

/** The client's ClientHello (the last one: after a HelloRetryRequest, the second). */
export interface TlsHelloVerdict {
  transport: 'tcp' | 'quic';
  /** The highest version offered ('TLS 1.3', ...). */
  version: string;
  ja4: string;
  ja3: string;
  /** As sent (latin1), or null. */
  sni: string | null;
  alpn: string[] | null;
  /** The TLS client label (signatures/tls.fp), or null when unknown. */
  client: TlsClientInfo | null;
  afterRetry: boolean;
}

/** What the server's ServerHello chose. */
export interface TlsServerVerdict {
  transport: 'tcp' | 'quic';
  version: string;
  cipher: number;
  alpn: string | null;
  helloRetryRequest: boolean;
}

/** A host's last TLS client (its last ClientHello as a client). */
export interface HostTlsVerdict {
  ja4: string;
  client: TlsClientInfo | null;
  transport: 'tcp' | 'quic';
  sni: string | null;
  /** Packet time (s) of the hello. */
  tsSec: number;
}

export interface SideVerdict {
  tcp: TcpVerdict | null;
  mtu: { mtu: number; link: string | null } | null;
  uptime: { minutes: number; moduloDays: number; freqHz: number } | null;
  http: HttpVerdict | null;
  /** Last NAT / host-change finding about this side. */
  nat: { kind: 'ip sharing' | 'host change'; reasons: string[]; tsSec: number } | null;
  /** The client's side: its ClientHello; the server's: what its ServerHello chose (absent: none seen). */
  tls?: TlsHelloVerdict | TlsServerVerdict | null;
}

export interface ConnVerdict {
  ipVer: 4 | 6;
  cli: string;
  cliPort: number;
  srv: string;
  srvPort: number;
  /** Packet times (seconds) of the first and last observation. */
  firstSeen: number;
  lastSeen: number;
  /** Seen inside VLAN / tunnels (p0f 3.09b would not have). */
  encap: boolean;
  /** True for p0f-sendsyn probes. */
  sendsyn: boolean;
  client: SideVerdict;
  server: SideVerdict;
}

export function connKey(cli: string, cliPort: number, srv: string, srvPort: number): string {
  return `${cli}/${cliPort}>${srv}/${srvPort}`;
}

const emptySide = (): SideVerdict => ({ tcp: null, mtu: null, uptime: null, http: null, nat: null, tls: null });

const NEW_CONN: ReadonlySet<ObservationMod> = new Set<ObservationMod>(['syn', 'sendsyn probe']);

function field(o: Observation, key: string): string | null {
  for (const [k, v] of o.fields) if (k === key) return v;
  return null;
}

/** Told of each connection record an observation changed (see ConnVerdicts.onUpdate). */
export type ConnListener = (v: ConnVerdict) => void;

export class ConnVerdicts {
  private readonly map = new Map<string, ConnVerdict>();
  /** Each client address's last TLS client, bounded as the connections are. */
  private readonly tlsHosts = new Map<string, HostTlsVerdict>();
  private listeners: ConnListener[] = [];
  readonly capacity: number;
  evicted = 0;
  /** TCP observations that matched a signature (for status answers). */
  matched = 0;

  constructor(capacity = DEFAULT_CONN_VERDICTS) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_CONN_VERDICTS) {
      throw new PofError('E_CONFIG', `connection verdict table size must be an integer in 1..${MAX_CONN_VERDICTS} (got ${capacity})`);
    }
    this.capacity = capacity;
  }

  get size(): number {
    return this.map.size;
  }

  /** Records one observation (an ObservationSink; never throws); returns the connection's record, updated. */
  observe(o: Observation): ConnVerdict {
    const key = connKey(o.cli, o.cliPort, o.srv, o.srvPort);
    let v = this.map.get(key);
    if (v && NEW_CONN.has(o.mod)) {
      // A new connection on a reused 4-tuple starts afresh.
      this.map.delete(key);
      v = undefined;
    }
    if (v) {
      this.map.delete(key);
    } else {
      v = {
        ipVer: o.ipVer,
        cli: o.cli,
        cliPort: o.cliPort,
        srv: o.srv,
        srvPort: o.srvPort,
        firstSeen: o.tsSec,
        lastSeen: o.tsSec,
        encap: o.encap,
        sendsyn: false,
        client: emptySide(),
        server: emptySide(),
      };
      if (this.map.size >= this.capacity) this.evictOldest();
    }
    this.map.set(key, v);
    v.lastSeen = o.tsSec;
    if (o.encap) v.encap = true;
    if (o.mod === 'sendsyn probe' || o.mod === 'sendsyn response') v.sendsyn = true;
    apply(o.subj === 'cli' ? v.client : v.server, o, this);
    if (o.mod === 'tls' && v.client.tls && 'ja4' in v.client.tls) this.rememberTls(o.cli, v.client.tls, o.tsSec);
    if (this.listeners.length) this.tell(v);
    return v;
  }

  /**
   * Calls `fn` with the connection's record after each observation that
   * updates it (on the packet path: `fn` should only take note, and a throw
   * is swallowed). Returns what stops it.
   */
  onUpdate(fn: ConnListener): () => void {
    this.listeners = [...this.listeners, fn];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== fn);
    };
  }

  private tell(v: ConnVerdict): void {
    for (const fn of this.listeners) {
      try {
        fn(v);
      } catch {
        // A listener's fault is not the packet's.
      }
    }
  }

  /**
   * Drops the least recently updated tenth in one pass. (Dropping one entry
   * per insert would make every insert walk the holes that earlier deletes
   * left at the front of the Map.)
   */
  private evictOldest(): void {
    let n = Math.max(1, Math.floor(this.capacity / 10));
    for (const k of this.map.keys()) {
      this.map.delete(k);
      this.evicted++;
      if (--n === 0) break;
    }
  }

  private rememberTls(addr: string, t: TlsHelloVerdict, tsSec: number): void {
    const m = this.tlsHosts;
    if (!m.delete(addr) && m.size >= this.capacity) {
      let n = Math.max(1, Math.floor(this.capacity / 10));
      for (const k of m.keys()) {
        m.delete(k);
        if (--n === 0) break;
      }
    }
    m.set(addr, { ja4: t.ja4, client: t.client, transport: t.transport, sni: t.sni, tsSec });
  }

  /** The last TLS client seen from an address (pof's canonical text, as addrToString gives it). */
  hostTls(addr: string): HostTlsVerdict | undefined {
    return this.tlsHosts.get(addr);
  }

  get(cli: string, cliPort: number, srv: string, srvPort: number): ConnVerdict | undefined {
    return this.map.get(connKey(cli, cliPort, srv, srvPort));
  }

  /** Oldest (least recently updated) first. */
  values(): IterableIterator<ConnVerdict> {
    return this.map.values();
  }

  clear(): void {
    this.map.clear();
    this.tlsHosts.clear();
  }
}

function apply(side: SideVerdict, o: Observation, counter: { matched: number }): void {
  const d = o.detail;
  switch (o.mod) {
    case 'syn':
    case 'syn+ack':
    case 'sendsyn probe':
    case 'sendsyn response': {
      // The verdict itself (shared by every packet alike), not a copy.
      const t = o.tcp;
      if (!t) return;
      if (t.match) counter.matched++;
      side.tcp = t;
      return;
    }
    case 'mtu':
      if (d && d.kind === 'mtu') side.mtu = { mtu: d.mtu, link: d.link };
      return;
    case 'uptime':
      if (d && d.kind === 'uptime') side.uptime = { minutes: d.minutes, moduloDays: d.moduloDays, freqHz: d.freqHz };
      return;
    case 'http request':
    case 'http response': {
      if (!d || d.kind !== 'http') return;
      const a = d.app;
      side.http = {
        app: a ? { name: a.name, flavor: a.flavor, generic: a.generic } : null,
        label: a ? (a.flavor ? `${a.name} ${a.flavor}` : a.name) : null,
        language: d.language,
        badSw: d.badSw,
        params: field(o, 'params'),
        rawSig: field(o, 'raw_sig'),
      };
      return;
    }
    case 'ip sharing':
    case 'host change':
      side.nat = { kind: o.mod, reasons: d && d.kind === 'nat' ? [...d.reasons] : [], tsSec: o.tsSec };
      return;
    case 'tls':
      if (!d || d.kind !== 'tls') return;
      side.tls = {
        transport: d.transport,
        version: d.version,
        ja4: field(o, 'ja4') ?? '',
        ja3: field(o, 'ja3') ?? '',
        sni: d.sni,
        alpn: d.alpn,
        client: d.client,
        afterRetry: d.after_retry,
      };
      return;
    case 'tls server':
      if (!d || d.kind !== 'tls-server') return;
      side.tls = { transport: d.transport, version: d.version, cipher: d.cipher, alpn: d.alpn, helloRetryRequest: d.hello_retry_request };
      return;
    default: {
      const never: never = o.mod;
      void never;
    }
  }
}
