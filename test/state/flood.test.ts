/**
 * A SYN flood from distinct random sources through the real engine: the
 * tables stay within their limits, and hosts that keep talking survive.
 * (bench/flood.ts runs the same with 1,000,000 SYNs and reports peak RSS.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_MAX_CONN, DEFAULT_MAX_HOSTS } from '../../src/config.js';
import { parseSignatures } from '../../src/db/parse.js';
import { Engine } from '../../src/engine.js';
import { floodRecords } from '../helpers/flood.js';

test('200,000 spoofed SYNs: tables bounded by the defaults, regular clients kept', () => {
  const parsed = parseSignatures('classes = unix\n[tcp:request]\nlabel = s:unix:Linux:test\nsig = *:64:0:*:mss*44,7:mss,sok,ts,nop,ws:df,id+:0\n', 'inline');
  assert.ok(parsed.ok);
  let obs = 0;
  const engine = new Engine({ db: parsed.db, details: false }, () => obs++);
  let maxHosts = 0;
  let maxFlows = 0;
  const regulars = floodRecords(200_000, 1, (rec) => {
    engine.handle(rec);
    if (engine.hosts.size > maxHosts) maxHosts = engine.hosts.size;
    if (engine.flows.size > maxFlows) maxFlows = engine.flows.size;
  });
  assert.ok(maxHosts <= DEFAULT_MAX_HOSTS, `hosts ${maxHosts}`);
  assert.ok(maxFlows <= DEFAULT_MAX_CONN, `flows ${maxFlows}`);
  assert.ok(engine.hosts.evicted > 150_000);
  for (const r of regulars) assert.ok(engine.hosts.get(r), `regular client ${r} was evicted`);
  assert.ok(obs >= 200_000);
});
