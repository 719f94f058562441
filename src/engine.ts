/**
 * The engine: packets in, observations out. It decodes each packet, keeps
 * the connection and host tables, and runs the fingerprinting modules at
 * the points of a TCP conversation where p0f 3.09b runs them, so that the
 * same capture gives the same records. Time is the packets' time.
 */
import type { PacketRecord } from './capture/types.js';
import {
  DEFAULT_CONN_MAX_AGE_S,
  DEFAULT_HOST_IDLE_MIN,
  DEFAULT_MAX_CONN,
  DEFAULT_MAX_HOSTS,
  EXPIRE_INTERVAL,
  MAX_FLOW_DATA,
  SPECIAL_MSS,
  SPECIAL_WIN,
} from './config.js';
import type { SignatureDb, TcpSignature } from './db/types.js';
import { decodeFrame, IpProto, newDecodeState } from './decode/index.js';
import { TcpFlag, type DropReason, type TcpPacket } from './decode/types.js';
import { buildMtuIndex, mtuFromMss, type MtuIndex } from './fingerprint/mtu.js';
import { TcpVerdictCache, type TcpVerdict } from './fingerprint/syn-verdict.js';
import { buildTcpIndex, observeTcp, type TcpObservation, type TcpSigIndex } from './fingerprint/tcp.js';
import { computeUptime, freqText, uptimeText } from './fingerprint/uptime.js';
import type { Observation, ObservationDetail, ObservationField, ObservationMod, ObservationSink } from './observation.js';
import { addrToString } from './net/addr.js';
import { FlowTable, newFlow, type Flow, type TupleKey } from './state/flows.js';
import { HostTable, hostKeyOf, type Host } from './state/hosts.js';
import type { AppModule, EngineContext } from './state/module.js';
import { TlsModule } from './state/tls-module.js';
import { newTlsStats } from './state/tls-report.js';
import type { TlsDb } from './db/tls-types.js';
import { scoreNat, verifyToolClass, type NatEvent } from './state/nat.js';

const COUNTED_DROPS: ReadonlySet<DropReason> = new Set<DropReason>(['bad-tcp-flags', 'bad-tcp-header', 'fragment', 'ip-length']);

export interface EngineOptions {
  db: SignatureDb;
  /** -m c: most connections tracked at once. */
  maxConn?: number;
  /** -m h: most hosts remembered. */
  maxHosts?: number;
  /** -t c: seconds a connection is watched. */
  connMaxAgeS?: number;
  /** -t h: minutes an idle host is remembered. */
  hostIdleMin?: number;
  /**
   * Attach typed `detail` to observations (for JSON output and the API's
   * per-connection table). Off saves allocations when only p0f's text
   * formats are written (a TLS record then has JA4 without its variants,
   * which only JSON shows). Default true.
   */
  details?: boolean;
  /**
   * TLS and QUIC ClientHellos (and the ServerHello's choices), read in
   * tables of their own: on unless false. `tlsDb` labels the hellos: the
   * shipped signatures/tls.fp unless given, null for no labels.
   */
  tls?: boolean;
  tlsDb?: TlsDb | null;
}

export type { AppModule, EngineContext, PacketModule } from './state/module.js';

export interface EngineStats {
  packets: number;
  tcp: number;
  encap: number;
  drops: Partial<Record<DropReason, number>>;
  observations: number;
  encapObservations: number;
  /** ClientHellos, ServerHellos and what was dropped on the way (zeros with TLS off). */
  tls: TlsModule['stats'];
}

export class Engine implements EngineContext {
  private db: SignatureDb;
  private tcpIdx: { request: TcpSigIndex; response: TcpSigIndex };
  private mtuIdx: MtuIndex;
  private readonly tcpCacheReq = new TcpVerdictCache();
  private readonly tcpCacheResp = new TcpVerdictCache();
  /** Shared mtu field lists by MTU (the link follows from the database). */
  private readonly mtuFields = new Map<number, ObservationField[]>();
  readonly flows: FlowTable;
  readonly hosts: HostTable;
  private readonly connMaxAgeS: number;
  readonly details: boolean;
  private readonly sink: ObservationSink;
  private readonly dec = newDecodeState();
  private readonly pk: TcpPacket = this.dec.tcp;
  readonly key: TupleKey = { ipVer: 4, encap: false, a0: 0, a1: 0, a2: 0, a3: 0, b0: 0, b1: 0, b2: 0, b3: 0, aPort: 0, bPort: 0 };
  private readonly apps: AppModule[] = [];
  private counted = 0;
  private lastExpire = -1;
  now = 0;
  private nowUsec = 0;
  private nowMs = 0;
  readonly stats: EngineStats;
  /** The TLS module, null with `tls: false`. */
  readonly tls: TlsModule | null;

