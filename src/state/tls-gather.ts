/**
 * TLS over TCP: per connection, the client's first bytes until its
 * ClientHello is whole, and the server's until its ServerHello is, in
 * sequence order whatever order the segments come in (retransmitted,
 * overlapping, out of order), in a table of its own (tls-table.ts).
 *
 * A stream's offset 0 comes from the SYN (or SYN+ACK) when seen; else from
 * the first segment that starts a hello record (22, 3.x, then the message
 * type), so captures that begin mid-connection are read too. A stream that
 * starts in clear text (STARTTLS, HTTP CONNECT, PostgreSQL's and MySQL's
 * SSL requests) is looked through for a record over its first
 * TLS_SCAN_BYTES. After a HelloRetryRequest both streams are read on for
 * the second hello. Each direction holds at most MAX_TLS_HELLO_BYTES, all
 * together at most the budget; what does not fit is dropped and counted.
 *
 * Cheap where it matters: a segment with no payload and no SYN, RST or FIN
 * costs nothing; a payload segment of a connection without an entry costs
 * one table miss and a look at its first byte. A hello that arrives in
 * one segment is read from the packet itself, without a copy.
 */
import type { PacketRecord } from '../capture/types.js';
import { MAX_TLS_HELLO_BYTES, TLS_SCAN_BYTES } from '../config.js';
import { TcpFlag, type TcpPacket } from '../decode/types.js';
import { parseClientHello } from '../fingerprint/tls/hello.js';
import type { TlsIndex } from '../fingerprint/tls/label.js';
import { looksLikeOpenVpnTcp, openVpnTcpTls } from '../fingerprint/tls/openvpn.js';
import { frameHandshake, scanForHandshake, type HandshakeFrame } from '../fingerprint/tls/records.js';
import type { TupleKey } from './flows.js';
import type { EngineContext } from './module.js';
import { countDrop, helloObservation, serverObservation, type HelloPlace, type TlsDropReason, type TlsStats } from './tls-report.js';
import { AssemblyPool, frameNext, plainHttp, recordStart, rescan, TlsDir } from './tls-dir.js';
import { newTlsConn, reuseTlsConn, TlsConnTable, type TlsConn } from './tls-table.js';

const SYN = TcpFlag.SYN;
const ACK = TcpFlag.ACK;
const RST = TcpFlag.RST;
const FIN = TcpFlag.FIN;
const LIMIT = MAX_TLS_HELLO_BYTES;
const SCAN = TLS_SCAN_BYTES;
const HANDSHAKE = 22;
const CLIENT_HELLO = 1;
const SERVER_HELLO = 2;
/** Most ClientHellos read per connection: the first, and the one after a HelloRetryRequest. */
const MAX_HELLOS = 2;

export interface TlsGatherOptions {
  maxConns: number;
  /** Bytes all connections' gathered data may take together. */
  budget: number;
  /** Seconds an entry is kept (the engine's -t c). */
  maxAgeS: number;
  labels: TlsIndex | null;
  stats: TlsStats;
}

export class TlsGatherer {
  private readonly table: TlsConnTable;
  private readonly place: HelloPlace = { ipVer: 4, buf: Buffer.alloc(0), cliOff: 0, srvOff: 0, cliPort: 0, srvPort: 0, encap: false, tsSec: 0, tsUsec: 0 };
  private readonly opts: TlsGatherOptions;
  private readonly stats: TlsStats;
  private readonly pool = new AssemblyPool();
  private lastExpire = -1;

  constructor(opts: TlsGatherOptions) {
    this.opts = opts;
    this.stats = opts.stats;
    this.table = new TlsConnTable(opts.maxConns);
  }

  /** Connections watched now. */
  get size(): number {
    return this.table.size;
  }

  /** Bytes the assemblies of gathering connections hold. */
  get held(): number {
    return this.pool.held;
  }

