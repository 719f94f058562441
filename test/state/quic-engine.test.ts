/**
 * QUIC through the engine: client Initials of v1 and v2 (built and sealed
 * with the test helper in test/quic/protect.ts, itself checked against the
 * RFCs' packets), CRYPTO frames out of order across two packets, coalesced
 * packets, a packet that fails to decrypt (dropped and counted), the
 * server's Initial (its ServerHello, opened with the server keys of the
 * client's DCID), a new start after a Retry, and what is never looked at.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EXPIRE_INTERVAL } from '../../src/config.js';
import { parseSignatures } from '../../src/db/parse.js';
import { initialKeys, QUIC_V1, QUIC_V2 } from '../../src/decode/quic/initial.js';
import { Engine } from '../../src/engine.js';
import { parseClientHello } from '../../src/fingerprint/tls/hello.js';
import { ja4 } from '../../src/fingerprint/tls/ja4.js';
import type { Observation } from '../../src/observation.js';
import { ethernet, ipv4, ipv6, record, tcp4, udp, LinkType } from '../helpers/packet-build.js';
import { cryptoFrame, protectInitial } from '../quic/protect.js';
import { alpn, clientHelloBody, ext, handshake, serverHelloBody, sni, supportedVersions } from '../tls/build.js';

const dcid = Buffer.from('8394c8f03e515708', 'hex');
const scid = Buffer.from('c1c2c3c4', 'hex');
const srvCid = Buffer.from('5e5e5e5e5e5e5e5e', 'hex');

// A ClientHello with a post-quantum-sized key share: two Initials' worth.
const body = clientHelloBody({
  sessionId: Buffer.alloc(0),
  ciphers: [0x1301, 0x1302, 0x1303],
  extensions: [sni('quic.example'), alpn(['h3']), supportedVersions([0x0304]), ext(0x0033, Buffer.alloc(1250, 0x42)), ext(0x0039, Buffer.alloc(40, 3)), ext(0x000d, Buffer.from([0, 2, 4, 3]))],
});
const msg = handshake(1, body);
const want = (() => {
  const p = parseClientHello(body);
  assert.ok(p.ok);
  return ja4(p.hello, 'quic');
})();

function db() {
  const p = parseSignatures('', 'empty');
  assert.ok(p.ok);
  return p.db;
}

/** A client Initial of `frames`, padded to a 1200-byte datagram. */
function clientInitial(version: number, pn: number, frames: Buffer[], id = dcid): Buffer {
  const payload = Buffer.concat(frames);
  const pad = Math.max(0, 1200 - 30 - payload.length); // header and tag take about 40 bytes
  return protectInitial({ version, dcid: id, scid, pn, pnLen: 2, payload: Buffer.concat([payload, Buffer.alloc(pad)]), keys: initialKeys(id, version)! });
}

function serverInitial(version: number, frames: Buffer[]): Buffer {
  return protectInitial({ version, dcid: scid, scid: srvCid, pn: 0, pnLen: 2, payload: Buffer.concat([...frames, Buffer.alloc(20)]), keys: initialKeys(dcid, version, 'server')! });
}

const fromClient = (d: Buffer): Buffer => ethernet(ipv4(udp(d, { sport: 51000, dport: 443 }), { proto: 17, src: '192.0.2.7', dst: '198.51.100.9' }));
const fromServer = (d: Buffer): Buffer => ethernet(ipv4(udp(d, { sport: 443, dport: 51000 }), { proto: 17, src: '198.51.100.9', dst: '192.0.2.7' }));

function run(frames: Buffer[]): { obs: Observation[]; engine: Engine } {
  const obs: Observation[] = [];
  const engine = new Engine({ db: db() }, (o) => obs.push(o));
  for (const f of frames) engine.handle(record(f, LinkType.ETHERNET));
  return { obs, engine };
}

const tls = (obs: Observation[]): Observation[] => obs.filter((o) => o.mod === 'tls');
const field = (o: Observation, k: string): string | null | undefined => o.fields.find((f) => f[0] === k)?.[1];

