/**
 * Property: a packet's own raw_sig, parsed back as a signature, matches that
 * packet exactly (not fuzzily, not generically), with the distance raw_sig
 * announced. Covers decode -> raw_sig -> db parser -> matcher end to end.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { MAX_DIST } from '../../src/config.js';
import { isDiagnostic, parseTcpSigText } from '../../src/db/format.js';
import { decodePacket } from '../../src/decode/index.js';
import { newTcpPacket } from '../../src/decode/types.js';
import { buildTcpIndex, guessDist, matchTcp, observeTcp, tcpRawSig } from '../../src/fingerprint/tcp.js';
import { ethernet, record, tcp4, tcp6, type OptItem } from '../helpers/packet-build.js';

const optItem: fc.Arbitrary<OptItem> = fc.oneof(
  fc.constant('nop' as const),
  fc.constant('sok' as const),
  fc.integer({ min: 0, max: 65535 }).map((mss) => ({ mss })),
  fc.integer({ min: 0, max: 20 }).map((ws) => ({ ws })),
  fc.tuple(fc.nat(), fc.nat()).map(([a, b]) => ({ ts: [a, b] as [number, number] })),
);

const synArb = fc.record({
  v6: fc.boolean(),
  ttl: fc.integer({ min: 1, max: 255 }),
  df: fc.boolean(),
  id: fc.integer({ min: 0, max: 65535 }),
  tos: fc.integer({ min: 0, max: 255 }),
  flow: fc.integer({ min: 0, max: 0xfffff }),
  win: fc.integer({ min: 0, max: 65535 }),
  seq: fc.nat(),
  ack: fc.nat(),
  urg: fc.integer({ min: 0, max: 65535 }),
  flags: fc.constantFrom(0x02, 0x02 | 0x08, 0x02 | 0x20, 0x02 | 0x40 | 0x80),
  options: fc.array(optItem, { maxLength: 8 }),
  payload: fc.constantFrom('', 'x', 'hello'),
});

test("a SYN's own raw_sig matches it exactly", () => {
  const pk = newTcpPacket();
  fc.assert(
    fc.property(synArb, (s) => {
      const tcp = { sport: 1234, dport: 80, seq: s.seq, ack: s.ack, urg: s.urg, flags: s.flags, win: s.win, options: s.options, payload: s.payload };
      const ip = s.v6
        ? tcp6({ ttl: s.ttl, tclass: s.tos, flow: s.flow }, tcp)
        : tcp4({ ttl: s.ttl, df: s.df, id: s.id, tos: s.tos }, tcp);
      const frame = ethernet(ip);
      if (decodePacket(record(frame, 1), pk) !== 'ok') return true; // e.g. options too long for the header
      if (guessDist(pk.ttl) > MAX_DIST) return true; // raw_sig says "+?": not a usable signature
      const obs = observeTcp(pk, 0);
      const raw = tcpRawSig(pk, obs, 0);
      const sig = parseTcpSigText(raw);
      if (isDiagnostic(sig)) throw new Error(`raw_sig ${raw} does not parse: ${sig.field}: ${sig.message}`);
      matchTcp(buildTcpIndex([sig]), obs, 0);
      assert.equal(obs.matched, sig, raw);
      assert.equal(obs.fuzzy, false, raw);
      assert.equal(obs.dist, guessDist(pk.ttl), raw);
      return true;
    }),
    { numRuns: 2000 },
  );
});
