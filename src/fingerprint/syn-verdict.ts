/**
 * One SYN verdict. What p0f says of a SYN or SYN+ACK (a TcpVerdict: the
 * label, how it matched, the distance, params and raw_sig) is built here,
 * once per distinct packet, and every part of pof takes that one object:
 *
 *   the engine       TcpVerdictCache.verdict() on each SYN and SYN+ACK;
 *                    an observation's fields and detail are views of it,
 *                    and the observation carries it (Observation.tcp)
 *   the connection   state/conn-verdicts.ts keeps it as it is
 *   table
 *   saved SYNs       SynFingerprinter.fingerprint(): the kernel's saved
 *                    headers in, a SynVerdict (the same TcpVerdict, with
 *                    the MTU) out
 *
 * Remembered: real traffic repeats a small number of distinct SYNs (one
 * per OS version and network path), so the verdict is kept, keyed by
 * every packet field it depends on, and handed out again. Bounded: when
 * full, the cache starts over. Pure: no I/O, no clock.
 */
import { SPECIAL_MSS } from '../config.js';
import type { SignatureDb, TcpSignature } from '../db/types.js';
import { LinkType } from '../decode/constants.js';
import { decodePacket } from '../decode/packet.js';
import { newTcpPacket, TcpFlag, type TcpPacket } from '../decode/types.js';
import type { PacketRecord } from '../capture/types.js';
import type { TcpMatch, TcpVerdict } from '../observation.js';
import { buildMtuIndex, mtuFromMss, type MtuIndex } from './mtu.js';
import { buildTcpIndex, labelText, matchQuality, matchTcp, observeTcp, tcpParams, tcpRawSig, type TcpObservation, type TcpSigIndex } from './tcp.js';

export type { TcpMatch, TcpVerdict } from '../observation.js';

/**
 * p0f's verdict on a matched observation (matchTcp has filled `o`): what
 * every consumer of a SYN or SYN+ACK verdict gets. Made once per cache
 * entry; the object is shared, never to be changed.
 */
export function tcpVerdictOf(o: TcpObservation, pk: TcpPacket, synMss: number): TcpVerdict {
  const m = o.matched;
  const match: TcpMatch | null = m
    ? { name: m.label.name, flavor: m.label.flavor, cls: m.label.cls, userland: m.label.cls === null, generic: m.label.generic, fuzzy: o.fuzzy }
    : null;
  return {
    match,
    label: m ? labelText(m) : null,
    dist: o.dist,
    distUpperBound: m !== null && m.badTtl,
    quality: matchQuality(o),
    params: tcpParams(o, pk.tos),
    rawSig: tcpRawSig(pk, o, synMss),
  };
}

/** One remembered verdict. */
export interface TcpVerdictEntry {
  readonly verdict: TcpVerdict;
  /** The signature it matched (its line, for the engine's detail), or null. */
  readonly sig: TcpSignature | null;
  /** What the cache's user made of this verdict, kept for the next hit (null at first). */
  memo: unknown;
}

interface Entry extends TcpVerdictEntry {
  optKey: string;
  n1: number;
  n2: number;
  n3: number;
  n4: number;
  fuzzy: boolean;
  dist: number;
}

const MAX_ENTRIES = 4096;

function mix(h: number, v: number): number {
  h = Math.imul(h ^ v, 0x9e3779b1);
  return h ^ (h >>> 15);
}

