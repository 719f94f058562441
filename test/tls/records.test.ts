/**
 * The record layer framer: complete, need-more or invalid for any prefix
 * of a client's first bytes; hellos over several records; where the next
 * record starts; the STARTTLS scan; DTLS; TLS inside OpenVPN over TCP.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseClientHello } from '../../src/fingerprint/tls/hello.js';
import { openVpnTcpTls } from '../../src/fingerprint/tls/openvpn.js';
import { frameDtlsHandshake, frameHandshake, scanForHandshake } from '../../src/fingerprint/tls/records.js';
import { alpn, clientHelloBody, ext, handshake, hex, records, sni, supportedVersions } from './build.js';

const body = clientHelloBody({
  sessionId: Buffer.alloc(32, 9),
  ciphers: [0x1301, 0x1302, 0x1303, 0xc02b],
  extensions: [sni('www.example.org'), alpn(['h2', 'http/1.1']), supportedVersions([0x0304, 0x0303]), ext(0x0015, Buffer.alloc(300))],
});
const msg = handshake(1, body);

describe('one record', () => {
  const rec = records(msg);
  it('complete: the body is a view into the input', () => {
    const f = frameHandshake(rec);
    assert.equal(f.kind, 'complete');
    if (f.kind !== 'complete') return;
    assert.equal(f.msgType, 1);
    assert.equal(f.records, 1);
    assert.equal(f.recordVersion, 0x0301);
    assert.equal(f.end, rec.length);
    assert.ok(f.body.equals(body));
    assert.equal(f.body.buffer, rec.buffer);
  });
  it('every shorter prefix needs more, by a bound that never overshoots', () => {
    let last = 0;
    for (let n = 0; n < rec.length; n++) {
      const f = frameHandshake(rec, 0, n);
      assert.equal(f.kind, 'need-more', `prefix ${n}`);
      if (f.kind !== 'need-more') return;
      assert.ok(f.need > n && f.need <= rec.length, `prefix ${n}: need ${f.need}`);
      assert.ok(f.need >= last);
      last = f.need;
    }
  });
  it('bytes after the record are left alone, and end says where the next record starts', () => {
    const ccs = hex('140303000101');
    const f = frameHandshake(Buffer.concat([rec, ccs]));
    assert.ok(f.kind === 'complete' && f.end === rec.length);
  });
  it('a start offset', () => {
    const f = frameHandshake(Buffer.concat([hex('deadbeef'), rec]), 4);
    assert.ok(f.kind === 'complete' && f.body.equals(body) && f.end === 4 + rec.length);
  });
});

describe('a ClientHello over several records', () => {
  for (const sizes of [[100, 100], [1, 1, 1, 1, 1], [3], [4], [body.length + 3]]) {
    it(`fragments ${sizes.join('+')}+rest`, () => {
      const rec = records(msg, sizes);
      const f = frameHandshake(rec);
      assert.equal(f.kind, 'complete');
      if (f.kind !== 'complete') return;
      assert.ok(f.body.equals(body));
      assert.equal(f.records, sizes.filter((s) => s > 0).length + (sizes.reduce((a, b) => a + b, 0) < msg.length ? 1 : 0));
      assert.equal(f.end, rec.length);
      assert.ok(parseClientHello(f.body).ok);
      for (let n = 0; n < rec.length; n++) assert.equal(frameHandshake(rec, 0, n).kind, 'need-more', `prefix ${n}`);
    });
  }
  it('three records: each prefix needs more, then the whole hello', () => {
    const rec = records(msg, [200, 150]);
    const cuts = [0, 3, 5, 9, 205, 210, 360, rec.length - 1];
    for (const n of cuts) assert.equal(frameHandshake(rec, 0, n).kind, 'need-more');
    assert.equal(frameHandshake(rec).kind, 'complete');
  });
});

describe('invalid starts', () => {
  const cases: Array<[string, Buffer, string]> = [
    ['HTTP', Buffer.from('GET / HTTP/1.1\r\n'), 'not-handshake'],
    ['an application data record', hex('170303000501020304 05'), 'not-handshake'],
    ['SSL 2.0 CLIENT-HELLO', hex('802e0100020015000000100100800200800300800400800500800600400700c0'), 'sslv2'],
    ['record version 2.0', hex('1602000004 01000000'), 'bad-record-version'],
    ['record version 3.9', hex('1603090004 01000000'), 'bad-record-version'],
    ['a record over 2^14 + 2048', hex('1603014801 01'), 'bad-record-length'],
    ['an alert between fragments', Buffer.concat([records(msg.subarray(0, 10)), hex('15030300020228')]), 'interleaved'],
  ];
  for (const [name, bytes, reason] of cases) {
    it(name, () => assert.deepEqual(frameHandshake(bytes), { kind: 'invalid', reason }));
  }
  it('a message of another type than asked for, as soon as its type byte is there', () => {
    const sh = records(handshake(2, Buffer.alloc(40)));
    assert.deepEqual(frameHandshake(sh.subarray(0, 6), 0, 6, { expect: 1 }), { kind: 'invalid', reason: 'unexpected-message' });
    assert.equal(frameHandshake(sh.subarray(0, 6), 0, 6, { expect: 2 }).kind, 'need-more');
  });
  it('a hello larger than the limit, before its bytes arrive', () => {
    const big = records(handshake(1, Buffer.alloc(20000)), [16000]);
    assert.deepEqual(frameHandshake(big.subarray(0, 9)), { kind: 'invalid', reason: 'too-large' });
    assert.equal(frameHandshake(big.subarray(0, 9), 0, 9, { limit: 32768 }).kind, 'need-more');
  });
  it('many tiny records that would need more than the limit', () => {
    const tiny = records(msg, Array(msg.length).fill(1));
    assert.deepEqual(frameHandshake(tiny, 0, tiny.length, { limit: 1024 }), { kind: 'invalid', reason: 'too-large' });
  });
});

describe('scanForHandshake (STARTTLS and the like)', () => {
  const rec = records(msg);
  it('finds the hello after clear text', () => {
    const s = Buffer.concat([Buffer.from('AUTH TLS\r\n'), rec]);
    assert.equal(scanForHandshake(s), 10);
    assert.ok(frameHandshake(s, 10).kind === 'complete');
  });
  it('passes over 0x16 bytes that do not start a record', () => {
    const s = Buffer.concat([hex('1641 1603030000 01'), rec]); // a wrong version byte, then a zero-length record
    assert.equal(scanForHandshake(s), 8);
  });
  it('none', () => {
    assert.equal(scanForHandshake(Buffer.from('EHLO x\r\n')), -1);
    assert.equal(scanForHandshake(rec, 0, rec.length, 2), -1);
  });
});

describe('DTLS', () => {
  const dbody = clientHelloBody({ version: 0xfefd, cookie: Buffer.alloc(0), ciphers: [0xc02b, 0xc02f], extensions: [] });
  const hs = Buffer.concat([hex('01'), hex((dbody.length).toString(16).padStart(6, '0')), hex('0000 000000'), hex((dbody.length).toString(16).padStart(6, '0')), dbody]);
  const rec = Buffer.concat([hex('16 feff 0000 000000000000'), hex(hs.length.toString(16).padStart(4, '0')), hs]);
  it('an unfragmented ClientHello', () => {
    const f = frameDtlsHandshake(rec);
    assert.ok(f.kind === 'complete' && f.msgType === 1 && f.body.equals(dbody) && f.recordVersion === 0xfeff);
    assert.ok(parseClientHello(f.kind === 'complete' ? f.body : Buffer.alloc(0), true).ok);
  });
  it('a fragment', () => {
    const frag = Buffer.from(rec);
    frag.writeUInt8(1, 13 + 8); // fragment_offset 1
    assert.deepEqual(frameDtlsHandshake(frag), { kind: 'invalid', reason: 'fragmented' });
  });
  it('cut short, not DTLS', () => {
    assert.deepEqual(frameDtlsHandshake(rec.subarray(0, rec.length - 1)), { kind: 'invalid', reason: 'truncated' });
    assert.deepEqual(frameDtlsHandshake(records(msg)), { kind: 'invalid', reason: 'bad-record-version' });
  });
});

describe('TLS inside OpenVPN over TCP', () => {
  const tls = records(msg);
  const session = hex('507a28a78275788d');
  const remote = hex('1122334455667788');
  /** One OpenVPN TCP packet: length, opcode/key id, session id, [auth], acks, [packet id], payload. */
  function pkt(op: number, auth: Buffer, acks: number[], id: number | null, payload: Buffer = Buffer.alloc(0)): Buffer {
    const ackPart = Buffer.concat([Buffer.from([acks.length]), ...acks.map((a) => hex(a.toString(16).padStart(8, '0'))), acks.length > 0 ? remote : Buffer.alloc(0)]);
    const idPart = id === null ? Buffer.alloc(0) : hex(id.toString(16).padStart(8, '0'));
    const p = Buffer.concat([Buffer.from([op << 3]), session, auth, ackPart, idPart, payload]);
    return Buffer.concat([hex(p.length.toString(16).padStart(4, '0')), p]);
  }
  for (const [name, auth] of [
    ['without tls-auth', Buffer.alloc(0)],
    ['with a SHA-1 tls-auth HMAC', Buffer.alloc(20 + 8, 0xaa)],
  ] as const) {
    it(`${name}: the hello cut over two control packets, one sent twice`, () => {
      const stream = Buffer.concat([
        pkt(7, auth, [], 0),
        pkt(5, auth, [0], null),
        pkt(4, auth, [0], 1, tls.subarray(0, 100)),
        pkt(4, auth, [], 1, tls.subarray(0, 100)), // a retransmission
        pkt(4, auth, [], 2, tls.subarray(100)),
      ]);
      const o = openVpnTcpTls(stream);
      assert.equal(o.kind, 'tls');
      if (o.kind !== 'tls') return;
      assert.ok(o.bytes.equals(tls));
      const f = frameHandshake(o.bytes);
      assert.ok(f.kind === 'complete' && f.body.equals(body));
    });
  }
  it('not OpenVPN; OpenVPN without control data yet', () => {
    assert.equal(openVpnTcpTls(tls).kind, 'not-openvpn');
    assert.equal(openVpnTcpTls(pkt(7, Buffer.alloc(0), [], 0)).kind, 'need-more');
  });
  it('an encrypted control channel (tls-crypt) is unreadable', () => {
    const stream = Buffer.concat([pkt(7, Buffer.alloc(0), [], 0), pkt(4, Buffer.alloc(0), [], 1, Buffer.alloc(80, 0x5c))]);
    assert.equal(openVpnTcpTls(stream).kind, 'unreadable');
  });
});