  constructor(opts: EngineOptions, sink: ObservationSink) {
    this.db = opts.db;
    this.tcpIdx = { request: buildTcpIndex(opts.db.tcpRequest), response: buildTcpIndex(opts.db.tcpResponse) };
    this.mtuIdx = buildMtuIndex(opts.db.mtu);
    this.flows = new FlowTable(opts.maxConn ?? DEFAULT_MAX_CONN);
    this.hosts = new HostTable({
      maxHosts: opts.maxHosts ?? DEFAULT_MAX_HOSTS,
      idleLimitS: (opts.hostIdleMin ?? DEFAULT_HOST_IDLE_MIN) * 60,
    });
    this.connMaxAgeS = opts.connMaxAgeS ?? DEFAULT_CONN_MAX_AGE_S;
    this.details = opts.details ?? true;
    this.sink = sink;
    this.tls = opts.tls === false ? null : new TlsModule({ db: opts.tlsDb, maxAgeS: this.connMaxAgeS });
    this.stats = { packets: 0, tcp: 0, encap: 0, drops: {}, observations: 0, encapObservations: 0, tls: this.tls?.stats ?? newTlsStats() };
  }

  addModule(m: AppModule): void {
    m.setDb(this.db);
    this.apps.push(m);
  }

  /** Swap the signature database; hosts and flows are kept. */
  setDb(db: SignatureDb): void {
    this.db = db;
    this.tcpIdx = { request: buildTcpIndex(db.tcpRequest), response: buildTcpIndex(db.tcpResponse) };
    this.mtuIdx = buildMtuIndex(db.mtu);
    this.tcpCacheReq.clear();
    this.tcpCacheResp.clear();
    this.mtuFields.clear();
    for (const m of this.apps) m.setDb(db);
  }

  get signatures(): SignatureDb {
    return this.db;
  }

  /** Processes one captured packet. Never throws on packet data. */
  handle(rec: PacketRecord): void {
    this.stats.packets++;
    const pk = this.pk;
    const outcome = decodeFrame(rec, this.dec);
    if (outcome !== 'tcp') {
      // UDP (decoded into this.dec.udp) is QUIC's, if anything's: to p0f's side it is not TCP.
      if (outcome === 'udp' && this.tls !== null) this.tls.onUdp(this, this.dec.udp, rec);
      const reason = outcome === 'udp' ? 'not-tcp' : outcome;
      this.stats.drops[reason] = (this.stats.drops[reason] ?? 0) + 1;
      // p0f's packet counter (which paces cache expiry) sees every packet its
      // "tcp" filter lets through, including ones it then rejects; never UDP.
      if (COUNTED_DROPS.has(reason) && this.dec.proto !== IpProto.UDP) this.tick(rec);
      return;
    }
    this.tick(rec);
    this.stats.tcp++;
    if (pk.encap) this.stats.encap++;
    this.dispatch(pk);
    if (this.tls !== null) this.tls.onTcp(this, pk, rec);
  }

  /** Advances packet time and runs cache expiry every few packets (p0f's rhythm). */
  private tick(rec: PacketRecord): void {
    this.now = rec.tsSec;
    this.nowUsec = rec.tsUsec;
    this.nowMs = rec.tsSec * 1000 + Math.floor(rec.tsUsec / 1000);
    if (++this.counted % EXPIRE_INTERVAL === 0 && this.now !== this.lastExpire) {
      this.lastExpire = this.now;
      this.flows.expire(this.now, this.connMaxAgeS);
      this.hosts.expire(this.now);
    }
  }

  private fillKey(pk: TcpPacket): void {
    const k = this.key;
    const b = pk.addr;
    const s = pk.srcOff;
    const d = pk.dstOff;
    k.ipVer = pk.ipVer;
    k.encap = pk.encap > 0;
    k.aPort = pk.sport;
    k.bPort = pk.dport;
    k.a0 = int32BE(b, s);
    k.b0 = int32BE(b, d);
    if (pk.ipVer === 6) {
      k.a1 = int32BE(b, s + 4);
      k.a2 = int32BE(b, s + 8);
      k.a3 = int32BE(b, s + 12);
      k.b1 = int32BE(b, d + 4);
      k.b2 = int32BE(b, d + 8);
      k.b3 = int32BE(b, d + 12);
    } else {
      k.a1 = k.a2 = k.a3 = k.b1 = k.b2 = k.b3 = 0;
    }
  }

