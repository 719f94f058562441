/** Property tests: decoders never throw on any bytes; encode/decode round trips. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { answerJsonLine, parseJsonQuery } from '../../src/api/json.js';
import { answerV2, decodeV2Query, decodeV2Response, encodeV2Query, encodeV2Response, type V2Info } from '../../src/api/v2.js';
import { answerV3, decodeV3Query, decodeV3Response, encodeV3Query, encodeV3Response, V3Status, type V3HostInfo } from '../../src/api/v3.js';
import { makeHost, makeLookup } from './helpers.js';

const bytes = fc.uint8Array({ minLength: 0, maxLength: 300 });
// Strings that fit their field (ASCII, as p0f labels are).
const str = (max: number) => fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz ABCXYZ0123456789.-_()/,'.split('')), maxLength: max });
const u32 = fc.integer({ min: 0, max: 0xffffffff });

test('decoders never throw on random bytes', () => {
  fc.assert(
    fc.property(bytes, fc.nat(40), (b, off) => {
      const buf = Buffer.from(b);
      decodeV3Query(buf, Math.min(off, buf.length));
      decodeV3Response(buf, Math.min(off, buf.length));
      decodeV2Query(buf, Math.min(off, buf.length));
      decodeV2Response(buf, Math.min(off, buf.length));
      if (buf.length >= 21) assert.equal(answerV3(buf, 0, () => makeHost()).length, 232);
      if (buf.length >= 24) {
        const n = answerV2(buf, 0, { connection: () => undefined, status: () => ({ version: 'v', mode: 'S', fpCksum: 0, cache: 0, packets: 0, matched: 0, queries: 0, cmisses: 0, uptime: 0 }) }).length;
        assert.ok(n === 144 || n === 56);
      }
    }),
    { numRuns: 2000 },
  );
});

test('JSON parsing never throws and always answers one line', () => {
  const look = makeLookup([makeHost()]);
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.json(), fc.jsonValue().map((v) => JSON.stringify(v))), (line) => {
      parseJsonQuery(line);
      const a = answerJsonLine(line, look, () => ({}));
      assert.ok(a.text.endsWith('\n'));
      assert.equal(a.text.indexOf('\n'), a.text.length - 1);
    }),
    { numRuns: 2000 },
  );
});

test('v3 query round trip', () => {
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.uint8Array({ minLength: 16, maxLength: 16 })), (a) => {
      const d = decodeV3Query(encodeV3Query(a));
      assert.equal(d.ok, true);
      if (!d.ok) return;
      const mapped = a.length === 16 && a.subarray(0, 10).every((x) => x === 0) && a[10] === 0xff && a[11] === 0xff;
      assert.equal(d.ver, a.length === 4 || mapped ? 4 : 6);
    }),
  );
});

test('v3 response round trip', () => {
  const info: fc.Arbitrary<V3HostInfo> = fc.record({
    firstSeen: u32,
    lastSeen: u32,
    totalConn: u32,
    uptimeMin: u32,
    upModDays: u32,
    lastNat: u32,
    lastChg: u32,
    distance: fc.integer({ min: -32768, max: 32767 }),
    badSw: fc.integer({ min: 0, max: 255 }),
    osMatchQ: fc.integer({ min: 0, max: 255 }),
    osName: str(31),
    osFlavor: str(31),
    httpName: str(31),
    httpFlavor: str(31),
    linkType: str(31),
    language: str(31),
  });
  fc.assert(
    fc.property(info, (i) => {
      assert.deepEqual(decodeV3Response(encodeV3Response(V3Status.OK, i)), { ok: true, status: 'ok', host: { ...i } });
    }),
  );
});

test('v2 query and response round trips', () => {
  const ip = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((t) => t.join('.'));
  fc.assert(
    fc.property(fc.constantFrom<'fingerprint' | 'status'>('fingerprint', 'status'), u32, ip, fc.nat(65535), ip, fc.nat(65535), (type, id, src, srcPort, dst, dstPort) => {
      const q = { type, id, src, srcPort, dst, dstPort };
      assert.deepEqual(decodeV2Query(encodeV2Query(q)), { ok: true, ...q });
    }),
  );
  const info: fc.Arbitrary<V2Info> = fc.record({
    genre: str(19),
    detail: str(39),
    dist: fc.integer({ min: -128, max: 127 }),
    link: str(29),
    tos: str(29),
    fw: fc.nat(255),
    nat: fc.nat(255),
    real: fc.nat(255),
    score: fc.integer({ min: -32768, max: 32767 }),
    mflags: fc.nat(65535),
    uptime: fc.integer({ min: -0x80000000, max: 0x7fffffff }),
  });
  fc.assert(
    fc.property(u32, info, (id, i) => {
      assert.deepEqual(decodeV2Response(encodeV2Response(0, id, i)), { ok: true, type: 'ok', id, info: { ...i } });
    }),
  );
});
