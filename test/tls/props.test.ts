/**
 * Property tests (fast-check): the framer, the hello parsers and the
 * fingerprints never throw on random or mutated input, always answer in
 * their declared shapes, and read back what a valid hello holds however
 * its records are cut.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isGrease } from '../../src/fingerprint/tls/grease.js';
import { parseClientHello, parseServerHello } from '../../src/fingerprint/tls/hello.js';
import { ja3 } from '../../src/fingerprint/tls/ja3.js';
import { ja4 } from '../../src/fingerprint/tls/ja4.js';
import { openVpnTcpTls } from '../../src/fingerprint/tls/openvpn.js';
import { frameDtlsHandshake, frameHandshake, scanForHandshake } from '../../src/fingerprint/tls/records.js';
import { alpn, clientHelloBody, handshake, records, sigAlgs, sni, supportedVersions, type Ext, type HelloSpec } from './build.js';

const JA4_SHAPE = /^[tqd](13|12|11|10|s3|s2|d1|d2|d3|00)[di]\d{4}[0-9A-Za-z]{2}_[0-9a-f]{12}_[0-9a-f]{12}$/;
const JA3_SHAPE = /^\d+,[\d-]*,[\d-]*,[\d-]*,[\d-]*$/;

function checkFingerprints(body: Buffer): void {
  const r = parseClientHello(body);
  if (!r.ok) {
    assert.ok(['truncated', 'bad-version', 'bad-ciphers'].includes(r.reason));
    return;
  }
  const f = ja4(r.hello, 'tcp');
  assert.match(f.ja4, JA4_SHAPE);
  assert.match(f.ja4_o, JA4_SHAPE);
  assert.ok(f.ja4_r.startsWith(f.ja4.slice(0, 11)));
  const j = ja3(r.hello);
  assert.match(j.ja3, /^[0-9a-f]{32}$/);
  assert.match(j.ja3_full, JA3_SHAPE);
}

const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));
const u16 = fc.integer({ min: 0, max: 0xffff });

const extArb: fc.Arbitrary<Ext> = fc.oneof(
  fc.tuple(u16, bytes(12)).map(([t, d]) => [t, d] as Ext),
  fc.domain().map((d) => sni(d)),
  fc.array(fc.oneof(fc.constantFrom('h2', 'http/1.1', 'h3', ''), bytes(5)), { maxLength: 3 }).map((l) => alpn(l)),
  fc.array(u16, { maxLength: 6 }).map((l) => supportedVersions(l)),
  fc.array(u16, { maxLength: 10 }).map((l) => sigAlgs(l)),
);

const helloArb: fc.Arbitrary<HelloSpec> = fc.record({
  version: fc.constantFrom(0x0300, 0x0301, 0x0302, 0x0303),
  sessionId: bytes(32),
  ciphers: fc.array(u16, { maxLength: 130 }),
  extensions: fc.option(fc.array(extArb, { maxLength: 30 }), { nil: null, freq: 8 }),
});

describe('TLS property tests', () => {
  it('random bytes: framer, parsers and scan never throw', () => {
    fc.assert(
      fc.property(bytes(300), fc.integer({ min: -2, max: 310 }), fc.integer({ min: 0, max: 400 }), fc.integer({ min: -1, max: 3 }), (b, start, end, expect) => {
        const f = frameHandshake(b, start, end, { expect, limit: 200 });
        assert.ok(['complete', 'need-more', 'invalid'].includes(f.kind));
        if (f.kind === 'complete') {
          assert.ok(f.body.length <= 200);
          checkFingerprints(f.body);
        }
        checkFingerprints(b);
        const s = parseServerHello(b);
        if (s.ok) assert.ok(s.hello.cipher >= 0 && s.hello.cipher <= 0xffff);
        const i = scanForHandshake(b, start, end);
        assert.ok(i === -1 || (i >= 0 && i < b.length && b[i] === 0x16));
        assert.ok(['complete', 'invalid'].includes(frameDtlsHandshake(b, Math.max(0, start), end).kind));
        assert.ok(['tls', 'not-openvpn', 'unreadable', 'need-more'].includes(openVpnTcpTls(b).kind));
      }),
      { numRuns: 3000 },
    );
  });

  it('valid hellos read back, whatever their records', () => {
    fc.assert(
      fc.property(helloArb, fc.array(fc.integer({ min: 1, max: 400 }), { maxLength: 6 }), (spec, sizes) => {
        const body = clientHelloBody(spec);
        const rec = records(handshake(1, body), sizes);
        const f = frameHandshake(rec, 0, rec.length, { limit: 1 << 20 });
        assert.equal(f.kind, 'complete');
        if (f.kind !== 'complete') return;
        assert.ok(f.body.equals(body));
        assert.equal(f.end, rec.length);
        const r = parseClientHello(f.body);
        assert.ok(r.ok);
        if (!r.ok) return;
        assert.deepEqual(r.hello.ciphers, spec.ciphers);
        assert.deepEqual(r.hello.extensions, (spec.extensions ?? []).map(([t]) => t));
        const fp = ja4(r.hello, 'tcp');
        assert.match(fp.ja4, JA4_SHAPE);
        const nc = spec.ciphers.filter((c) => !isGrease(c)).length;
        assert.equal(fp.ja4.slice(4, 6), String(Math.min(99, nc)).padStart(2, '0'));
        assert.equal(fp.ja4.slice(11, 23) === '000000000000', nc === 0);
        // Each shorter prefix only ever asks for more.
        for (const n of [0, 1, 5, 6, 9, rec.length >> 1, rec.length - 1]) {
          if (n < rec.length) assert.equal(frameHandshake(rec, 0, n, { limit: 1 << 20 }).kind, 'need-more');
        }
      }),
      { numRuns: 500 },
    );
  });

  it('mutated hellos: flipped, cut and inserted bytes never throw', () => {
    fc.assert(
      fc.property(
        helloArb,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'cut', 'insert')), { minLength: 1, maxLength: 6 }),
        (spec, edits) => {
          let b = records(handshake(1, clientHelloBody(spec)), [200]);
          for (const [at, v, op] of edits) {
            const i = b.length === 0 ? 0 : at % b.length;
            if (op === 'set' && b.length > 0) b[i] = v;
            else if (op === 'cut') b = b.subarray(0, i);
            else b = Buffer.concat([b.subarray(0, i), Buffer.from([v]), b.subarray(i)]);
          }
          const f = frameHandshake(b);
          if (f.kind === 'complete') checkFingerprints(f.body);
          checkFingerprints(b.subarray(Math.min(9, b.length)));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
