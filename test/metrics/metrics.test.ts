/**
 * /metrics from real parts: an engine reading samples/demo.pcap, the query
 * server on a socket with a client asking it, the store on a real
 * redis-server, served by the HTTP endpoint and read back with a strict
 * parser of the Prometheus text format (prom-text.ts): names, types,
 * labels and values checked against what the parts counted themselves.
 * Then the endpoint's own behaviour (loopback, 404/405/HEAD, a failing
 * route, mounts, --http values).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { PofClient } from '../../src/api/client.js';
import { ConnVerdicts } from '../../src/state/conn-verdicts.js';
import { createHttpEndpoint, parseHttpAddress, type HttpEndpoint, type HttpRoute } from '../../src/api/http-endpoint.js';
import { engineLookup } from '../../src/api/lookup.js';
import { PofMetrics } from '../../src/api/metrics/registry.js';
import { PofApiServer } from '../../src/api/server.js';
import { StorePublisher } from '../../src/api/store/publisher.js';
import { StoreReader } from '../../src/api/store/reader.js';
import { readCaptureFile } from '../../src/capture/file.js';
import { DEFAULT_MAX_CONN, DEFAULT_MAX_HOSTS } from '../../src/config.js';
import { LinkType } from '../../src/decode/constants.js';
import { loadSignatures } from '../../src/db/load.js';
import { Engine } from '../../src/engine.js';
import { PofError } from '../../src/errors.js';
import type { Observation } from '../../src/observation.js';
import { HttpModule } from '../../src/state/http-module.js';
import { RedisServer, skipRedis } from '../store/redis-server.js';
import { parsePromText, sample, type PromFamily } from './prom-text.js';

const DEMO = fileURLToPath(new URL('../../samples/demo.pcap', import.meta.url));

function get(port: number, path: string, method = 'GET'): Promise<{ status: number; type: string; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, type: String(res.headers['content-type']), body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the Prometheus text parser of these tests', () => {
  it('refuses what a scraper would', () => {
    const bad = [
      'pof_x 1',
      'pof_x 1\n',
      '# TYPE pof_x counter\npof_x{a="1} 2\n',
      '# TYPE pof_x counter\npof_x{a="\\q"} 2\n',
      '# TYPE pof_x counter\npof_x 1\npof_x 2\n',
      '# TYPE pof_x counter\n# TYPE pof_x gauge\npof_x 1\n',
      '# TYPE pof_x counter\npof_x one\n',
      '# TYPE pof_h histogram\npof_h_bucket{le="1"} 2\npof_h_bucket{le="+Inf"} 1\npof_h_sum 1\npof_h_count 1\n',
      '# TYPE pof_h histogram\npof_h_bucket{le="1"} 1\npof_h_sum 1\npof_h_count 1\n',
    ];
    for (const t of bad) assert.throws(() => parsePromText(t), Error, JSON.stringify(t));
    const ok = parsePromText('# HELP pof_x says \\\\ and \\n\n# TYPE pof_x counter\npof_x{a="q\\"\\\\\\n"} 1.5e3\n');
    assert.equal(ok.get('pof_x')!.help, 'says \\ and \n');
    assert.deepEqual(ok.get('pof_x')!.samples, [{ name: 'pof_x', labels: { a: 'q"\\\n' }, value: 1500 }]);
  });
});

describe('/metrics from the engine, the query server and the store', { skip: skipRedis }, () => {
  let dir: string;
  let redis: RedisServer;
  let server: PofApiServer;
  let client: PofClient;
  let pub: StorePublisher;
  let reader: StoreReader;
  let ep: HttpEndpoint;
  let engine: Engine;
  let conns: ConnVerdicts;
  const metrics = new PofMetrics();
  const mods = new Map<string, number>();
  let fams: Map<string, PromFamily>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pof-metrics-'));
    redis = await new RedisServer().start();
    pub = new StorePublisher({ url: redis.url, onPublish: metrics.storePublish });
    reader = new StoreReader({ url: redis.url, onLookup: metrics.storeLookup, timeoutMs: 1000 });
    conns = new ConnVerdicts(10_000);
    engine = new Engine({ db: loadSignatures() }, (o: Observation) => {
      conns.observe(o);
      metrics.observations.observe(o);
      mods.set(o.mod, (mods.get(o.mod) ?? 0) + 1);
    });
    engine.addModule(new HttpModule());
    conns.onUpdate((v) => {
      pub.conn(v);
      const h = engine.hosts.get(v.cli);
      if (h) pub.host(h);
    });
    server = await PofApiServer.listen({ path: join(dir, 'api.sock'), lookup: engineLookup(engine, conns) });
    client = new PofClient({ path: join(dir, 'api.sock') });
    metrics.setSources({
      engine: () => engine.stats,
      tables: () => [
        { table: 'hosts', entries: engine.hosts.size, capacity: DEFAULT_MAX_HOSTS, evicted: engine.hosts.evicted },
        { table: 'flows', entries: engine.flows.size, capacity: DEFAULT_MAX_CONN, evicted: engine.flows.evicted },
        { table: 'conns', entries: conns.size, capacity: conns.capacity, evicted: conns.evicted },
      ],
      api: () => server.stats,
      publisher: () => ({ up: pub.unavailable() === null, ...pub.stats }),
      reader: () => ({ up: reader.unavailable() === null, stats: reader.stats }),
      capture: () => ({ received: 0, droppedKernel: 0, droppedInterface: 0 }),
      tlsHellos: () => ({ tcp: 0, quic: 0 }),
    });
    await reader.ready();
    const end = Date.now() + 5000;
    while (pub.unavailable() !== null && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    readCaptureFile(DEMO, (rec) => engine.handle(rec));
    // And three packets pof cannot use: truncated IPv4, an IPv4 fragment, a raw frame that is not IP.
    const raw = (data: Buffer): void => engine.handle({ linkType: LinkType.RAW, tsSec: 1700000000, tsUsec: 0, data, offset: 0, caplen: data.length, wirelen: data.length });
    raw(Buffer.from('4500003c', 'hex'));
    raw(Buffer.from('450000280001200040060000c0000201c000020200500050000000000000000050020000000000000', 'hex').subarray(0, 40));
    raw(Buffer.from('00000000000000000000', 'hex'));
    await pub.flush();
    for (const v of [...conns.values()].slice(0, 5)) {
      await client.queryJson({ cli: v.cli, cli_port: v.cliPort, srv: v.srv, srv_port: v.srvPort });
      await reader.connection(v);
    }
    await client.queryHost('192.0.2.77');
    for (const s of [0.00003, 0.0002, 0.004]) metrics.apiQuery('v3', s);
    ep = createHttpEndpoint({ port: 0, metrics });
    await ep.listen();
    const r = await get(ep.address()!.port, '/metrics');
    assert.equal(r.status, 200);
    assert.equal(r.type, 'text/plain; version=0.0.4; charset=utf-8');
    fams = parsePromText(r.body);
  });

  after(async () => {
    await ep?.close();
    await client?.close();
    await server?.close();
    await pub?.close();
    await reader?.close();
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const type = (name: string): string | undefined => fams.get(name)?.type;

  it('has packets, pof\'s drops and the engine\'s counts, as counters', () => {
    assert.equal(type('pof_packets_total'), 'counter');
    assert.equal(sample(fams, 'pof_packets_total'), engine.stats.packets);
    assert.equal(sample(fams, 'pof_tcp_packets_total'), engine.stats.tcp);
    assert.equal(type('pof_packets_dropped_total'), 'counter');
    const drops = Object.entries(engine.stats.drops);
    assert.ok(drops.length > 0, 'packets pof left out');
    for (const [reason, n] of drops) assert.equal(sample(fams, 'pof_packets_dropped_total', { reason }), n);
    assert.equal(type('pof_capture_dropped_total'), 'counter');
    assert.equal(fams.get('pof_capture_dropped_total')!.samples.length, 0, 'zero counters are left out');
  });

  it('has records by module and verdicts by OS family and match quality', () => {
    for (const [mod, n] of mods) assert.equal(sample(fams, 'pof_records_total', { mod }), n, mod);
    assert.equal(type('pof_verdicts_total'), 'counter');
    const v = fams.get('pof_verdicts_total')!.samples;
    const syn = v.filter((s) => s.labels.mod === 'syn').reduce((a, s) => a + s.value, 0);
    assert.equal(syn, mods.get('syn'));
    const families = new Set(v.map((s) => s.labels.family));
    for (const f of ['linux', 'windows']) assert.ok(families.has(f), `family ${f} in ${[...families]}`);
    for (const s of v) {
      assert.deepEqual(Object.keys(s.labels).sort(), ['family', 'match', 'mod']);
      assert.ok(['exact', 'fuzzy', 'generic', 'generic_fuzzy', 'none'].includes(s.labels.match!), s.labels.match);
      assert.ok(/^[a-z+]+$/.test(s.labels.family!), s.labels.family);
    }
    const bad = fams.get('pof_http_bad_sw_total')!.samples.reduce((a, s) => a + s.value, 0);
    assert.equal(bad, (mods.get('http request') ?? 0) + (mods.get('http response') ?? 0));
  });

  it('has the tables, the API server and its latency histogram', () => {
    assert.equal(type('pof_table_entries'), 'gauge');
    assert.equal(sample(fams, 'pof_table_entries', { table: 'hosts' }), engine.hosts.size);
    assert.equal(sample(fams, 'pof_table_capacity', { table: 'conns' }), 10_000);
    assert.equal(sample(fams, 'pof_api_queries_total', { protocol: 'json' }), 5);
    assert.equal(sample(fams, 'pof_api_queries_total', { protocol: 'v3' }), 1);
    assert.equal(sample(fams, 'pof_api_clients', { state: 'active' }), 1);
    assert.equal(type('pof_api_query_duration_seconds'), 'histogram');
    assert.equal(sample(fams, 'pof_api_query_duration_seconds_count', { protocol: 'v3' }), 3);
    assert.equal(sample(fams, 'pof_api_query_duration_seconds_bucket', { protocol: 'v3', le: '0.000025' }), 0);
    assert.equal(sample(fams, 'pof_api_query_duration_seconds_bucket', { protocol: 'v3', le: '0.00005' }), 1);
    assert.equal(sample(fams, 'pof_api_query_duration_seconds_bucket', { protocol: 'v3', le: '0.005' }), 3);
    assert.ok(Math.abs(sample(fams, 'pof_api_query_duration_seconds_sum', { protocol: 'v3' })! - 0.00423) < 1e-12, 'Math.abs(sample(fams, \'pof_api_query_duration_seconds_sum\', ');
    assert.equal(sample(fams, 'pof_api_query_duration_seconds_count', { protocol: 'json' }), 0);
  });

  it('has the store: up, published, lookups and both latency histograms', () => {
    assert.equal(sample(fams, 'pof_store_up', { side: 'publish' }), 1);
    assert.equal(sample(fams, 'pof_store_up', { side: 'lookup' }), 1);
    assert.equal(sample(fams, 'pof_store_published_total'), pub.stats.published);
    assert.ok(pub.stats.published > 10, `published ${pub.stats.published}`);
    assert.equal(sample(fams, 'pof_store_lookups_total', { result: 'redis' }), reader.stats.redis);
    assert.equal(type('pof_store_publish_duration_seconds'), 'histogram');
    assert.ok(sample(fams, 'pof_store_publish_duration_seconds_count')! >= 1, `publish latency samples: ${sample(fams, 'pof_store_publish_duration_seconds_count')}`);
    assert.equal(sample(fams, 'pof_store_lookup_duration_seconds_count'), reader.stats.redis);
    assert.equal(type('pof_store_errors_total'), 'counter');
  });

  it('has prom-client\'s process metrics under the prefix, and nothing unprefixed', () => {
    assert.equal(type('pof_process_cpu_user_seconds_total'), 'counter');
    assert.ok(type('pof_nodejs_eventloop_lag_seconds'), 'event loop lag');
    for (const name of fams.keys()) assert.ok(name.startsWith('pof_'), name);
  });

  it('reads the sources at each scrape', async () => {
    const before = sample(fams, 'pof_packets_total')!;
    readCaptureFile(DEMO, (rec) => engine.handle(rec));
    const again = parsePromText((await get(ep.address()!.port, '/metrics')).body);
    assert.ok(engine.stats.packets > before, 'more packets');
    assert.equal(sample(again, 'pof_packets_total'), engine.stats.packets);
  });
});

describe('the HTTP endpoint', () => {
  it('binds to loopback by default, serves its routes, and only reads', async () => {
    const errors: string[] = [];
    const ep = createHttpEndpoint({
      port: 0,
      routes: new Map<string, HttpRoute>([
        ['/', (_q, res) => void res.end('dashboard')],
        ['/boom', () => {
          throw new Error('route failed\nsecond line');
        }],
        ['/late', async () => {
          await new Promise((r) => setTimeout(r, 5));
          throw new Error('async failure');
        }],
      ]),
      onError: (m) => errors.push(m),
    });
    const a = await ep.listen();
    try {
      assert.equal(a.host, '127.0.0.1');
      assert.deepEqual(ep.paths(), ['/', '/boom', '/late']);
      assert.equal((await get(a.port, '/?x=1')).body, 'dashboard');
      const head = await get(a.port, '/', 'HEAD');
      assert.equal(head.status, 200);
      assert.equal(head.body, '');
      const post = await get(a.port, '/', 'POST');
      assert.equal(post.status, 405);
      assert.equal(post.headers.allow, 'GET, HEAD');
      const missing = await get(a.port, '/nope');
      assert.equal(missing.status, 404);
      assert.match(missing.body, /serves \/ \/boom \/late/);
      assert.equal((await get(a.port, '/boom')).status, 500);
      assert.equal((await get(a.port, '/late')).status, 500);
      assert.deepEqual(errors, ['http endpoint: /boom: route failed', 'http endpoint: /late: async failure']);
      assert.equal(missing.headers['x-content-type-options'], 'nosniff');
      ep.mount('/events', (_q, res) => {
        res.writeHead(200, { 'Content-Type': 'text/event-stream' });
        res.end('data: 1\n\n');
      });
      assert.equal((await get(a.port, '/events')).type, 'text/event-stream');
      assert.equal(ep.unmount('/events'), true);
      assert.equal((await get(a.port, '/events')).status, 404);
    } finally {
      await ep.close();
    }
  });

  it('says in one line why it cannot listen, and checks its options', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      await assert.rejects(createHttpEndpoint({ port }).listen(), (e: unknown) => e instanceof PofError && e.message === `cannot serve HTTP on 127.0.0.1:${port}: EADDRINUSE`);
    } finally {
      blocker.close();
    }
    assert.throws(() => createHttpEndpoint({ port: 70000 }), /port must be an integer in 0\.\.65535/);
    assert.throws(() => createHttpEndpoint({ port: 0, host: 'example.com' }), /host must be an IP address/);
    assert.throws(() => createHttpEndpoint({ port: 0, routes: { metrics: () => {} } }), /starts with \//);
  });

  it('reads --http values', () => {
    assert.deepEqual(parseHttpAddress('9100'), { host: '127.0.0.1', port: 9100 });
    assert.deepEqual(parseHttpAddress(':9100'), { host: '127.0.0.1', port: 9100 });
    assert.deepEqual(parseHttpAddress('0.0.0.0:9100'), { host: '0.0.0.0', port: 9100 });
    assert.deepEqual(parseHttpAddress('[::1]:9100'), { host: '::1', port: 9100 });
    for (const bad of ['', 'x', '9100:', '1.2.3.4:99999', 'host.example:80', '[::1]']) {
      assert.throws(() => parseHttpAddress(bad), (e: unknown) => e instanceof PofError && e.code === 'E_USAGE' && e.message.startsWith('--http'), bad);
    }
  });
});
