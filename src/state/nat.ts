/**
 * NAT and host-change scoring (p0f semantics). Each new signature of a host
 * is compared with the previous one; the differences give a score that is
 * pushed into a short history, and patterns in that history are reported
 * as "host change" (one notable difference) or "ip sharing" (a lasting
 * pattern).
 */
import {
  LOCAL_TTL_LIMIT,
  MAX_NAT_TS,
  MAX_TSCALE,
  MIN_PORT_DROP,
  NAT_SCORES,
  NEAR_TTL_LIMIT,
  SMALL_TTL_CHG,
  TSTAMP_GRACE,
} from '../config.js';
import type { SysEntry } from '../db/types.js';
import { Quirk } from '../decode/types.js';
import type { TcpObservation } from '../fingerprint/tcp.js';
import type { Flow } from './flows.js';
import type { Host } from './hosts.js';

export const NatReason = {
  APP_SIG: 1 << 0,
  OS_SIG: 1 << 1,
  UNK_DIFF: 1 << 2,
  TO_UNK: 1 << 3,
  TS: 1 << 4,
  TTL: 1 << 5,
  PORT: 1 << 6,
  MSS: 1 << 7,
  FUZZY: 1 << 8,
  APP_VIA: 1 << 9,
  APP_DATE: 1 << 10,
  APP_LB: 1 << 11,
  APP_UA: 1 << 12,
} as const;

/** Reason names in the order p0f prints them. */
const REASON_NAMES: ReadonlyArray<readonly [number, string]> = [
  [NatReason.APP_SIG, 'app_vs_os'],
  [NatReason.OS_SIG, 'os_diff'],
  [NatReason.UNK_DIFF, 'sig_diff'],
  [NatReason.TO_UNK, 'x_known'],
  [NatReason.TS, 'tstamp'],
  [NatReason.TTL, 'ttl'],
  [NatReason.PORT, 'port'],
  [NatReason.MSS, 'mtu'],
  [NatReason.FUZZY, 'fuzzy'],
  [NatReason.APP_VIA, 'via'],
  [NatReason.APP_DATE, 'date'],
  [NatReason.APP_LB, 'srv_sig_lb'],
  [NatReason.APP_UA, 'ua_vs_os'],
];

export function reasonNames(reason: number): string[] {
  const out: string[] = [];
  for (const [bit, name] of REASON_NAMES) if (reason & bit) out.push(name);
  return out;
}

