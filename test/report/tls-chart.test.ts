/**
 * The report's TLS chart from the engine's own 'tls' observations: a
 * Chromium ClientHello (its cipher and extension lists as FoxIO's JA4_ro of
 * a real Edge hello in the corpus gives them, written into a hello here)
 * goes through the engine, which labels it from signatures/tls.fp, and the
 * summary counts it under that label; an unlabelled hello counts as
 * Unknown; both JA4s are listed.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadSignatures } from '../../src/db/load.js';
import { Engine } from '../../src/engine.js';
import { TrafficSummary } from '../../src/output/report/aggregate.js';
import { ethernet, record, tcp4, LinkType } from '../helpers/packet-build.js';
import { alpn, clientHelloBody, ext, groups, handshake, pointFormats, records, sigAlgs, sni, supportedVersions, type Ext } from '../tls/build.js';

const CIPHERS = [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035];
const SIGS = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601];
const chromium: Ext[] = [
  sigAlgs(SIGS),
  sni('edge.example'),
  groups([0x001d, 0x0017, 0x0018]),
  ext(0x0005, Buffer.from([1, 0, 0, 0, 0])),
  pointFormats([0]),
  supportedVersions([0x0304, 0x0303]),
  ext(0x001b, Buffer.from([2, 0, 2])),
  ext(0xff01, Buffer.from([0])),
  ext(0x0033, Buffer.concat([Buffer.from([0, 36, 0, 0x1d, 0, 32]), Buffer.alloc(32, 9)])),
  ext(0x4469, Buffer.from([0, 3, 2, 0x68, 0x32])),
  ext(0x002d, Buffer.from([1, 1])),
  ext(0x0023),
  ext(0x0017),
  ext(0x0012),
  alpn(['h2', 'http/1.1']),
  ext(0x0015, Buffer.alloc(20)),
];

function helloFrames(sport: number, extensions: Ext[]): Buffer[] {
  const h = records(handshake(1, clientHelloBody({ sessionId: Buffer.alloc(32, 1), ciphers: CIPHERS, extensions })));
  return [
    ethernet(tcp4({ src: '198.51.100.7', dst: '192.0.2.1' }, { sport, dport: 443, seq: 10, flags: 0x02, options: [{ mss: 1460 }] })),
    ethernet(tcp4({ src: '198.51.100.7', dst: '192.0.2.1' }, { sport, dport: 443, seq: 11, flags: 0x18, payload: h })),
  ];
}

describe("the report's TLS chart", () => {
  test("fills in from the engine's hellos, labelled from signatures/tls.fp", () => {
    const s = new TrafficSummary();
    const seen: string[] = [];
    const e = new Engine({ db: loadSignatures(undefined) }, (o) => {
      if (o.mod === 'tls') seen.push(String(o.fields.find((f) => f[0] === 'ja4')?.[1]));
      s.add(o);
    });
    for (const f of [...helloFrames(40001, chromium), ...helloFrames(40002, chromium), ...helloFrames(40003, chromium.slice(0, 5))]) e.handle(record(f, LinkType.ETHERNET));
    assert.deepEqual(seen.slice(0, 2), ['t13d1516h2_8daaf6152771_e5627efa2ab1', 't13d1516h2_8daaf6152771_e5627efa2ab1'], 'the same JA4 as the corpus hello');
    const d = s.snapshot();
    assert.equal(d.totals.tls, 3);
    assert.equal(d.tls.clients.length, 2);
    assert.match(d.tls.clients[0]!.name, /^Chromium-based 91 to 116/);
    assert.equal(d.tls.clients[0]!.count, 2);
    assert.deepEqual(d.tls.clients[1], { name: 'Unknown', count: 1 });
    assert.equal(d.tls.ja4.length, 2);
  });
});
