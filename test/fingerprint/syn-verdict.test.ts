/**
 * One SYN verdict: the verdict cache gives exactly what matching from
 * scratch gives, on a miss and on a hit, for random SYNs and SYN+ACKs
 * against the shipped database; and the engine's observations, the
 * per-connection verdict table and saved SYNs carry that one verdict.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { loadSignatures } from '../../src/db/load.js';
import { decodePacket } from '../../src/decode/index.js';
import { LinkType } from '../../src/decode/constants.js';
import { newTcpPacket } from '../../src/decode/types.js';
import { Engine } from '../../src/engine.js';
import { SynFingerprinter, TcpVerdictCache, tcpVerdictOf } from '../../src/fingerprint/syn-verdict.js';
import { buildTcpIndex, matchTcp, observeTcp, tcpParams, tcpRawSig } from '../../src/fingerprint/tcp.js';
import type { Observation } from '../../src/observation.js';
import { ConnVerdicts } from '../../src/state/conn-verdicts.js';
import { ethernet, record, tcp4, tcp6, type OptItem } from '../helpers/packet-build.js';
import { synBytes, type SynSpec } from '../web/helpers.js';

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

test('cached TCP verdicts equal fresh ones, and a hit hands out the same verdict', () => {
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
        const wantVerdict = tcpVerdictOf(fresh, pk, s.synMss);
        let first: unknown = null;
        for (let round = 0; round < 2; round++) {
          const o = observeTcp(pk, 0);
          const e = (s.synack ? caches.synack : caches.syn).verdict(i, o, pk, s.synMss);
          assert.deepEqual({ m: o.matched, f: o.fuzzy, d: o.dist, raw: e.verdict.rawSig, p: e.verdict.params }, want);
          assert.deepEqual(e.verdict, wantVerdict);
          assert.equal(e.sig, fresh.matched);
          if (round === 0) first = e.verdict;
          else assert.equal(e.verdict, first, 'a hit gives the very verdict object of the miss');
        }
      },
    ),
    { numRuns: 1500 },
  );
  assert.ok(caches.syn.hits + caches.synack.hits >= 1500);
});

test("a verdict's parts: label, match, distance bound and quality follow from the matched signature", () => {
  const pk = newTcpPacket();
  const cache = new TcpVerdictCache();
  // Linux 3.11 and newer (window 10 x MSS, scale 7), 8 hops.
  const ip = tcp4({ ttl: 56, df: true }, { flags: 0x02, win: 14600, options: [{ mss: 1460 }, 'sok', { ts: [1000, 0] }, 'nop', { ws: 7 }] });
  assert.equal(decodePacket(record(ethernet(ip), 1), pk), 'ok');
  const v = cache.verdict(idx.syn, observeTcp(pk, 0), pk, 0).verdict;
  assert.ok(v.match);
  assert.equal(v.label, v.match.flavor ? `${v.match.name} ${v.match.flavor}` : v.match.name);
  assert.equal(v.match.userland, v.match.cls === null);
  assert.equal(v.dist, 8);
  assert.equal(v.distUpperBound, false);
  assert.equal(v.quality, (v.match.fuzzy ? 1 : 0) | (v.match.generic ? 2 : 0));
  // No layout in the database: no match, the distance guessed from the TTL.
  const odd = tcp4({ ttl: 120 }, { flags: 0x02, win: 1234, options: [{ ws: 3 }, 'nop', 'nop', 'nop'] });
  assert.equal(decodePacket(record(ethernet(odd), 1), pk), 'ok');
  const u = cache.verdict(idx.syn, observeTcp(pk, 0), pk, 0).verdict;
  assert.deepEqual({ match: u.match, label: u.label, dist: u.dist, bound: u.distUpperBound, quality: u.quality }, { match: null, label: null, dist: 8, bound: false, quality: 0 });
});

const T4 = { ipVer: 4 as const, cli: '192.0.2.10', cliPort: 40000, srv: '198.51.100.1', srvPort: 80 };
const T6 = { ipVer: 6 as const, cli: '2001:db8:0:0:0:0:0:10', cliPort: 40000, srv: '2001:db8:0:0:0:0:0:1', srvPort: 443 };
const syns: Array<[string, typeof T4 | typeof T6, SynSpec]> = [
  ['Linux over IPv4', T4, {}],
  ['Linux, another port', { ...T4, cliPort: 40001 }, {}],
  ['Linux, farther', { ...T4, cliPort: 40002 }, { ttl: 50 }],
  ['Linux over IPv6', T6, { mss: 1440, ttl: 60 }],
  ['no MSS', { ...T4, cliPort: 40003 }, { options: [1, 1, 4, 2] }],
  ['loopback', { ...T4, cliPort: 40004 }, { mss: 65495, win: 65495, ttl: 64 }],
];

function run(details: boolean): { seen: Observation[]; conns: ConnVerdicts } {
  const conns = new ConnVerdicts(100);
  const seen: Observation[] = [];
  const engine = new Engine({ db, details }, (o) => {
    seen.push(o);
    conns.observe(o);
  });
  for (const [, t, spec] of syns) {
    const data = synBytes(t, spec);
    engine.handle({ linkType: LinkType.RAW, tsSec: 1700000000, tsUsec: 0, data, offset: 0, caplen: data.length, wirelen: data.length });
  }
  return { seen, conns };
}

test('the engine, the connection table and saved SYNs carry one verdict', () => {
  const { seen, conns } = run(true);
  const synObs = seen.filter((o) => o.mod === 'syn');
  assert.equal(synObs.length, syns.length);
  const fp = new SynFingerprinter(db);
  for (const [i, [name, t, spec]] of syns.entries()) {
    const o = synObs[i]!;
    const v = o.tcp;
    assert.ok(v, `${name}: the observation carries its verdict`);
    // The connection table keeps the object itself.
    assert.equal(conns.get(t.cli, t.cliPort, t.srv, t.srvPort)?.client.tcp, v, name);
    // The p0f fields and the JSON detail are views of it.
    const field = (k: string): string | null | undefined => o.fields.find((f) => f[0] === k)?.[1];
    assert.equal(field(v.match?.userland ? 'app' : 'os'), v.label, name);
    assert.equal(field('dist'), v.distUpperBound ? `<= ${v.dist}` : String(v.dist), name);
    assert.equal(field('params'), v.params, name);
    assert.equal(field('raw_sig'), v.rawSig, name);
    assert.ok(o.detail?.kind === 'tcp');
    assert.deepEqual(Object.keys(o.detail), ['kind', 'match', 'dist', 'quality'], 'the JSON lines detail keeps its shape');
    assert.equal(o.detail.dist, v.dist);
    assert.equal(o.detail.quality, v.quality);
    if (v.match) {
      assert.ok(o.detail.match);
      const { line, ...rest } = o.detail.match;
      assert.deepEqual(rest, v.match);
      assert.ok(line > 0);
    } else assert.equal(o.detail.match, null);
    // The same SYN, saved by the kernel: the same verdict.
    const r = fp.fingerprint(synBytes(t, spec));
    assert.ok(r.ok, name);
    assert.deepEqual(r.verdict.tcp, v, name);
  }
  // SYNs alike in every field the verdict depends on share the verdict.
  assert.equal(synObs[1]!.tcp, synObs[0]!.tcp);
  assert.notEqual(synObs[2]!.tcp, synObs[0]!.tcp);
});

test('without typed details observations carry no verdict, and the table records none (as before)', () => {
  const { seen, conns } = run(false);
  for (const o of seen) {
    assert.equal(o.tcp, undefined);
    assert.equal(o.detail, undefined);
  }
  assert.equal(conns.get(T4.cli, T4.cliPort, T4.srv, T4.srvPort)?.client.tcp, null);
});