  private dispatch(pk: TcpPacket): void {
    this.fillKey(pk);
    const flows = this.flows;
    let f = flows.lookup(this.key);
    const toSrv = flows.toSrv;

    switch (pk.tcpType) {
      case TcpFlag.SYN: {
        if (f) {
          if (toSrv && ((f.nextCliSeq - 1) >>> 0) === pk.seq) return; // a plain retransmission
          flows.remove(f);
        }
        f = this.createFlow(pk);
        const tsig = this.fingerprintTcp(true, pk, f);
        if (!tsig && !f.sendsyn) {
          flows.remove(f);
          return;
        }
        this.fingerprintMtu(true, pk, f);
        this.checkTs(true, pk, f);
        if (tsig) f.client.lastSyn = tsig;
        return;
      }
      case TcpFlag.SYN | TcpFlag.ACK: {
        if (!f) return;
        if (f.sendsyn) {
          this.fingerprintTcp(false, pk, f);
          flows.remove(f);
          return;
        }
        if (toSrv || f.acked) return;
        f.acked = true;
        const tsig = this.fingerprintTcp(false, pk, f);
        if (!tsig) {
          flows.remove(f);
          return;
        }
        this.fingerprintMtu(false, pk, f);
        this.checkTs(false, pk, f);
        f.server.lastSynack = tsig;
        f.nextSrvSeq = (pk.seq + 1) >>> 0;
        return;
      }
      case TcpFlag.RST | TcpFlag.ACK:
      case TcpFlag.RST:
      case TcpFlag.FIN | TcpFlag.ACK:
      case TcpFlag.FIN:
        if (f) {
          this.checkTs(toSrv, pk, f);
          flows.remove(f);
        }
        return;
      case TcpFlag.ACK:
        if (f) this.onAck(pk, f, toSrv);
        return;
      default:
        return;
    }
  }

  private onAck(pk: TcpPacket, f: Flow, toSrv: boolean): void {
    if (f.sendsyn || !f.acked) {
      this.flows.remove(f);
      return;
    }
    // The first bytes of a direction are lent to the modules as a view of
    // the packet; they are copied only if a module keeps the flow (most
    // flows are judged, and dropped, on their first segment).
    let lent = false;
    if (toSrv) {
      if (f.nextCliSeq !== pk.seq) return; // out of order or a duplicate: no reassembly
      if (f.reqLen < MAX_FLOW_DATA && pk.payLen) {
        const n = Math.min(pk.payLen, MAX_FLOW_DATA - f.reqLen);
        if (f.reqLen === 0) {
          f.request = pk.addr.subarray(pk.payOff, pk.payOff + n);
          lent = true;
        } else f.request = appendBytes(f.request, f.reqLen, pk.addr, pk.payOff, n);
        f.reqLen += n;
      }
      this.checkTs(true, pk, f);
      f.nextCliSeq = (f.nextCliSeq + pk.payLen) >>> 0;
    } else {
      if (f.nextSrvSeq !== pk.seq) return;
      if (f.respLen < MAX_FLOW_DATA && pk.payLen) {
        const n = Math.min(pk.payLen, MAX_FLOW_DATA - f.respLen);
        if (f.respLen === 0) {
          f.response = pk.addr.subarray(pk.payOff, pk.payOff + n);
          lent = true;
        } else f.response = appendBytes(f.response, f.respLen, pk.addr, pk.payOff, n);
        f.respLen += n;
      }
      this.checkTs(false, pk, f);
      f.nextSrvSeq = (f.nextSrvSeq + pk.payLen) >>> 0;
    }
    if (!pk.payLen) return;
    let needMore = false;
    for (const m of this.apps) if (m.onPayload(this, toSrv, f)) needMore = true;
    if (!needMore) this.flows.remove(f);
    else if (f.reqLen >= MAX_FLOW_DATA && f.respLen >= MAX_FLOW_DATA) this.flows.remove(f);
    else if (lent) {
      if (toSrv) f.request = appendBytes(null, 0, f.request!, 0, f.reqLen);
      else f.response = appendBytes(null, 0, f.response!, 0, f.respLen);
    }
  }

  private createFlow(pk: TcpPacket): Flow {
    const flows = this.flows;
    if (flows.size >= flows.maxConn) flows.prune();
    const client = this.hostFor(pk.addr, pk.srcOff, pk.ipVer);
    const server = this.hostFor(pk.addr, pk.dstOff, pk.ipVer);
    client.useCnt++;
    server.useCnt++;
    client.totalConn++;
    server.totalConn++;
    const k = this.key;
    const f = newFlow(client, server, k, this.now, pk.seq);
    flows.insert(f, k);
    return f;
  }

