/**
 * TCP SYN / SYN+ACK fingerprinting with p0f 3.09b's matching rules. Pure:
 * no I/O, no clock; everything comes from the decoded packet.
 */
import { MAX_DIST, MIN_TCP4, MIN_TCP6, SPECIAL_MSS } from '../config.js';
import type { TcpSignature } from '../db/types.js';
import { IPV4_ONLY_QUIRKS, IPV6_ONLY_QUIRKS, Quirk, QUIRK_NAMES, TcpFlag, TcpOpt, type TcpPacket } from '../decode/types.js';

/** What pof keeps of one SYN or SYN+ACK (p0f's tcp_sig of a packet). */
export interface TcpObservation {
  ipVer: 4 | 6;
  ttl: number;
  ipOptLen: number;
  quirks: number;
  optKey: string;
  eolPad: number;
  mss: number;
  win: number;
  wscale: number;
  /** 0: no payload, 1: payload. */
  payClass: 0 | 1;
  totHdr: number;
  ts1: number;
  /** Packet time in milliseconds (from the capture). */
  recvMs: number;
  matched: TcpSignature | null;
  fuzzy: boolean;
  /** Hop distance: from the matched signature's TTL, or guessed. */
  dist: number;
}

/** Signatures of one direction grouped by option layout, file order kept. */
export type TcpSigIndex = Map<string, TcpSignature[]>;

export function buildTcpIndex(sigs: readonly TcpSignature[]): TcpSigIndex {
  const idx: TcpSigIndex = new Map();
  for (const s of sigs) {
    const list = idx.get(s.optKey);
    if (list) list.push(s);
    else idx.set(s.optKey, [s]);
  }
  return idx;
}

/** Distance to the nearest common initial TTL at or above the observed one. */
export function guessDist(ttl: number): number {
  if (ttl <= 32) return 32 - ttl;
  if (ttl <= 64) return 64 - ttl;
  if (ttl <= 128) return 128 - ttl;
  return 255 - ttl;
}

function buildOptKey(layout: Uint8Array, cnt: number): string {
  let k = '';
  for (let i = 0; i < cnt; i++) k += i ? ',' + layout[i] : String(layout[i]);
  return k;
}

/**
 * Layout keys seen before, by a hash of the layout: real traffic uses a
 * few dozen layouts, so the same (internalized) string is handed out again
 * instead of being built per SYN. Bounded; past the bound keys are built.
 */
const KEY_CACHE_MAX = 4096;
const keyCache = new Map<number, { layout: Uint8Array; key: string }[]>();
let keyCacheSize = 0;

export function optKeyOf(layout: Uint8Array, cnt: number): string {
  let h = cnt;
  for (let i = 0; i < cnt; i++) h = Math.imul(h ^ layout[i]!, 0x01000193);
  const list = keyCache.get(h);
  if (list) {
    for (const e of list) {
      if (e.layout.length !== cnt) continue;
      let same = true;
      for (let i = 0; i < cnt; i++) {
        if (e.layout[i] !== layout[i]) {
          same = false;
          break;
        }
      }
      if (same) return e.key;
    }
  }
  const key = buildOptKey(layout, cnt);
  if (keyCacheSize < KEY_CACHE_MAX) {
    const e = { layout: layout.slice(0, cnt), key };
    if (list) list.push(e);
    else keyCache.set(h, [e]);
    keyCacheSize++;
  }
  return key;
}

/** Scratch result of detectWinMulti: whether the multiple is of the MTU. */
const winScratch = { useMtu: false };

/**
 * Is the window a multiple of the MSS (or of something MSS-like, or of the
 * MTU)? Returns the multiplier or -1; sets winScratch.useMtu. The order of
 * the candidates matters and follows p0f.
 */
