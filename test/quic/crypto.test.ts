/**
 * CRYPTO frame reassembly and the Initial frame walk: a ClientHello split
 * over CRYPTO frames in two packets that arrive in the wrong order, the
 * bounds, and each frame type an Initial may hold.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CryptoAssembly } from '../../src/decode/quic/crypto-assembly.js';
import { walkInitialFrames } from '../../src/decode/quic/frames.js';
import { QUIC_V1, QUIC_V2, initialKeys, openPacket, parseLongHeader } from '../../src/decode/quic/initial.js';
import { parseClientHello } from '../../src/fingerprint/tls/hello.js';
import { ja4 } from '../../src/fingerprint/tls/ja4.js';
import { alpn, clientHelloBody, ext, handshake, sni, supportedVersions } from '../tls/build.js';
import { cryptoFrame, protectInitial } from './protect.js';

// A ClientHello large enough (a post-quantum key share) to need two Initials.
const body = clientHelloBody({
  sessionId: Buffer.alloc(32, 1),
  ciphers: [0x1301, 0x1302, 0x1303],
  extensions: [sni('quic.example'), alpn(['h3']), supportedVersions([0x0304]), ext(0x0033, Buffer.alloc(1250, 0x42)), ext(0x0039, Buffer.alloc(40, 3))],
});
const msg = handshake(1, body);
const dcid = Buffer.from('c0ffee00c0ffee00', 'hex');

function initial(version: number, pn: number, frames: Buffer[]): Buffer {
  const payload = Buffer.concat(frames);
  const padded = Buffer.concat([payload, Buffer.alloc(Math.max(0, 1162 - payload.length))]);
  return protectInitial({ version, dcid, pn, pnLen: 2, payload: padded, keys: initialKeys(dcid, version)! });
}

/** What a sensor does with one datagram: open it with the connection's keys and feed its frames. */
function feed(pkt: Buffer, a: CryptoAssembly): string {
  const h = parseLongHeader(pkt);
  if (!h.ok) return h.reason;
  const keys = initialKeys(h.header.dcid, h.header.version)!;
  const o = openPacket(pkt, h.header, keys);
  if (!o.ok) return o.reason;
  const w = walkInitialFrames(o.payload, a);
  return w.ok ? 'ok' : w.reason;
}

for (const version of [QUIC_V1, QUIC_V2]) {
  describe(`CRYPTO frames out of order across two packets (version ${version.toString(16)})`, () => {
    const cut = 700;
    // Packet 1 (pn 0) has the start, itself split and reversed with PING and PADDING between;
    // packet 2 (pn 1) has the rest. They arrive 2 then 1.
    const p1 = initial(version, 0, [cryptoFrame(300, msg.subarray(300, cut)), Buffer.from([0x01, 0x00, 0x00]), cryptoFrame(0, msg.subarray(0, 300))]);
    const p2 = initial(version, 1, [cryptoFrame(cut, msg.subarray(cut))]);
    it('the second packet alone: the hello is not there yet', () => {
      const a = new CryptoAssembly();
      assert.equal(feed(p2, a), 'ok');
      assert.deepEqual(a.message(1), { kind: 'need-more', contiguous: 0 });
    });
    it('then the first: complete, and the hello reads back', () => {
      const a = new CryptoAssembly();
      assert.equal(feed(p2, a), 'ok');
      assert.equal(feed(p1, a), 'ok');
      const m = a.message(1);
      assert.equal(m.kind, 'complete');
      if (m.kind !== 'complete') return;
      assert.ok(m.body.equals(body));
      const h = parseClientHello(m.body);
      assert.ok(h.ok);
      if (h.ok) assert.match(ja4(h.hello, 'quic').ja4, /^q13d0305h3_/);
    });
    it('in order, and with the first packet repeated (a retransmission)', () => {
      const a = new CryptoAssembly();
      for (const p of [p1, p1, p2]) assert.equal(feed(p, a), 'ok');
      const m = a.message(1);
      assert.ok(m.kind === 'complete' && m.body.equals(body));
    });
    it('a packet that fails to decrypt is counted and changes nothing', () => {
      const a = new CryptoAssembly();
      const bad = Buffer.from(p1);
      bad[bad.length - 20] ^= 0xff;
      assert.equal(feed(bad, a), 'decrypt-failed');
      assert.equal(feed(p2, a), 'ok');
      assert.equal(a.message(1).kind, 'need-more');
    });
  });
}

