/**
 * p0f 3 codec: byte-exact fixtures. The "real p0f" fixtures are answers
 * captured from p0f 3.09b (Debian) on loopback: a Linux host seen with a
 * generic signature, English Accept-Language, no HTTP match, distance 0.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  answerV3,
  decodeV3Query,
  decodeV3Response,
  encodeV3Query,
  encodeV3Response,
  hostToV3,
  V3_RESP_SIZE,
  V3Status,
} from '../../src/api/v3.js';
import { hex, makeHost } from './helpers.js';

const Z = (n: number): string => '00'.repeat(n);

// p0f 3.09b's answer for 127.0.0.1 (see the file comment).
const REAL_OK = hex(
  '02463050' + '10000000' + // magic, status OK
    '7009096b' + '7009096b' + '02000000' + // first_seen, last_seen, total_conn = 2
    '00000000' + '00000000' + // uptime_min (unknown -> 0), up_mod_days
    '00000000' + '00000000' + // last_nat, last_chg
    '0000' + '00' + '02' + // distance 0, bad_sw 0, os_match_q 2 (generic)
    '4c696e7578' + Z(27) + // os_name "Linux"
    '322e322e782d332e78' + Z(23) + // os_flavor "2.2.x-3.x"
    Z(32) + Z(32) + Z(32) + // http_name, http_flavor, link_type
    '456e676c697368' + Z(25), // language "English"
);
// p0f 3.09b's answers to a bad magic, a bad address type and an unknown host.
const REAL_BAD = hex('02463050' + '00000000' + Z(224));
const REAL_NOMATCH = hex('02463050' + '20000000' + Z(224));

const realHost = makeHost({
  addr: '127.0.0.1',
  firstSeen: 0x6b090970,
  lastSeen: 0x6b090970,
  totalConn: 2,
  lastOs: { id: 1, line: 1, generic: false, sys: [], cls: 'unix', name: 'Linux', flavor: '2.2.x-3.x' },
  lastQuality: 2,
  distance: 0,
  lastUpMin: -1,
  language: 'English',
});

test('fixtures are 232 bytes', () => {
  for (const f of [REAL_OK, REAL_BAD, REAL_NOMATCH]) assert.equal(f.length, V3_RESP_SIZE);
});

test('a host encodes to the bytes p0f 3.09b sends', () => {
  assert.deepEqual(encodeV3Response(V3Status.OK, hostToV3(realHost)), REAL_OK);
});

test('bad query and no match encode as p0f 3.09b', () => {
  assert.deepEqual(encodeV3Response(V3Status.BAD_QUERY), REAL_BAD);
  assert.deepEqual(encodeV3Response(V3Status.NO_MATCH), REAL_NOMATCH);
  // Host fields are never sent with a non-OK status.
  assert.deepEqual(encodeV3Response(V3Status.NO_MATCH, hostToV3(realHost)), REAL_NOMATCH);
});

test('answerV3: OK, bad magic, bad type, no match', () => {
  const look = (a: string) => (a === '127.0.0.1' ? realHost : undefined);
  const q = (m: number, t: number, addr: number[]) => {
    const b = Buffer.alloc(21);
    b.writeUInt32LE(m, 0);
    b[4] = t;
    Buffer.from(addr).copy(b, 5);
    return b;
  };
  assert.deepEqual(answerV3(q(0x50304601, 4, [127, 0, 0, 1]), 0, look), REAL_OK);
  assert.deepEqual(answerV3(q(0x12345678, 4, [127, 0, 0, 1]), 0, look), REAL_BAD);
  assert.deepEqual(answerV3(q(0x50304601, 5, [127, 0, 0, 1]), 0, look), REAL_BAD);
  assert.deepEqual(answerV3(q(0x50304601, 4, [10, 9, 9, 9]), 0, look), REAL_NOMATCH);
  // pof extension: IPv4-mapped IPv6 is the IPv4 host (p0f 3.09b says no match).
  assert.deepEqual(answerV3(q(0x50304601, 6, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1]), 0, look), REAL_OK);
});

test('query layout: magic LE, type, left-aligned address', () => {
  assert.deepEqual(encodeV3Query(Uint8Array.from([192, 0, 2, 1])), hex('01463050' + '04' + 'c0000201' + Z(12)));
  const v6 = Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  assert.deepEqual(encodeV3Query(v6), hex('01463050' + '06' + '20010db8000000000000000000000001'));
  assert.deepEqual(decodeV3Query(encodeV3Query(v6)), { ok: true, ver: 6, addr: '2001:db8:0:0:0:0:0:1' });
  assert.deepEqual(decodeV3Query(hex('01463050' + '04' + 'c0000201' + 'ffffffff' + Z(8))), { ok: true, ver: 4, addr: '192.0.2.1' });
  assert.deepEqual(decodeV3Query(hex('01463050' + '04')), { ok: false, reason: 'short' });
  assert.deepEqual(decodeV3Query(hex('01463051' + '04' + Z(16))), { ok: false, reason: 'magic' });
  assert.deepEqual(decodeV3Query(hex('01463050' + '00' + Z(16))), { ok: false, reason: 'addr-type' });
});

test('host mapping: sentinels as p0f (uptime 0 when unknown, distance -1 as 0xffff)', () => {
  const h = makeHost({ distance: -1, lastUpMin: -1, upModDays: 49 });
  const b = encodeV3Response(V3Status.OK, hostToV3(h));
  assert.equal(b.readUInt32LE(20), 0);
  assert.equal(b.readUInt32LE(24), 49);
  assert.equal(b.toString('hex', 36, 38), 'ffff');
  assert.equal(b[40], 0); // no OS: os_name[0] is NUL
});

test('every field lands at its offset', () => {
  const h = makeHost({
    firstSeen: 0x01020304,
    lastSeen: 0x05060708,
    totalConn: 0x090a0b0c,
    lastUpMin: 0x0d0e0f10,
    upModDays: 0x11121314,
    lastNat: 0x15161718,
    lastChg: 0x191a1b1c,
    distance: 0x1d1e,
    badSw: 2,
    lastQuality: 3,
    lastOs: { id: 3, line: 1, generic: false, sys: [], cls: 'win', name: 'Windows', flavor: 'XP' },
    httpName: 'Firefox',
    httpFlavor: '10.x or newer',
    linkType: 'Ethernet or modem',
    language: 'German',
  });
  const b = encodeV3Response(V3Status.OK, hostToV3(h));
  assert.equal(
    b.toString('hex', 0, 40),
    '02463050' + '10000000' + '04030201' + '08070605' + '0c0b0a09' + '100f0e0d' + '14131211' + '18171615' + '1c1b1a19' + '1e1d' + '02' + '03',
  );
  const str = (off: number) => b.toString('latin1', off, off + 32).replace(/\0+$/, '');
  assert.deepEqual([str(40), str(72), str(104), str(136), str(168), str(200)], ['Windows', 'XP', 'Firefox', '10.x or newer', 'Ethernet or modem', 'German']);
});

test('strings are cut to 31 bytes and stay NUL-terminated, never mid-character', () => {
  const long = 'x'.repeat(40);
  const b = encodeV3Response(V3Status.OK, { ...hostToV3(makeHost()), osName: long, osFlavor: 'é'.repeat(20) });
  assert.equal(b.toString('latin1', 40, 71), 'x'.repeat(31));
  assert.equal(b[71], 0);
  // 'é' is 2 bytes: 15 fit in 31 bytes, the 16th would be split.
  const d = decodeV3Response(b);
  assert.ok(d.ok && d.status === 'ok');
  if (d.ok && d.status === 'ok') assert.equal(d.host.osFlavor, 'é'.repeat(15));
});

test('flavor without a name is not sent (as p0f: flavor only with a name)', () => {
  const i = hostToV3(makeHost({ httpName: null, httpFlavor: 'stale' }));
  assert.equal(i.httpFlavor, '');
});

test('decodeV3Response', () => {
  assert.deepEqual(decodeV3Response(REAL_NOMATCH), { ok: true, status: 'no match' });
  assert.deepEqual(decodeV3Response(REAL_BAD), { ok: true, status: 'bad query' });
  assert.deepEqual(decodeV3Response(REAL_OK.subarray(0, 100)), { ok: false, reason: 'short' });
  const d = decodeV3Response(REAL_OK);
  assert.ok(d.ok && d.status === 'ok');
  if (d.ok && d.status === 'ok') {
    assert.equal(d.host.osName, 'Linux');
    assert.equal(d.host.osFlavor, '2.2.x-3.x');
    assert.equal(d.host.osMatchQ, 2);
    assert.equal(d.host.language, 'English');
    assert.equal(d.host.totalConn, 2);
  }
});