export function detectWinMulti(o: TcpObservation, synMss: number): number {
  const win = o.win;
  const mss = o.mss;
  winScratch.useMtu = false;
  if (!win || mss < 100) return -1;
  // Candidates in p0f's order; the first divisor of the window wins.
  let div: number;
  if (win % (div = mss) === 0) return win / div;
  if (o.ts1 && win % (div = mss - 12) === 0) return win / div;
  if (win % (div = 1500 - MIN_TCP4) === 0) return win / div;
  if (win % (div = 1500 - MIN_TCP4 - 12) === 0) return win / div;
  if (o.ipVer === 6) {
    if (win % (div = 1500 - MIN_TCP6) === 0) return win / div;
    if (win % (div = 1500 - MIN_TCP6 - 12) === 0) return win / div;
  }
  winScratch.useMtu = true;
  if (win % (div = mss + MIN_TCP4) === 0) return win / div;
  if (win % (div = mss + o.totHdr) === 0) return win / div;
  if (o.ipVer === 6 && win % (div = mss + MIN_TCP6) === 0) return win / div;
  if (win % (div = 1500) === 0) return win / div;
  winScratch.useMtu = false;
  if (synMss) {
    if (win % (div = synMss) === 0) return win / div;
    if (synMss > 12 && win % (div = synMss - 12) === 0) return win / div;
  }
  return -1;
}

export function observeTcp(pk: TcpPacket, recvMs: number): TcpObservation {
  return {
    ipVer: pk.ipVer,
    ttl: pk.ttl,
    ipOptLen: pk.ipOptLen,
    quirks: pk.quirks,
    optKey: optKeyOf(pk.optLayout, pk.optCnt),
    eolPad: pk.optEolPad,
    mss: pk.mss,
    win: pk.win,
    wscale: pk.wscale,
    payClass: pk.payLen ? 1 : 0,
    totHdr: pk.totHdr,
    ts1: pk.ts1,
    recvMs,
    matched: null,
    fuzzy: false,
    dist: 0,
  };
}

/**
 * Find the signature for an observation, as p0f does: the first exact
 * specific match wins; else the first exact generic one; else the first
 * fuzzy one (quirks df/id+ lost or id-/ecn gained, or TTL out of range),
 * except that userland tools never match fuzzily. Fills matched, fuzzy, dist.
 */
export function matchTcp(idx: TcpSigIndex, o: TcpObservation, synMss: number): void {
  const cands = idx.get(o.optKey);
  let fmatch: TcpSignature | null = null;
  let gmatch: TcpSignature | null = null;
  const winMulti = detectWinMulti(o, synMss);
  const useMtu = winScratch.useMtu;
  o.matched = null;
  o.fuzzy = false;
  if (cands) {
    for (let i = 0; i < cands.length; i++) {
      const ref = cands[i]!;
      let fuzzy = false;
      let refQuirks = ref.quirks;
      if (ref.ver === 'any') refQuirks &= o.ipVer === 4 ? ~IPV6_ONLY_QUIRKS : ~(Quirk.DF | Quirk.NZ_ID | Quirk.ZERO_ID);
      if (refQuirks !== o.quirks) {
        const deleted = (refQuirks ^ o.quirks) & refQuirks;
        const added = (refQuirks ^ o.quirks) & o.quirks;
        if (fmatch || deleted & ~(Quirk.DF | Quirk.NZ_ID) || added & ~(Quirk.ZERO_ID | Quirk.ECN)) continue;
        fuzzy = true;
      }
      if (ref.eolPad !== o.eolPad || ref.olen !== o.ipOptLen) continue;
      if (ref.badTtl) {
        if (ref.ittl < o.ttl) continue;
      } else if (ref.ittl < o.ttl || ref.ittl - o.ttl > MAX_DIST) {
        fuzzy = true;
      }
      if (ref.mss !== null && ref.mss !== o.mss) continue;
      if (ref.wscale !== null && ref.wscale !== o.wscale) continue;
      if (ref.pclass !== 'any' && (ref.pclass === 'zero' ? 0 : 1) !== o.payClass) continue;
      const w = ref.win;
      switch (w.kind) {
        case 'value':
          if (w.value !== o.win) continue;
          break;
        case 'mod':
          if (o.win % w.value) continue;
          break;
        case 'mss':
          if (useMtu || w.mult !== winMulti) continue;
          break;
        case 'mtu':
          if (!useMtu || w.mult !== winMulti) continue;
          break;
        case 'any':
          break;
        default: {
          const never: never = w;
          void never;
        }
      }
      if (!fuzzy) {
        if (!ref.label.generic) {
          o.matched = ref;
          o.dist = ref.ittl - o.ttl;
          return;
        }
        if (!gmatch) gmatch = ref;
      } else if (!fmatch) fmatch = ref;
    }
  }
  if (gmatch) {
    o.matched = gmatch;
    o.dist = gmatch.ittl - o.ttl;
    return;
  }
  if (fmatch && fmatch.label.cls === null) {
    // p0f gives up here without guessing: the distance stays 0.
    o.dist = 0;
    return;
  }
  if (!fmatch || fmatch.ittl < o.ttl || (!fmatch.badTtl && fmatch.ittl - o.ttl > MAX_DIST)) o.dist = guessDist(o.ttl);
  else o.dist = fmatch.ittl - o.ttl;
  if (fmatch) {
    o.matched = fmatch;
    o.fuzzy = true;
  }
}

