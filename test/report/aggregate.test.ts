/**
 * TrafficSummary (src/output/report/aggregate.ts): the counts the report draws,
 * from the real engine on samples/demo.pcap and on captures built here;
 * TLS and verdict observations in the shape their issues define (the
 * layers that make them come later); the last-N-minutes window; bounds.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readCaptureBuffer, readCaptureFile } from '../../src/capture/file.js';
import { loadSignatures } from '../../src/db/load.js';
import { Engine } from '../../src/engine.js';
import type { Observation, ObservationField } from '../../src/observation.js';
import { TrafficSummary, type SummaryOptions } from '../../src/output/report/aggregate.js';
import { Tally } from '../../src/output/report/tally.js';
import { HttpModule } from '../../src/state/http-module.js';
import { writePcap } from '../helpers/capture-write.js';
import { ethernet, tcp4 } from '../helpers/packet-build.js';

const DEMO = fileURLToPath(new URL('../../samples/demo.pcap', import.meta.url));
const db = loadSignatures(undefined);

function summarise(feed: (e: Engine) => void, opts: SummaryOptions = {}, details = true): TrafficSummary {
  const s = new TrafficSummary(opts);
  const e = new Engine({ db, details }, s.add);
  e.addModule(new HttpModule());
  feed(e);
  return s;
}
const demo = (opts: SummaryOptions = {}, details = true): TrafficSummary =>
  summarise((e) => void readCaptureFile(DEMO, (r) => e.handle(r)), opts, details);

function obs(mod: string, tsSec: number, fields: ObservationField[], cli = '198.51.100.7'): Observation {
  return { mod: mod as Observation['mod'], tsSec, tsUsec: 0, ipVer: 4, cli, cliPort: 40000, srv: '192.0.2.1', srvPort: 443, subj: 'cli', fields, encap: false };
}

describe('the demo capture', () => {
  const d = demo().snapshot();

  test('OS families of the client SYNs: Linux, Windows, macOS or iOS, tools', () => {
    assert.deepEqual(d.osFamilies, [
      { name: 'Linux', count: 4 },
      { name: 'Tools and scanners', count: 3 },
      { name: 'Windows', count: 2 },
      { name: 'macOS or iOS', count: 1 },
    ]);
    assert.equal(d.totals.syn, 10);
    assert.equal(d.totals.synAck, 5);
    assert.equal(d.totals.clients, 7);
    assert.equal(d.totals.http, 2);
  });

  test('the timeline adds up to the SYNs, one series per family', () => {
    const total = d.timeline.series.reduce((a, s) => a + s.counts.reduce((x, y) => x + y, 0), 0);
    assert.equal(total, 10);
    assert.deepEqual(
      d.timeline.series.map((s) => s.name),
      d.osFamilies.map((f) => f.name),
    );
    assert.equal(d.timeline.bucketS, 1);
    assert.equal(d.timeline.start, Math.floor(d.first!));
  });

  test('hops, links and server stacks', () => {
    assert.equal(d.hops.clients[0], 7); // the local clients
    assert.equal(d.hops.servers[12], 4);
    assert.deepEqual(d.links, [{ mtu: 1500, link: 'Ethernet', clients: 7, servers: 5 }]);
    assert.deepEqual(d.serverStacks, [
      { name: 'Linux 4.19 or newer', count: 4 },
      { name: 'Linux', count: 1 },
    ]);
  });

  test('signatures carry raw_sig, label and count; counts add up', () => {
    const syn = d.signatures.filter((s) => s.mod === 'syn');
    assert.equal(
      syn.reduce((a, s) => a + s.count, 0),
      10,
    );
    assert.ok(syn.some((s) => s.raw === '4:64+0:0:1460:mss*44,7:mss,sok,ts,nop,ws:df,id+:0' && s.label === 'Linux 4.19 or newer' && s.count === 3), 'the Linux SYN signature, 3 times');
  });

  test('no TLS and no verdicts in it', () => {
    assert.equal(d.totals.tls, 0);
    assert.deepEqual(d.tls, { clients: [], ja4: [] });
    assert.deepEqual(d.verdicts, []);
    assert.equal(d.approximate, false);
  });

  test('without typed details (a sink on a plain engine) the label text names the bucket', () => {
    const p = demo({}, false).snapshot();
    assert.equal(p.totals.syn, 10);
    assert.ok(p.osFamilies.some((f) => f.name === 'Windows 10 or 11 (or Server 2016+)'), 'the label text as the bucket');
    assert.deepEqual(p.links, d.links);
  });
});

test('unknown signatures come first', () => {
  // A SYN no signature names: an odd window, MSS and option layout.
  const odd = ethernet(tcp4({ src: '10.9.9.9', dst: '192.0.2.80', ttl: 200 }, { sport: 5555, dport: 80, flags: 0x02, win: 1234, options: [{ mss: 1111 }, 'nop', 'sok', 'nop', { ws: 13 }] }));
  const linux = ethernet(tcp4({ src: '10.9.9.8', dst: '192.0.2.80', ttl: 64, df: true, id: 0 }, { sport: 5556, dport: 80, flags: 0x02, win: 64240, options: [{ mss: 1460 }, 'sok', { ts: [1, 0] }, 'nop', { ws: 7 }] }));
  const cap = writePcap([{ data: linux, tsSec: 100 }, { data: linux, tsSec: 101 }, { data: odd, tsSec: 102 }]);
  const d = summarise((e) => void readCaptureBuffer(cap, (r) => e.handle(r))).snapshot();
  assert.equal(d.signatures[0]!.label, null);
  assert.match(d.signatures[0]!.raw, /:1234,/);
  assert.ok(d.signatures.slice(1).every((s) => s.label !== null), 'the known ones after it');
  assert.ok(d.osFamilies.some((f) => f.name === 'Unknown' && f.count === 1), 'one Unknown SYN');
});

describe('TLS and verdict observations (mod tls, mod verdict)', () => {
  const ja4a = 't13d1516h2_8daaf6152771_e5627efa2ab1';
  const ja4b = 't13d1715h2_5b57614c22b0_3d5424432f57';

  test('JA4 counts, and client labels when the TLS layer gives them', () => {
    const s = new TrafficSummary();
    s.add(obs('tls', 100, [['ja4', ja4a], ['ja3', 'x'], ['sni', 'example.org'], ['alpn', 'h2']]));
    s.add(obs('tls', 101, [['ja4', ja4a]]));
    s.add(obs('tls', 102, [['ja4', ja4b]]));
    let d = s.snapshot();
    assert.equal(d.totals.tls, 3);
    assert.deepEqual(d.tls.clients, [], 'no labels: the page shows JA4s');
    assert.deepEqual(d.tls.ja4, [
      { name: ja4a, count: 2 },
      { name: ja4b, count: 1 },
    ]);
    const labelled: Observation = { ...obs('tls', 103, [['ja4', ja4b]]), detail: { kind: 'tls', label: { kind: 'known', family: 'firefox', name: 'Firefox 120 or newer' } } as unknown as Observation['detail'] };
    s.add(labelled);
    s.add(obs('tls', 104, [['ja4', ja4a], ['client', 'Chrome 117 to 130 (Chromium-based)']]));
    d = s.snapshot();
    assert.deepEqual(d.tls.clients, [
      { name: 'Unknown', count: 3 },
      { name: 'Chrome 117 to 130 (Chromium-based)', count: 1 },
      { name: 'Firefox 120 or newer', count: 1 },
    ]);
  });

  test('verdict mix, top mismatches and the recent ones, newest first', () => {
    const s = new TrafficSummary({ recentMismatches: 2 });
    const v = (ts: number, verdict: string, reasons: string | null, cli: string): Observation =>
      obs('verdict', ts, [['verdict', verdict], ['reasons', reasons], ['ua_os', 'Windows'], ['os', 'Linux 4.19 or newer'], ['tls', 'openssl'], ['app', 'curl']], cli);
    s.add(v(100, 'consistent', null, '10.0.0.1'));
    s.add(v(101, 'mismatch', 'ua-os:tcp', '10.0.0.2'));
    s.add(v(102, 'mismatch', 'ua-os:tcp', '10.0.0.3'));
    s.add(v(103, 'mismatch', 'ua-browser:tls', '10.0.0.4'));
    s.add(v(104, 'unknown', null, '10.0.0.5'));
    const d = s.snapshot();
    assert.deepEqual(d.verdicts, [
      { name: 'consistent', count: 1 },
      { name: 'mismatch', count: 3 },
      { name: 'unknown', count: 1 },
    ]);
    assert.deepEqual(d.mismatches[0], { reasons: 'ua-os:tcp', uaOs: 'Windows', os: 'Linux 4.19 or newer', tls: 'openssl', count: 2 });
    assert.deepEqual(
      d.recentMismatches.map((r) => r.cli),
      ['10.0.0.4', '10.0.0.3'],
    );
    assert.equal(d.recentMismatches[0]!.app, 'curl');
  });
});

describe('the last-N-minutes window', () => {
  const syn = (ts: number, cli: string, os: string): Observation => ({
    ...obs('syn', ts, [['os', os], ['dist', '3'], ['params', 'none'], ['raw_sig', `4:64+3:0:1460:${os}`]], cli),
    detail: { kind: 'tcp', match: { name: os, flavor: null, cls: 'unix', userland: false, generic: false, fuzzy: false, line: 1 }, dist: 3, quality: 0 },
  });

  test('counts only what lies inside the window; old slices are dropped', () => {
    const s = new TrafficSummary({ windowS: 60, slices: 6 });
    s.add(syn(1000, '10.0.0.1', 'Linux'));
    s.add(syn(1005, '10.0.0.2', 'Windows'));
    let d = s.snapshot(1010);
    assert.deepEqual(
      d.osFamilies.map((f) => f.name).sort(),
      ['Linux', 'Windows'],
    );
    assert.equal(d.live, true);
    assert.equal(d.timeline.bucketS, 10);
    assert.equal(d.timeline.series[0]!.counts.length, 6);
    s.add(syn(1065, '10.0.0.3', 'FreeBSD'));
    d = s.snapshot(1065);
    assert.deepEqual(d.osFamilies, [{ name: 'FreeBSD', count: 1 }], 'the SYNs of a minute ago are out');
    assert.equal(d.totals.clients, 1);
    d = s.snapshot(1200);
    assert.deepEqual(d.osFamilies, [], 'nothing in the last minute');
    assert.equal(d.totals.syn, 0);
  });

  test('a late packet is counted in the current slice; the ring reuses its slices', () => {
    const s = new TrafficSummary({ windowS: 60, slices: 6 });
    for (let t = 0; t < 10_000; t += 7) s.add(syn(5000 + t, `10.0.${t % 250}.1`, t % 2 ? 'Linux' : 'Windows'));
    s.add(syn(5000, '10.1.1.1', 'Solaris')); // long ago: counted now
    const d = s.snapshot(5000 + 9999);
    assert.ok(d.osFamilies.some((f) => f.name === 'Solaris'), 'the late SYN is counted');
    const total = d.osFamilies.reduce((a, f) => a + f.count, 0);
    assert.ok(total <= 60 / 7 + 2 + 1, `only about a minute of SYNs (${total})`);
  });

  test('options are checked once, with one clear message', () => {
    assert.throws(() => new TrafficSummary({ windowS: -1 }), /window must be 0 to 86400 seconds/);
    assert.throws(() => new TrafficSummary({ windowS: 60, slices: 0 }), /slices must be an integer from 1 to 1000/);
    assert.throws(() => new TrafficSummary({ maxKeys: 1.5 }), /maxKeys must be an integer/);
  });
});

describe('bounds', () => {
  test('a flood of distinct signatures and clients stays within the caps; the big ones survive', () => {
    const s = new TrafficSummary({ maxSignatures: 100, maxClients: 1000, maxKeys: 50 });
    const fields = (i: number): ObservationField[] => [['os', null], ['dist', '0'], ['params', 'none'], ['raw_sig', `4:64+0:0:${i}:mss*44,7:mss:df:0`]];
    const common = fields(-1);
    for (let i = 0; i < 50_000; i++) {
      s.add({ ...obs('syn', 100 + i / 1000, i % 10 ? fields(i) : common, `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`), sharedFields: i % 10 === 0 });
      s.add(obs('syn+ack', 100, [['os', `stack ${i}`], ['dist', '0'], ['params', 'none'], ['raw_sig', 'x']]));
    }
    const d = s.snapshot();
    assert.equal(d.totals.syn, 50_000);
    assert.equal(d.approximate, true);
    assert.equal(d.totals.clients, 1000);
    assert.equal(d.totals.clientsCapped, true);
    assert.equal(d.signatures[0]!.raw, common[3]![1], 'the frequent signature is still on top');
    assert.ok(d.signatures[0]!.count >= 4000, `its count is nearly whole (${d.signatures[0]!.count} of 5000)`);
    assert.ok(d.serverStacks.length <= 50, `at most 50 stacks (${d.serverStacks.length})`);
  });

  test('Tally folds the rarer half away when full', () => {
    const t = new Tally(4);
    for (const [k, n] of [['a', 10], ['b', 1], ['c', 5], ['d', 1]] as const) t.add(k, n);
    t.add('e');
    assert.deepEqual([...t.counts.keys()].sort(), ['a', 'c', 'e']);
    assert.equal(t.other, 2);
    assert.equal(t.pruned, true);
  });
});

test('a long capture: timeline buckets widen in readable steps and still add up', () => {
  const s = new TrafficSummary({ timelineBuckets: 24 });
  const syn = (ts: number): Observation => ({
    ...obs('syn', ts, [['os', 'Linux'], ['dist', '0'], ['params', 'none'], ['raw_sig', 'x']]),
    detail: { kind: 'tcp', match: { name: 'Linux', flavor: null, cls: 'unix', userland: false, generic: false, fuzzy: false, line: 1 }, dist: 0, quality: 0 },
  });
  const t0 = 1_700_000_000;
  for (let t = 0; t < 3 * 86400; t += 97) s.add(syn(t0 + t));
  const tl = s.snapshot().timeline;
  assert.equal(tl.bucketS, 21600, 'six hours a bar for three days in 24 bars');
  assert.ok(tl.series[0]!.counts.length <= 24, 'at most 24 buckets');
  assert.equal(tl.start % tl.bucketS, 0);
  assert.equal(
    tl.series[0]!.counts.reduce((a, b) => a + b, 0),
    Math.ceil((3 * 86400) / 97),
  );
  assert.ok(tl.start <= t0 && tl.start + tl.bucketS * tl.series[0]!.counts.length > t0 + 3 * 86400 - 97, 'the buckets cover the capture');
});
