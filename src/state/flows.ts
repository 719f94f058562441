/**
 * Connections being watched (p0f's packet_flow): from the SYN until the
 * handshake and the first application bytes have been seen. A hash table
 * over the 4-tuple (symmetric, so either direction finds the flow) plus a
 * by-age list; both bounded. Lookups build no strings.
 */
import { KILL_PERCENT } from '../config.js';
import type { Host } from './hosts.js';

export interface Flow {
  client: Host;
  server: Host;
  ipVer: 4 | 6;
  /** Client and server addresses as 32-bit words (IPv4: c0/s0 only). */
  c0: number;
  c1: number;
  c2: number;
  c3: number;
  s0: number;
  s1: number;
  s2: number;
  s3: number;
  cliPort: number;
  srvPort: number;
  /** Capture time (s) the flow was created. */
  created: number;
  nextCliSeq: number;
  nextSrvSeq: number;
  acked: boolean;
  sendsyn: boolean;
  /** MSS of the SYN, for SYN+ACK window multiples. */
  synMss: number;
  /** Timestamp clock found for each side: 0 not yet, -1 unusable, else Hz. */
  cliTps: number;
  srvTps: number;
  /**
   * Whether the SYN came through encapsulation p0f does not see. Such flows
   * are kept apart from plain ones with the same 4-tuple (a mirror port may
   * carry one packet both tagged and untagged), so that what p0f sees is
   * tracked exactly as p0f tracks it.
   */
  encap: boolean;
  /** First bytes of each direction for application fingerprinting. */
  request: Buffer | null;
  reqLen: number;
  response: Buffer | null;
  respLen: number;
  /** Application-module state (HTTP). */
  app: unknown;
  /** "cli=IP/PORT|srv=IP/PORT" for log lines, built on first use. */
  connText: string | null;
  // table links
  bucket: number;
  next: Flow | null;
  prev: Flow | null;
  older: Flow | null;
  newer: Flow | null;
}

/** The 4-tuple of a packet, as words; filled by the engine per packet. */
export interface TupleKey {
  ipVer: 4 | 6;
  encap: boolean;
  a0: number;
  a1: number;
  a2: number;
  a3: number;
  b0: number;
  b1: number;
  b2: number;
  b3: number;
  aPort: number;
  bPort: number;
}

/** A new flow for a SYN from the `a` side of k (the client) to the `b` side. */
export function newFlow(client: Host, server: Host, k: TupleKey, now: number, synSeq: number): Flow {
  return {
    client,
    server,
    ipVer: k.ipVer,
    c0: k.a0,
    c1: k.a1,
    c2: k.a2,
    c3: k.a3,
    s0: k.b0,
    s1: k.b1,
    s2: k.b2,
    s3: k.b3,
    cliPort: k.aPort,
    srvPort: k.bPort,
    created: now,
    nextCliSeq: (synSeq + 1) >>> 0,
    nextSrvSeq: 0,
    acked: false,
    sendsyn: false,
    synMss: 0,
    cliTps: 0,
    srvTps: 0,
    encap: k.encap,
    request: null,
    reqLen: 0,
    response: null,
    respLen: 0,
    app: null,
    connText: null,
    bucket: 0,
    next: null,
    prev: null,
    older: null,
    newer: null,
  };
}

function mix(h: number, v: number): number {
  h = Math.imul(h ^ v, 0x9e3779b1);
  return h ^ (h >>> 15);
}

/** Symmetric hash: swapping the ends gives the same bucket. */
export function tupleHash(k: TupleKey): number {
  let ha = mix(mix(mix(mix(0x12345, k.a0), k.a1), k.a2), k.a3);
  ha = mix(ha, k.aPort);
  let hb = mix(mix(mix(mix(0x12345, k.b0), k.b1), k.b2), k.b3);
  hb = mix(hb, k.bPort);
  // Signed: an unsigned value above 2^31 would be a heap number to V8.
  return ha ^ hb;
}

export class FlowTable {
  private readonly buckets: Array<Flow | null>;
  private readonly mask: number;
  private oldest: Flow | null = null;
  private newest: Flow | null = null;
  size = 0;
  evicted = 0;
  readonly maxConn: number;
  /** Set by lookup: true when the packet goes client -> server. */
  toSrv = false;

  constructor(maxConn: number) {
    this.maxConn = maxConn;
    let n = 256;
    while (n < maxConn * 2 && n < 1 << 22) n <<= 1;
    this.buckets = new Array<Flow | null>(n).fill(null);
    this.mask = n - 1;
  }

  lookup(k: TupleKey): Flow | null {
    let f = this.buckets[tupleHash(k) & this.mask] ?? null;
    while (f) {
      if (f.ipVer === k.ipVer && f.encap === k.encap) {
        if (
          f.cliPort === k.aPort &&
          f.srvPort === k.bPort &&
          f.c0 === k.a0 &&
          f.s0 === k.b0 &&
          f.c1 === k.a1 &&
          f.c2 === k.a2 &&
          f.c3 === k.a3 &&
          f.s1 === k.b1 &&
          f.s2 === k.b2 &&
          f.s3 === k.b3
        ) {
          this.toSrv = true;
          return f;
        }
        if (
          f.cliPort === k.bPort &&
          f.srvPort === k.aPort &&
          f.c0 === k.b0 &&
          f.s0 === k.a0 &&
          f.c1 === k.b1 &&
          f.c2 === k.b2 &&
          f.c3 === k.b3 &&
          f.s1 === k.a1 &&
          f.s2 === k.a2 &&
          f.s3 === k.a3
        ) {
          this.toSrv = false;
          return f;
        }
      }
      f = f.next;
    }
    return null;
  }

  /** Inserts a flow built by the caller (client = a side of k). */
  insert(f: Flow, k: TupleKey): void {
    const b = tupleHash(k) & this.mask;
    f.bucket = b;
    f.prev = null;
    f.next = this.buckets[b] ?? null;
    if (f.next) f.next.prev = f;
    this.buckets[b] = f;
    f.newer = null;
    f.older = this.newest;
    if (this.newest) this.newest.newer = f;
    else this.oldest = f;
    this.newest = f;
    this.size++;
  }

  remove(f: Flow): void {
    if (f.next) f.next.prev = f.prev;
    if (f.prev) f.prev.next = f.next;
    else this.buckets[f.bucket] = f.next;
    if (f.newer) f.newer.older = f.older;
    else this.newest = f.older;
    if (f.older) f.older.newer = f.newer;
    else this.oldest = f.newer;
    f.next = f.prev = f.older = f.newer = null;
    f.client.useCnt--;
    f.server.useCnt--;
    f.request = null;
    f.response = null;
    this.size--;
  }

  /** Drops the oldest tenth (p0f's pruning when full). */
  prune(): void {
    let kill = 1 + Math.floor((this.size * KILL_PERCENT) / 100);
    while (kill-- && this.oldest) {
      this.remove(this.oldest);
      this.evicted++;
    }
  }

  /** Drops flows older than maxAge seconds (unsigned 32-bit time difference, as p0f). */
  expire(now: number, maxAgeS: number): void {
    while (this.oldest && (now - this.oldest.created) >>> 0 > maxAgeS) {
      this.remove(this.oldest);
      this.evicted++;
    }
  }

  *all(): IterableIterator<Flow> {
    for (let f = this.oldest; f; f = f.newer) yield f;
  }
}
