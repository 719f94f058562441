import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConnVerdicts } from '../../src/state/conn-verdicts.js';
import { PofError } from '../../src/errors.js';
import { linuxSyn, NO_MATCH, obs, windowsSyn, withVerdict } from '../api/helpers.js';

const T = { cli: '192.0.2.10', cliPort: 51000, srv: '198.51.100.1', srvPort: 80 };

test('limits are validated', () => {
  for (const bad of [0, -1, 1.5, NaN, 2_000_000]) assert.throws(() => new ConnVerdicts(bad), PofError);
});

test('collects every module per side', () => {
  const c = new ConnVerdicts(10);
  c.observe(linuxSyn(T, 100));
  c.observe(withVerdict(obs(T, 'syn+ack', 'srv', { kind: 'tcp', match: null, dist: 0, quality: 0 }, [['dist', '0']], 100), NO_MATCH));
  c.observe(obs(T, 'mtu', 'cli', { kind: 'mtu', mtu: 1492, link: 'DSL' }, [], 100));
  c.observe(obs(T, 'uptime', 'srv', { kind: 'uptime', minutes: 60, moduloDays: 49, freqHz: 1000 }, [], 101));
  c.observe(obs(T, 'http response', 'srv', { kind: 'http', app: { name: 'nginx', flavor: '1.x', generic: false }, language: null, badSw: 0 }, [], 102));
  c.observe(obs(T, 'host change', 'cli', { kind: 'nat', reasons: ['os_diff'], rawHits: [0, 0, 0, 0] }, [], 103));
  const v = c.get(T.cli, T.cliPort, T.srv, T.srvPort)!;
  assert.equal(v.firstSeen, 100);
  assert.equal(v.lastSeen, 103);
  assert.equal(v.client.tcp?.label, 'Linux 3.11 and newer');
  assert.equal(v.client.tcp?.dist, 8);
  assert.equal(v.client.tcp?.params, 'none');
  assert.equal(v.server.tcp?.match, null);
  assert.deepEqual(v.client.mtu, { mtu: 1492, link: 'DSL' });
  assert.equal(v.server.uptime?.minutes, 60);
  assert.equal(v.server.http?.label, 'nginx 1.x');
  assert.deepEqual(v.client.nat, { kind: 'host change', reasons: ['os_diff'], tsSec: 103 });
  assert.equal(c.matched, 1);
});

test('a new SYN on a reused 4-tuple starts afresh', () => {
  const c = new ConnVerdicts(10);
  c.observe(linuxSyn(T, 100));
  c.observe(obs(T, 'mtu', 'cli', { kind: 'mtu', mtu: 1500, link: 'Ethernet or modem' }, [], 100));
  c.observe(windowsSyn(T, 200));
  const v = c.get(T.cli, T.cliPort, T.srv, T.srvPort)!;
  assert.equal(v.client.tcp?.label, 'Windows 7 or 8');
  assert.equal(v.client.mtu, null);
  assert.equal(v.firstSeen, 200);
  assert.equal(c.size, 1);
});

test('bounded: least recently updated go first', () => {
  const c = new ConnVerdicts(3);
  for (let p = 1; p <= 3; p++) c.observe(linuxSyn({ ...T, cliPort: p }));
  c.observe(obs({ ...T, cliPort: 1 }, 'mtu', 'cli', { kind: 'mtu', mtu: 1500, link: null })); // port 1 is now newest
  c.observe(linuxSyn({ ...T, cliPort: 4 }));
  assert.equal(c.size, 3);
  assert.equal(c.evicted, 1);
  assert.equal(c.get(T.cli, 2, T.srv, T.srvPort), undefined);
  assert.ok(c.get(T.cli, 1, T.srv, T.srvPort));
  assert.ok(c.get(T.cli, 4, T.srv, T.srvPort));
  for (let p = 5; p < 1000; p++) c.observe(linuxSyn({ ...T, cliPort: p }));
  assert.equal(c.size, 3);
});

test('onUpdate: listeners see each updated record until stopped; a throwing one harms nothing', () => {
  const c = new ConnVerdicts(10);
  const seen: string[] = [];
  const stop = c.onUpdate((v) => seen.push(`${v.cliPort}:${v.client.tcp?.label ?? '-'}:${v.client.mtu?.mtu ?? '-'}`));
  c.onUpdate(() => {
    throw new Error('listener bug');
  });
  c.observe(linuxSyn(T, 100));
  c.observe(obs(T, 'mtu', 'cli', { kind: 'mtu', mtu: 1492, link: 'DSL' }, [], 100));
  stop();
  c.observe(windowsSyn({ ...T, cliPort: 2 }, 101));
  assert.deepEqual(seen, ['51000:Linux 3.11 and newer:-', '51000:Linux 3.11 and newer:1492']);
  assert.equal(c.get(T.cli, 2, T.srv, T.srvPort)?.client.tcp?.label, 'Windows 7 or 8');
});