/** What a NAT alarm looks like; the engine turns it into an observation. */
export interface NatEvent {
  kind: 'host change' | 'ip sharing';
  reasons: string[];
  rawHits: [number, number, number, number];
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

/** Keeps the newest NAT_SCORES entries of a mask (NAT_SCORES is 32). */
const WINDOW = NAT_SCORES === 32 ? 0xffffffff : (1 << NAT_SCORES) - 1;

/**
 * Pushes a score into the host's history and decides whether it is worth
 * reporting. Returns the event to report, or null.
 */
export function addNatScore(toSrv: boolean, f: Flow, reason: number, score: number, now: number): NatEvent | null {
  const hd = toSrv ? f.client : f.server;
  const b6 = score >= 6 ? 1 : 0;
  const b3 = score >= 3 ? 1 : 0;
  const b2 = score >= 2 ? 1 : 0;
  const b1 = score >= 1 ? 1 : 0;
  let m6: number, m3: number, m2: number, m1: number;
  if (toSrv) {
    m6 = hd.natC6 = ((hd.natC6 << 1) | b6) & WINDOW;
    m3 = hd.natC3 = ((hd.natC3 << 1) | b3) & WINDOW;
    m2 = hd.natC2 = ((hd.natC2 << 1) | b2) & WINDOW;
    m1 = hd.natC1 = ((hd.natC1 << 1) | b1) & WINDOW;
  } else {
    m6 = hd.natS6 = ((hd.natS6 << 1) | b6) & WINDOW;
    m3 = hd.natS3 = ((hd.natS3 << 1) | b3) & WINDOW;
    m2 = hd.natS2 = ((hd.natS2 << 1) | b2) & WINDOW;
    m1 = hd.natS1 = ((hd.natS1 << 1) | b1) & WINDOW;
  }
  hd.natReasons |= reason;
  if (!score) return null;
  const over5 = popcount(m6);
  const over2 = popcount(m3);
  const over1 = popcount(m2);
  const over0 = popcount(m1);
  let kind: NatEvent['kind'];
  if (over5 > 2 || over2 > 4 || over1 > 6 || over0 > 8) {
    kind = 'ip sharing';
    reason = hd.natReasons;
    hd.lastNat = now;
    if (toSrv) hd.natC6 = hd.natC3 = hd.natC2 = hd.natC1 = 0;
    else hd.natS6 = hd.natS3 = hd.natS2 = hd.natS1 = 0;
    hd.natReasons = 0;
  } else {
    if (score === 1) return null;
    kind = 'host change';
    hd.lastChg = now;
  }
  return { kind, reasons: reasonNames(reason), rawHits: [over5, over2, over1, over0] };
}

/** Scores a new SYN / SYN+ACK against the host's previous one and updates the host. */
export function scoreNat(toSrv: boolean, sig: TcpObservation, f: Flow, now: number): NatEvent | null {
  const hd = toSrv ? f.client : f.server;
  const ref = toSrv ? hd.lastSyn : hd.lastSynack;
  let score = 0;
  let reason = 0;
  let diffAlready = false;

  if (!ref) {
    if (sig.matched && hd.lastOs && hd.lastOs.name !== sig.matched.label.name) {
      reason |= NatReason.OS_SIG;
      score += 8;
    }
  } else {
    if (!sig.matched || !ref.matched) {
      const fuzzyQuirks = Quirk.ECN | Quirk.DF | Quirk.NZ_ID | Quirk.ZERO_ID;
      if ((sig.quirks ^ ref.quirks) & ~fuzzyQuirks) {
        reason |= NatReason.UNK_DIFF;
        score += 2;
      } else if (toSrv && sig.optKey !== ref.optKey) {
        reason |= NatReason.UNK_DIFF;
        score += 1;
      }
      if (toSrv && sig.matched !== ref.matched) {
        score += 1;
        reason |= NatReason.TO_UNK;
      }
    } else if (ref.matched.label.name !== sig.matched.label.name) {
      score += 8;
      reason |= NatReason.OS_SIG;
      diffAlready = true;
    } else if (toSrv) {
      if (ref.matched.label.id !== sig.matched.label.id) {
        score += 2;
        reason |= NatReason.OS_SIG;
      } else if (ref.matched.line !== sig.matched.line) {
        score += 1;
        reason |= NatReason.OS_SIG;
      } else if (sig.fuzzy !== ref.fuzzy) {
        score += 1;
        reason |= NatReason.FUZZY;
      }
    }

    if (!diffAlready && sig.matched && hd.lastOs && hd.lastOs.name !== sig.matched.label.name) {
      score += 8;
      reason |= NatReason.OS_SIG;
      diffAlready = true;
    }

    const ttlDiff = sig.ttl - ref.ttl;
    if (
      !diffAlready &&
      ttlDiff &&
      (!sig.matched || !sig.matched.badTtl) &&
      (!ref.matched || !ref.matched.badTtl) &&
      (sig.dist <= NEAR_TTL_LIMIT || ttlDiff > 1)
    ) {
      score += sig.dist > LOCAL_TTL_LIMIT && Math.abs(ttlDiff) <= SMALL_TTL_CHG ? 1 : 4;
      reason |= NatReason.TTL;
    }

    if (toSrv && hd.lastPort && f.cliPort < hd.lastPort && hd.lastPort - f.cliPort >= MIN_PORT_DROP) {
      score += 1;
      reason |= NatReason.PORT;
    }

    if (sig.mss !== ref.mss) {
      score += 1;
      reason |= NatReason.MSS;
    }

    if (score && sig.ts1 && ref.ts1) {
      const msDiff = sig.recvMs - ref.recvMs;
      // p0f's unsigned arithmetic makes a negative interval huge: skipped.
      if (msDiff >= 0 && msDiff < MAX_NAT_TS) {
        const useMs = msDiff < TSTAMP_GRACE ? TSTAMP_GRACE : msDiff;
        const maxTs = Math.floor((useMs * MAX_TSCALE) / 1000);
        const tsDiff = (sig.ts1 - ref.ts1) >>> 0;
        if (tsDiff > maxTs && (msDiff >= TSTAMP_GRACE || (~tsDiff >>> 0) > maxTs)) {
          score += 4;
          reason |= NatReason.TS;
        } else {
          score = Math.floor(score / 2);
        }
      }
    }
  }

  const ev = addNatScore(toSrv, f, reason, score, now);

  if (sig.matched) {
    const l = sig.matched.label;
    hd.lastOs = l;
    hd.lastQuality = (sig.fuzzy ? 1 : 0) | (l.generic ? 2 : 0);
  }
  hd.lastPort = f.cliPort;
  return ev;
}

/** A userland tool was seen: does it fit the host's known OS? */
export function verifyToolClass(toSrv: boolean, f: Flow, sys: readonly SysEntry[], now: number): NatEvent | null {
  const hd: Host = toSrv ? f.client : f.server;
  if (!hd.lastOs) return null;
  const os = hd.lastOs;
  const fits = sys.some((s) => (s.kind === 'class' ? s.cls === os.cls : s.name === os.name));
  return fits ? addNatScore(toSrv, f, 0, 0, now) : addNatScore(toSrv, f, NatReason.APP_SIG, 4, now);
}
