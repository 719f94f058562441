/**
 * The traffic summary as the page reads it: plain JSON, made by
 * TrafficSummary.snapshot(), inlined into the report file or served by the
 * dashboard's data route. Counts are of observations: a connection's SYN,
 * its SYN+ACK, one ClientHello, one verdict.
 */

export interface NamedCount {
  name: string;
  count: number;
}

export interface SignatureRow {
  mod: 'syn' | 'syn+ack';
  /** p0f's raw_sig. */
  raw: string;
  /** The label it matched as the log prints it, or null when unknown. */
  label: string | null;
  count: number;
}

export interface LinkRow {
  mtu: number;
  /** The database's name for the MTU ("Ethernet"), or null. */
  link: string | null;
  clients: number;
  servers: number;
}

export interface MismatchRow {
  reasons: string | null;
  uaOs: string | null;
  os: string | null;
  tls: string | null;
  count: number;
}

export interface RecentMismatch {
  /** Packet time, seconds. */
  ts: number;
  cli: string;
  srv: string;
  srvPort: number;
  reasons: string | null;
  uaOs: string | null;
  os: string | null;
  tls: string | null;
  app: string | null;
}

export interface TimelineSeries {
  name: string;
  counts: number[];
}

export interface ReportData {
  version: 1;
  /** True for the dashboard's last-N-minutes view. */
  live: boolean;
  /** Window length in seconds (live), 0 for the whole capture. */
  windowS: number;
  /** First and last packet time seen (seconds), null before any observation. */
  first: number | null;
  last: number | null;
  totals: {
    observations: number;
    /** Client SYNs fingerprinted: one per connection. */
    syn: number;
    synAck: number;
    /** Distinct client addresses among the SYNs (at most `clientsCap`). */
    clients: number;
    clientsCapped: boolean;
    http: number;
    tls: number;
    verdicts: number;
  };
  /** True when a bounded table had to fold rare keys away: small counts are lower bounds. */
  approximate: boolean;
  /** Client SYNs by OS family, largest first. */
  osFamilies: NamedCount[];
  /** Connections (client SYNs) over time, per OS family (the largest; the rest as "Other"). */
  timeline: { start: number; bucketS: number; series: TimelineSeries[] };
  /** Hop distances: index = hops, value = count; trimmed after the last non-zero one. */
  hops: { clients: number[]; servers: number[] };
  links: LinkRow[];
  /** SYN+ACK labels, largest first. */
  serverStacks: NamedCount[];
  /** Raw signatures: unknown ones first (largest first), then known ones. */
  signatures: SignatureRow[];
  tls: {
    /** TLS client labels, when the TLS layer gives them. */
    clients: NamedCount[];
    /** JA4 fingerprints, largest first. */
    ja4: NamedCount[];
  };
  verdicts: NamedCount[];
  mismatches: MismatchRow[];
  recentMismatches: RecentMismatch[];
}
