/** Watched ports: the server tells clients about connections instead of being asked. */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { PofClient, type ConnEvent } from '../../src/api/client.js';
import { ConnVerdicts } from '../../src/state/conn-verdicts.js';
import { answerJsonLine, MAX_WATCHED_PORTS } from '../../src/api/json.js';
import { PofApiServer } from '../../src/api/server.js';
import { linuxSyn, makeHost, makeLookup, NO_MATCH, obs, tempSocketDir, windowsSyn, withVerdict } from './helpers.js';
import { sleep } from './net-helpers.js';

const tmp = tempSocketDir();
after(() => tmp.cleanup());

const T = { cli: '192.0.2.10', cliPort: 51000, srv: '198.51.100.1', srvPort: 8080 };
let seq = 0;

async function setup(): Promise<{ path: string; conns: ConnVerdicts; server: PofApiServer; lookup: ReturnType<typeof makeLookup> }> {
  const path = tmp.path(`w${++seq}.sock`);
  const conns = new ConnVerdicts(100);
  const lookup = makeLookup([makeHost()], conns);
  const server = await PofApiServer.listen({ path, lookup });
  return { path, conns, server, lookup };
}

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await sleep(5);
  }
}

test('a watching client is told about connections to its port, with what a connection query answers', async () => {
  const { path, conns, server, lookup } = await setup();
  const watcher = new PofClient({ path });
  const other = new PofClient({ path });
  const got: ConnEvent[] = [];
  const otherGot: ConnEvent[] = [];
  watcher.onConnEvent = (e) => got.push(e);
  other.onConnEvent = (e) => otherGot.push(e);
  try {
    await watcher.watch(8080);
    assert.equal(await other.queryHostJson('10.9.9.9'), null); // connected, not watching
    server.notify(conns.observe(linuxSyn(T)));
    server.notify(conns.observe(obs(T, 'mtu', 'cli', { kind: 'mtu', mtu: 1500, link: 'Ethernet or modem' })));
    server.notify(conns.observe(windowsSyn({ ...T, srvPort: 9090 })));
    await until(() => got.length > 0);
    await sleep(30);
    // One event for the connection (both findings of the turn in it), none for port 9090.
    assert.equal(got.length, 1);
    const keyed = JSON.parse(answerJsonLine(JSON.stringify({ cli: T.cli, cli_port: T.cliPort, srv: T.srv, srv_port: T.srvPort }), lookup, () => ({})).text);
    assert.deepEqual(got[0], { host: keyed.host, conn: keyed.conn });
    assert.equal(got[0]!.conn.client.mtu?.mtu, 1500);
    assert.equal(otherGot.length, 0);
    assert.equal(server.stats.events, 1);
  } finally {
    await watcher.close();
    await other.close();
    await server.close();
  }
});

test('answers keep their order among events, in every protocol', async () => {
  const { path, conns, server } = await setup();
  const c = new PofClient({ path });
  let events = 0;
  c.onConnEvent = () => events++;
  try {
    await c.watch(8080);
    for (let round = 0; round < 20; round++) {
      const asked = Promise.all([c.queryHost('192.0.2.10'), c.queryHostJson('10.0.0.1'), c.queryConnection(T), c.queryHost('10.0.0.2')]);
      server.notify(conns.observe(linuxSyn({ ...T, cliPort: 40000 + round })));
      const [v3, none, conn, v3none] = await asked;
      assert.equal(v3?.totalConn, 3);
      assert.equal(none, null);
      assert.ok(conn?.host);
      assert.equal(v3none, null);
      await sleep(1);
    }
    await until(() => events === 20);
    assert.equal(c.badEvents, 0);
  } finally {
    await c.close();
    await server.close();
  }
});

