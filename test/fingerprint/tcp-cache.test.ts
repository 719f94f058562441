/**
 * The verdict cache gives exactly what matching from scratch gives, on a
 * miss and on a hit, for random SYNs and SYN+ACKs against the shipped
 * database.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { loadSignatures } from '../../src/db/load.js';
import { decodePacket } from '../../src/decode/index.js';
import { newTcpPacket } from '../../src/decode/types.js';
import { TcpVerdictCache } from '../../src/fingerprint/tcp-cache.js';
import { buildTcpIndex, matchTcp, observeTcp, tcpParams, tcpRawSig } from '../../src/fingerprint/tcp.js';
import { ethernet, record, tcp4, tcp6, type OptItem } from '../helpers/packet-build.js';

const db = loadSignatures();
const idx = { syn: buildTcpIndex(db.tcpRequest), synack: buildTcpIndex(db.tcpResponse) };

const layouts: OptItem[][] = [
  [{ mss: 1460 }, 'sok', { ts: [1000, 0] }, 'nop', { ws: 7 }],
  [{ mss: 1460 }, 'nop', { ws: 8 }, 'nop', 'nop', 'sok'],
  [{ mss: 1460 }, 'nop', { ws: 6 }, 'nop', 'nop', { ts: [5, 0] }, 'sok', 'eol'],
  [{ mss: 1440 }, 'nop', 'nop', 'sok'],
  [{ mss: 1460 }],
  [],
];

test('cached TCP verdicts equal fresh ones', () => {
  // one cache per direction, as the engine keeps them
  const caches = { syn: new TcpVerdictCache(), synack: new TcpVerdictCache() };
  const pk = newTcpPacket();
  fc.assert(
    fc.property(
      fc.record({
        v6: fc.boolean(),
        synack: fc.boolean(),
        ttl: fc.constantFrom(30, 47, 52, 64, 100, 113, 128, 240, 255),
        df: fc.boolean(),
        win: fc.constantFrom(1024, 8192, 14600, 29200, 64240, 65535, 65160, 5840),
        layout: fc.constantFrom(...layouts),
        tos: fc.constantFrom(0, 8, 32),
        synMss: fc.constantFrom(0, 1460, 1380),
      }),
      (s) => {
        const tcp = { flags: s.synack ? 0x12 : 0x02, ack: s.synack ? 5 : 0, win: s.win, options: s.layout };
        const ip = s.v6 ? tcp6({ ttl: s.ttl, tclass: s.tos }, tcp) : tcp4({ ttl: s.ttl, df: s.df, tos: s.tos }, tcp);
        assert.equal(decodePacket(record(ethernet(ip), 1), pk), 'ok');
        const i = s.synack ? idx.synack : idx.syn;
        const fresh = observeTcp(pk, 0);
        matchTcp(i, fresh, s.synMss);
        const want = { m: fresh.matched, f: fresh.fuzzy, d: fresh.dist, raw: tcpRawSig(pk, fresh, s.synMss), p: tcpParams(fresh, pk.tos) };
        for (let round = 0; round < 2; round++) {
          const o = observeTcp(pk, 0);
          const v = (s.synack ? caches.synack : caches.syn).verdict(i, o, pk, s.synMss);
          assert.deepEqual({ m: o.matched, f: o.fuzzy, d: o.dist, raw: v.rawSig, p: v.params }, want);
        }
      },
    ),
    { numRuns: 1500 },
  );
  assert.ok(caches.syn.hits + caches.synack.hits >= 1500);
});
