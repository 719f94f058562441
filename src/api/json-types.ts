/**
 * The shapes of the JSON lines protocol, as both ends see them: the host,
 * connection and status records, the answer objects, and the watch's
 * "until". The server's codec (json.ts), the compact form (compact.ts) and
 * the client (client.ts) import them from here, and none from another.
 * Types and one guard; no I/O. See README.md beside this file.
 */

/** What pof knows about a host (answer to {"addr":...}). Times are unix seconds. */
export interface JsonHost {
  addr: string;
  ip_version: 4 | 6;
  first_seen: number;
  last_seen: number;
  total_conn: number;
  /** Last positively matched OS (kept when later SYNs are unknown, as p0f). */
  os: { name: string; flavor: string | null; class: string | null; label: string; fuzzy: boolean; generic: boolean } | null;
  /** p0f's os_match_q: 1 fuzzy, 2 generic. */
  os_match_q: number;
  http: { name: string; flavor: string | null; label: string } | null;
  /** 0 fine, 1 OS differs from the User-Agent, 2 fake User-Agent. */
  bad_sw: number;
  language: string | null;
  distance: number | null;
  link: string | null;
  mtu: number | null;
  uptime: { minutes: number; modulo_days: number } | null;
  /** Last time IP sharing (NAT) / an OS change was seen; null = never. */
  last_nat: number | null;
  last_chg: number | null;
  /** The host's last TLS client: its last ClientHello's JA4 and label. Null: none seen (absent from older pofs). */
  tls?: JsonHostTls | null;
}

/** A TLS client label (signatures/tls.fp): the family ('chromium', 'firefox', 'apple', ...) and the name shown. */
export interface JsonTlsClient {
  family: string;
  name: string;
}

export interface JsonHostTls {
  ja4: string;
  client: JsonTlsClient | null;
  transport: 'tcp' | 'quic';
  sni: string | null;
  /** Packet time of the hello. */
  time: number;
}

/** A connection's ClientHello (its client side's "tls"). */
export interface JsonTlsHello {
  transport: 'tcp' | 'quic';
  /** The highest version offered: 'TLS 1.3', 'TLS 1.2', ... */
  version: string;
  ja4: string;
  ja3: string;
  /** As sent (latin1 text), or null. */
  sni: string | null;
  alpn: string[] | null;
  client: JsonTlsClient | null;
  /** The second hello, after a HelloRetryRequest. */
  after_retry: boolean;
}

/** What the server's ServerHello chose (its server side's "tls"). */
export interface JsonTlsServer {
  transport: 'tcp' | 'quic';
  version: string;
  cipher: number;
  alpn: string | null;
  hello_retry_request: boolean;
}

export interface JsonSide {
  tcp: {
    label: string | null;
    match: { name: string; flavor: string | null; class: string | null; userland: boolean; generic: boolean; fuzzy: boolean } | null;
    dist: number;
    dist_upper_bound: boolean;
    quality: number;
    params: string | null;
    raw_sig: string | null;
  } | null;
  mtu: { mtu: number; link: string | null } | null;
  uptime: { minutes: number; modulo_days: number; freq_hz: number } | null;
  http: {
    label: string | null;
    app: { name: string; flavor: string | null; generic: boolean } | null;
    language: string | null;
    bad_sw: number;
    params: string | null;
    raw_sig: string | null;
  } | null;
  nat: { kind: 'ip sharing' | 'host change'; reasons: string[]; time: number } | null;
  /** The client side: its ClientHello; the server side: its ServerHello's choices. Null: none seen (absent from older pofs). */
  tls?: JsonTlsHello | JsonTlsServer | null;
}

/** What pof saw on one connection: client = the side that sent the SYN. */
export interface JsonConn {
  ip_version: 4 | 6;
  cli: { addr: string; port: number };
  srv: { addr: string; port: number };
  first_seen: number;
  last_seen: number;
  encap: boolean;
  sendsyn: boolean;
  client: JsonSide;
  server: JsonSide;
}

/** The id a query may carry, echoed in its answer. */
export type WithId = { id?: string | number };
export type JsonAnswerObject = WithId &
  (
    | { status: 'ok'; host: JsonHost; conn?: undefined; server?: undefined }
    | { status: 'ok'; host: JsonHost | null; conn: JsonConn | null; server?: undefined }
    | { status: 'ok'; server: object; host?: undefined; conn?: undefined }
    | { status: 'no match' }
    | { status: 'bad query'; error: string }
  );

/**
 * How long a watching client wants to hear about each connection: until its
 * client's SYN is fingerprinted ('syn'), or its HTTP request too ('http');
 * without it, about every change to the connection's verdict.
 */
export type WatchUntil = 'syn' | 'http';

export function isWatchUntil(v: unknown): v is WatchUntil {
  return v === 'syn' || v === 'http';
}

/** The answer to {"op":"status"} (the "server" record). */
export interface ServerStatus {
  version: string;
  packets: number;
  matched: number;
  hosts: number;
  conns: number;
  fp_checksum: number;
  uptime_s: number;
  clients: {
    active: number;
    pending: number;
    max: number;
    /**
     * Connections pof closed, by why: the waiting queue was full, idle for a
     * waiting one, waited too long for a slot, a query not completed in
     * time, no traffic for the idle timeout, a JSON line too long.
     */
    closed: { refused: number; evicted: number; pending_timeout: number; query_timeout: number; idle_timeout: number; long_line: number };
  };
  queries: { v3: number; v2: number; json: number };
  bad_queries: number;
  /** Clients watching ports now, events sent to them, events they missed (not reading). */
  watch: { clients: number; events: number; dropped: number };
}
