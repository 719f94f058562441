/**
 * QUIC (v1 and v2): the ClientHello of each connection from its client's
 * Initial packets, and the ServerHello from the server's.
 *
 * A datagram is looked at only when its first byte is a long header with
 * the fixed bit set and its version is 1 or 2 (a few byte compares turn
 * everything else away), and only its Initial packets (coalesced packets
 * included). A connection is keyed by the client's address and port, the
 * server's, and the Destination Connection ID of the client's first
 * Initial: its Initial keys come from that DCID for the connection's whole
 * life (RFC 9001 section 5.2), also after the client moves to the server's
 * connection ID; a client Initial those keys do not open but its own DCID's
 * do starts the connection anew (after a Retry or Version Negotiation).
 * The server's Initials open with the server keys of the same DCID.
 * CRYPTO frames are reassembled across packets and out of order, bounded
 * per connection (MAX_QUIC_CRYPTO_BYTES) and in total (the budget).
 */
import type { PacketRecord } from '../capture/types.js';
import { CryptoAssembly } from '../decode/quic/crypto-assembly.js';
import { walkInitialFrames } from '../decode/quic/frames.js';
import { initialKeys, openPacket, parseLongHeader, QUIC_V1, QUIC_V2, type InitialKeys, type LongHeader } from '../decode/quic/initial.js';
import type { UdpPacket } from '../decode/types.js';
import { parseClientHello } from '../fingerprint/tls/hello.js';
import type { TlsIndex } from '../fingerprint/tls/label.js';
import type { EngineContext } from './module.js';
import { countDrop, helloObservation, serverObservation, type HelloPlace, type TlsDropReason, type TlsStats } from './tls-report.js';

export interface QuicGatherOptions {
  maxConns: number;
  /** CRYPTO bytes all connections may hold together. */
  budget: number;
  /** Seconds a connection is kept. */
  maxAgeS: number;
  labels: TlsIndex | null;
  stats: TlsStats;
}

/** One side's reading of its CRYPTO stream. */
interface QuicSide {
  keys: InitialKeys | null;
  largestPn: number;
  asm: CryptoAssembly | null;
  done: boolean;
}

interface QuicConn {
  /** The 4-tuple, client first (see tupleText). */
  key: string;
  version: number;
  /** The client's first DCID (a copy), whose keys open both sides' Initials. */
  dcid: Buffer;
  /** Another DCID the client moved to that the same keys open (no need to try its own). */
  altDcid: Buffer | null;
  cli: QuicSide;
  srv: QuicSide;
  hellos: number;
  created: number;
}

const newSide = (keys: InitialKeys | null): QuicSide => ({ keys, largestPn: -1, asm: null, done: false });

/** Datagrams carrying a client's first Initial are at least this long (RFC 9000 section 14.1). */
const MIN_CLIENT_DATAGRAM = 1200;

/** The 4-tuple as a Map key: address bytes as latin1 text, then the ports. */
function tupleText(b: Buffer, aOff: number, aPort: number, bOff: number, bPort: number, alen: number): string {
  return b.toString('latin1', aOff, aOff + alen) + b.toString('latin1', bOff, bOff + alen) + String.fromCharCode(aPort, bPort);
}

export class QuicGatherer {
  private readonly conns = new Map<string, QuicConn>();
  private readonly opts: QuicGatherOptions;
  private readonly stats: TlsStats;
  private readonly place: HelloPlace = { ipVer: 4, buf: Buffer.alloc(0), cliOff: 0, srvOff: 0, cliPort: 0, srvPort: 0, encap: false, tsSec: 0, tsUsec: 0 };
  /** CRYPTO bytes the assemblies hold. */
  held = 0;
  private lastExpire = -1;

  constructor(opts: QuicGatherOptions) {
    this.opts = opts;
    this.stats = opts.stats;
  }

  get size(): number {
    return this.conns.size;
  }

