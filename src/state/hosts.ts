/**
 * Host records (p0f's host_data): what is known about one address, kept in
 * a bounded table ordered by last activity. Pure bookkeeping: no sockets.
 */
import { KILL_PERCENT } from '../config.js';
import type { Label } from '../db/types.js';
import type { TcpObservation } from '../fingerprint/tcp.js';
import { parseAddress } from '../net/addr.js';

/**
 * Table key of an address: for IPv4 its 32 bits as a signed integer (a small
 * integer to V8, which Map hashes far faster than an unsigned value above
 * 2^31), for IPv6 32 hex digits.
 */
export type HostKey = number | string;

export function hostKeyOf(buf: Buffer | Uint8Array, off: number, ver: 4 | 6): HostKey {
  if (ver === 4) return (buf[off]! << 24) | (buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!;
  return Buffer.from(buf.buffer, buf.byteOffset + off, 16).toString('hex');
}

export interface Host {
  key: HostKey;
  /** Address as p0f prints it. */
  addr: string;
  ipVer: 4 | 6;
  firstSeen: number;
  lastSeen: number;
  totalConn: number;
  /** Flows that refer to this host; a host in use is never evicted. */
  useCnt: number;
  lastSyn: TcpObservation | null;
  lastSynack: TcpObservation | null;
  /** Label of the last positively matched OS (null: never). */
  lastOs: Label | null;
  /** 0 normal, 1 fuzzy, 2 generic, 3 both (p0f's os_match_q). */
  lastQuality: number;
  lastPort: number;
  /** Hop distance, -1 when unknown. */
  distance: number;
  /** Uptime in minutes, -1 when unknown. */
  lastUpMin: number;
  upModDays: number;
  mtu: number;
  linkType: string | null;
  /**
   * NAT score history of the last NAT_SCORES signatures seen from this host
   * as a client (nat*C) and as a server (nat*S): one 32-bit mask per score
   * threshold (>= 6, >= 3, >= 2, >= 1), newest in bit 0. p0f only ever asks
   * how many recent scores reach each threshold, which these answer.
   */
  natC6: number;
  natC3: number;
  natC2: number;
  natC1: number;
  natS6: number;
  natS3: number;
  natS2: number;
  natS1: number;
  natReasons: number;
  lastNat: number;
  lastChg: number;
  /** HTTP side (filled by the HTTP fingerprinting). */
  httpName: string | null;
  httpFlavor: string | null;
  httpRawSig: string | null;
  language: string | null;
  /** 0 none, 1 OS differs from User-Agent, 2 outright mismatch (p0f's bad_sw). */
  badSw: number;
  /** Last HTTP response/request details kept for NAT scoring (HTTP module). */
  httpExtra: unknown;
  /** By-activity list links (oldest first). */
  older: Host | null;
  newer: Host | null;
}

export interface HostTableOptions {
  maxHosts: number;
  /** Seconds a host may stay idle. */
  idleLimitS: number;
}

export class HostTable {
  private readonly map = new Map<HostKey, Host>();
  private readonly opts: HostTableOptions;
  private oldest: Host | null = null;
  private newest: Host | null = null;
  evicted = 0;

  constructor(opts: HostTableOptions) {
    this.opts = opts;
  }

  get size(): number {
    return this.map.size;
  }

  /** Looks a host up by its address as text (IPv4-mapped IPv6 counts as IPv4). */
  get(addr: string): Host | undefined {
    const p = parseAddress(addr);
    if (!p) return undefined;
    return this.map.get(hostKeyOf(p.bytes, 0, p.ver));
  }

  getByKey(key: HostKey): Host | undefined {
    return this.map.get(key);
  }

  /** Oldest first. */
  *values(): IterableIterator<Host> {
    for (let h = this.oldest; h; h = h.newer) yield h;
  }

  private unlink(h: Host): void {
    if (h.newer) h.newer.older = h.older;
    else this.newest = h.older;
    if (h.older) h.older.newer = h.newer;
    else this.oldest = h.newer;
    h.older = h.newer = null;
  }

  private append(h: Host): void {
    h.newer = null;
    h.older = this.newest;
    if (this.newest) this.newest.newer = h;
    else this.oldest = h;
    this.newest = h;
  }

  private drop(h: Host): void {
    this.unlink(h);
    this.map.delete(h.key);
    this.evicted++;
  }

  /** Moves a host to the newest end and updates last_seen. */
  touch(h: Host, now: number): void {
    if (h !== this.newest) {
      this.unlink(h);
      this.append(h);
    }
    h.lastSeen = now;
  }

  /**
   * Creates a host. When the table is full, the oldest unused tenth is
   * dropped first (beforePrune lets the caller drop old flows so that more
   * hosts become unused, as p0f does).
   */
  create(key: HostKey, addr: string, ipVer: 4 | 6, now: number, beforePrune?: () => void): Host {
    if (this.map.size >= this.opts.maxHosts) {
      beforePrune?.();
      let kill = 1 + Math.floor((this.map.size * KILL_PERCENT) / 100);
      for (let h = this.oldest; h && kill; ) {
        const next = h.newer;
        if (!h.useCnt) {
          this.drop(h);
          kill--;
        }
        h = next;
      }
    }
    const h: Host = {
      key,
      addr,
      ipVer,
      firstSeen: now,
      lastSeen: now,
      totalConn: 0,
      useCnt: 0,
      lastSyn: null,
      lastSynack: null,
      lastOs: null,
      lastQuality: 0,
      lastPort: 0,
      distance: -1,
      lastUpMin: -1,
      upModDays: 0,
      mtu: 0,
      linkType: null,
      natC6: 0,
      natC3: 0,
      natC2: 0,
      natC1: 0,
      natS6: 0,
      natS3: 0,
      natS2: 0,
      natS1: 0,
      natReasons: 0,
      lastNat: 0,
      lastChg: 0,
      httpName: null,
      httpFlavor: null,
      httpRawSig: null,
      language: null,
      badSw: 0,
      httpExtra: null,
      older: null,
      newer: null,
    };
    this.map.set(key, h);
    this.append(h);
    return h;
  }

  /**
   * Drops hosts idle for longer than the limit (oldest first; stops at the
   * first recent one). Times are compared as p0f does, in unsigned 32-bit
   * arithmetic: when a capture's clock jumps back, older entries count as
   * expired.
   */
  expire(now: number): void {
    for (let h = this.oldest; h; ) {
      if ((now - h.lastSeen) >>> 0 <= this.opts.idleLimitS) break;
      const next = h.newer;
      if (!h.useCnt) this.drop(h);
      h = next;
    }
  }
}
