/**
 * Half-sent ClientHellos from many sources (each a SYN and the first part
 * of a hello that never completes) through the real engine: the TLS
 * gatherer's table and bytes stay within their limits, what it gives up is
 * counted, p0f's tables keep theirs, and a hello sent in full in the middle
 * of the flood is still read. (bench/flood.ts runs a million sources.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_MAX_CONN, MAX_TLS_CONNS, MAX_TLS_HELLO_BYTES, TLS_GATHER_BUDGET } from '../../src/config.js';
import { parseSignatures } from '../../src/db/parse.js';
import { Engine } from '../../src/engine.js';
import { floodRecords } from '../helpers/flood.js';
import { ethernet, record, tcp4, LinkType } from '../helpers/packet-build.js';
import { clientHelloBody, handshake, records, sni } from '../tls/build.js';

test('100,000 sources with half-sent hellos: the TLS table and its bytes stay bounded; a whole hello still gets through', () => {
  const parsed = parseSignatures('', 'empty');
  assert.ok(parsed.ok);
  const hellos: string[] = [];
  const engine = new Engine({ db: parsed.db, details: false }, (o) => {
    if (o.mod === 'tls') hellos.push(o.cli);
  });
  let maxSize = 0;
  let maxHeld = 0;
  let n = 0;
  const whole = records(handshake(1, clientHelloBody({ ciphers: [0x1301], extensions: [sni('real.example')] })));
  floodRecords(
    100_000,
    3,
    (rec) => {
      engine.handle(rec);
      const t = engine.tls!.tcp;
      if (t.size > maxSize) maxSize = t.size;
      if (t.held > maxHeld) maxHeld = t.held;
      if (++n === 100_001) {
        // One real client in the middle of it.
        const ip = { src: '203.0.113.5', dst: '192.0.2.80' };
        engine.handle(record(ethernet(tcp4(ip, { sport: 55555, dport: 443, seq: 7, flags: 0x02 })), LinkType.ETHERNET));
        engine.handle(record(ethernet(tcp4(ip, { sport: 55555, dport: 443, seq: 8, flags: 0x18, payload: whole })), LinkType.ETHERNET));
      }
    },
    { halfHellos: true },
  );
  assert.ok(maxSize <= MAX_TLS_CONNS, `table ${maxSize}`);
  assert.ok(maxHeld <= TLS_GATHER_BUDGET + MAX_TLS_HELLO_BYTES, `held ${maxHeld}`);
  assert.ok(engine.flows.size <= DEFAULT_MAX_CONN);
  const d = engine.stats.tls.drops;
  // Every source but the ones still in the table was given up on, and counted as one reason or another.
  const given = (d['tcp-evicted'] ?? 0) + (d['tcp-budget'] ?? 0) + (d['tcp-expired'] ?? 0);
  assert.ok(given >= 100_000 - MAX_TLS_CONNS - 1, `counted ${given}: ${JSON.stringify(d)}`);
  assert.deepEqual(hellos, ['203.0.113.5']);
});
