import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConnVerdicts } from '../../src/state/conn-verdicts.js';
import { answerJsonLine, parseJsonQuery } from '../../src/api/json.js';
import { linuxSyn, makeHost, makeLookup, obs, windowsSyn } from './helpers.js';

const T = { cli: '192.0.2.10', cliPort: 51000, srv: '198.51.100.1', srvPort: 80 };

test('query shapes', () => {
  assert.deepEqual(parseJsonQuery('{"addr":"1.2.3.4"}'), { ok: true, query: { op: 'host', addr: '1.2.3.4', ver: 4 } });
  assert.deepEqual(parseJsonQuery('{"id":7,"addr":"::ffff:1.2.3.4"}'), { ok: true, query: { op: 'host', addr: '1.2.3.4', ver: 4, id: 7 } });
  assert.deepEqual(parseJsonQuery('{"addr":"2001:db8::1"}'), { ok: true, query: { op: 'host', addr: '2001:db8:0:0:0:0:0:1', ver: 6 } });
  assert.deepEqual(parseJsonQuery('{"cli":"1.2.3.4","cli_port":1234,"srv":"5.6.7.8","srv_port":80}'), {
    ok: true,
    query: { op: 'conn', cli: '1.2.3.4', cliPort: 1234, srv: '5.6.7.8', srvPort: 80, ver: 4 },
  });
  assert.deepEqual(parseJsonQuery('{"op":"status","id":"x"}'), { ok: true, query: { op: 'status', id: 'x' } });
});

test('bad queries say why', () => {
  const bad = (line: string): string => {
    const r = parseJsonQuery(line);
    assert.equal(r.ok, false, line);
    return r.ok ? '' : r.error;
  };
  assert.match(bad('nope'), /not valid JSON/);
  assert.match(bad('[1]'), /object/);
  assert.match(bad('{}'), /give "addr"/);
  assert.match(bad('{"addr":"1.2.3"}'), /not an IP address/);
  assert.match(bad('{"addr":5}'), /must be a string/);
  assert.match(bad('{"addr":"1.2.3.4","cli":"1.2.3.4"}'), /either/);
  assert.match(bad('{"cli":"1.2.3.4","cli_port":70000,"srv":"5.6.7.8","srv_port":80}'), /cli_port/);
  assert.match(bad('{"cli":"1.2.3.4","cli_port":1,"srv":"::1","srv_port":80}'), /same IP version/);
  assert.match(bad('{"addr":"1.2.3.4","colour":1}'), /unknown field "colour"/);
  assert.match(bad('{"__proto__":{"addr":"1.2.3.4"}}'), /unknown field/);
  assert.match(bad('{"op":"dance"}'), /"op" must be/);
  assert.match(bad('{"id":{},"addr":"1.2.3.4"}'), /"id"/);
  const r = parseJsonQuery('{"id":3,"addr":"x"}');
  assert.equal(!r.ok && r.id, 3);
});

test('host answer has everything pof knows', () => {
  const h = makeHost({
    lastOs: { id: 1, line: 1, generic: false, sys: [], cls: 'unix', name: 'Linux', flavor: '3.11 and newer' },
    lastQuality: 1,
    distance: 8,
    lastUpMin: 1500,
    upModDays: 49,
    mtu: 1500,
    linkType: 'Ethernet or modem',
    httpName: 'Firefox',
    httpFlavor: '10.x or newer',
    language: 'English',
    lastNat: 1700000050,
  });
  const a = answerJsonLine('{"id":1,"addr":"192.0.2.10"}', makeLookup([h]), () => ({}));
  assert.equal(a.status, 'ok');
  assert.ok(a.text.endsWith('\n') && !a.text.slice(0, -1).includes('\n'));
  assert.deepEqual(JSON.parse(a.text), {
    id: 1,
    status: 'ok',
    host: {
      addr: '192.0.2.10',
      ip_version: 4,
      first_seen: 1700000000,
      last_seen: 1700000100,
      total_conn: 3,
      os: { name: 'Linux', flavor: '3.11 and newer', class: 'unix', label: 'Linux 3.11 and newer', fuzzy: true, generic: false },
      os_match_q: 1,
      http: { name: 'Firefox', flavor: '10.x or newer', label: 'Firefox 10.x or newer' },
      bad_sw: 0,
      language: 'English',
      distance: 8,
      link: 'Ethernet or modem',
      mtu: 1500,
      uptime: { minutes: 1500, modulo_days: 49 },
      last_nat: 1700000050,
      last_chg: null,
      tls: null,
    },
  });
});

test('connection answers tell clients behind one address apart', () => {
  const conns = new ConnVerdicts(10);
  const A = T;
  const B = { ...T, cliPort: 51001 };
  conns.observe(linuxSyn(A));
  conns.observe(windowsSyn(B));
  conns.observe(obs(B, 'http request', 'cli', { kind: 'http', app: { name: 'MSIE', flavor: '8 or newer', generic: false }, language: 'Polish', badSw: 0 }, [['raw_sig', 'x']]));
  const look = makeLookup([makeHost()], conns);
  const q = (t: typeof T) => JSON.parse(answerJsonLine(JSON.stringify({ cli: t.cli, cli_port: t.cliPort, srv: t.srv, srv_port: t.srvPort }), look, () => ({})).text);
  const a = q(A);
  const b = q(B);
  assert.equal(a.conn.client.tcp.label, 'Linux 3.11 and newer');
  assert.equal(b.conn.client.tcp.label, 'Windows 7 or 8');
  assert.equal(b.conn.client.http.label, 'MSIE 8 or newer');
  assert.equal(b.conn.client.http.language, 'Polish');
  assert.equal(b.conn.client.http.raw_sig, 'x');
  assert.equal(a.host.addr, '192.0.2.10');
  assert.deepEqual(a.conn.cli, { addr: '192.0.2.10', port: 51000 });
  // Unknown connection of a known host: the host, conn null.
  const c = q({ ...T, cliPort: 9 });
  assert.equal(c.status, 'ok');
  assert.equal(c.conn, null);
  // Nothing known at all.
  assert.deepEqual(q({ ...T, cli: '203.0.113.1' }), { status: 'no match' });
});

test('no match, bad query and status answers', () => {
  const look = makeLookup();
  assert.deepEqual(JSON.parse(answerJsonLine('{"addr":"10.0.0.1"}', look, () => ({})).text), { status: 'no match' });
  assert.deepEqual(JSON.parse(answerJsonLine('{"id":"q","addr":"10.0.0"}', look, () => ({})).text), { id: 'q', status: 'bad query', error: '"addr" is not an IP address' });
  assert.deepEqual(JSON.parse(answerJsonLine('{"op":"status"}', look, () => ({ hosts: 0 })).text), { status: 'ok', server: { hosts: 0 } });
});
