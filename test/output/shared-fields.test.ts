/**
 * The engine hands one field list to every syn / syn+ack finding of the
 * same verdict (and to every mtu finding of the same MTU), flagged as
 * shared, and the -o writer encodes such a list once. These tests pin what
 * may and may not be shared, and that the log is the same either way.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { loadSignatures } from '../../src/db/load.js';
import { LinkType } from '../../src/decode/constants.js';
import { Engine } from '../../src/engine.js';
import type { Observation } from '../../src/observation.js';
import { formatLogLine, writeLogLine } from '../../src/output/p0f-log.js';
import { FdWriter } from '../../src/output/writer.js';
import { ethernet, record, tcp4 } from '../helpers/packet-build.js';

const LINUX_OPTS = [{ mss: 1460 }, 'sok', { ts: [1, 0] as const }, 'nop', { ws: 7 }] as const;

function run(frames: Buffer[]): Observation[] {
  const seen: Observation[] = [];
  const engine = new Engine({ db: loadSignatures(), details: false }, (o) => seen.push(o));
  frames.forEach((f, i) => engine.handle(record(ethernet(f), LinkType.ETHERNET, { tsSec: 1700000000 + i })));
  return seen;
}

function logOf(obs: Observation[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pof-shared-'));
  const file = path.join(dir, 'log');
  try {
    const w = new FdWriter(fs.openSync(file, 'w'));
    for (const o of obs) writeLogLine(w, o);
    w.close();
    return fs.readFileSync(file, 'utf8');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('two SYNs of one stack share one field list per module; the log is what formatLogLine gives', () => {
  const syn = (src: string, sport: number): Buffer =>
    tcp4({ src, ttl: 64 }, { sport, flags: 0x02, win: 29200, options: [...LINUX_OPTS] });
  const obs = run([syn('192.0.2.10', 40001), syn('192.0.2.11', 40002)]);
  const syns = obs.filter((o) => o.mod === 'syn');
  const mtus = obs.filter((o) => o.mod === 'mtu');
  assert.equal(syns.length, 2);
  assert.equal(mtus.length, 2);
  for (const o of [...syns, ...mtus]) assert.equal(o.sharedFields, true, `${o.mod} should be shared`);
  assert.equal(syns[0]!.fields, syns[1]!.fields, 'one list for one verdict');
  assert.equal(mtus[0]!.fields, mtus[1]!.fields, 'one list for one MTU');
  assert.notEqual(syns[0]!.conn, syns[1]!.conn);
  // Twice through the writer (the second time from its cache) and once
  // through the plain formatter: the same bytes.
  const expected = obs.map(formatLogLine).join('');
  assert.equal(logOf(obs), expected);
  assert.equal(logOf(obs), expected);
});

test("a sendsyn probe's fields are its own, not shared, and name the tool with app=", () => {
  // p0f's sendsyn tool marks its SYNs with window 1337 and MSS 1331.
  const probe = tcp4({ src: '192.0.2.20', ttl: 64 }, { sport: 40003, flags: 0x02, win: 1337, options: [{ mss: 1331 }] });
  const obs = run([probe, probe.subarray()]);
  const probes = obs.filter((o) => o.mod === 'sendsyn probe');
  assert.ok(probes.length >= 1, `no sendsyn probe among ${obs.map((o) => o.mod).join(', ')}`);
  for (const o of probes) {
    assert.notEqual(o.sharedFields, true);
    assert.equal(o.fields[0]![0], 'app');
  }
  assert.equal(logOf(obs), obs.map(formatLogLine).join(''));
});
