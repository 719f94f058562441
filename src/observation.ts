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

/** The signature a TCP verdict matched, as outputs and the API report it. */
export interface TcpMatchInfo {
  name: string;
  flavor: string | null;
  cls: string | null;
  userland: boolean;
  generic: boolean;
  fuzzy: boolean;
  /** Signature line in the database file. */
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
}

export type ObservationSink = (o: Observation) => void;
