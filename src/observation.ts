/**
 * One finding of the engine, in the shape p0f reports it: a module name, the
 * connection it was seen on, who is described (client or server), and an
 * ordered list of key=value fields. Outputs (console, p0f log, JSON) only
 * format these; they decide nothing.
 */

export type ObservationMod =
  | 'syn'
  | 'syn+ack'
  | 'sendsyn probe'
  | 'sendsyn response'
  | 'mtu'
  | 'uptime'
  | 'host change'
  | 'ip sharing'
  | 'http request'
  | 'http response'
  /** A TLS or QUIC ClientHello (one per hello; subj cli). */
  | 'tls'
  /** What the server's ServerHello chose (version, cipher, ALPN; subj srv). */
  | 'tls server';

/** A field value; null is printed as p0f's "???". */
export type ObservationField = readonly [key: string, value: string | null];

/** The signature a TCP verdict matched: its label, and how it matched. */
export interface TcpMatch {
  name: string;
  flavor: string | null;
  cls: string | null;
  userland: boolean;
  generic: boolean;
  fuzzy: boolean;
}

/** The signature a TCP verdict matched, as outputs and the API report it. */
export interface TcpMatchInfo extends TcpMatch {
  /** Signature line in the database file. */
  line: number;
}

/**
 * What p0f says of one SYN or SYN+ACK. Built by fingerprint/syn-verdict.ts
 * once per distinct packet; the engine's observations (Observation.tcp),
 * the per-connection verdict table and saved SYNs all carry this one
 * object, shared: never to be changed. (A type every layer may name, so
 * it is declared here.)
 */
export interface TcpVerdict {
  /** Matched label, null when no signature matched. */
  match: TcpMatch | null;
  /** "Linux 3.11 and newer", or null. */
  label: string | null;
  /** Hop distance; an upper bound when distUpperBound (random-TTL tools). */
  dist: number;
  distUpperBound: boolean;
  /** p0f's os_match_q: 1 fuzzy, 2 generic. */
  quality: number;
  /** p0f's params and raw_sig (null only where a source did not give them). */
  params: string | null;
  rawSig: string | null;
}

/** The TLS client label of a hello (signatures/tls.fp), as outputs and the API report it. */
export interface TlsClientInfo {
  /** The TLS family ('chromium', 'firefox', 'apple', ...: db/tls-types.ts). */
  family: string;
  /** What users see, e.g. 'Chrome 117 to 130 (Chromium-based)'. */
  name: string;
  /** Entry line in the TLS database file. */
  line: number;
}

/** Typed details for JSON consumers, per module. */
export type ObservationDetail =
  | {
      kind: 'tcp';
      /** Matched label, or null when unknown. */
      match: TcpMatchInfo | null;
      /** Hop distance; for random-TTL tools an upper bound. */
      dist: number;
      /** p0f's os_match_q: 0 exact, 1 fuzzy, 2 generic, 3 both. */
      quality: number;
    }
  | { kind: 'mtu'; mtu: number; link: string | null }
  | { kind: 'uptime'; minutes: number; moduloDays: number; freqHz: number }
  | { kind: 'nat'; reasons: string[]; rawHits: [number, number, number, number] }
  | {
      kind: 'http';
      app: { name: string; flavor: string | null; generic: boolean } | null;
      language: string | null;
      /** p0f's bad_sw after this message: 0 fine, 1 OS differs from UA, 2 mismatch. */
      badSw: number;
    }
  | {
      kind: 'tls';
      transport: 'tcp' | 'quic';
      /** The highest version offered, as JA4 reads it: 'TLS 1.3', 'TLS 1.2', ..., 'SSL 3.0', else '0x' and 4 hex digits. */
      version: string;
      /** The hello's own (legacy) version field, e.g. 0x0303. */
      legacy_version: number;
      /** server_name as sent (latin1, unescaped), or null. */
      sni: string | null;
      /** ALPN values in order as sent (latin1, unescaped), or null without the extension. */
      alpn: string[] | null;
      /** supported_versions in order (GREASE included), or null without the extension. */
      supported_versions: number[] | null;
      /** The client's second hello, after the server's HelloRetryRequest. */
      after_retry: boolean;
      /** JA3's string (its MD5 is fields.ja3). */
      ja3_string: string;
      /** The TLS client label, or null when signatures/tls.fp has no entry for the JA4 (or none is loaded). */
      client: TlsClientInfo | null;
    }
  | {
      kind: 'tls-server';
      transport: 'tcp' | 'quic';
      /** The version the server chose (supported_versions in TLS 1.3): 'TLS 1.3', ... */
      version: string;
      /** The cipher suite chosen, e.g. 0x1301. */
      cipher: number;
      /** The ALPN protocol chosen (latin1, unescaped), or null. */
      alpn: string | null;
      /** A HelloRetryRequest: the server asks the client for another hello. */
      hello_retry_request: boolean;
    };

export interface Observation {
  mod: ObservationMod;
  /** Packet time. */
  tsSec: number;
  tsUsec: number;
  ipVer: 4 | 6;
  cli: string;
  cliPort: number;
  srv: string;
  srvPort: number;
  subj: 'cli' | 'srv';
  /**
   * "cli=IP/PORT|srv=IP/PORT" as p0f's log prints it, when the producer has
   * it at hand (the engine keeps one per connection); outputs build it
   * otherwise.
   */
  conn?: string;
  fields: readonly ObservationField[];
  /**
   * When set, p0f's text formats (console blocks, the -o log) show only the
   * first `textFields` fields; JSON shows them all (TLS: JA4_r, JA4_o and
   * JA4_ro are JSON only).
   */
  textFields?: number;
  /**
   * True when the producer hands the same `fields` list (unchanged, never to
   * be changed) to many observations; outputs may remember what they made of it.
   */
  sharedFields?: boolean;
  /** True when p0f 3.09b could not have seen this (VLAN, tunnel, ...). */
  encap: boolean;
  detail?: ObservationDetail;
  /**
   * The verdict itself on syn, syn+ack and sendsyn observations (with
   * typed details): the same object for every packet alike, never to be
   * changed. `fields` and `detail` are its p0f and JSON lines views.
   */
  tcp?: TcpVerdict;
}

export type ObservationSink = (o: Observation) => void;
