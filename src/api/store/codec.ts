/**
 * Connection verdicts and host records as compact binary records, so that
 * the sensor's thread only copies fields into a shared ring and the
 * publishing thread (publish-worker.ts) makes the JSON. A record decodes to
 * the very ConnVerdict / HostView fields it was made from, which the
 * worker turns into JSON with connToJson / hostToJson: the store holds the
 * daemon's shapes by construction.
 *
 *   record  = kind u8 (1 conn, 2 host) fields...
 *   string  = u16 byte length (0xffff: null), UTF-8 bytes
 *   number  = f64 (every number: exact whatever its range)
 *   bool    = u8
 *
 * The writer works in a scratch buffer and says when a record would not
 * fit (the caller drops it and counts it); the reader trusts only records
 * the writer made (the ring is not shared with anyone else).
 */
import type { ConnVerdict, HttpVerdict, SideVerdict, TcpVerdict } from '../../state/conn-verdicts.js';
import type { HostView } from '../types.js';

export const REC_CONN = 1;
export const REC_HOST = 2;
const NULL_STR = 0xffff;

export class RecordWriter {
  readonly buf: Buffer;
  private readonly dv: DataView;
  off = 0;
  /** A write ran past the end: the record is void. */
  overflow = false;

  constructor(size = 64 * 1024) {
    this.buf = Buffer.alloc(size);
    this.dv = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  reset(): void {
    this.off = 0;
    this.overflow = false;
  }

  u8(n: number): void {
    if (this.off + 1 > this.buf.length) return void (this.overflow = true);
    this.buf[this.off++] = n;
  }

  bool(b: boolean): void {
    this.u8(b ? 1 : 0);
  }

  f64(n: number): void {
    if (this.off + 8 > this.buf.length) return void (this.overflow = true);
    this.dv.setFloat64(this.off, n, true);
    this.off += 8;
  }

  str(s: string | null): void {
    const at = this.off;
    if (at + 2 > this.buf.length) return void (this.overflow = true);
    if (s === null) {
      this.dv.setUint16(at, NULL_STR, true);
      this.off += 2;
      return;
    }
    // Room for the worst case (3 bytes per UTF-16 unit), and a length that fits u16.
    if (s.length * 3 > Math.min(NULL_STR - 1, this.buf.length - at - 2)) {
      const n = Buffer.byteLength(s, 'utf8');
      if (n >= NULL_STR || at + 2 + n > this.buf.length) return void (this.overflow = true);
    }
    const n = this.buf.write(s, at + 2, 'utf8');
    this.dv.setUint16(at, n, true);
    this.off = at + 2 + n;
  }
}

export class RecordReader {
  private readonly dv: DataView;
  off: number;

  constructor(
    private readonly buf: Buffer,
    off: number,
  ) {
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.off = off;
  }

  u8(): number {
    return this.buf[this.off++]!;
  }

  bool(): boolean {
    return this.buf[this.off++] !== 0;
  }

  f64(): number {
    const v = this.dv.getFloat64(this.off, true);
    this.off += 8;
    return v;
  }