  private hostFor(buf: Buffer, off: number, ver: 4 | 6): Host {
    const key = hostKeyOf(buf, off, ver);
    const h = this.hosts.getByKey(key);
    if (h) {
      this.hosts.touch(h, this.now);
      return h;
    }
    return this.hosts.create(key, addrToString(buf, off, ver), ver, this.now, () => this.flows.prune());
  }

  private fingerprintTcp(toSrv: boolean, pk: TcpPacket, f: Flow): TcpObservation | null {
    const sig = observeTcp(pk, this.nowMs);
    if (pk.tcpType === TcpFlag.SYN && pk.win === SPECIAL_WIN && pk.mss === SPECIAL_MSS) f.sendsyn = true;
    const e = (toSrv ? this.tcpCacheReq : this.tcpCacheResp).verdict(toSrv ? this.tcpIdx.request : this.tcpIdx.response, sig, pk, f.synMss);
    const v = e.verdict;
    const m = sig.matched;
    const userland = m !== null && m.label.cls === null;
    if (!m || !m.badTtl) (toSrv ? f.client : f.server).distance = sig.dist;
    // An observation's views of a verdict (its fields, its detail) follow
    // from the verdict alone: made once, shared by every hit (sendsyn
    // flows, rare, name the label differently).
    const views = (e.memo as TcpViews | null) ?? (e.memo = tcpViews(v, e.sig, userland));
    const fields = f.sendsyn ? tcpFields('app', v) : views.fields;
    const mod: ObservationMod = toSrv ? (f.sendsyn ? 'sendsyn probe' : 'syn') : f.sendsyn ? 'sendsyn response' : 'syn+ack';
    this.emitOf(mod, toSrv, f, fields, !f.sendsyn, views.detail, v);
    if (pk.tcpType === TcpFlag.SYN) f.synMss = pk.mss;
    if (m && userland) {
      this.emitNat(verifyToolClass(toSrv, f, m.label.sys, this.now), toSrv, f);
      return null;
    }
    if (f.sendsyn) return null;
    this.emitNat(scoreNat(toSrv, sig, f, this.now), toSrv, f);
    return sig;
  }

  private fingerprintMtu(toSrv: boolean, pk: TcpPacket, f: Flow): void {
    if (!pk.mss || f.sendsyn) return;
    const mtu = mtuFromMss(pk.mss, pk.ipVer);
    const link = this.mtuIdx.get(mtu) ?? null;
    if (link !== null) {
      const h = toSrv ? f.client : f.server;
      h.mtu = mtu;
      h.linkType = link;
    }
    let fields = this.mtuFields.get(mtu);
    if (fields === undefined) {
      if (this.mtuFields.size >= MTU_FIELD_LISTS) this.mtuFields.clear();
      fields = [['link', link], ['raw_mtu', smallIntText(mtu)]];
      this.mtuFields.set(mtu, fields);
    }
    this.emitOf('mtu', toSrv, f, fields, true, this.details ? { kind: 'mtu', mtu, link } : undefined);
  }

  private checkTs(toSrv: boolean, pk: TcpPacket, f: Flow): void {
    if (!pk.ts1 || f.sendsyn) return;
    const h = toSrv ? f.client : f.server;
    if (toSrv ? f.cliTps : f.srvTps) return;
    const ref = toSrv ? h.lastSyn : h.lastSynack;
    if (!ref || !ref.ts1) return;
    const r = computeUptime(pk.ts1, ref.ts1, this.nowMs - ref.recvMs);
    if (r.kind === 'skip') return;
    if (r.kind === 'bad-frequency') {
      // A bad reading on a SYN may just mean a new connection of another
      // system behind the address: only later packets give up on the flow.
      if (pk.tcpType !== TcpFlag.SYN) {
        if (toSrv) f.cliTps = -1;
        else f.srvTps = -1;
      }
      return;
    }
    if (toSrv) f.cliTps = r.freq;
    else f.srvTps = r.freq;
    h.lastUpMin = r.upMin;
    h.upModDays = r.upModDays;
    this.emit(
      'uptime',
      toSrv,
      f,
      [
        ['uptime', uptimeText(r.upMin, r.upModDays)],
        ['raw_freq', freqText(r.ffreq)],
      ],
      this.details ? { kind: 'uptime', minutes: r.upMin, moduloDays: r.upModDays, freqHz: r.ffreq } : undefined,
    );
  }

