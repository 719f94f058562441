/**
 * ClientHello and ServerHello parsing: hex fixtures for SSL 3.0 and a TLS
 * 1.2 hello without supported_versions, every truncation of a hello, and
 * the lenient reading of a broken extension block.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { parseClientHello, parseServerHello } from '../../src/fingerprint/tls/hello.js';
import { ja3 } from '../../src/fingerprint/tls/ja3.js';
import { ja4 } from '../../src/fingerprint/tls/ja4.js';
import { frameHandshake } from '../../src/fingerprint/tls/records.js';
import { alpn, clientHelloBody, ext, hex, serverHelloBody, sni, supportedVersions } from './build.js';

const sha12 = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 12);
const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

function helloOf(record: Buffer) {
  const f = frameHandshake(record);
  assert.equal(f.kind, 'complete');
  if (f.kind !== 'complete') throw new Error('unreachable');
  assert.equal(f.msgType, 1);
  const r = parseClientHello(f.body);
  assert.ok(r.ok, JSON.stringify(r));
  return r.hello;
}

/** SSL 3.0: record and hello version 3.0, two ciphers, no extension block. */
const SSL3 = hex(`
160300002f 0100002b 0300
000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
00 0004 000a 0005 01 00`);

/** TLS 1.2 without supported_versions: SNI a.io, point formats, one group, two signature algorithms. */
const TLS12 = hex(`
1603010056 01000052 0303
2222222222222222222222222222222222222222222222222222222222222222
00 0004 c02f c030 01 00
0025
0000 0009 0007 00 0004 612e696f
000b 0002 01 00
000a 0004 0002 0017
000d 0006 0004 0401 0501`);

describe('hex fixtures', () => {
  it('SSL 3.0', () => {
    const h = helloOf(SSL3);
    assert.equal(h.version, 0x0300);
    assert.deepEqual(h.ciphers, [0x000a, 0x0005]);
    assert.deepEqual(h.extensions, []);
    assert.equal(h.supportedVersions, null);
    assert.equal(ja4(h, 'tcp').ja4, `ts3i020000_${sha12('0005,000a')}_000000000000`);
    assert.deepEqual(ja3(h), { ja3: md5('768,10-5,,,'), ja3_full: '768,10-5,,,' });
  });
  it('TLS 1.2 without supported_versions', () => {
    const h = helloOf(TLS12);
    assert.equal(h.sni, 'a.io');
    assert.deepEqual(h.extensions, [0x0000, 0x000b, 0x000a, 0x000d]);
    assert.deepEqual(h.pointFormats, [0]);
    assert.deepEqual(h.groups, [0x0017]);
    assert.deepEqual(h.signatureAlgorithms, [0x0401, 0x0501]);
    assert.equal(h.alpn, null);
    assert.equal(ja4(h, 'tcp').ja4, `t12d020400_${sha12('c02f,c030')}_${sha12('000a,000b,000d_0401,0501')}`);
    assert.equal(ja3(h).ja3_full, '771,49199-49200,0-11-10-13,23,0');
  });
});

