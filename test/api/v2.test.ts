/**
 * p0f 2 codec: fixtures laid out by hand from p0f 2.0.8's p0f-query.h as
 * x86-64 compilers lay out the structs (natural alignment, little-endian).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConnVerdicts } from '../../src/state/conn-verdicts.js';
import {
  answerV2,
  decodeV2Query,
  decodeV2Response,
  decodeV2Status,
  encodeV2Query,
  encodeV2Response,
  encodeV2Status,
  V2_QUERY_SIZE,
  V2_RESP_SIZE,
  V2_STATUS_SIZE,
  verdictToV2,
  type V2Info,
  type V2StatusInfo,
} from '../../src/api/v2.js';
import { hex, linuxSyn, obs, withVerdict } from './helpers.js';

const Z = (n: number): string => '00'.repeat(n);
const ascii = (s: string, size: number): string => Buffer.from(s, 'latin1').toString('hex') + Z(size - s.length);

// PHP: pack("LLLNNSS", 0x0defaced, 1, 0x12345678, ip2long("192.0.2.10"), ip2long("198.51.100.1"), 51000, 80)
const QUERY = hex('edacef0d' + '01000000' + '78563412' + 'c000020a' + 'c6336401' + '38c7' + '5000');

const OK = hex(
  'edacef0d' + '78563412' + '00' + // magic, id, type RESP_OK
    ascii('Linux', 20) + // genre[20] @9
    ascii('3.11 and newer', 40) + // detail[40] @29
    '08' + // dist @69
    ascii('Ethernet or modem', 30) + // link[30] @70
    Z(30) + // tos[30] @100
    '00' + '00' + '01' + // fw, nat, real @130
    '00' + // padding @133
    '9cff' + // score -100 (NO_SCORE) @134
    '0000' + // mflags @136
    '0000' + // padding @138
    '19000000', // uptime 25 hours @140
);
const NOMATCH = hex('edacef0d' + '78563412' + '02' + Z(60) + 'ff' + Z(74));
const BAD = hex('edacef0d' + '78563412' + '01' + Z(135));

const T = { cli: '192.0.2.10', cliPort: 51000, srv: '198.51.100.1', srvPort: 80 };

function table(): ConnVerdicts {
  const c = new ConnVerdicts(10);
  c.observe(linuxSyn(T));
  c.observe(obs(T, 'mtu', 'cli', { kind: 'mtu', mtu: 1500, link: 'Ethernet or modem' }));
  c.observe(obs(T, 'uptime', 'cli', { kind: 'uptime', minutes: 1500, moduloDays: 49, freqHz: 1000 }));
  return c;
}

const STATUS: V2StatusInfo = { version: 'pof 0.1.0', mode: 'S', fpCksum: 0xdeadbeef, cache: 1, packets: 42, matched: 7, queries: 3, cmisses: 1, uptime: 5 };

test('sizes', () => {
  assert.equal(QUERY.length, V2_QUERY_SIZE);
  assert.equal(OK.length, V2_RESP_SIZE);
  assert.equal(NOMATCH.length, V2_RESP_SIZE);
  assert.equal(BAD.length, V2_RESP_SIZE);
});

test('query decodes as p0f 2 reads it (PHP pack LLLNNSS)', () => {
  assert.deepEqual(decodeV2Query(QUERY), { ok: true, type: 'fingerprint', id: 0x12345678, src: '192.0.2.10', dst: '198.51.100.1', srcPort: 51000, dstPort: 80 });
  assert.deepEqual(encodeV2Query({ type: 'fingerprint', id: 0x12345678, ...{ src: T.cli, srcPort: T.cliPort, dst: T.srv, dstPort: T.srvPort } }), QUERY);
  // The padding after type is ignored.
  const padded = Buffer.from(QUERY);
  padded.fill(0xaa, 5, 8);
  assert.equal(decodeV2Query(padded).ok, true);
});

test('bad magic and bad type keep the id', () => {
  const m = Buffer.from(QUERY);
  m[0] = 0;
  assert.deepEqual(decodeV2Query(m), { ok: false, reason: 'magic', id: 0x12345678 });
  const t = Buffer.from(QUERY);
  t[4] = 0;
  assert.deepEqual(decodeV2Query(t), { ok: false, reason: 'type', id: 0x12345678 });
  assert.deepEqual(decodeV2Query(QUERY.subarray(0, 23)), { ok: false, reason: 'short', id: 0 });
});

test('answers: OK, no match (dist -1), bad query', () => {
  const c = table();
  const ctx = { connection: c.get.bind(c), status: () => STATUS };
  assert.deepEqual(answerV2(QUERY, 0, ctx), OK);
  const other = encodeV2Query({ type: 'fingerprint', id: 0x12345678, src: T.cli, srcPort: 51001, dst: T.srv, dstPort: 80 });
  assert.deepEqual(answerV2(other, 0, ctx), NOMATCH);
  const bad = Buffer.from(QUERY);
  bad[4] = 9;
  assert.deepEqual(answerV2(bad, 0, ctx), BAD);
});

test('status answer: 56 bytes', () => {
  const want = hex(
    'edacef0d' + '07000000' + 'ff' + // magic, id, RESP_STATUS
      ascii('pof 0.1.0', 16) + // version[16] @9
      '53' + // mode 'S' @25
      '0000' + // padding @26
      'efbeadde' + '01000000' + '2a000000' + '07000000' + '03000000' + '01000000' + '05000000',
  );
  assert.equal(want.length, V2_STATUS_SIZE);
  assert.deepEqual(encodeV2Status(7, STATUS), want);
  const q = encodeV2Query({ type: 'status', id: 7, src: '0.0.0.0', srcPort: 0, dst: '0.0.0.0', dstPort: 0 });
  assert.deepEqual(answerV2(q, 0, { connection: () => undefined, status: () => STATUS }), want);
  assert.deepEqual(decodeV2Status(want), { ok: true, id: 7, ...STATUS });
});

test('verdict mapping: userland tools are not "real", bounded distance is unknown, NAT flag', () => {
  const c = new ConnVerdicts(10);
  const nmap = { name: 'NMap', flavor: 'SYN scan', cls: null, userland: true, generic: false, fuzzy: false };
  c.observe(
    withVerdict(obs(T, 'syn', 'cli', { kind: 'tcp', match: { ...nmap, line: 1 }, dist: 12, quality: 0 }, [['dist', '<= 12']]), {
      match: nmap,
      label: 'NMap SYN scan',
      dist: 12,
      distUpperBound: true,
      quality: 0,
      params: null,
      rawSig: null,
    }),
  );
  c.observe(obs(T, 'ip sharing', 'cli', { kind: 'nat', reasons: ['tstamp'], rawHits: [1, 0, 0, 0] }));
  const i = verdictToV2(c.get(T.cli, T.cliPort, T.srv, T.srvPort)!);
  assert.equal(i.genre, 'NMap');
  assert.equal(i.real, 0);
  assert.equal(i.dist, -1);
  assert.equal(i.nat, 1);
  assert.equal(i.uptime, -1);
});

test('strings are cut to size - 1 as p0f 2 does', () => {
  const b = encodeV2Response(0, 1, { genre: 'G'.repeat(30), detail: '', dist: 0, link: 'L'.repeat(40), tos: '', fw: 0, nat: 0, real: 1, score: -100, mflags: 0, uptime: -1 });
  assert.equal(b.toString('latin1', 9, 29), 'G'.repeat(19) + '\0');
  assert.equal(b.toString('latin1', 70, 100), 'L'.repeat(29) + '\0');
});

test('decodeV2Response round trip', () => {
  const d = decodeV2Response(OK);
  assert.deepEqual(d, {
    ok: true,
    type: 'ok',
    id: 0x12345678,
    info: { genre: 'Linux', detail: '3.11 and newer', dist: 8, link: 'Ethernet or modem', tos: '', fw: 0, nat: 0, real: 1, score: -100, mflags: 0, uptime: 25 },
  });
  assert.deepEqual(decodeV2Response(NOMATCH), { ok: true, type: 'no match', id: 0x12345678 });
  assert.deepEqual(decodeV2Response(BAD), { ok: true, type: 'bad query', id: 0x12345678 });
  assert.deepEqual(encodeV2Response(0, 0x12345678, (d as { info: V2Info }).info), OK);
});
