/**
 * Host records (p0f's host_data): what is known about one address, kept in
 * a bounded table ordered by last activity. Pure bookkeeping: no sockets.
 */
import { KILL_PERCENT, NAT_SCORES } from '../config.js';
import type { TcpObservation } from '../fingerprint/tcp.js';

export interface Host {
  addr: string;
  ipVer: 4 | 6;
  firstSeen: number;
  lastSeen: number;
  totalConn: number;
  /** Flows that refer to this host; a host in use is never evicted. */
  useCnt: number;
  lastSyn: TcpObservation | null;
  lastSynack: TcpObservation | null;
  /** Last positively matched OS (null: never). */
  lastOs: { cls: string; name: string; flavor: string | null; labelId: number } | null;
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
  cliScores: Uint8Array;
  srvScores: Uint8Array;
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
}

export interface HostTableOptions {
  maxHosts: number;
  /** Seconds a host may stay idle. */
  idleLimitS: number;
}

export class HostTable {
  private readonly map = new Map<string, Host>();
  private readonly opts: HostTableOptions;
  evicted = 0;

  constructor(opts: HostTableOptions) {
    this.opts = opts;
  }

  get size(): number {
    return this.map.size;
  }

  get(addr: string): Host | undefined {
    return this.map.get(addr);
  }

  /** Oldest first. */
  values(): IterableIterator<Host> {
    return this.map.values();
  }

  /** Moves a host to the newest end and updates last_seen. */
  touch(h: Host, now: number): void {
    this.map.delete(h.addr);
    this.map.set(h.addr, h);
    h.lastSeen = now;
  }

  /**
   * Creates a host. When the table is full, the oldest unused tenth is
   * dropped first (beforePrune lets the caller drop old flows so that more
   * hosts become unused, as p0f does).
   */
  create(addr: string, ipVer: 4 | 6, now: number, beforePrune?: () => void): Host {
    if (this.map.size >= this.opts.maxHosts) {
      beforePrune?.();
      let kill = 1 + Math.floor((this.map.size * KILL_PERCENT) / 100);
      for (const h of this.map.values()) {
        if (!kill) break;
        if (h.useCnt) continue;
        this.map.delete(h.addr);
        this.evicted++;
        kill--;
      }
    }
    const h: Host = {
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
      cliScores: new Uint8Array(NAT_SCORES),
      srvScores: new Uint8Array(NAT_SCORES),
      natReasons: 0,
      lastNat: 0,
      lastChg: 0,
      httpName: null,
      httpFlavor: null,
      httpRawSig: null,
      language: null,
      badSw: 0,
      httpExtra: null,
    };
    this.map.set(addr, h);
    return h;
  }

  /**
   * Drops hosts idle for longer than the limit (oldest first; stops at the
   * first recent one). Times are compared as p0f does, in unsigned 32-bit
   * arithmetic: when a capture's clock jumps back, older entries count as
   * expired.
   */
  expire(now: number): void {
    for (const h of this.map.values()) {
      if ((now - h.lastSeen) >>> 0 <= this.opts.idleLimitS) break;
      if (!h.useCnt) {
        this.map.delete(h.addr);
        this.evicted++;
      }
    }
  }
}