  str(): string | null {
    const n = this.dv.getUint16(this.off, true);
    this.off += 2;
    if (n === NULL_STR) return null;
    const s = this.buf.toString('utf8', this.off, this.off + n);
    this.off += n;
    return s;
  }
}

// ---------------------------------------------------------------- connections

function writeTcp(w: RecordWriter, t: TcpVerdict): void {
  const m = t.match;
  w.bool(m !== null);
  if (m) {
    w.str(m.name);
    w.str(m.flavor);
    w.str(m.cls);
    w.bool(m.userland);
    w.bool(m.generic);
    w.bool(m.fuzzy);
  }
  w.str(t.label);
  w.f64(t.dist);
  w.bool(t.distUpperBound);
  w.f64(t.quality);
  w.str(t.params);
  w.str(t.rawSig);
}

function readTcp(r: RecordReader): TcpVerdict {
  const match = r.bool() ? { name: r.str()!, flavor: r.str(), cls: r.str(), userland: r.bool(), generic: r.bool(), fuzzy: r.bool() } : null;
  return { match, label: r.str(), dist: r.f64(), distUpperBound: r.bool(), quality: r.f64(), params: r.str(), rawSig: r.str() };
}

function writeHttp(w: RecordWriter, h: HttpVerdict): void {
  const a = h.app;
  w.bool(a !== null);
  if (a) {
    w.str(a.name);
    w.str(a.flavor);
    w.bool(a.generic);
  }
  w.str(h.label);
  w.str(h.language);
  w.f64(h.badSw);
  w.str(h.params);
  w.str(h.rawSig);
}

function readHttp(r: RecordReader): HttpVerdict {
  const app = r.bool() ? { name: r.str()!, flavor: r.str(), generic: r.bool() } : null;
  return { app, label: r.str(), language: r.str(), badSw: r.f64(), params: r.str(), rawSig: r.str() };
}

/** Which parts a side has, one bit each. */
const S_TCP = 1;
const S_MTU = 2;
const S_UPTIME = 4;
const S_HTTP = 8;
const S_NAT = 16;

function writeSide(w: RecordWriter, s: SideVerdict): void {
  w.u8((s.tcp ? S_TCP : 0) | (s.mtu ? S_MTU : 0) | (s.uptime ? S_UPTIME : 0) | (s.http ? S_HTTP : 0) | (s.nat ? S_NAT : 0));
  if (s.tcp) writeTcp(w, s.tcp);
  if (s.mtu) {
    w.f64(s.mtu.mtu);
    w.str(s.mtu.link);
  }
  if (s.uptime) {
    w.f64(s.uptime.minutes);
    w.f64(s.uptime.moduloDays);
    w.f64(s.uptime.freqHz);
  }
  if (s.http) writeHttp(w, s.http);
  if (s.nat) {
    w.bool(s.nat.kind === 'ip sharing');
    const n = Math.min(255, s.nat.reasons.length);
    w.u8(n);
    for (let i = 0; i < n; i++) w.str(s.nat.reasons[i]!);
    w.f64(s.nat.tsSec);
  }
}

function readSide(r: RecordReader): SideVerdict {
  const bits = r.u8();
  const tcp = bits & S_TCP ? readTcp(r) : null;
  const mtu = bits & S_MTU ? { mtu: r.f64(), link: r.str() } : null;
  const uptime = bits & S_UPTIME ? { minutes: r.f64(), moduloDays: r.f64(), freqHz: r.f64() } : null;
  const http = bits & S_HTTP ? readHttp(r) : null;
  let nat: SideVerdict['nat'] = null;
  if (bits & S_NAT) {
    const kind = r.bool() ? ('ip sharing' as const) : ('host change' as const);
    const reasons: string[] = [];
    for (let n = r.u8(); n > 0; n--) reasons.push(r.str() ?? '');
    nat = { kind, reasons, tsSec: r.f64() };
  }
  return { tcp, mtu, uptime, http, nat };
}

/** Writes a connection record; false when it did not fit. */
export function writeConn(w: RecordWriter, v: ConnVerdict): boolean {
  w.reset();
  w.u8(REC_CONN);
  w.u8(v.ipVer);
  w.u8((v.encap ? 1 : 0) | (v.sendsyn ? 2 : 0));
  w.str(v.cli);
  w.f64(v.cliPort);
  w.str(v.srv);
  w.f64(v.srvPort);
  w.f64(v.firstSeen);
  w.f64(v.lastSeen);
  writeSide(w, v.client);
  writeSide(w, v.server);
  return !w.overflow;
}

function readConn(r: RecordReader): ConnVerdict {
  const ipVer = r.u8() as 4 | 6;
  const flags = r.u8();
  return {
    ipVer,
    encap: (flags & 1) !== 0,
    sendsyn: (flags & 2) !== 0,
    cli: r.str()!,
    cliPort: r.f64(),
    srv: r.str()!,
    srvPort: r.f64(),
    firstSeen: r.f64(),
    lastSeen: r.f64(),
    client: readSide(r),
    server: readSide(r),
  };
}

// ---------------------------------------------------------------- hosts

/** Writes a host record; false when it did not fit. */
export function writeHost(w: RecordWriter, h: HostView): boolean {
  w.reset();
  w.u8(REC_HOST);
  w.u8(h.ipVer);
  w.str(h.addr);
  w.f64(h.firstSeen);
  w.f64(h.lastSeen);
  w.f64(h.totalConn);
  const os = h.lastOs;
  w.bool(os !== null);
  if (os) {
    w.str(os.name);
    w.str(os.flavor);
    w.str(os.cls);
  }
  w.f64(h.lastQuality);
  w.f64(h.distance);
  w.f64(h.lastUpMin);
  w.f64(h.upModDays);
  w.f64(h.mtu);
  w.str(h.linkType);
  w.f64(h.lastNat);
  w.f64(h.lastChg);
  w.str(h.httpName);
  w.str(h.httpFlavor);
  w.str(h.language);
  w.f64(h.badSw);
  return !w.overflow;
}

function readHost(r: RecordReader): HostView {
  const ipVer = r.u8() as 4 | 6;
  const addr = r.str()!;
  const firstSeen = r.f64();
  const lastSeen = r.f64();
  const totalConn = r.f64();
  // Only the label fields the host JSON reads.
  const lastOs = r.bool() ? ({ name: r.str()!, flavor: r.str(), cls: r.str() } as HostView['lastOs']) : null;
  return {
    ipVer,
    addr,
    firstSeen,
    lastSeen,
    totalConn,
    lastOs,
    lastQuality: r.f64(),
    distance: r.f64(),
    lastUpMin: r.f64(),
    upModDays: r.f64(),
    mtu: r.f64(),
    linkType: r.str(),
    lastNat: r.f64(),
    lastChg: r.f64(),
    httpName: r.str(),
    httpFlavor: r.str(),
    language: r.str(),
    badSw: r.f64(),
  };
}

export type DecodedRecord = { kind: 'conn'; conn: ConnVerdict } | { kind: 'host'; host: HostView } | { kind: 'bad' };

/** Reads the record at buf[off]. */
export function readRecord(buf: Buffer, off: number): DecodedRecord {
  const r = new RecordReader(buf, off);
  const kind = r.u8();
  if (kind === REC_CONN) return { kind: 'conn', conn: readConn(r) };
  if (kind === REC_HOST) return { kind: 'host', host: readHost(r) };
  return { kind: 'bad' };
}