/** The hello in two CRYPTO frames, one per packet. */
const half = 700;
const first = (v: number): Buffer => clientInitial(v, 0, [cryptoFrame(0, msg.subarray(0, half))]);
const second = (v: number): Buffer => clientInitial(v, 1, [cryptoFrame(half, msg.subarray(half))]);

function assertQuicHello(o: Observation | undefined): void {
  assert.ok(o);
  assert.equal(o.cli, '192.0.2.7');
  assert.equal(o.cliPort, 51000);
  assert.equal(o.srv, '198.51.100.9');
  assert.equal(o.srvPort, 443);
  assert.equal(field(o, 'ja4'), want.ja4);
  assert.equal(field(o, 'ja4_ro'), want.ja4_ro);
  assert.ok(want.ja4.startsWith('q13d0306h3'), want.ja4);
  assert.equal(field(o, 'sni'), 'quic.example');
  const d = o.detail;
  assert.ok(d && d.kind === 'tls');
  assert.equal(d.transport, 'quic');
}

describe('QUIC through the engine', () => {
  for (const [name, v] of [
    ['v1', QUIC_V1],
    ['v2', QUIC_V2],
  ] as const) {
    it(`${name}: a ClientHello over two Initials gives one tls observation, JA4 with 'q'`, () => {
      const { obs, engine } = run([fromClient(first(v)), fromClient(second(v))]);
      assert.equal(tls(obs).length, 1);
      assertQuicHello(tls(obs)[0]);
      assert.equal(engine.stats.tls.hellos.quic, 1);
      assert.equal(engine.stats.tls.quicInitials, 2);
    });
  }

  it('CRYPTO frames out of order across two packets (the second packet first)', () => {
    const { obs } = run([fromClient(second(QUIC_V1)), fromClient(first(QUIC_V1))]);
    assert.equal(tls(obs).length, 1);
    assertQuicHello(tls(obs)[0]);
  });

  it('out of order within packets too: frames reversed and split, over three packets', () => {
    const a = clientInitial(QUIC_V1, 0, [cryptoFrame(900, msg.subarray(900)), cryptoFrame(300, msg.subarray(300, 600))]);
    const b = clientInitial(QUIC_V1, 1, [cryptoFrame(600, msg.subarray(600, 900))]);
    const c = clientInitial(QUIC_V1, 2, [cryptoFrame(0, msg.subarray(0, 300))]);
    const { obs } = run([fromClient(a), fromClient(b), fromClient(c)]);
    assert.equal(tls(obs).length, 1);
    assertQuicHello(tls(obs)[0]);
  });

  it('a packet that fails to decrypt is dropped and counted; the connection goes on', () => {
    const bad = Buffer.from(first(QUIC_V1));
    bad[bad.length - 3]! ^= 0x55; // in the tag
    const { obs, engine } = run([fromClient(bad), fromClient(first(QUIC_V1)), fromClient(second(QUIC_V1))]);
    assert.equal(engine.stats.tls.drops['quic-decrypt-failed'], 1);
    assert.equal(tls(obs).length, 1);
    assertQuicHello(tls(obs)[0]);
  });

  it('coalesced packets: an Initial followed by a 0-RTT packet in one datagram', () => {
    const init = protectInitial({ version: QUIC_V1, dcid, scid, pn: 0, pnLen: 2, payload: Buffer.concat([cryptoFrame(0, msg)]), keys: initialKeys(dcid, QUIC_V1)! });
    // A 0-RTT long header (type 1) with a length covering junk.
    const zeroRtt = Buffer.concat([Buffer.from([0xd0, 0, 0, 0, 1, dcid.length]), dcid, Buffer.from([scid.length]), scid, Buffer.from([0x40, 100]), Buffer.alloc(100, 0x99)]);
    const { obs } = run([fromClient(Buffer.concat([init, zeroRtt]))]);
    assert.equal(tls(obs).length, 1);
    assertQuicHello(tls(obs)[0]);
  });

  it("the server's Initial: its ServerHello, opened with the server keys of the client's DCID", () => {
    const sh = handshake(2, serverHelloBody({ cipher: 0x1301, extensions: [ext(0x002b, Buffer.from([3, 4])), ext(0x0033, Buffer.alloc(36, 1))] }));
    const { obs, engine } = run([fromClient(first(QUIC_V1)), fromClient(second(QUIC_V1)), fromServer(serverInitial(QUIC_V1, [Buffer.from([2, 0, 0, 0, 0]), cryptoFrame(0, sh)]))]);
    const s = obs.filter((o) => o.mod === 'tls server');
    assert.equal(s.length, 1);
    assert.equal(s[0]!.cli, '192.0.2.7');
    assert.equal(field(s[0]!, 'version'), 'TLS 1.3');
    assert.equal(field(s[0]!, 'cipher'), '0x1301');
    const d = s[0]!.detail;
    assert.ok(d && d.kind === 'tls-server' && d.transport === 'quic');
    assert.equal(engine.stats.tls.serverHellos.quic, 1);
    assert.equal(engine.stats.tls.drops['quic-server-decrypt-failed'], undefined);
  });

  it('a retransmitted Initial adds nothing; after a Retry the new Initial (its own DCID) is a new hello', () => {
    const again = clientInitial(QUIC_V1, 2, [cryptoFrame(0, msg.subarray(0, half))]);
    const newDcid = Buffer.from('0102030405060708090a', 'hex');
    const afterRetry = [clientInitial(QUIC_V1, 0, [cryptoFrame(0, msg.subarray(0, half))], newDcid), clientInitial(QUIC_V1, 1, [cryptoFrame(half, msg.subarray(half))], newDcid)];
    const { obs } = run([fromClient(first(QUIC_V1)), fromClient(second(QUIC_V1)), fromClient(again), ...afterRetry.map(fromClient)]);
    assert.equal(tls(obs).length, 2);
  });

  it('over IPv6 and on any port', () => {
    const f = (d: Buffer): Buffer => ethernet(ipv6(udp(d, { sport: 40001, dport: 8443 }), { next: 17, src: '2001:db8::7', dst: '2001:db8::9' }), { type: 0x86dd });
    const { obs } = run([f(first(QUIC_V2)), f(second(QUIC_V2))]);
    assert.equal(tls(obs).length, 1);
    assert.equal(tls(obs)[0]!.srvPort, 8443);
    assert.equal(tls(obs)[0]!.ipVer, 6);
  });

  it('what is not a v1/v2 Initial is never decrypted: short headers, other versions, no fixed bit, DNS', () => {
    const init = first(QUIC_V1);
    const noFixed = Buffer.from(init);
    noFixed[0]! &= ~0x40;
    const otherVersion = Buffer.from(init);
    otherVersion.writeUInt32BE(0xff00001d, 1);
    const short = Buffer.concat([Buffer.from([0x40]), Buffer.alloc(1200, 1)]);
    const dns = Buffer.from('abcd01000001000000000000076578616d706c6503636f6d0000010001', 'hex');
    const { obs, engine } = run([noFixed, otherVersion, short, dns].map(fromClient));
    assert.equal(tls(obs).length, 0);
    assert.equal(engine.stats.tls.quicInitials, 0);
    assert.deepEqual(engine.stats.tls.drops, {});
  });

  it("never advances p0f's expiry rhythm (a flow from a SYN outlives a run of Initials)", () => {
    const obs: Observation[] = [];
    const engine = new Engine({ db: db(), connMaxAgeS: 30 }, (o) => obs.push(o));
    const syn = ethernet(tcp4({}, { flags: 0x02, options: [{ mss: 1460 }] }));
    engine.handle(record(syn, LinkType.ETHERNET, { tsSec: 1700000000 }));
    const size = engine.flows.size;
    for (let i = 0; i < EXPIRE_INTERVAL * 2; i++) engine.handle(record(fromClient(first(QUIC_V1)), LinkType.ETHERNET, { tsSec: 1700003600 }));
    assert.equal(engine.flows.size, size);
    assert.equal(engine.stats.tcp, 1);
  });
});
