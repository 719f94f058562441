/**
 * The daemon's answers carry what the engine learnt of a connection's TLS:
 * a real engine reads a TLS connection (built packets), its observations
 * go to the per-connection verdicts (ConnVerdicts) as the daemon feeds
 * them, and the JSON answers (keyed and compact) hold the ClientHello's
 * facts on the client side, the ServerHello's on the server side, and the
 * host's last TLS client. p0f's v3 and v2 binary answers are the same byte
 * for byte with TLS on or off.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { unpackConn, unpackHost } from '../../src/api/compact.js';
import { answerJsonLine } from '../../src/api/json.js';
import { engineLookup } from '../../src/api/lookup.js';
import { answerV2, encodeV2Query, type V2Context } from '../../src/api/v2.js';
import { answerV3, encodeV3Query } from '../../src/api/v3.js';
import { parseSignatures } from '../../src/db/parse.js';
import { Engine } from '../../src/engine.js';
import { ConnVerdicts } from '../../src/state/conn-verdicts.js';
import { ethernet, record, tcp4, LinkType } from '../helpers/packet-build.js';
import { alpn, clientHelloBody, ext, handshake, records, serverHelloBody, sni, supportedVersions } from '../tls/build.js';

const SIGS = 'classes = unix\n[tcp:request]\nlabel = s:unix:Linux:test\nsig = *:64:0:*:mss*44,7:mss,sok,ts,nop,ws:df,id+:0\n';
const CLI = { src: '192.0.2.10', dst: '198.51.100.1', ttl: 64, df: true, id: 1 };
const SRV = { src: '198.51.100.1', dst: '192.0.2.10', ttl: 64, df: true, id: 1 };

const hello = records(handshake(1, clientHelloBody({ ciphers: [0x1301, 0x1302], extensions: [sni('api.example'), alpn(['h2', 'http/1.1']), supportedVersions([0x0304])] })));
const sh = records(handshake(2, serverHelloBody({ cipher: 0x1302, extensions: [ext(0x002b, Buffer.from([3, 4])), alpn(['h2'])] })));
const frames = [
  ethernet(tcp4(CLI, { sport: 51000, dport: 443, seq: 100, flags: 0x02, win: 64240, options: [{ mss: 1460 }, 'sok', { ts: [1, 0] }, 'nop', { ws: 7 }] })),
  ethernet(tcp4(SRV, { sport: 443, dport: 51000, seq: 900, ack: 101, flags: 0x12, options: [{ mss: 1460 }] })),
  ethernet(tcp4(CLI, { sport: 51000, dport: 443, seq: 101, ack: 901, flags: 0x18, payload: hello })),
  ethernet(tcp4(SRV, { sport: 443, dport: 51000, seq: 901, ack: 101 + hello.length, flags: 0x18, payload: sh })),
];

function daemon(tls: boolean) {
  const parsed = parseSignatures(SIGS, 'inline');
  assert.ok(parsed.ok);
  const conns = new ConnVerdicts(100);
  const engine = new Engine({ db: parsed.db, tls }, (o) => void conns.observe(o));
  for (const f of frames) engine.handle(record(f, LinkType.ETHERNET));
  return { engine, conns, lookup: engineLookup(engine, conns) };
}

const ask = (lookup: ReturnType<typeof engineLookup>, q: object): Record<string, any> => JSON.parse(answerJsonLine(JSON.stringify(q), lookup, () => ({})).text);
const connQuery = { cli: '192.0.2.10', cli_port: 51000, srv: '198.51.100.1', srv_port: 443 };

describe('TLS in the daemon answers', () => {
  it("a connection answer holds the ClientHello's facts (client side) and the ServerHello's (server side)", () => {
    const { lookup } = daemon(true);
    const a = ask(lookup, connQuery);
    assert.equal(a.status, 'ok');
    const c = a.conn.client.tls;
    assert.equal(c.transport, 'tcp');
    assert.equal(c.version, 'TLS 1.3');
    assert.match(c.ja4, /^t13d0203h2_[0-9a-f]{12}_[0-9a-f]{12}$/);
    assert.match(c.ja3, /^[0-9a-f]{32}$/);
    assert.equal(c.sni, 'api.example');
    assert.deepEqual(c.alpn, ['h2', 'http/1.1']);
    assert.equal(c.after_retry, false);
    assert.ok(c.client === null || (typeof c.client.family === 'string' && typeof c.client.name === 'string'));
    assert.deepEqual(a.conn.server.tls, { transport: 'tcp', version: 'TLS 1.3', cipher: 0x1302, alpn: 'h2', hello_retry_request: false });
    assert.equal(a.conn.client.tcp.label, 'Linux test', 'the SYN verdict is still there');
    // The host's last TLS client, in the host record.
    assert.equal(a.host.tls.ja4, c.ja4);
    assert.equal(a.host.tls.sni, 'api.example');
    assert.deepEqual(ask(lookup, { addr: '192.0.2.10' }).host.tls, a.host.tls);
  });

  it('the compact form carries the same, and unpacks to the keyed answer', () => {
    const { lookup } = daemon(true);
    const keyed = ask(lookup, connQuery);
    const packed = ask(lookup, { ...connQuery, compact: true });
    assert.deepEqual(unpackConn(packed.conn), keyed.conn);
    assert.deepEqual(unpackHost(packed.host), keyed.host);
    // An older pof's records (before TLS) still unpack, with no TLS.
    const oldHost = (packed.host as unknown[]).slice(0, -1);
    const oldConn = [...(packed.conn as unknown[]).slice(0, 9), ...(packed.conn as unknown[][]).slice(9).map((s) => s.slice(0, -1))];
    assert.equal(unpackHost(oldHost)!.tls, null);
    assert.equal(unpackConn(oldConn)!.client.tls, null);
  });

  it('without TLS (tls: false) the answers say null; p0f v3 and v2 answers are the same bytes either way', () => {
    const on = daemon(true);
    const off = daemon(false);
    const a = ask(off.lookup, connQuery);
    assert.equal(a.conn.client.tls, null);
    assert.equal(a.host.tls, null);
    const v3q = encodeV3Query(Buffer.from([192, 0, 2, 10]));
    const v3on = answerV3(v3q, 0, on.lookup.host, on.lookup.hostAt);
    assert.deepEqual(v3on, answerV3(v3q, 0, off.lookup.host, off.lookup.hostAt));
    assert.equal(v3on.readUInt32LE(4), 0x10, 'the host is found');
    const v2q = encodeV2Query({ type: 'fingerprint', id: 7, src: '192.0.2.10', srcPort: 51000, dst: '198.51.100.1', dstPort: 443 });
    const ctx = (d: typeof on): V2Context => ({ connection: d.lookup.connection, status: () => ({ version: 'x', mode: 'S', fpCksum: 0, cache: 0, packets: 0, matched: 0, queries: 0, cmisses: 0, uptime: 0 }) });
    const v2on = answerV2(v2q, 0, ctx(on));
    assert.deepEqual(v2on, answerV2(v2q, 0, ctx(off)));
    assert.equal(v2on.length, 144);
  });
});
