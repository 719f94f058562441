/**
 * Remembered TCP verdicts. Real traffic repeats a small number of distinct
 * SYNs (one per OS version and network path), so the verdict and the text
 * p0f prints for it (raw_sig, params) are kept, keyed by every packet field
 * they depend on, and reused. Bounded: when full, it starts over.
 */
import type { TcpSignature } from '../db/types.js';
import { SPECIAL_MSS } from '../config.js';
import { TcpFlag, type TcpPacket } from '../decode/types.js';
import { matchTcp, tcpParams, tcpRawSig, type TcpObservation, type TcpSigIndex } from './tcp.js';

interface Entry {
  optKey: string;
  n1: number;
  n2: number;
  n3: number;
  n4: number;
  matched: TcpSignature | null;
  fuzzy: boolean;
  dist: number;
  rawSig: string;
  params: string;
  /** What the engine made of this verdict (its field list), kept for the next hit. */
  memo: unknown;
}

const MAX_ENTRIES = 4096;

function mix(h: number, v: number): number {
  h = Math.imul(h ^ v, 0x9e3779b1);
  return h ^ (h >>> 15);
}

export class TcpVerdictCache {
  private map = new Map<number, Entry[]>();
  private size = 0;
  hits = 0;
  misses = 0;

  clear(): void {
    this.map = new Map();
    this.size = 0;
  }

  /**
   * Fills o.matched/fuzzy/dist as matchTcp would, and returns the entry
   * holding raw_sig and params text for this packet.
   */
  verdict(idx: TcpSigIndex, o: TcpObservation, pk: TcpPacket, synMss: number): { rawSig: string; params: string; memo: unknown } {
    const special = pk.mss === SPECIAL_MSS && pk.tcpType === (TcpFlag.SYN | TcpFlag.ACK) ? 1 : 0;
    const n1 = (o.ttl | (o.ipOptLen << 8) | (o.eolPad << 16) | (o.wscale << 24)) >>> 0;
    const n2 = (o.mss | (o.win << 16)) >>> 0;
    const n3 = (o.quirks | (o.payClass << 17) | ((o.ts1 ? 1 : 0) << 18) | ((o.ipVer === 6 ? 1 : 0) << 19) | (pk.tos << 20) | (special << 28)) >>> 0;
    const n4 = ((o.totHdr & 0xffff) | (synMss << 16)) >>> 0;
    const h = mix(mix(mix(mix(o.optKey.length, n1), n2), n3), n4);
    const list = this.map.get(h);
    if (list) {
      for (const e of list) {
        if (e.n1 === n1 && e.n2 === n2 && e.n3 === n3 && e.n4 === n4 && e.optKey === o.optKey) {
          this.hits++;
          o.matched = e.matched;
          o.fuzzy = e.fuzzy;
          o.dist = e.dist;
          return e;
        }
      }
    }
    this.misses++;
    matchTcp(idx, o, synMss);
    const e: Entry = {
      optKey: o.optKey,
      n1,
      n2,
      n3,
      n4,
      matched: o.matched,
      fuzzy: o.fuzzy,
      dist: o.dist,
      rawSig: tcpRawSig(pk, o, synMss),
      params: tcpParams(o, pk.tos),
      memo: null,
    };
    if (this.size >= MAX_ENTRIES) this.clear();
    const l = this.map.get(h);
    if (l) l.push(e);
    else this.map.set(h, [e]);
    this.size++;
    return e;
  }
}
