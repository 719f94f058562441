/**
 * JA4, the TLS client fingerprint, and its raw and original-order forms
 * (JA4_r, JA4_o, JA4_ro), written from FoxIO's specification
 * (technical_details/JA4.md in FoxIO-LLC/ja4, BSD 3-Clause):
 *
 *   a: transport (t TCP, q QUIC, d DTLS), version (2), SNI (d or i),
 *      cipher count (2), extension count (2), ALPN first/last char (2)
 *   b: sha256 of the sorted cipher list, first 12 hex digits
 *   c: sha256 of the sorted extension list (SNI and ALPN left out), then
 *      "_" and the signature algorithms in their order, first 12 digits
 *
 * GREASE is skipped everywhere. JA4_r prints b and c unhashed; JA4_o
 * hashes the lists in wire order (SNI and ALPN kept); JA4_ro prints those.
 * Only JA4 (the TLS client method) is implemented, not the other JA4+
 * methods, which are under another licence.
 */
import { digestHex } from './digest.js';
import { isGrease } from './grease.js';
import { ExtensionType, type ClientHello } from './hello.js';
import { hex2 } from './hex.js';
import { putHexList, scratchBytes, scratchWords } from './scratch.js';

export type Ja4Transport = 'tcp' | 'quic' | 'dtls';

export interface Ja4Set {
  ja4: string;
  ja4_r: string;
  ja4_o: string;
  ja4_ro: string;
}

/** What a hash of an empty list is printed as. */
export const EMPTY_HASH = '000000000000';

const TRANSPORT: Record<Ja4Transport, string> = { tcp: 't', quic: 'q', dtls: 'd' };
const UNDERSCORE = 0x5f;

/** JA4's two-character code for a protocol version; '00' when unknown. */
export function ja4VersionCode(v: number): string {
  switch (v) {
    case 0x0304:
      return '13';
    case 0x0303:
      return '12';
    case 0x0302:
      return '11';
    case 0x0301:
      return '10';
    case 0x0300:
      return 's3';
    case 0x0002:
      return 's2';
    case 0xfeff:
      return 'd1';
    case 0xfefd:
      return 'd2';
    case 0xfefc:
      return 'd3';
    default:
      return '00';
  }
}

/**
 * The version JA4 reports: the highest non-GREASE value of
 * supported_versions when the extension offers one, else the hello's own
 * version. DTLS numbers versions downwards (1.0 is 0xfeff, 1.3 0xfefc), so
 * for a DTLS hello the highest version is the lowest DTLS number.
 */
export function ja4Version(hello: ClientHello): number {
  const list = hello.supportedVersions;
  let best = -1;
  if (list !== null) {
    for (const v of list) {
      if (isGrease(v)) continue;
      if (hello.dtls) {
        if (v >> 8 === 0xfe && (best < 0 || v < best)) best = v;
      } else if (v > best) {
        best = v;
      }
    }
  }
  return best >= 0 ? best : hello.version;
}