describe('CryptoAssembly', () => {
  it('ranges merge in any order; contiguous grows when gaps fill', () => {
    const a = new CryptoAssembly(4096, 4);
    const data = Buffer.from(Array.from({ length: 100 }, (_, i) => i));
    assert.ok(a.add(50, data, 50, 60));
    assert.ok(a.add(70, data, 70, 80));
    assert.equal(a.contiguous, 0);
    assert.ok(a.add(0, data, 0, 50));
    assert.equal(a.contiguous, 60);
    assert.ok(a.add(55, data, 55, 75)); // overlapping both neighbours
    assert.equal(a.contiguous, 80);
  });
  it('past the limit: over-limit, and nothing more is taken', () => {
    const a = new CryptoAssembly(1000);
    assert.equal(a.add(990, Buffer.alloc(20)), false);
    assert.equal(a.failed, 'over-limit');
    assert.equal(a.add(0, Buffer.alloc(4)), false);
    assert.deepEqual(a.message(), { kind: 'invalid', reason: 'over-limit' });
    assert.equal(a.bytesHeld, 0);
  });
  it('too many separate ranges: too-fragmented', () => {
    const a = new CryptoAssembly(4096, 3);
    for (const off of [10, 20, 30]) assert.ok(a.add(off, Buffer.alloc(2)));
    assert.equal(a.add(40, Buffer.alloc(2)), false);
    assert.equal(a.failed, 'too-fragmented');
  });
  it('joining two ranges is allowed at the range limit', () => {
    const a = new CryptoAssembly(4096, 2);
    assert.ok(a.add(10, Buffer.alloc(5)));
    assert.ok(a.add(20, Buffer.alloc(5)));
    assert.ok(a.add(15, Buffer.alloc(5)));
    assert.ok(a.add(0, Buffer.alloc(10)));
    assert.equal(a.contiguous, 25);
  });
  it('a message longer than the limit is known from its header', () => {
    const a = new CryptoAssembly(1024);
    a.add(0, Buffer.from([1, 0, 0x10, 0]));
    assert.deepEqual(a.message(1), { kind: 'invalid', reason: 'too-large' });
  });
  it('a message of another type', () => {
    const a = new CryptoAssembly();
    a.add(0, Buffer.from([2, 0, 0, 1, 0]));
    assert.deepEqual(a.message(1), { kind: 'invalid', reason: 'unexpected-message' });
    assert.equal(a.message(-1).kind, 'complete');
  });
  it('memory grows with the data, not to the limit at once', () => {
    const a = new CryptoAssembly(16384);
    a.add(0, Buffer.alloc(100));
    assert.ok(a.bytesHeld <= 2048);
    a.add(5000, Buffer.alloc(100));
    assert.ok(a.bytesHeld >= 5100 && a.bytesHeld <= 16384);
  });
});

describe('Initial frames', () => {
  const a = () => new CryptoAssembly();
  it('PADDING, PING, ACK (with ranges, with ECN), CONNECTION_CLOSE', () => {
    const frames = Buffer.from(
      [
        [0x00, 0x00],
        [0x01],
        [0x02, 0x05, 0x00, 0x01, 0x01, 0x00, 0x01], // largest 5, delay 0, 1 more range: first 1, gap 0, len 1
        [0x03, 0x02, 0x00, 0x00, 0x00, 0x01, 0x02, 0x03], // ECN counts
        [0x1c, 0x0a, 0x06, 0x03, 0x61, 0x62, 0x63], // error 10, frame type 6, reason "abc"
      ].flat(),
    );
    assert.deepEqual(walkInitialFrames(frames, a()), { ok: true, crypto: 0, ping: true, ack: true, close: true });
  });
  it('a frame an Initial may not carry (STREAM)', () => {
    assert.deepEqual(walkInitialFrames(Buffer.from([0x08, 0x00, 0x00]), a()), { ok: false, reason: 'unexpected-frame' });
  });
  it('cut-off frames', () => {
    for (const f of [[0x06, 0x00, 0x05, 0x01], [0x06, 0x40], [0x02, 0x01], [0x1c, 0x00, 0x00, 0x05, 0x61]]) {
      assert.deepEqual(walkInitialFrames(Buffer.from(f), a()), { ok: false, reason: 'truncated' }, JSON.stringify(f));
    }
  });
  it('CRYPTO data the assembly refuses', () => {
    const small = new CryptoAssembly(16);
    assert.deepEqual(walkInitialFrames(cryptoFrame(10, Buffer.alloc(10)), small), { ok: false, reason: 'crypto-rejected' });
  });
});