test('"until" tells of each connection only until its client SYN (or HTTP request) is known, and of its client side only', async () => {
  const { path, conns, server } = await setup();
  const names = ['syn', 'http', 'every'] as const;
  const clients = names.map(() => new PofClient({ path }));
  const got = names.map(() => [] as ConnEvent[]);
  clients.forEach((c, i) => (c.onConnEvent = (e) => got[i]!.push(e)));
  const synAck = withVerdict(obs(T, 'syn+ack', 'srv', { kind: 'tcp', match: null, dist: 0, quality: 0 }), NO_MATCH);
  const request = obs(T, 'http request', 'cli', { kind: 'http', app: { name: 'Firefox', flavor: '10.x or newer', generic: false }, language: null, badSw: 0 });
  const response = obs(T, 'http response', 'srv', { kind: 'http', app: { name: 'nginx', flavor: '1.x', generic: false }, language: null, badSw: 0 });
  try {
    await clients[0]!.watch(8080, { until: 'syn' });
    await clients[1]!.watch(8080, { until: 'http' });
    await clients[2]!.watch(8080);
    // One finding per turn of the server's event loop, as packets come.
    for (const o of [linuxSyn(T), synAck, request, response]) {
      const before = server.stats.events;
      server.notify(conns.observe(o));
      await until(() => server.stats.events > before);
    }
    // A new connection on the same 4-tuple is told of again.
    server.notify(conns.observe(linuxSyn(T, 1700000100)));
    await until(() => got[2]!.length === 5);
    await sleep(30);
    const seen = got.map((g) => g.map((e) => `${e.conn.client.tcp ? 'syn' : '-'}/${e.conn.client.http ? 'http' : '-'}/${e.conn.server.tcp ? 'syn+ack' : '-'}`));
    assert.deepEqual(seen[0], ['syn/-/-', 'syn/-/-'], 'until syn: the SYN of each connection');
    // With "until" the server's side is left out: the SYN+ACK was known by the request's event.
    assert.deepEqual(seen[1], ['syn/-/-', 'syn/http/-', 'syn/-/-'], 'until http: the SYN and the request, client side only');
    assert.equal(got[1]![1]!.conn.server.http, null);
    assert.deepEqual(seen[2], ['syn/-/-', 'syn/-/syn+ack', 'syn/http/syn+ack', 'syn/http/syn+ack', 'syn/-/-'], 'every change');
    assert.equal(server.stats.events, 2 + 3 + 5);
  } finally {
    for (const c of clients) await c.close();
    await server.close();
  }
});

test('watch queries are checked; a client watches a bounded number of ports', async () => {
  const { path, server } = await setup();
  const c = new PofClient({ path });
  try {
    await assert.rejects(c.queryJson({ op: 'watch' }), /srv_port/);
    await assert.rejects(c.queryJson({ op: 'watch', srv_port: 70000 }), /srv_port/);
    await assert.rejects(c.queryJson({ op: 'watch', srv_port: 80, cli: '1.2.3.4' }), /"watch" takes only "srv_port" and "until"/);
    await assert.rejects(c.queryJson({ op: 'watch', srv_port: 80, until: 'fin' }), /"until" must be "syn" or "http"/);
    await assert.rejects(c.queryJson({ addr: '192.0.2.1', until: 'syn' }), /"until" goes with "op":"watch" only/);
    await assert.rejects(c.watch(80, { until: 'ack' as 'syn' }), /until must be 'syn' or 'http'/);
    await assert.rejects(c.watch(-1), /srvPort/);
    for (let p = 1; p <= MAX_WATCHED_PORTS; p++) await c.watch(p);
    await c.watch(1); // again: no new port
    await assert.rejects(c.watch(MAX_WATCHED_PORTS + 1), /at most 64 watched ports/);
  } finally {
    await c.close();
    await server.close();
  }
});

test('after the daemon restarts, the client watches again by itself', async () => {
  let { path, conns, server } = await setup();
  const c = new PofClient({ path, reconnectMinMs: 10, reconnectMaxMs: 50 });
  const got: number[] = [];
  c.onConnEvent = (e) => got.push(e.conn.cli.port);
  try {
    await c.watch(8080);
    server.notify(conns.observe(linuxSyn(T)));
    await until(() => got.length === 1);
    await server.close();
    await sleep(50);
    conns = new ConnVerdicts(100);
    server = await PofApiServer.listen({ path, lookup: makeLookup([makeHost()], conns) });
    // No query of its own: the watch alone brings it back.
    await until(() => server.stats.accepted === 1 && server.stats.queries.json >= 1);
    await sleep(20);
    server.notify(conns.observe(linuxSyn({ ...T, cliPort: 51001 })));
    await until(() => got.length === 2);
    assert.deepEqual(got, [51000, 51001]);
  } finally {
    await c.close();
    await server.close();
  }
});