  onTcp(ctx: EngineContext, pk: TcpPacket, rec: PacketRecord): void {
    const flags = pk.flags;
    const len = pk.payLen;
    // Most segments are ACKs without data: nothing to read. Nor in a
    // SYN+ACK: the server's side is read from its first TLS record on.
    if (len === 0 && (flags & (SYN | RST | FIN)) === 0) return;
    const syn = (flags & SYN) !== 0;
    if (syn && (flags & ACK) !== 0) return;
    const table = this.table;
    if (table.size === 0 && !syn && !recordStart(pk.addr, pk.payOff, len, CLIENT_HELLO)) return;
    this.expire(rec.tsSec);
    const k = ctx.key;
    let e = table.lookup(k);
    // Data on a SYN (TCP Fast Open) starts one past its sequence number.
    const seq = syn ? (pk.seq + 1) >>> 0 : pk.seq;
    if (e !== null && syn && table.toSrv && (flags & ACK) === 0) {
      if (e.synSeq === pk.seq) return; // a retransmitted SYN
      this.remove(e, 'tcp-incomplete'); // the 4-tuple used again: a new connection
      e = null;
    }
    if (e === null) {
      if (syn) {
        if ((flags & (ACK | RST)) !== 0) return;
        e = this.create(k, rec.tsSec, seq, true);
        e.synSeq = pk.seq;
      } else if (recordStart(pk.addr, pk.payOff, len, CLIENT_HELLO)) {
        e = this.create(k, rec.tsSec, seq, false);
      } else return;
      if (len > 0) this.data(ctx, e, e.cli, true, pk, seq, rec);
      return;
    }
    const toSrv = table.toSrv;
    if ((flags & RST) !== 0) return this.remove(e, 'tcp-incomplete');
    if (e.finished) {
      // Both hellos read: the entry stays only so that a late retransmission is not a new hello.
      if ((flags & FIN) !== 0) this.remove(e, null);
      return;
    }
    if (len > 0) {
      // The server's bytes matter once the client has sent TLS: before that (a
      // server that speaks first, STARTTLS) they are stepped over unread.
      const d = toSrv ? e.cli : e.hellos > 0 || e.cli.mode === 'gather' ? (e.srv ??= new TlsDir()) : null;
      if (d !== null) this.data(ctx, e, d, toSrv, pk, seq, rec);
      if (!this.inTable(e)) return;
    }
    if ((flags & FIN) !== 0) this.fin(e, toSrv ? e.cli : e.srv, (seq + len) >>> 0);
  }

  private create(k: TupleKey, now: number, seq: number, fromSyn: boolean): TlsConn {
    const table = this.table;
    const old = table.full ? table.oldest : null;
    if (old !== null) this.remove(old, 'tcp-evicted');
    const e = old !== null ? reuseTlsConn(old, k, now) : newTlsConn(k, now);
    const d = e.cli;
    d.base = seq;
    d.startKnown = fromSyn;
    if (!fromSyn) d.mode = 'gather';
    table.insert(e, k);
    return e;
  }

