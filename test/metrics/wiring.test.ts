/**
 * What the daemon's wiring relies on in the metrics: the query server
 * times every answered query (its onQuery hook, per protocol, pipelined
 * queries and p0f 2's closing answer included) into the latency
 * histogram; the server's closes are counted by reason; observations of
 * any module are counted by name, so that mod=tls (by transport) and
 * mod=verdict (by verdict) count as soon as those layers emit; the
 * engine's TLS counters, when it keeps any, are read by name. Real server
 * on a Unix socket, real clients, /metrics read with the strict parser.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';

import { PofClient } from '../../src/api/client.js';
import { PofMetrics } from '../../src/api/metrics/registry.js';
import { PofApiServer } from '../../src/api/server.js';
import { encodeV2Query } from '../../src/api/v2.js';
import { encodeV3Query } from '../../src/api/v3.js';
import type { Observation } from '../../src/observation.js';
import { ConnVerdicts } from '../../src/state/conn-verdicts.js';
import { linuxSyn, makeHost, makeLookup, tempSocketDir } from '../api/helpers.js';
import { closedWithin, connect, sleep, talk } from '../api/net-helpers.js';
import { parsePromText, sample, type PromFamily } from './prom-text.js';

const tmp = tempSocketDir();
after(() => tmp.cleanup());

const T = { cli: '192.0.2.10', cliPort: 51000, srv: '198.51.100.1', srvPort: 80 };
const conns = new ConnVerdicts(100);
conns.observe(linuxSyn(T));
const lookup = makeLookup([makeHost({ distance: 8 })], conns);
const q3 = (a: string): Buffer => encodeV3Query(Uint8Array.from(a.split('.').map(Number)));

const scrape = async (m: PofMetrics): Promise<Map<string, PromFamily>> => parsePromText(await m.render());

describe('the query server times its answers for the metrics', () => {
  it('every answered query, by protocol: pipelined, JSON lines, p0f 2 (which closes)', async () => {
    const metrics = new PofMetrics({ processMetrics: false });
    const path = tmp.path('timed.sock');
    const server = await PofApiServer.listen({ path, lookup, onQuery: (p, s) => metrics.apiQuery(p, s) });
    metrics.setSources({ api: () => server.stats });
    const client = new PofClient({ path });
    try {
      await client.queryHost('192.0.2.10');
      await client.queryJson({ addr: '192.0.2.10' });
      await client.queryJson({ cli: T.cli, cli_port: T.cliPort, srv: T.srv, srv_port: T.srvPort });
      // Five v3 queries in one write, one of them garbage (answered "bad query", timed too).
      await talk(path, Buffer.concat([q3('192.0.2.10'), q3('192.0.2.11'), Buffer.alloc(21, 0x99), q3('192.0.2.10'), q3('192.0.2.12')]), 5 * 232);
      const v2 = await talk(path, encodeV2Query({ type: 'fingerprint', id: 1, src: T.cli, dst: T.srv, srcPort: T.cliPort, dstPort: T.srvPort }));
      assert.equal(v2.closed, true);
      const f = await scrape(metrics);
      const n = (protocol: string): number | undefined => sample(f, 'pof_api_query_duration_seconds_count', { protocol });
      assert.deepEqual(server.stats.queries, { v3: 6, v2: 1, json: 2 });
      assert.deepEqual([n('v3'), n('v2'), n('json')], [6, 1, 2]);
      for (const p of ['v3', 'v2', 'json']) {
        assert.equal(sample(f, 'pof_api_queries_total', { protocol: p }), n(p), p);
        const sum = sample(f, 'pof_api_query_duration_seconds_sum', { protocol: p })!;
        assert.ok(sum > 0 && sum < 1, `${p}: ${sum} s`);
        assert.equal(sample(f, 'pof_api_query_duration_seconds_bucket', { protocol: p, le: '1' }), n(p), `${p}: every one under a second`);
      }
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('counts its closes by reason', async () => {
    const metrics = new PofMetrics({ processMetrics: false });
    const path = tmp.path('closes.sock');
    const server = await PofApiServer.listen({ path, lookup, queryTimeoutMs: 100, idleTimeoutMs: 300, maxJsonLine: 64 });
    metrics.setSources({ api: () => server.stats });
    try {
      // A query begun and never finished; a JSON line too long; a connection that says nothing.
      const slow = await connect(path);
      slow.write(q3('192.0.2.10').subarray(0, 7));
      const long = await talk(path, `{"addr":"${'1'.repeat(100)}"}\n`);
      assert.match(long.buf.toString(), /bad query/);
      const idle = await connect(path);
      assert.equal(await closedWithin(slow, 2000), true);
      assert.equal(await closedWithin(idle, 3000), true);
      for (let i = 0; i < 40 && server.stats.idleTimeouts === 0; i++) await sleep(25);
      const f = await scrape(metrics);
      const why = (w: string): number | undefined => sample(f, 'pof_api_closed_total', { why: w });
      assert.equal(why('query_timeout'), 1);
      assert.equal(why('long_line'), 1);
      assert.equal(why('idle_timeout'), 1);
      assert.equal(why('timeout'), undefined, 'no lump sum beside the reasons');
      assert.deepEqual(
        f.get('pof_api_closed_total')!.samples.map((s) => s.labels.why).sort(),
        ['idle_timeout', 'long_line', 'query_timeout'],
        'zero counters left out',
      );
    } finally {
      await server.close();
    }
  });
});

describe('observations are counted by module name', () => {
  const obs = (mod: string, fields: Observation['fields'], detail?: unknown): Observation =>
    ({ mod, tsSec: 1700000000, tsUsec: 0, ipVer: 4, ...T, subj: 'cli', encap: false, fields, detail }) as unknown as Observation;

  it('mod=tls by transport, mod=verdict by verdict, and the engine\'s TLS counters by name', async () => {
    const metrics = new PofMetrics({
      processMetrics: false,
      sources: { engine: () => ({ packets: 9, tcp: 9, observations: 7, drops: {}, tls: { hellos: 3, droppedOverBudget: 2, label: 'not a number' } }) },
    });
    const see = metrics.observations.observe;
    see(obs('tls', [['ja4', 't13d1516h2_8daaf6152771_02713d6af862']], { kind: 'tls', transport: 'tcp' }));
    see(obs('tls', [['ja4', 't13d1516h2_8daaf6152771_02713d6af862']], { kind: 'tls', transport: 'quic' }));
    see(obs('tls', [['ja4', 'q13d0312h3_55b375c5d22e_06cda9e17597']], { kind: 'tls', transport: 'quic' }));
    see(obs('verdict', [['verdict', 'mismatch'], ['reasons', 'ua-os:tcp']]));
    see(obs('verdict', [['verdict', 'consistent'], ['reasons', null]]));
    see(obs('verdict', [['verdict', 'consistent'], ['reasons', null]]));
    const f = await scrape(metrics);
    assert.equal(sample(f, 'pof_records_total', { mod: 'tls' }), 3);
    assert.equal(sample(f, 'pof_records_total', { mod: 'verdict' }), 3);
    assert.equal(sample(f, 'pof_tls_hellos_total', { transport: 'tcp' }), 1);
    assert.equal(sample(f, 'pof_tls_hellos_total', { transport: 'quic' }), 2);
    assert.equal(sample(f, 'pof_truth_verdicts_total', { verdict: 'consistent' }), 2);
    assert.equal(sample(f, 'pof_truth_verdicts_total', { verdict: 'mismatch' }), 1);
    assert.equal(sample(f, 'pof_tls_events_total', { event: 'hellos' }), 3);
    assert.equal(sample(f, 'pof_tls_events_total', { event: 'dropped_over_budget' }), 2);
    assert.equal(f.get('pof_tls_events_total')!.samples.length, 2, 'only numbers');
  });

  it('bounded: a flood of made-up module and verdict names folds into "other"', async () => {
    const metrics = new PofMetrics({ processMetrics: false });
    for (let i = 0; i < 1000; i++) {
      metrics.observations.observe(obs(`mod${i}`, []));
      metrics.observations.observe(obs('verdict', [['verdict', `v${i}`]]));
    }
    const f = await scrape(metrics);
    const recs = f.get('pof_records_total')!.samples;
    assert.ok(recs.length <= 33, `${recs.length} series`);
    assert.equal(recs.reduce((a, s) => a + s.value, 0), 2000);
    assert.ok(f.get('pof_truth_verdicts_total')!.samples.length <= 33);
    assert.ok((sample(f, 'pof_truth_verdicts_total', { verdict: 'other' }) ?? 0) > 900);
  });
});
