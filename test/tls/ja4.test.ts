/**
 * JA4 (and JA4_r, JA4_o, JA4_ro) and JA3 of hand-made ClientHellos, with
 * the values the specifications give: FoxIO's technical_details/JA4.md
 * worked example, its ALPN examples, and Salesforce's JA3 string format.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { isGrease } from '../../src/fingerprint/tls/grease.js';
import { parseClientHello, type ClientHello } from '../../src/fingerprint/tls/hello.js';
import { ja3 } from '../../src/fingerprint/tls/ja3.js';
import { ja4, ja4Alpn, type Ja4Transport } from '../../src/fingerprint/tls/ja4.js';
import { alpn, clientHelloBody, ext, groups, hex, pointFormats, sigAlgs, sni, supportedVersions, type Ext, type HelloSpec } from './build.js';

function parsed(spec: HelloSpec, dtls = false): ClientHello {
  const r = parseClientHello(clientHelloBody(spec), dtls);
  assert.ok(r.ok, `hello parses: ${JSON.stringify(r)}`);
  return r.hello;
}

const sha12 = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 12);

// The worked example of JA4.md: its ciphers and extensions in their
// original order (as its JA4_ro shows them) and its signature algorithms.
const EX_CIPHERS = [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035];
const EX_SIGS = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601];
function exampleExts(grease: boolean, over: Partial<Record<number, Ext | null>> = {}): Ext[] {
  const byType: Record<number, Ext> = {
    0x0000: sni('example.com'),
    0x0010: alpn(['h2', 'http/1.1']),
    0x000d: sigAlgs(grease ? [...EX_SIGS] : EX_SIGS),
    0x002b: supportedVersions(grease ? [0x3a3a, 0x0304, 0x0303] : [0x0304, 0x0303]),
    0x000a: groups(grease ? [0x4a4a, 0x001d, 0x0017, 0x0018] : [0x001d, 0x0017, 0x0018]),
    0x000b: pointFormats([0]),
  };
  const order = [0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d, 0x0005, 0x0023, 0x0012, 0x002b, 0xff01, 0x000b, 0x000a, 0x0015];
  const out: Ext[] = [];
  if (grease) out.push(ext(0x1a1a));
  for (const t of order) {
    if (t === 0x0015 && grease) out.push(ext(0x2a2a, Buffer.from([0])));
    const o = over[t];
    if (o === null) continue;
    out.push(o ?? byType[t] ?? ext(t, Buffer.from([0, 0])));
  }
  return out;
}
function example(grease: boolean, over: Partial<Record<number, Ext | null>> = {}): HelloSpec {
  return { ciphers: grease ? [0x0a0a, ...EX_CIPHERS] : EX_CIPHERS, extensions: exampleExts(grease, over) };
}

describe('JA4: the specification example', () => {
  const h = parsed(example(true));
  const fp = ja4(h, 'tcp');
  it('JA4', () => assert.equal(fp.ja4, 't13d1516h2_8daaf6152771_e5627efa2ab1'));
  it('JA4_r: sorted, SNI and ALPN left out, signature algorithms in order', () =>
    assert.equal(
      fp.ja4_r,
      't13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601',
    ));
  it('JA4_o: wire order, SNI and ALPN kept', () => assert.equal(fp.ja4_o, 't13d1516h2_acb858a92679_18f69afefd3d'));
  it('JA4_ro', () =>
    assert.equal(
      fp.ja4_ro,
      't13d1516h2_1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035_001b,0000,0033,0010,4469,0017,002d,000d,0005,0023,0012,002b,ff01,000b,000a,0015_0403,0804,0401,0503,0805,0501,0806,0601',
    ));
  it('GREASE anywhere changes nothing', () => assert.deepEqual(ja4(parsed(example(false)), 'tcp'), fp));
  it('the GREASE values are the sixteen 0x?a?a with equal bytes', () => {
    const all: number[] = [];
    for (let v = 0; v < 0x10000; v++) if (isGrease(v)) all.push(v);
    assert.deepEqual(all, [0x0a0a, 0x1a1a, 0x2a2a, 0x3a3a, 0x4a4a, 0x5a5a, 0x6a6a, 0x7a7a, 0x8a8a, 0x9a9a, 0xaaaa, 0xbaba, 0xcaca, 0xdada, 0xeaea, 0xfafa]);
  });
  it('without signature algorithms the string ends without an underscore (spec: 6d807ffa2a79)', () => {
    // 0x000d present with an empty list: the extension counts, no algorithms follow.
    const f = ja4(parsed(example(true, { 0x000d: sigAlgs([]) })), 'tcp');
    assert.equal(f.ja4, 't13d1516h2_8daaf6152771_6d807ffa2a79');
    assert.ok(f.ja4_r.endsWith('_0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01'));
  });
  it('transport letter: q for QUIC, d for DTLS', () => {
    const t: Array<[Ja4Transport, string]> = [
      ['tcp', 't'],
      ['quic', 'q'],
      ['dtls', 'd'],
    ];
    for (const [tr, c] of t) assert.equal(ja4(h, tr).ja4[0], c);
  });
});

describe('JA4 part a', () => {
  it('no SNI: i, and the extension count drops by one', () => {
    const f = ja4(parsed(example(true, { 0x0000: null })), 'tcp');
    assert.equal(f.ja4, 't13i1515h2_8daaf6152771_e5627efa2ab1');
    assert.ok(!f.ja4_ro.includes(',0000,'));
  });
  it('an SNI extension with an empty list still means d (the extension exists)', () => {
    assert.equal(ja4(parsed(example(true, { 0x0000: ext(0x0000) })), 'tcp').ja4.slice(0, 4), 't13d');
  });
  it('no ALPN: 00', () => {
    const f = ja4(parsed(example(true, { 0x0010: null })), 'tcp');
    assert.equal(f.ja4, 't13d151500_8daaf6152771_e5627efa2ab1');
  });
  it('ALPN with an empty list, or an empty first value: 00', () => {
    assert.equal(ja4(parsed(example(true, { 0x0010: alpn([]) })), 'tcp').ja4.slice(8, 10), '00');
    assert.equal(ja4(parsed(example(true, { 0x0010: alpn(['', 'h2']) })), 'tcp').ja4.slice(8, 10), '00');
  });
  it('ALPN characters: first and last, the spec hex rule when either is not alphanumeric', () => {
    const cases: Array<[Array<string | Buffer>, string]> = [
      [['h2'], 'h2'],
      [['http/1.1', 'h2'], 'h1'],
      [['h3'], 'h3'],
      [['x'], 'xx'], // one character: both first and last
      [['H2'], 'H2'],
      [[hex('ab')], 'ab'],
      [[hex('abcd')], 'ad'],
      [[hex('30ab')], '3b'],
      [[hex('3031abcd')], '3d'],
      [[hex('30abcd31')], '01'],
      [[hex('baad'), 'http/1.1'], 'bd'],
      [['h2/'], '6f'], // '/' is not alphanumeric: the hex 68322f gives 6 and f
      [[' h2'], '22'], // nor is ' ': 206832 gives 2 and 2
    ];
    for (const [names, want] of cases) {
      const got = ja4Alpn(parsed({ ciphers: [0x1301], extensions: [alpn(names)] }));
      assert.equal(got, want, `ALPN ${names.map((n) => Buffer.from(n).toString('hex')).join(',')}`);
    }
  });
  it('more than 99 ciphers or extensions: 99', () => {
    const ciphers = Array.from({ length: 120 }, (_, i) => 0x0100 + i);
    const exts = Array.from({ length: 105 }, (_, i) => ext(0x0100 + i));
    const f = ja4(parsed({ ciphers, extensions: exts }), 'tcp');
    assert.equal(f.ja4.slice(0, 10), 't12i999900');
    // The hash still covers every cipher.
    assert.equal(f.ja4.slice(11, 23), sha12(ciphers.map((c) => c.toString(16).padStart(4, '0')).join(',')));
  });
  it('the cap at its edge: 98, 99, 100 ciphers', () => {
    for (const [n, want] of [
      [98, '98'],
      [99, '99'],
      [100, '99'],
    ] as const) {
      const ciphers = Array.from({ length: n }, (_, i) => 0x0100 + i);
      assert.equal(ja4(parsed({ ciphers, extensions: [] }), 'tcp').ja4.slice(4, 6), want);
    }
  });
  it('counts under ten are zero-padded', () => {
    assert.equal(ja4(parsed({ ciphers: [0x002f, 0x0035], extensions: [sni('a.b')] }), 'tcp').ja4.slice(0, 10), 't12d020100');
  });
});

describe('JA4 version', () => {
  const v = (spec: HelloSpec, dtls = false): string => ja4(parsed(spec, dtls), dtls ? 'dtls' : 'tcp').ja4.slice(1, 3);
  it('TLS 1.2 without supported_versions: the hello version', () => assert.equal(v({ version: 0x0303, ciphers: [0xc02f] }), '12'));
  it('TLS 1.1, 1.0', () => {
    assert.equal(v({ version: 0x0302, ciphers: [0x002f] }), '11');
    assert.equal(v({ version: 0x0301, ciphers: [0x002f] }), '10');
  });
  it('SSL 3.0', () => assert.equal(v({ version: 0x0300, ciphers: [0x000a], extensions: null }), 's3'));
  it('supported_versions: its highest non-GREASE value, whatever the hello version says', () => {
    assert.equal(v({ version: 0x0303, ciphers: [0x1301], extensions: [supportedVersions([0xfafa, 0x0303, 0x0304])] }), '13');
    assert.equal(v({ version: 0x0301, ciphers: [0x1301], extensions: [supportedVersions([0x0302, 0x0301])] }), '11');
  });
  it('supported_versions with only GREASE: the hello version', () =>
    assert.equal(v({ version: 0x0303, ciphers: [0x1301], extensions: [supportedVersions([0x7a7a])] }), '12'));
  it('an unknown highest version (a TLS 1.3 draft): 00', () =>
    assert.equal(v({ version: 0x0303, ciphers: [0x1301], extensions: [supportedVersions([0x7f17, 0x0303])] }), '00'));
  it('DTLS 1.0, 1.2 and 1.3 (the highest DTLS version is the lowest number)', () => {
    assert.equal(v({ version: 0xfeff, cookie: Buffer.alloc(0), ciphers: [0xc02b] }, true), 'd1');
    assert.equal(v({ version: 0xfefd, cookie: Buffer.from('cafe', 'hex'), ciphers: [0xc02b] }, true), 'd2');
    assert.equal(v({ version: 0xfefd, cookie: Buffer.alloc(0), ciphers: [0x1301], extensions: [supportedVersions([0xfefc, 0xfefd])] }, true), 'd3');
  });
});

describe('JA4 empty lists', () => {
  it('no ciphers: b is 000000000000; no extensions: c is 000000000000', () => {
    const f = ja4(parsed({ version: 0x0300, ciphers: [], extensions: null }), 'tcp');
    assert.equal(f.ja4, 'ts3i000000_000000000000_000000000000');
    assert.equal(f.ja4_r, 'ts3i000000__');
    assert.equal(f.ja4_o, f.ja4);
  });
  it('only SNI and ALPN: the sorted list is empty (000000000000) but the original one is not', () => {
    const f = ja4(parsed({ ciphers: [0x1301], extensions: [sni('x.example'), alpn(['h2'])] }), 'tcp');
    assert.equal(f.ja4.slice(-12), '000000000000');
    assert.equal(f.ja4_o.slice(-12), sha12('0000,0010'));
    assert.equal(f.ja4_ro, 't12d0102h2_1301_0000,0010');
  });
});

// RFC 9001 appendix A.2's ClientHello (inside the CRYPTO frame), in hex.
const RFC_HELLO = hex(`
0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e86804fe3a47f06a2b69484c000004130113020100
00c000000010000e00000b6578616d706c652e636f6dff01000100000a00080006001d001700180010000700
0504616c706e000500050100000000003300260024001d00209370b2c9caa47fbabaf4559fedba753de171fa
71f50f1ce15d43e994ec74d748002b0003020304000d0010000e0403050306030203080408050806002d0002
0101001c00024001003900320408ffffffffffffffff05048000ffff07048000ffff0801100104800075300901
100f088394c8f03e51570806048000ffff`);

describe('JA4 and JA3 of RFC 9001 A.2 ClientHello (read by hand from its hex)', () => {
  const r = parseClientHello(RFC_HELLO);
  assert.ok(r.ok);
  const h = r.hello;
  // ciphers 1301 1302; extensions in order 0000 ff01 000a 0010 0005 0033 002b 000d 002d 001c 0039;
  // ALPN "alpn"; signature algorithms 0403 0503 0603 0203 0804 0805 0806; groups 001d 0017 0018.
  const sorted = '0005,000a,000d,001c,002b,002d,0033,0039,ff01';
  const orig = '0000,ff01,000a,0010,0005,0033,002b,000d,002d,001c,0039';
  const sigs = '0403,0503,0603,0203,0804,0805,0806';
  it('JA4 over QUIC', () => {
    const f = ja4(h, 'quic');
    assert.equal(f.ja4_r, `q13d0211an_1301,1302_${sorted}_${sigs}`);
    assert.equal(f.ja4_ro, `q13d0211an_1301,1302_${orig}_${sigs}`);
    assert.equal(f.ja4, `q13d0211an_${sha12('1301,1302')}_${sha12(`${sorted}_${sigs}`)}`);
    assert.equal(f.ja4_o, `q13d0211an_${sha12('1301,1302')}_${sha12(`${orig}_${sigs}`)}`);
  });
  it('JA3: decimal, wire order; no point formats here', () => {
    const s = '771,4865-4866,0-65281-10-16-5-51-43-13-45-28-57,29-23-24,';
    assert.deepEqual(ja3(h), { ja3: createHash('md5').update(s).digest('hex'), ja3_full: s });
  });
});

describe('JA3', () => {
  it('GREASE left out of ciphers, extensions and groups; point formats kept', () => {
    const f = ja3(parsed(example(true)));
    assert.equal(
      f.ja3_full,
      '771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,27-0-51-16-17513-23-45-13-5-35-18-43-65281-11-10-21,29-23-24,0',
    );
    assert.deepEqual(ja3(parsed(example(false))), f);
  });
  it('a hello without extensions: three empty lists', () => {
    assert.equal(ja3(parsed({ version: 0x0300, ciphers: [0x000a, 0x0005], extensions: null })).ja3_full, '768,10-5,,,');
  });
  it('the version is the hello version, not supported_versions', () => {
    assert.equal(ja3(parsed({ version: 0x0303, ciphers: [0x1301], extensions: [supportedVersions([0x0304])] })).ja3_full, '771,4865,43,,');
  });
});