  /** A segment's payload for one direction of e, starting at sequence number `seq`. */
  private data(ctx: EngineContext, e: TlsConn, d: TlsDir, isCli: boolean, pk: TcpPacket, seq: number, rec: PacketRecord): void {
    let mode = d.mode;
    if (mode === 'done') return;
    const buf = pk.addr;
    let from = pk.payOff;
    let n = pk.payLen;
    const type = isCli ? CLIENT_HELLO : SERVER_HELLO;
    if (mode === 'wait' && !d.startKnown) {
      // A server without a SYN+ACK seen: its ServerHello starts its bytes.
      if (!recordStart(buf, from, n, type)) return;
      d.base = seq;
      d.mode = mode = 'gather';
    }
    let rel = (seq - d.base) | 0;
    if (rel < 0) {
      if (rel + n <= 0) return; // all of it before offset 0: a retransmission
      from -= rel;
      n += rel;
      rel = 0;
    }
    if (mode === 'after') {
      // Between a ClientHello and the server's answer: stepped over in order.
      if (rel === 0) d.base = (d.base + n) >>> 0;
      return;
    }
    if (mode === 'wait') {
      if (rel > 0 || buf[from] === HANDSHAKE) d.mode = 'gather'; // (an earlier segment missing: its start is judged when it comes)
      else if (isCli && plainHttp(buf, from, n)) return this.dirDone(e, d);
      else if (isCli && looksLikeOpenVpnTcp(buf, from, from + n)) {
        d.mode = 'openvpn';
        // The server's TLS is in OpenVPN packets too: its facts are not read.
        if (e.srv !== null) this.dirDone(e, e.srv);
        else (e.srv = new TlsDir()).mode = 'done';
      } else mode = 'scan';
    }
    if (mode === 'scan') {
      // Clear text first: the first record start within the scan window.
      const streamAt = d.streamOff + rel;
      const window = SCAN - streamAt;
      if (window <= 0) return this.dirDone(e, d);
      const c = scanForHandshake(buf, from, Math.min(from + n, from + window + 5), type);
      if (c < 0 || c - from >= window) {
        if (n >= window) return this.dirDone(e, d);
        d.mode = 'scan';
        return;
      }
      d.base = (d.base + rel + (c - from)) >>> 0;
      d.streamOff += rel + (c - from);
      d.at = 0;
      d.need = 0;
      n -= c - from;
      from = c;
      rel = 0;
      d.mode = 'gather';
    }
    this.gather(ctx, e, d, isCli, pk, buf, from, n, rel, rec);
  }

  private gather(ctx: EngineContext, e: TlsConn, d: TlsDir, isCli: boolean, pk: TcpPacket, buf: Buffer, from: number, n: number, rel: number, rec: PacketRecord): void {
    if (rel >= LIMIT) return;
    if (rel + n > LIMIT) n = LIMIT - rel;
    let asm = d.asm;
    const vpn = d.mode === 'openvpn';
    if (asm === null && rel === 0 && !vpn) {
      // The usual case: the whole message in this segment, read in place.
      const f = frameNext(d, buf, from, from + n, isCli ? CLIENT_HELLO : SERVER_HELLO);
      if (f !== null && f.kind === 'complete') return this.complete(ctx, e, d, isCli, f, buf, from, from + n, pk, rec);
    }
    if (asm === null) {
      if (this.held >= this.opts.budget) {
        if (isCli) countDrop(this.stats, 'tcp-budget');
        return this.dirDone(e, d);
      }
      asm = d.asm = this.pool.take();
    }
    const before = asm.bytesHeld;
    const ok = asm.add(rel, buf, from, from + n);
    this.pool.held += asm.bytesHeld - before;
    if (!ok) {
      if (isCli) countDrop(this.stats, 'tcp-fragmented');
      return this.dirDone(e, d);
    }
    // Nothing new at the front, or not yet as much as the framer said it needs.
    const have = asm.contiguous;
    if (have <= d.at || have < d.need || rel > have) return;
    const b = asm.prefix();
    if (vpn) return this.openVpn(ctx, e, d, b, pk, rec);
    const f = frameNext(d, b, 0, b.length, isCli ? CLIENT_HELLO : SERVER_HELLO);
    if (f === null || f.kind === 'need-more') return;
    if (f.kind === 'complete') return this.complete(ctx, e, d, isCli, f, b, 0, b.length, pk, rec);
    this.invalid(ctx, e, d, isCli, f.reason, b, pk, rec);
  }