describe('ClientHello: bad input is a reason', () => {
  const body = clientHelloBody({
    sessionId: Buffer.alloc(32, 7),
    ciphers: [0x1301, 0x1302],
    extensions: [sni('example.com'), alpn(['h2']), supportedVersions([0x0304])],
  });
  // Where the extension block starts: version, random, session id, ciphers, compression.
  const extStart = 2 + 32 + 1 + 32 + 2 + 4 + 2;
  it('every cut before the extension block is truncated; none throws', () => {
    for (let n = 0; n < extStart - 1; n++) {
      const r = parseClientHello(body.subarray(0, n));
      assert.deepEqual(r, { ok: false, reason: 'truncated' }, `cut at ${n}`);
    }
  });
  it('a cut inside the extension block keeps the whole extensions before it, and counts the damage', () => {
    for (let n = extStart + 2; n < body.length; n++) {
      const r = parseClientHello(body.subarray(0, n));
      assert.ok(r.ok, `cut at ${n}`);
      assert.ok(r.hello.malformed > 0, `cut at ${n}`);
      assert.ok(r.hello.extensions.length < 3);
    }
    const whole = parseClientHello(body);
    assert.ok(whole.ok && whole.hello.malformed === 0 && whole.hello.extensions.length === 3);
  });
  it('an odd cipher list length', () => {
    const b = Buffer.from(body);
    b.writeUInt16BE(3, 2 + 32 + 1 + 32);
    assert.deepEqual(parseClientHello(b), { ok: false, reason: 'bad-ciphers' });
  });
  it('a version that is not TLS or DTLS', () => {
    const b = Buffer.from(body);
    b.writeUInt16BE(0x0200, 0);
    assert.deepEqual(parseClientHello(b), { ok: false, reason: 'bad-version' });
  });
  it('a malformed extension body is kept in the list and its contents ignored', () => {
    const r = parseClientHello(clientHelloBody({ ciphers: [0x1301], extensions: [ext(0x0000, hex('00ff00')), ext(0x0010, hex('0005')), ext(0x0017)] }));
    assert.ok(r.ok);
    assert.deepEqual(r.hello.extensions, [0x0000, 0x0010, 0x0017]);
    assert.equal(r.hello.sni, null);
    assert.equal(r.hello.malformed, 2);
  });
  it('a DTLS hello carries a cookie', () => {
    const d = clientHelloBody({ version: 0xfefd, cookie: hex('0102030405'), ciphers: [0xc02b], extensions: [] });
    const r = parseClientHello(d, true);
    assert.ok(r.ok && r.hello.dtls && r.hello.ciphers[0] === 0xc02b);
    // Read as TLS the cookie length is taken for the cipher list's.
    const t = parseClientHello(d, false);
    assert.ok(!t.ok || t.hello.ciphers[0] !== 0xc02b);
  });
});

describe('ServerHello', () => {
  it('TLS 1.3: the version chosen comes from supported_versions', () => {
    // RFC 9001 A.3's ServerHello (from the server Initial's CRYPTO frame).
    const body = hex(`0303eefce7f7b37ba1d1632e96677825ddf73988cfc79825df566dc5430b9a045a1200130100002e00330024001d00209d3c940d89690b84d08a60993c144eca684d1081287c834d5311bcf32bb9da1a002b00020304`);
    const r = parseServerHello(body);
    assert.ok(r.ok);
    assert.equal(r.hello.version, 0x0303);
    assert.equal(r.hello.selectedVersion, 0x0304);
    assert.equal(r.hello.cipher, 0x1301);
    assert.deepEqual(r.hello.extensions, [0x0033, 0x002b]);
    assert.equal(r.hello.alpn, null);
    assert.equal(r.hello.helloRetryRequest, false);
  });
  it('TLS 1.2 with ALPN', () => {
    const r = parseServerHello(serverHelloBody({ cipher: 0xc02f, sessionId: Buffer.alloc(32, 1), extensions: [alpn(['h2']), ext(0xff01, hex('00'))] }));
    assert.ok(r.ok);
    assert.equal(r.hello.selectedVersion, 0x0303);
    assert.equal(r.hello.cipher, 0xc02f);
    assert.equal(r.hello.alpn, 'h2');
  });
  it('a HelloRetryRequest is told by its random', () => {
    const random = hex('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c');
    const r = parseServerHello(serverHelloBody({ cipher: 0x1301, random, extensions: [supportedVersions([])] }));
    assert.ok(r.ok && r.hello.helloRetryRequest);
  });
  it('a TLS 1.3 draft ServerHello (no session id or compression) is read', () => {
    const body = Buffer.concat([hex('7f10'), Buffer.alloc(32, 3), hex('1303 0006 002b 0002 7f10')]);
    const r = parseServerHello(body);
    assert.ok(r.ok);
    assert.equal(r.hello.cipher, 0x1303);
    assert.equal(r.hello.selectedVersion, 0x7f10);
  });
  it('every truncation is a reason or a partial read, never a throw', () => {
    const body = serverHelloBody({ cipher: 0xc02f, sessionId: Buffer.alloc(32, 1), extensions: [alpn(['h2'])] });
    for (let n = 0; n < body.length; n++) {
      const r = parseServerHello(body.subarray(0, n));
      if (n < 2 + 32 + 1 + 32 + 3) assert.deepEqual(r, { ok: false, reason: 'truncated' }, `cut at ${n}`);
      else assert.ok(r.ok, `cut at ${n}`);
    }
  });
});
