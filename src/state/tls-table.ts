/**
 * The TLS gatherer's own connection table: TCP connections whose first
 * client and server bytes are being read for their hellos. A hash table
 * over the 4-tuple (either direction finds the entry) with a by-age list,
 * bounded: when full, the oldest entry goes. It is not p0f's flow table
 * (state/flows.ts), whose behaviour p0f compatibility fixes: entries here
 * come from any SYN and from any segment that starts a ClientHello record,
 * so that captures that begin mid-connection are read too.
 */
import type { TcpPacket } from '../decode/types.js';
import { tupleHash, type TupleKey } from './flows.js';
import { TlsDir } from './tls-dir.js';


export interface TlsConn {
  ipVer: 4 | 6;
  /** Client and server addresses as 32-bit words (IPv4: c0/s0 only), as in flows.ts. */
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
  /** Seen through encapsulation p0f does not see (VLAN, tunnels). */
  encap: boolean;
  /** Capture time (s) the entry was made. */
  created: number;
  /** Sequence number of the client's SYN, -1 without one (tells a retransmitted SYN from a reused 4-tuple). */
  synSeq: number;
  cli: TlsDir;
  srv: TlsDir | null;
  /** ClientHellos reported. */
  hellos: number;
  /** The server sent a HelloRetryRequest. */
  retry: boolean;
  /** Both sides are read: nothing more is wanted of the connection. */
  finished: boolean;
  bucket: number;
  next: TlsConn | null;
  prev: TlsConn | null;
  older: TlsConn | null;
  newer: TlsConn | null;
}

/** An entry for a connection whose client is the `a` side of k. */
export function newTlsConn(k: TupleKey, now: number): TlsConn {
  return {
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
    encap: k.encap,
    created: now,
    synSeq: -1,
    cli: new TlsDir(),
    srv: null,
    hellos: 0,
    retry: false,
    finished: false,
    bucket: 0,
    next: null,
    prev: null,
    older: null,
    newer: null,
  };
}

/**
 * An entry that left the table, made over for a new connection (the
 * table's oldest, evicted for it: a flood of new connections then
 * allocates nothing). Its assemblies must have been given back.
 */
export function reuseTlsConn(e: TlsConn, k: TupleKey, now: number): TlsConn {
  e.ipVer = k.ipVer;
  e.c0 = k.a0;
  e.c1 = k.a1;
  e.c2 = k.a2;
  e.c3 = k.a3;
  e.s0 = k.b0;
  e.s1 = k.b1;
  e.s2 = k.b2;
  e.s3 = k.b3;
  e.cliPort = k.aPort;
  e.srvPort = k.bPort;
  e.encap = k.encap;
  e.created = now;
  e.synSeq = -1;
  e.cli.reset();
  // A server side made over is as good as none (mode 'wait', start unknown).
  e.srv?.reset();
  e.hellos = 0;
  e.retry = false;
  e.finished = false;
  return e;
}

export class TlsConnTable {
  private readonly buckets: Array<TlsConn | null>;
  private readonly mask: number;
  oldest: TlsConn | null = null;
  private newest: TlsConn | null = null;
  size = 0;
  readonly max: number;
  /** Set by lookup: true when the packet goes client -> server. */
  toSrv = false;

  constructor(max: number) {
    this.max = max;
    let n = 256;
    while (n < max * 2 && n < 1 << 22) n <<= 1;
    this.buckets = new Array<TlsConn | null>(n).fill(null);
    this.mask = n - 1;
  }

  /** The entry of k's connection in either direction (encapsulated or not: one connection). */
  lookup(k: TupleKey): TlsConn | null {
    let e = this.buckets[tupleHash(k) & this.mask] ?? null;
    while (e !== null) {
      if (e.ipVer === k.ipVer) {
        if (e.cliPort === k.aPort && e.srvPort === k.bPort && e.c0 === k.a0 && e.s0 === k.b0 && e.c1 === k.a1 && e.c2 === k.a2 && e.c3 === k.a3 && e.s1 === k.b1 && e.s2 === k.b2 && e.s3 === k.b3) {
          this.toSrv = true;
          return e;
        }
        if (e.cliPort === k.bPort && e.srvPort === k.aPort && e.c0 === k.b0 && e.s0 === k.a0 && e.c1 === k.b1 && e.c2 === k.b2 && e.c3 === k.b3 && e.s1 === k.a1 && e.s2 === k.a2 && e.s3 === k.a3) {
          this.toSrv = false;
          return e;
        }
      }
      e = e.next;
    }
    return null;
  }

  /** Inserts an entry made by newTlsConn(k); the caller makes room first (see full). */
  insert(e: TlsConn, k: TupleKey): void {
    const b = tupleHash(k) & this.mask;
    e.bucket = b;
    e.prev = null;
    e.next = this.buckets[b] ?? null;
    if (e.next !== null) e.next.prev = e;
    this.buckets[b] = e;
    e.newer = null;
    e.older = this.newest;
    if (this.newest !== null) this.newest.newer = e;
    else this.oldest = e;
    this.newest = e;
    this.size++;
  }

  get full(): boolean {
    return this.size >= this.max;
  }

  remove(e: TlsConn): void {
    if (e.next !== null) e.next.prev = e.prev;
    if (e.prev !== null) e.prev.next = e.next;
    else this.buckets[e.bucket] = e.next;
    if (e.newer !== null) e.newer.older = e.older;
    else this.newest = e.older;
    if (e.older !== null) e.older.newer = e.newer;
    else this.oldest = e.newer;
    e.next = e.prev = e.older = e.newer = null;
    this.size--;
  }

  *all(): IterableIterator<TlsConn> {
    for (let e = this.oldest; e !== null; e = e.newer) yield e;
  }
}

function word(b: Buffer, o: number): number {
  return (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
}

/** The packet's 4-tuple, sender as the `a` side. */
export function fillTupleKey(k: TupleKey, pk: TcpPacket): void {
  const b = pk.addr;
  const s = pk.srcOff;
  const d = pk.dstOff;
  k.ipVer = pk.ipVer;
  k.encap = pk.encap > 0;
  k.aPort = pk.sport;
  k.bPort = pk.dport;
  k.a0 = word(b, s);
  k.b0 = word(b, d);
  if (pk.ipVer === 6) {
    k.a1 = word(b, s + 4);
    k.a2 = word(b, s + 8);
    k.a3 = word(b, s + 12);
    k.b1 = word(b, d + 4);
    k.b2 = word(b, d + 8);
    k.b3 = word(b, d + 12);
  } else k.a1 = k.a2 = k.a3 = k.b1 = k.b2 = k.b3 = 0;
}