  /**
   * The gathered bytes b do not hold the message at d.at: look further if
   * the stream started in clear text; else give up (counted when it looked
   * like TLS).
   */
  private invalid(ctx: EngineContext, e: TlsConn, d: TlsDir, isCli: boolean, reason: string, b: Buffer, pk: TcpPacket, rec: PacketRecord): void {
    const r = rescan(d, b, isCli ? CLIENT_HELLO : SERVER_HELLO, reason);
    if (r === 'scan') {
      // Nothing yet: the bytes to come are scanned as they come.
      this.release(d);
      d.base = (d.base + b.length) >>> 0;
      d.streamOff += b.length;
      d.at = 0;
      d.need = 0;
      d.mode = 'scan';
    } else if (r === 'none') {
      if (isCli && b[d.at] === HANDSHAKE) countDrop(this.stats, reason === 'too-large' ? 'tcp-too-large' : 'tcp-bad-record');
      this.dirDone(e, d);
    } else if (r.kind === 'complete') this.complete(ctx, e, d, isCli, r, b, 0, b.length, pk, rec);
  }

  /**
   * A whole hello in b[zero, end) (offset 0 at b[zero]): report it, and
   * set the direction up for what may follow (the bytes after the record
   * that ends the message).
   */
  private complete(ctx: EngineContext, e: TlsConn, d: TlsDir, isCli: boolean, f: HandshakeFrame & { kind: 'complete' }, b: Buffer, zero: number, end: number, pk: TcpPacket, rec: PacketRecord): void {
    const restFrom = f.end;
    const endRel = f.end - zero;
    let next: 'gather' | 'after' | 'done';
    if (isCli) {
      if (!this.reportClient(ctx, e, f.body, pk, rec)) return this.dirDone(e, d);
      const srvDone = e.srv !== null && e.srv.mode === 'done';
      next = e.hellos >= MAX_HELLOS || srvDone ? 'done' : e.retry ? 'gather' : 'after';
    } else {
      const retry = this.reportServer(ctx, e, f.body, pk, rec);
      if (retry === null) return this.dirDone(e, d);
      const c = e.cli;
      if (retry && !e.retry && e.hellos < MAX_HELLOS) {
        e.retry = true;
        if (c.mode === 'after') c.mode = 'gather';
        next = 'gather';
      } else {
        if (c.mode === 'after') c.mode = 'done';
        next = 'done';
      }
    }
    if (next === 'done') return this.dirDone(e, d);
    // What follows starts where the message's last record ends.
    const rest = end - restFrom;
    const keep = next === 'gather' && rest > 0 ? Buffer.from(b.subarray(restFrom, end)) : null;
    this.release(d);
    d.base = (d.base + endRel + (next === 'after' && rest > 0 ? rest : 0)) >>> 0;
    d.streamOff += endRel;
    d.at = 0;
    d.need = 0;
    d.skipOthers = true;
    d.mode = next;
    if (keep !== null) {
      const asm = (d.asm = this.pool.take());
      const before = asm.bytesHeld;
      asm.add(0, keep);
      this.pool.held += asm.bytesHeld - before;
      const g = frameNext(d, keep, 0, keep.length, isCli ? CLIENT_HELLO : SERVER_HELLO);
      if (g !== null && g.kind === 'complete') this.complete(ctx, e, d, isCli, g, keep, 0, keep.length, pk, rec);
    }
  }

  /** Reports a ClientHello body; false when it does not parse (counted). */
  private reportClient(ctx: EngineContext, e: TlsConn, body: Buffer, pk: TcpPacket, rec: PacketRecord): boolean {
    const p = parseClientHello(body);
    if (!p.ok) {
      countDrop(this.stats, 'tcp-bad-hello');
      return false;
    }
    e.hellos++;
    this.stats.hellos.tcp++;
    ctx.emitObservation(helloObservation(p.hello, 'tcp', this.placeOf(e, pk, true, rec), this.opts.labels, e.hellos > 1, ctx.details));
    return true;
  }

  /** Reports a ServerHello body: whether it is a HelloRetryRequest; null when it does not parse (counted). */
  private reportServer(ctx: EngineContext, e: TlsConn, body: Buffer, pk: TcpPacket, rec: PacketRecord): boolean | null {
    const r = serverObservation(body, 'tcp', this.placeOf(e, pk, false, rec), ctx.details);
    if (r === null) {
      countDrop(this.stats, 'tcp-bad-server-hello');
      return null;
    }
    this.stats.serverHellos.tcp++;
    ctx.emitObservation(r.obs);
    return r.helloRetryRequest;
  }