  onUdp(ctx: EngineContext, pk: UdpPacket, rec: PacketRecord): void {
    const b = pk.addr;
    const p = pk.payOff;
    const len = pk.payLen;
    // A long header with the fixed bit, version 1 or 2, and the Initial type (v1: 0, v2: 1).
    if (len < 7 || (b[p]! & 0xc0) !== 0xc0) return;
    const version = ((b[p + 1]! << 24) | (b[p + 2]! << 16) | (b[p + 3]! << 8) | b[p + 4]!) >>> 0;
    const type = (b[p]! >> 4) & 3;
    if (!((version === QUIC_V1 && type === 0) || (version === QUIC_V2 && type === 1))) return;
    this.expire(rec.tsSec);
    const alen = pk.ipVer === 4 ? 4 : 16;
    const fwd = tupleText(b, pk.srcOff, pk.sport, pk.dstOff, pk.dport, alen);
    let c = this.conns.get(fwd);
    let fromCli = true;
    if (c === undefined) {
      const back = this.conns.get(tupleText(b, pk.dstOff, pk.dport, pk.srcOff, pk.sport, alen));
      if (back !== undefined) {
        c = back;
        fromCli = false;
      }
    }
    const dgram = b.subarray(p, p + len);
    for (let off = 0; off < len; ) {
      const r = parseLongHeader(dgram, off);
      if (!r.ok) {
        // The first packet passed the checks above; what follows may be a short-header packet, or padding.
        if (off === 0) countDrop(this.stats, 'quic-bad-header');
        return;
      }
      const h = r.header;
      off = h.end;
      if (h.type !== 'initial') continue;
      this.stats.quicInitials++;
      if (fromCli) c = this.clientInitial(ctx, c, fwd, dgram, h, pk, rec);
      else if (c !== undefined) this.serverInitial(ctx, c, dgram, h, pk, rec);
    }
  }

  private clientInitial(ctx: EngineContext, c: QuicConn | undefined, key: string, d: Buffer, h: LongHeader, pk: UdpPacket, rec: PacketRecord): QuicConn | undefined {
    if (c !== undefined && c.cli.done && h.version === c.version && (h.dcid.equals(c.dcid) || (c.altDcid !== null && h.dcid.equals(c.altDcid)))) return c; // read already
    let opened = null;
    if (c !== undefined && c.version === h.version) {
      const o = openPacket(d, h, c.cli.keys!, c.cli.largestPn);
      if (o.ok) {
        opened = o;
        if (!h.dcid.equals(c.dcid)) c.altDcid = Buffer.from(h.dcid);
      } else if (o.reason !== 'decrypt-failed') return this.drop(c, 'quic-too-short');
    }
    if (opened === null) {
      // A connection's first Initial, or a new start (after a Retry): keys from this packet's own DCID.
      if (c === undefined && d.length < MIN_CLIENT_DATAGRAM) return c;
      const keys = initialKeys(h.dcid, h.version);
      if (keys === null) return c;
      const o = openPacket(d, h, keys);
      if (!o.ok) return this.drop(c, o.reason === 'decrypt-failed' ? 'quic-decrypt-failed' : 'quic-too-short');
      opened = o;
      const hellos = c?.hellos ?? 0;
      if (c !== undefined) this.remove(c, null);
      c = this.create(key, h, keys, rec.tsSec);
      c.hellos = hellos;
    }
    if (c === undefined) return c;
    const s = c.cli;
    if (opened.pn > s.largestPn) s.largestPn = opened.pn;
    if (s.done) return c;
    const m = this.take(s, opened.payload, 1);
    if (m === null) return c;
    s.done = true;
    this.release(s);
    if (m === 'bad') return c;
    const p = parseClientHello(m);
    if (!p.ok) {
      countDrop(this.stats, 'quic-bad-hello');
      return c;
    }
    c.hellos++;
    this.stats.hellos.quic++;
    ctx.emitObservation(helloObservation(p.hello, 'quic', this.placeOf(pk, true, rec), this.opts.labels, false, ctx.details));
    return c;
  }