function optName(kind: number, eolPad: number): string {
  switch (kind) {
    case TcpOpt.EOL:
      return 'eol+' + eolPad;
    case TcpOpt.NOP:
      return 'nop';
    case TcpOpt.MSS:
      return 'mss';
    case TcpOpt.WS:
      return 'ws';
    case TcpOpt.SACKOK:
      return 'sok';
    case TcpOpt.SACK:
      return 'sack';
    case TcpOpt.TS:
      return 'ts';
    default:
      return '?' + kind;
  }
}

const quirkTexts = new Map<number, string>();

export function quirksText(q: number): string {
  let s = quirkTexts.get(q);
  if (s === undefined) {
    s = '';
    for (const [bit, name] of QUIRK_NAMES) if (q & bit) s += s ? ',' + name : name;
    if (quirkTexts.size < 4096) quirkTexts.set(q, s);
  }
  return s;
}

/** The packet's own signature in p0f's sig syntax (raw_sig). */
export function tcpRawSig(pk: TcpPacket, o: TcpObservation, synMss: number): string {
  const dist = guessDist(pk.ttl);
  let s = `${pk.ipVer}:${pk.ttl}+${dist > MAX_DIST ? '?' : dist}:${pk.ipOptLen}:`;
  s += pk.mss === SPECIAL_MSS && pk.tcpType === (TcpFlag.SYN | TcpFlag.ACK) ? '*:' : `${pk.mss}:`;
  const m = detectWinMulti(o, synMss);
  s += m > 0 ? `${winScratch.useMtu ? 'mtu' : 'mss'}*${m}` : String(pk.win);
  s += `,${pk.wscale}:`;
  for (let i = 0; i < pk.optCnt; i++) {
    if (i) s += ',';
    s += optName(pk.optLayout[i]!, pk.optEolPad);
  }
  s += ':' + quirksText(pk.quirks) + (pk.payLen ? ':+' : ':0');
  return s;
}

/** p0f's params field for a TCP verdict. */
export function tcpParams(o: TcpObservation, tos: number): string {
  let s = '';
  if (o.matched) {
    if (o.matched.label.generic) s += ' generic';
    if (o.fuzzy) s += ' fuzzy';
    if (o.matched.badTtl) s += ' random_ttl';
  }
  if (o.dist > MAX_DIST) s += ' excess_dist';
  if (tos) s += ' tos:0x' + tos.toString(16).padStart(2, '0');
  return s ? s.slice(1) : 'none';
}

const labelTexts = new WeakMap<object, string>();

/** "Name flavor" as p0f prints a label (built once per label). */
export function labelText(sig: TcpSignature | { label: { name: string; flavor: string | null } }): string {
  const l = sig.label;
  let t = labelTexts.get(l);
  if (t === undefined) {
    t = l.flavor ? `${l.name} ${l.flavor}` : l.name;
    labelTexts.set(l, t);
  }
  return t;
}

/** p0f's match quality bits for the API: 1 fuzzy, 2 generic. */
export function matchQuality(o: TcpObservation): number {
  if (!o.matched) return 0;
  return (o.fuzzy ? 1 : 0) | (o.matched.label.generic ? 2 : 0);
}
