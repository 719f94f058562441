/**
 * QUIC Initial packets: the RFC 9001 (v1) and RFC 9369 (v2) vectors, key
 * derivation, header protection removal, decryption, and what each kind
 * of bad packet is reported as.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CryptoAssembly } from '../../src/decode/quic/crypto-assembly.js';
import { walkInitialFrames } from '../../src/decode/quic/frames.js';
import { QUIC_V1, QUIC_V2, decodePacketNumber, initialKeys, openPacket, parseLongHeader, type LongHeader } from '../../src/decode/quic/initial.js';
import { parseClientHello, parseServerHello } from '../../src/fingerprint/tls/hello.js';
import { ja4 } from '../../src/fingerprint/tls/ja4.js';
import { protectInitial } from './protect.js';
import * as V from './vectors.js';

function header(pkt: Buffer, at = 0): LongHeader {
  const r = parseLongHeader(pkt, at);
  assert.ok(r.ok, JSON.stringify(r));
  return r.header;
}

const hexKeys = (k: { key: Buffer; iv: Buffer; hp: Buffer }) => ({ key: k.key.toString('hex'), iv: k.iv.toString('hex'), hp: k.hp.toString('hex') });

for (const [name, version, keys, client, server, firstByte] of [
  ['v1 (RFC 9001 appendix A)', QUIC_V1, V.V1_KEYS, V.V1_CLIENT_INITIAL, V.V1_SERVER_INITIAL, 0xc3],
  ['v2 (RFC 9369 appendix A)', QUIC_V2, V.V2_KEYS, V.V2_CLIENT_INITIAL, V.V2_SERVER_INITIAL, 0xd3],
] as const) {
  describe(`QUIC ${name}`, () => {
    it('keys from the client DCID, both directions', () => {
      assert.deepEqual(hexKeys(initialKeys(V.RFC_DCID, version, 'client')!), keys.client);
      assert.deepEqual(hexKeys(initialKeys(V.RFC_DCID, version, 'server')!), keys.server);
    });
    it('the client Initial: header, packet number 2, the CRYPTO frame then PADDING', () => {
      const h = header(client);
      assert.equal(h.version, version);
      assert.equal(h.type, 'initial');
      assert.ok(h.dcid.equals(V.RFC_DCID));
      assert.equal(h.scid.length, 0);
      assert.equal(h.token.length, 0);
      assert.equal(h.end, client.length);
      const before = Buffer.from(client);
      const o = openPacket(client, h, initialKeys(h.dcid, h.version)!);
      assert.ok(o.ok);
      if (!o.ok) return;
      assert.ok(client.equals(before), 'the packet is not written to');
      assert.equal(o.pn, 2);
      assert.equal(o.firstByte, firstByte);
      assert.equal(o.payload.length, 1162);
      assert.ok(o.payload.subarray(0, V.CLIENT_CRYPTO_FRAME.length).equals(V.CLIENT_CRYPTO_FRAME));
      assert.ok(o.payload.subarray(V.CLIENT_CRYPTO_FRAME.length).every((b) => b === 0));
    });
    it('the client Initial to its ClientHello and JA4', () => {
      const h = header(client);
      const o = openPacket(client, h, initialKeys(h.dcid, h.version)!);
      assert.ok(o.ok);
      if (!o.ok) return;
      const a = new CryptoAssembly();
      assert.deepEqual(walkInitialFrames(o.payload, a), { ok: true, crypto: 1, ping: false, ack: false, close: false });
      const m = a.message(1);
      assert.equal(m.kind, 'complete');
      if (m.kind !== 'complete') return;
      const p = parseClientHello(m.body);
      assert.ok(p.ok);
      if (!p.ok) return;
      assert.equal(p.hello.sni, 'example.com');
      assert.deepEqual(p.hello.alpn, ['alpn']);
      assert.match(ja4(p.hello, 'quic').ja4, /^q13d0211an_/);
    });
    it('the server Initial (server keys) holds an ACK and the ServerHello', () => {
      const h = header(server);
      assert.equal(h.dcid.length, 0);
      assert.equal(h.scid.toString('hex'), 'f067a5502a4262b5');
      const o = openPacket(server, h, initialKeys(V.RFC_DCID, version, 'server')!);
      assert.ok(o.ok);
      if (!o.ok) return;
      assert.equal(o.pn, 1);
      assert.ok(o.payload.equals(V.SERVER_PAYLOAD));
      const a = new CryptoAssembly();
      const w = walkInitialFrames(o.payload, a);
      assert.ok(w.ok && w.ack && w.crypto === 1);
      const m = a.message(2);
      assert.equal(m.kind, 'complete');
      if (m.kind !== 'complete') return;
      const s = parseServerHello(m.body);
      assert.ok(s.ok && s.hello.cipher === 0x1301 && s.hello.selectedVersion === 0x0304);
    });
    it('the test protector makes the RFC packet byte for byte', () => {
      const payload = Buffer.concat([V.CLIENT_CRYPTO_FRAME, Buffer.alloc(1162 - V.CLIENT_CRYPTO_FRAME.length)]);
      const k = initialKeys(V.RFC_DCID, version)!;
      assert.ok(protectInitial({ version, dcid: V.RFC_DCID, pn: 2, pnLen: 4, payload, keys: k }).equals(client));
    });
    it('a packet that fails to decrypt is reported as such', () => {
      const h = header(client);
      // Keys of another version, of another DCID, of the other side; a damaged byte anywhere.
      const other = version === QUIC_V1 ? QUIC_V2 : QUIC_V1;
      for (const k of [initialKeys(V.RFC_DCID, other)!, initialKeys(Buffer.from('0011223344556677', 'hex'), version)!, initialKeys(V.RFC_DCID, version, 'server')!]) {
        assert.deepEqual(openPacket(client, h, k), { ok: false, reason: 'decrypt-failed' });
      }
      const k = initialKeys(V.RFC_DCID, version)!;
      for (const at of [0, 5, 19, 22, 100, client.length - 1]) {
        const bad = Buffer.from(client);
        bad[at] ^= 0x01;
        const hb = parseLongHeader(bad);
        if (!hb.ok) continue; // the damage broke the header itself
        const o = openPacket(bad, hb.header, k);
        assert.deepEqual(o, { ok: false, reason: 'decrypt-failed' }, `byte ${at}`);
      }
    });
  });
}

describe('long headers', () => {
  it('short header, empty datagram', () => {
    assert.deepEqual(parseLongHeader(Buffer.from('4001020304', 'hex')), { ok: false, reason: 'short-header' });
    assert.deepEqual(parseLongHeader(Buffer.alloc(0)), { ok: false, reason: 'short-header' });
  });
  it('Version Negotiation, an unknown version', () => {
    assert.deepEqual(parseLongHeader(Buffer.from('c000000000080102030405060708', 'hex')), { ok: false, reason: 'version-negotiation' });
    assert.deepEqual(parseLongHeader(Buffer.from('c0ff00001d080102030405060708', 'hex')), { ok: false, reason: 'unsupported-version' });
  });
  it('connection IDs over 20 bytes', () => {
    assert.deepEqual(parseLongHeader(Buffer.concat([Buffer.from('c00000000115', 'hex'), Buffer.alloc(40)])), { ok: false, reason: 'bad-cid-length' });
  });
  it('every truncation of a client Initial is truncated (the Length field says how much is due)', () => {
    for (const n of [1, 6, 7, 14, 15, 16, 17, 18, 100, 1199]) {
      assert.deepEqual(parseLongHeader(V.V1_CLIENT_INITIAL.subarray(0, n)), { ok: false, reason: 'truncated' }, `cut at ${n}`);
    }
  });
  it('coalesced packets: end is where the next starts', () => {
    const two = Buffer.concat([V.V1_SERVER_INITIAL, V.V1_CLIENT_INITIAL]);
    const a = header(two);
    assert.equal(a.end, V.V1_SERVER_INITIAL.length);
    const b = header(two, a.end);
    assert.equal(b.end, two.length);
    assert.ok(openPacket(two, b, initialKeys(V.RFC_DCID, QUIC_V1)!).ok);
  });
  it('packet types by version: v2 renumbers them', () => {
    const v1Handshake = Buffer.from('e000000001000000', 'hex');
    const v2Retry = Buffer.from('c06b3343cf0000', 'hex');
    assert.equal(header(v1Handshake).type, 'handshake');
    const r = header(v2Retry);
    assert.equal(r.type, 'retry');
    assert.deepEqual(openPacket(v2Retry, r, initialKeys(V.RFC_DCID, QUIC_V2)!), { ok: false, reason: 'no-payload' });
  });
  it('too short for the header protection sample', () => {
    const tiny = Buffer.from('c000000001000000050102030405', 'hex');
    assert.deepEqual(openPacket(tiny, header(tiny), initialKeys(V.RFC_DCID, QUIC_V1)!), { ok: false, reason: 'too-short' });
  });
  it('unknown versions have no keys', () => assert.equal(initialKeys(V.RFC_DCID, 0xff00001d), null));
});

describe('packet numbers (RFC 9000 appendix A.3)', () => {
  it('the RFC example', () => assert.equal(decodePacketNumber(0xa82f30ea, 0x9b32, 2), 0xa82f9b32));
  it('with nothing seen, the truncated value', () => assert.equal(decodePacketNumber(-1, 5, 1), 5));
  it('wraps forward and back', () => {
    assert.equal(decodePacketNumber(0xff, 0x02, 1), 0x102);
    assert.equal(decodePacketNumber(0x101, 0xff, 1), 0xff);
  });
  it('a packet with a 1-byte packet number after others', () => {
    const k = initialKeys(V.RFC_DCID, QUIC_V1)!;
    const payload = Buffer.concat([Buffer.from([0x01]), Buffer.alloc(40)]);
    const pkt = protectInitial({ version: QUIC_V1, dcid: V.RFC_DCID, pn: 0x105, pnLen: 1, payload, keys: k });
    assert.deepEqual(openPacket(pkt, header(pkt), k), { ok: false, reason: 'decrypt-failed' }); // read as 0x05
    const o = openPacket(pkt, header(pkt), k, 0x100);
    assert.ok(o.ok && o.pn === 0x105 && o.payload.equals(payload));
  });
});