  emit(mod: ObservationMod, toSrv: boolean, f: Flow, fields: ObservationField[], detail?: ObservationDetail): void {
    this.emitOf(mod, toSrv, f, fields, false, detail);
  }

  /** `shared`: the same `fields` list goes with many observations (and is never changed). */
  private emitOf(mod: ObservationMod, toSrv: boolean, f: Flow, fields: ObservationField[], shared: boolean, detail?: ObservationDetail, tcp?: TcpVerdict): void {
    if (!this.details) {
      detail = undefined;
      tcp = undefined;
    }
    const o: Observation = {
      mod,
      tsSec: this.now,
      tsUsec: this.nowUsec,
      ipVer: f.ipVer,
      cli: f.client.addr,
      cliPort: f.cliPort,
      srv: f.server.addr,
      srvPort: f.srvPort,
      subj: toSrv ? 'cli' : 'srv',
      conn: (f.connText ??= `cli=${f.client.addr}/${f.cliPort}|srv=${f.server.addr}/${f.srvPort}`),
      fields,
      sharedFields: shared,
      encap: f.encap,
      detail,
      tcp,
      // Every observation has the same shape (TLS's set this), so that the outputs' property reads stay monomorphic.
      textFields: undefined,
    };
    this.stats.observations++;
    if (f.encap) this.stats.encapObservations++;
    this.sink(o);
  }

  emitObservation(o: Observation): void {
    if (!this.details) o.detail = undefined;
    this.stats.observations++;
    if (o.encap) this.stats.encapObservations++;
    this.sink(o);
  }

  emitNat(ev: NatEvent | null, toSrv: boolean, f: Flow): void {
    if (!ev) return;
    this.emit(
      ev.kind,
      toSrv,
      f,
      [
        ['reason', ev.reasons.length ? ev.reasons.join(' ') : null],
        ['raw_hits', ev.rawHits.join(',')],
      ],
      { kind: 'nat', reasons: ev.reasons, rawHits: ev.rawHits },
    );
  }
}

/** Most shared mtu field lists kept (one per MTU seen). */
const MTU_FIELD_LISTS = 4096;

/** What syn / syn+ack observations make of one verdict: p0f's fields and the JSON detail. */
interface TcpViews {
  fields: ObservationField[];
  detail: ObservationDetail;
}

function tcpViews(v: TcpVerdict, sig: TcpSignature | null, userland: boolean): TcpViews {
  return {
    fields: tcpFields(userland ? 'app' : 'os', v),
    detail: { kind: 'tcp', match: v.match && sig ? { ...v.match, line: sig.line } : null, dist: v.dist, quality: v.quality },
  };
}

/** A syn / syn+ack observation's fields, as p0f logs them. */
function tcpFields(key: 'os' | 'app', v: TcpVerdict): ObservationField[] {
  return [
    [key, v.label],
    ['dist', v.distUpperBound ? `<= ${v.dist}` : smallIntText(v.dist)],
    ['params', v.params],
    ['raw_sig', v.rawSig],
  ];
}

/**
 * Decimal text of a small non-negative integer (distances, MTUs), made once:
 * the same string each time also makes the log writer's lookups cheap.
 */
const INT_TEXT_MAX = 65536;
/** Made on first use, not when the module loads. */
let intText: Array<string | undefined> | null = null;
function smallIntText(n: number): string {
  if (n < 0 || n >= INT_TEXT_MAX || !Number.isInteger(n)) return String(n);
  intText ??= new Array<string | undefined>(INT_TEXT_MAX).fill(undefined);
  return (intText[n] ??= String(n));
}

/**
 * The four bytes at `o`, big-endian, as a signed 32-bit integer: how
 * fillKey packs an address into the tuple key, a quarter of an IPv6
 * address at a time (an int32 stays unboxed in V8). Unchecked, as
 * Buffer's readInt32BE is not: the decoder has checked the bounds.
 */
function int32BE(b: Buffer, o: number): number {
  return (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
}

/** Appends bytes to a flow buffer, growing it in steps up to MAX_FLOW_DATA. */
function appendBytes(buf: Buffer | null, len: number, src: Buffer, off: number, n: number): Buffer {
  const need = len + n;
  if (!buf || buf.length < need) {
    let size = buf ? buf.length : 1024;
    while (size < need) size *= 2;
    const nb = Buffer.allocUnsafe(Math.min(size, MAX_FLOW_DATA));
    if (buf && len) buf.copy(nb, 0, 0, len);
    buf = nb;
  }
  src.copy(buf, len, off, off + n);
  return buf;
}
