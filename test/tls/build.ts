/**
 * Builders for TLS hello bytes in tests: a ClientHello body from its
 * fields, extensions by type, the handshake header and the record layer
 * (split into records where asked). Written from RFC 8446 section 4.1.2
 * and 5.1; every length field is computed, so tests that want a broken
 * one patch the bytes afterwards.
 */

export const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

function u24(n: number): Buffer {
  return Buffer.from([(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);
}

function u16list(values: number[]): Buffer {
  return Buffer.concat(values.map(u16));
}

export type Ext = [type: number, data: Buffer];

export interface HelloSpec {
  version?: number;
  random?: Buffer;
  sessionId?: Buffer;
  /** DTLS only: the cookie (its presence makes a DTLS body). */
  cookie?: Buffer;
  ciphers: number[];
  compression?: number[];
  /** null: no extension block at all (SSL 3.0 style). */
  extensions?: Ext[] | null;
}

export function clientHelloBody(spec: HelloSpec): Buffer {
  const parts: Buffer[] = [
    u16(spec.version ?? 0x0303),
    spec.random ?? Buffer.alloc(32, 0x11),
    Buffer.from([(spec.sessionId ?? Buffer.alloc(0)).length]),
    spec.sessionId ?? Buffer.alloc(0),
  ];
  if (spec.cookie !== undefined) parts.push(Buffer.from([spec.cookie.length]), spec.cookie);
  const ciphers = u16list(spec.ciphers);
  parts.push(u16(ciphers.length), ciphers);
  const comp = spec.compression ?? [0];
  parts.push(Buffer.from([comp.length, ...comp]));
  if (spec.extensions !== null) {
    const exts = Buffer.concat((spec.extensions ?? []).map(([t, d]) => Buffer.concat([u16(t), u16(d.length), d])));
    parts.push(u16(exts.length), exts);
  }
  return Buffer.concat(parts);
}

export interface ServerHelloSpec {
  version?: number;
  random?: Buffer;
  sessionId?: Buffer;
  cipher: number;
  extensions?: Ext[] | null;
}

export function serverHelloBody(spec: ServerHelloSpec): Buffer {
  const sid = spec.sessionId ?? Buffer.alloc(0);
  const parts = [u16(spec.version ?? 0x0303), spec.random ?? Buffer.alloc(32, 0x22), Buffer.from([sid.length]), sid, u16(spec.cipher), Buffer.from([0])];
  if (spec.extensions !== null) {
    const exts = Buffer.concat((spec.extensions ?? []).map(([t, d]) => Buffer.concat([u16(t), u16(d.length), d])));
    parts.push(u16(exts.length), exts);
  }
  return Buffer.concat(parts);
}

/** A handshake message: type, 24-bit length, body. */
export function handshake(type: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([type]), u24(body.length), body]);
}

/**
 * The record layer around `data`: one handshake record, or several when
 * `sizes` gives the fragment sizes (the last takes the rest).
 */
export function records(data: Buffer, sizes: number[] = [], version = 0x0301, type = 22): Buffer {
  const out: Buffer[] = [];
  let p = 0;
  for (const n of [...sizes, data.length]) {
    if (p >= data.length) break;
    const frag = data.subarray(p, Math.min(data.length, p + n));
    out.push(Buffer.from([type]), u16(version), u16(frag.length), frag);
    p += frag.length;
  }
  return Buffer.concat(out);
}

// ---- extensions -------------------------------------------------------------

export function sni(name: string): Ext {
  const n = Buffer.from(name, 'latin1');
  const entry = Buffer.concat([Buffer.from([0]), u16(n.length), n]);
  return [0x0000, Buffer.concat([u16(entry.length), entry])];
}

export function alpn(names: Array<string | Buffer>): Ext {
  const list = Buffer.concat(
    names.map((x) => {
      const b = typeof x === 'string' ? Buffer.from(x, 'latin1') : x;
      return Buffer.concat([Buffer.from([b.length]), b]);
    }),
  );
  return [0x0010, Buffer.concat([u16(list.length), list])];
}

export function supportedVersions(versions: number[]): Ext {
  const l = u16list(versions);
  return [0x002b, Buffer.concat([Buffer.from([l.length]), l])];
}

export function sigAlgs(values: number[]): Ext {
  const l = u16list(values);
  return [0x000d, Buffer.concat([u16(l.length), l])];
}

export function groups(values: number[]): Ext {
  const l = u16list(values);
  return [0x000a, Buffer.concat([u16(l.length), l])];
}

export function pointFormats(values: number[]): Ext {
  return [0x000b, Buffer.from([values.length, ...values])];
}

/** An extension of any type with opaque contents. */
export function ext(type: number, data: Buffer = Buffer.alloc(0)): Ext {
  return [type, data];
}