  /** An OpenVPN client's bytes so far: its TLS stream, once a ClientHello is whole in it. */
  private openVpn(ctx: EngineContext, e: TlsConn, d: TlsDir, b: Buffer, pk: TcpPacket, rec: PacketRecord): void {
    const o = openVpnTcpTls(b);
    if (o.kind === 'need-more') return;
    if (o.kind !== 'tls') return this.dirDone(e, d);
    const f = frameHandshake(o.bytes, 0, o.bytes.length, { expect: CLIENT_HELLO, limit: LIMIT });
    if (f.kind === 'need-more') return;
    if (f.kind === 'complete') this.reportClient(ctx, e, f.body, pk, rec);
    else countDrop(this.stats, f.reason === 'too-large' ? 'tcp-too-large' : 'tcp-bad-record');
    this.dirDone(e, d);
  }

  private placeOf(e: TlsConn, pk: TcpPacket, fromCli: boolean, rec: PacketRecord): HelloPlace {
    const p = this.place;
    p.ipVer = pk.ipVer;
    p.buf = pk.addr;
    p.cliOff = fromCli ? pk.srcOff : pk.dstOff;
    p.srvOff = fromCli ? pk.dstOff : pk.srcOff;
    p.cliPort = e.cliPort;
    p.srvPort = e.srvPort;
    p.encap = e.encap || pk.encap > 0;
    p.tsSec = rec.tsSec;
    p.tsUsec = rec.tsUsec;
    return p;
  }

  /** A FIN at stream position `endSeq`: a hello still short with nothing missing before the FIN never completes. */
  private fin(e: TlsConn, d: TlsDir | null, endSeq: number): void {
    if (d !== null && d.mode === 'gather') {
      const have = d.asm === null ? 0 : d.asm.contiguous;
      if (have >= ((endSeq - d.base) | 0)) {
        if (d === e.cli && have > 0) countDrop(this.stats, 'tcp-incomplete');
        this.dirDone(e, d);
      }
    }
    // The connection is closing: unless a hello is still being read, nothing more will come.
    if (e.cli.mode !== 'gather' && (e.srv === null || e.srv.mode !== 'gather') && this.inTable(e)) this.remove(e, null);
  }

  private inTable(e: TlsConn): boolean {
    return e.newer !== null || e.older !== null || this.table.oldest === e;
  }

  private release(d: TlsDir): void {
    if (d.asm !== null) {
      this.pool.give(d.asm);
      d.asm = null;
    }
  }

  /** One direction wants nothing more; a connection whose client never started TLS leaves the table. */
  private dirDone(e: TlsConn, d: TlsDir): void {
    this.release(d);
    d.mode = 'done';
    if (d === e.cli && e.hellos === 0 && this.inTable(e)) this.remove(e, null);
    else if (e.cli.mode === 'done' && e.srv !== null && e.srv.mode === 'done') e.finished = true;
  }

  /** Drops an entry; a ClientHello still being gathered is counted as `why`. */
  private remove(e: TlsConn, why: TlsDropReason | null): void {
    const c = e.cli;
    if (why !== null && c.mode === 'gather' && c.asm !== null && c.asm.contiguous > c.at && e.hellos < MAX_HELLOS) countDrop(this.stats, why);
    this.release(c);
    if (e.srv !== null) this.release(e.srv);
    this.table.remove(e);
  }

  /** Entries older than the connection timeout go, oldest first (once per second of packet time). */
  private expire(now: number): void {
    if (now === this.lastExpire) return;
    this.lastExpire = now;
    const max = this.opts.maxAgeS;
    for (let e = this.table.oldest; e !== null && (now - e.created) >>> 0 > max; e = this.table.oldest) this.remove(e, 'tcp-expired');
  }
}