/** Remembered TCP verdicts of one direction (SYNs, or SYN+ACKs) against one database. */
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
   * The verdict on a decoded SYN or SYN+ACK: fills o.matched/fuzzy/dist as
   * matchTcp would, and returns the entry holding the verdict (the same
   * entry for every packet alike).
   */
  verdict(idx: TcpSigIndex, o: TcpObservation, pk: TcpPacket, synMss: number): TcpVerdictEntry {
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
          o.matched = e.sig;
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
      sig: o.matched,
      fuzzy: o.fuzzy,
      dist: o.dist,
      verdict: tcpVerdictOf(o, pk, synMss),
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

/** A saved SYN's MTU and the link type the database names for it. */
export interface MtuVerdict {
  mtu: number;
  link: string | null;
}

/** The verdict of one saved SYN: the TCP verdict, and the MTU its MSS gives (null without an MSS). */
export interface SynVerdict {
  tcp: TcpVerdict;
  mtu: MtuVerdict | null;
}

export type SynOutcome = { ok: true; verdict: SynVerdict } | { ok: false; reason: string };

/**
 * Matches saved SYNs (the kernel's TCP_SAVE_SYN headers) against a
 * signature database: the engine's decoder and verdict cache, without its
 * tables. One instance may be shared; not reentrant (it reuses one
 * decoded-packet view). SYNs alike in every field the verdict depends on
 * (as a client's connections are) get the same SynVerdict object: it is
 * shared, not to be changed.
 */
export class SynFingerprinter {
  private readonly tcpIdx: TcpSigIndex;
  private readonly mtuIdx: MtuIndex;
  private readonly cache = new TcpVerdictCache();
  private readonly pk: TcpPacket = newTcpPacket();
  private readonly rec: PacketRecord = { linkType: LinkType.RAW, tsSec: 0, tsUsec: 0, data: Buffer.alloc(0), offset: 0, caplen: 0, wirelen: 0 };

  constructor(db: SignatureDb) {
    this.tcpIdx = buildTcpIndex(db.tcpRequest);
    this.mtuIdx = buildMtuIndex(db.mtu);
  }

  /**
   * The verdict for saved SYN headers (IP header first), or a reason why
   * there is none. `nowMs` is the packet time; no verdict depends on it.
   */
  fingerprint(bytes: Buffer, nowMs = 0): SynOutcome {
    let data = bytes;
    let hadPayload = false;
    // The kernel saves headers only; a SYN carrying data (TCP Fast Open)
    // claims more bytes than that. Tell the decoder the truth, and keep
    // the fact that there was a payload.
    if (data.length >= 20 && data[0]! >> 4 === 4) {
      if (data.readUInt16BE(2) > data.length) {
        data = Buffer.from(data);
        data.writeUInt16BE(data.length, 2);
        hadPayload = true;
      }
    } else if (data.length >= 40 && data[0]! >> 4 === 6) {
      if (data.readUInt16BE(4) + 40 > data.length) {
        data = Buffer.from(data);
        data.writeUInt16BE(data.length - 40, 4);
        hadPayload = true;
      }
    }
    const rec = this.rec;
    rec.data = data;
    rec.caplen = rec.wirelen = data.length;
    rec.tsSec = Math.floor(nowMs / 1000);
    rec.tsUsec = (nowMs % 1000) * 1000;
    const pk = this.pk;
    const outcome = decodePacket(rec, pk);
    rec.data = EMPTY;
    if (outcome !== 'ok') return { ok: false, reason: `saved SYN not decoded (${outcome})` };
    if (pk.tcpType !== TcpFlag.SYN) return { ok: false, reason: 'saved headers are not a SYN' };
    // The scratch view is ours: let it say that the SYN carried data, so
    // that matching (pclass) and raw_sig ('+') both see it.
    if (hadPayload && !pk.payLen) pk.payLen = 1;
    const e = this.cache.verdict(this.tcpIdx, observeTcp(pk, nowMs), pk, 0);
    // The MSS and IP version are part of the entry's key: its MTU is the same for every hit.
    if (e.memo) return e.memo as SynOutcome;
    const mtu = pk.mss ? mtuFromMss(pk.mss, pk.ipVer) : 0;
    const out: SynOutcome = { ok: true, verdict: { tcp: e.verdict, mtu: mtu ? { mtu, link: this.mtuIdx.get(mtu) ?? null } : null } };
    e.memo = out;
    return out;
  }
}

const EMPTY = Buffer.alloc(0);
