/**
 * What HTTP adds to a host's record and to NAT / host-change scoring, with
 * p0f 3.09b's rules (its score_nat for HTTP):
 * - an application signature is checked against the host's OS (app_vs_os);
 * - a server whose response signature changes name or label on the same
 *   port scores srv_sig_lb, one that goes from known to unknown x_known;
 * - an OS signature (p0f's own file has none for HTTP) is compared with
 *   the previous one and with the host's OS;
 * - an honest User-Agent naming another OS than the host's scores ua_vs_os
 *   and marks the host's software as suspect (bad_sw 1);
 * - Via / X-Forwarded-For scores via;
 * - with a merged OS label (one that names two or more families because
 *   their SYNs are byte-identical, e.g. pof.fp's "macOS or iOS"), an
 *   application or User-Agent of one of those families agrees with it: it
 *   adds no NAT score and leaves bad_sw at 0. p0f compares names, which a
 *   merged label can never equal; p0f's own database has no merged labels,
 *   so with it every rule here is p0f's.
 * - two responses whose Date headers drift apart more than the time
 *   between them allows score date.
 */
import { familiesOf, familyOfName, isMerged } from '../db/families.js';
import type { Label, SysEntry } from '../db/types.js';
import type { Flow } from './flows.js';
import type { Host } from './hosts.js';
import { addNatScore, NatReason, verifyToolClass, type NatEvent } from './nat.js';
import { HTTP_MAX_DATE_DIFF } from '../fingerprint/http-date.js';
import type { HttpMessage } from '../fingerprint/http-headers.js';
import { uaOsOf, type CompiledHttpSig, type HttpMatch, type HttpSigIndex } from '../fingerprint/http-sig.js';

/** What p0f keeps of an earlier HTTP signature of a host. */
export interface HttpSigMemo {
  matched: CompiledHttpSig | null;
  date: number;
  recvDate: number;
}

/** Kept in Host.httpExtra. */
export interface HttpHostMemo {
  /** Last request that matched an OS signature. */
  reqOs: HttpSigMemo | null;
  /** Last response, and the server port it came from. */
  resp: HttpSigMemo | null;
  respPort: number;
}

export function hostMemo(h: Host): HttpHostMemo {
  const x = h.httpExtra as HttpHostMemo | null;
  if (x && typeof x === 'object' && 'respPort' in x) return x;
  const m: HttpHostMemo = { reqOs: null, resp: null, respPort: 0 };
  h.httpExtra = m;
  return m;
}

function isApp(rec: CompiledHttpSig): boolean {
  return rec.label.cls === null;
}

/** A merged OS label that names the family of the OS called `name`. */
function mergedNames(os: Label | null, name: string): boolean {
  if (!os || !isMerged(os)) return false;
  const fam = familyOfName(name);
  return fam !== null && familiesOf(os).includes(fam);
}

/** An application's `sys` list names a family of the host's merged OS label. */
function mergedFits(os: Label | null, sys: readonly SysEntry[]): boolean {
  return sys.some((s) => s.kind === 'name' && mergedNames(os, s.name));
}

/**
 * Scores one finished HTTP message and returns the NAT records to report,
 * in order (the tool-class check's first, as p0f prints them). Updates
 * the host's score history and bad_sw; the caller updates the rest.
 */
export function scoreHttpNat(
  toSrv: boolean,
  f: Flow,
  msg: HttpMessage,
  m: HttpMatch | null,
  idx: HttpSigIndex,
  now: number,
): NatEvent[] {
  const events: NatEvent[] = [];
  const hd = toSrv ? f.client : f.server;
  const memo = hostMemo(hd);
  let ref: HttpSigMemo | null;
  if (toSrv) ref = memo.reqOs;
  else ref = memo.respPort === f.srvPort ? memo.resp : null;

  let score = 0;
  let reason = 0;

  if (!m) {
    if (!toSrv && ref?.matched) {
      score += 4;
      reason |= NatReason.TO_UNK;
    }
  } else {
    const rec = m.rec;
    const lastName = hd.lastOs ? hd.lastOs.name : null;
    if (isApp(rec)) {
      const ev = mergedFits(hd.lastOs, rec.label.sys) ? addNatScore(toSrv, f, 0, 0, now) : verifyToolClass(toSrv, f, rec.label.sys, now);
      if (ev) events.push(ev);
      if (!toSrv && ref?.matched) {
        if (ref.matched.label.name !== rec.label.name) {
          score += 8;
          reason |= NatReason.APP_LB;
        } else if (ref.matched.label.id !== rec.label.id) {
          score += 2;
          reason |= NatReason.APP_LB;
        }
      }
    } else {
      let diffAlready = false;
      if (ref?.matched) {
        if (ref.matched.label.name !== rec.label.name) {
          score += 8;
          reason |= NatReason.OS_SIG;
          diffAlready = true;
        } else if ((idx.nameIds.get(ref.matched.label.name) ?? -1) !== rec.label.id) {
          // p0f compares the earlier signature's name id with this one's
          // label id here; kept as it is.
          score += 2;
          reason |= NatReason.OS_SIG;
        }
      } else if (ref) {
        score += 4;
        reason |= NatReason.TO_UNK;
      }
      if (!diffAlready && lastName !== rec.label.name) {
        score += 4;
        reason |= NatReason.OS_SIG;
      }
    }

    if (toSrv && isApp(rec) && msg.sw !== null && !m.dishonest) {
      const ua = uaOsOf(idx, msg.sw);
      if (ua) {
        if (ua.name !== lastName && !mergedNames(hd.lastOs, ua.name)) {
          score += 4;
          reason |= NatReason.APP_UA;
          if (!hd.badSw) hd.badSw = 1;
        } else {
          hd.badSw = 0;
        }
      }
    }
  }

  if (msg.via !== null) {
    score += 8;
    reason |= NatReason.APP_VIA;
  }

  if (ref && !toSrv && ref.date && msg.date) {
    const recvDiff = msg.recvDate - ref.recvDate;
    const hdrDiff = msg.date - ref.date;
    if (hdrDiff < -HTTP_MAX_DATE_DIFF || hdrDiff > recvDiff + HTTP_MAX_DATE_DIFF) {
      score += 4;
      reason |= NatReason.APP_DATE;
    }
  }

  // p0f's score is a byte.
  const ev = addNatScore(toSrv, f, reason, score & 0xff, now);
  if (ev) events.push(ev);
  return events;
}

/** Records what p0f keeps about the host after an HTTP message. */
export function rememberHttp(toSrv: boolean, f: Flow, msg: HttpMessage, m: HttpMatch | null, language: string | null, rawSig: string): void {
  const hd = toSrv ? f.client : f.server;
  const memo = hostMemo(hd);
  hd.httpRawSig = rawSig;
  if (language !== null) hd.language = language;
  const keep: HttpSigMemo = { matched: m ? m.rec : null, date: msg.date, recvDate: msg.recvDate };
  if (!toSrv) {
    memo.resp = keep;
    memo.respPort = f.srvPort;
  }
  if (!m) return;
  const l = m.rec.label;
  if (l.cls !== null) {
    if (toSrv) memo.reqOs = keep;
    hd.lastOs = l;
    hd.lastQuality = l.generic ? 2 : 0;
  } else {
    hd.httpName = l.name;
    hd.httpFlavor = l.flavor;
    if (m.dishonest) hd.badSw = 2;
  }
}
