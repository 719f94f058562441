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
  | 'http response';

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