  private serverInitial(ctx: EngineContext, c: QuicConn, d: Buffer, h: LongHeader, pk: UdpPacket, rec: PacketRecord): void {
    const s = c.srv;
    if (s.done || h.version !== c.version) return;
    s.keys ??= initialKeys(c.dcid, c.version, 'server');
    const o = openPacket(d, h, s.keys!, s.largestPn);
    if (!o.ok) {
      countDrop(this.stats, o.reason === 'decrypt-failed' ? 'quic-server-decrypt-failed' : 'quic-too-short');
      return;
    }
    if (o.pn > s.largestPn) s.largestPn = o.pn;
    const m = this.take(s, o.payload, 2);
    if (m === null) return;
    s.done = true;
    this.release(s);
    if (m === 'bad') return;
    const r = serverObservation(m, 'quic', this.placeOf(pk, false, rec), ctx.details);
    if (r === null) return void countDrop(this.stats, 'quic-bad-server-hello');
    this.stats.serverHellos.quic++;
    ctx.emitObservation(r.obs);
  }

  /**
   * Hands a decrypted payload's CRYPTO frames to the side's assembly: the
   * message body once whole (a copy), null while more is needed, 'bad'
   * when the stream cannot give it (counted).
   */
  private take(s: QuicSide, payload: Buffer, msgType: number): Buffer | 'bad' | null {
    if (s.asm === null) {
      if (this.held >= this.opts.budget) {
        if (msgType === 1) countDrop(this.stats, 'quic-budget');
        return 'bad';
      }
      s.asm = new CryptoAssembly();
    }
    const asm = s.asm;
    const before = asm.bytesHeld;
    const w = walkInitialFrames(payload, asm);
    this.held += asm.bytesHeld - before;
    if (!w.ok) {
      if (w.reason === 'crypto-rejected') {
        if (msgType === 1) countDrop(this.stats, 'quic-crypto-rejected');
        return 'bad';
      }
      // A frame that does not hold together ends the walk; what came before it is kept.
      if (msgType === 1) countDrop(this.stats, 'quic-bad-frames');
    }
    const m = asm.message(msgType);
    if (m.kind === 'need-more') return null;
    if (m.kind === 'complete') return Buffer.from(m.body);
    if (msgType === 1) countDrop(this.stats, m.reason === 'unexpected-message' ? 'quic-not-client-hello' : 'quic-crypto-rejected');
    return 'bad';
  }

  private create(key: string, h: LongHeader, keys: InitialKeys, now: number): QuicConn {
    const conns = this.conns;
    if (conns.size >= this.opts.maxConns) {
      const oldest = conns.values().next().value;
      if (oldest !== undefined) this.remove(oldest, 'quic-evicted');
    }
    const c: QuicConn = { key, version: h.version, dcid: Buffer.from(h.dcid), altDcid: null, cli: newSide(keys), srv: newSide(null), hellos: 0, created: now };
    conns.set(key, c);
    return c;
  }

  private drop(c: QuicConn | undefined, why: TlsDropReason): QuicConn | undefined {
    countDrop(this.stats, why);
    return c;
  }

  private release(s: QuicSide): void {
    if (s.asm !== null) {
      this.held -= s.asm.bytesHeld;
      s.asm = null;
    }
  }

  private remove(c: QuicConn, why: TlsDropReason | null): void {
    if (why !== null && !c.cli.done && c.cli.asm !== null && c.cli.asm.contiguous > 0) countDrop(this.stats, why);
    this.release(c.cli);
    this.release(c.srv);
    this.conns.delete(c.key);
  }

  private expire(now: number): void {
    if (now === this.lastExpire) return;
    this.lastExpire = now;
    const max = this.opts.maxAgeS;
    for (const c of this.conns.values()) {
      if ((now - c.created) >>> 0 <= max) break;
      this.remove(c, 'quic-expired');
    }
  }

  private placeOf(pk: UdpPacket, fromCli: boolean, rec: PacketRecord): HelloPlace {
    const p = this.place;
    p.ipVer = pk.ipVer;
    p.buf = pk.addr;
    p.cliOff = fromCli ? pk.srcOff : pk.dstOff;
    p.srvOff = fromCli ? pk.dstOff : pk.srcOff;
    p.cliPort = fromCli ? pk.sport : pk.dport;
    p.srvPort = fromCli ? pk.dport : pk.sport;
    p.encap = pk.encap > 0;
    p.tsSec = rec.tsSec;
    p.tsUsec = rec.tsUsec;
    return p;
  }
}