function isAlnum(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/**
 * The ALPN characters: the first and last character of the first ALPN
 * value when both are alphanumeric, else the first and last digit of that
 * value's hex form; '00' without ALPN, with an empty list or an empty first
 * value.
 */
export function ja4Alpn(hello: ClientHello): string {
  const first = hello.alpn !== null && hello.alpn.length > 0 ? hello.alpn[0] : '';
  if (first.length === 0) return '00';
  const f = first.charCodeAt(0);
  const l = first.charCodeAt(first.length - 1);
  // One character is both the first and the last.
  if (isAlnum(f) && isAlnum(l)) return first[0] + first[first.length - 1];
  return hex2(f)[0] + hex2(l)[1];
}

function count2(n: number): string {
  return n > 99 ? '99' : n < 10 ? '0' + n : String(n);
}

function hash12(b: Buffer, from: number, to: number): string {
  return digestHex('sha256', b.subarray(from, to)).slice(0, 12);
}

/** The "a" part, e.g. t13d1516h2. */
export function ja4a(hello: ClientHello, transport: Ja4Transport): string {
  let ciphers = 0;
  for (const c of hello.ciphers) if (!isGrease(c)) ciphers++;
  let exts = 0;
  let sni = false;
  for (const e of hello.extensions) {
    if (isGrease(e)) continue;
    exts++;
    if (e === ExtensionType.SERVER_NAME) sni = true;
  }
  return (
    TRANSPORT[transport] +
    ja4VersionCode(ja4Version(hello)) +
    (sni ? 'd' : 'i') +
    count2(ciphers) +
    count2(exts) +
    ja4Alpn(hello)
  );
}

/**
 * JA4 and its three variants for one ClientHello. Without `variants`, only
 * JA4 itself is made (the others are ''): half the hashing, for a caller
 * that reports JA4 alone.
 */
export function ja4(hello: ClientHello, transport: Ja4Transport, variants = true): Ja4Set {
  const a = ja4a(hello, transport);
  const { ciphers, extensions, signatureAlgorithms } = hello;

  // Side by side in the scratch words: ciphers in wire order, the same
  // sorted, extensions in wire order, those sorted (SNI and ALPN out), and
  // the signature algorithms; GREASE left out of all.
  const cap = ciphers.length + extensions.length;
  const w = scratchWords(2 * cap + signatureAlgorithms.length);
  let nc = 0;
  for (const c of ciphers) if (!isGrease(c)) w[nc++] = c;
  const cs = nc;
  w.copyWithin(cs, 0, nc);
  w.subarray(cs, cs + nc).sort();
  const eo = 2 * nc;
  let ne = 0;
  for (const e of extensions) if (!isGrease(e)) w[eo + ne++] = e;
  const es = eo + ne;
  let ns = 0;
  for (let i = 0; i < ne; i++) {
    const e = w[eo + i];
    if (e !== ExtensionType.SERVER_NAME && e !== ExtensionType.ALPN) w[es + ns++] = e;
  }
  w.subarray(es, es + ns).sort();
  const sg = es + ns;
  let nsig = 0;
  for (const s of signatureAlgorithms) if (!isGrease(s)) w[sg + nsig++] = s;

  // The two raw forms, one after the other: a_ciphers_extensions[_sigalgs].
  const b = scratchBytes(2 * (a.length + 3 + 5 * (nc + ne + nsig)));
  const raw = (at: number, c0: number, e0: number, n: number): [number, number, number, number] => {
    let p = at + b.write(a, at, 'latin1');
    b[p++] = UNDERSCORE;
    const cFrom = p;
    p = putHexList(b, p, w, c0, nc);
    const cTo = p;
    b[p++] = UNDERSCORE;
    const eFrom = p;
    p = putHexList(b, p, w, e0, n);
    if (nsig > 0) {
      b[p++] = UNDERSCORE;
      p = putHexList(b, p, w, sg, nsig);
    }
    return [cFrom, cTo, eFrom, p];
  };
  const [sc0, sc1, se0, rEnd] = raw(0, cs, es, ns);
  const bSorted = nc > 0 ? hash12(b, sc0, sc1) : EMPTY_HASH;
  const cSorted = ns > 0 ? hash12(b, se0, rEnd) : EMPTY_HASH;
  if (!variants) return { ja4: a + '_' + bSorted + '_' + cSorted, ja4_r: '', ja4_o: '', ja4_ro: '' };
  const [oc0, oc1, oe0, oEnd] = raw(rEnd, 0, eo, ne);

  const bOrig = nc > 0 ? hash12(b, oc0, oc1) : EMPTY_HASH;
  const cOrig = ne > 0 ? hash12(b, oe0, oEnd) : EMPTY_HASH;
  return {
    ja4: a + '_' + bSorted + '_' + cSorted,
    ja4_r: b.toString('latin1', 0, rEnd),
    ja4_o: a + '_' + bOrig + '_' + cOrig,
    ja4_ro: b.toString('latin1', rEnd, oEnd),
  };
}
