import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Observation, ObservationMod } from '../../src/observation.js';
import { formatLogLine, writeLogLine } from '../../src/output/p0f-log.js';
import { FdWriter } from '../../src/output/writer.js';

const MODS: ObservationMod[] = ['syn', 'syn+ack', 'mtu', 'uptime', 'host change', 'ip sharing', 'http request', 'http response'];

/** Runs fn against an FdWriter over a temporary file and returns what reached the file. */
function written(size: number, fn: (w: FdWriter) => void): Buffer {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pof-log-'));
  const file = path.join(dir, 'out');
  try {
    const w = new FdWriter(fs.openSync(file, 'w'), size);
    fn(w);
    w.close();
    return fs.readFileSync(file);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const text = fc.string({ unit: 'grapheme', maxLength: 40 });
const observation = fc.record({
  mod: fc.constantFrom(...MODS),
  tsSec: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  cli: fc.constantFrom('10.0.0.1', '2001:db8::1', '192.168.1.200'),
  cliPort: fc.integer({ min: 0, max: 65535 }),
  srv: fc.constantFrom('10.0.0.2', '2001:db8::2'),
  srvPort: fc.integer({ min: 0, max: 65535 }),
  subj: fc.constantFrom('cli' as const, 'srv' as const),
  withConn: fc.boolean(),
  fields: fc.array(fc.tuple(fc.constantFrom('os', 'dist', 'params', 'raw_sig', 'app', 'lang', 'uptime', 'raw_freq'), fc.option(text)), { maxLength: 6 }),
  /** Hands on the field list of the last shared observation (as the engine does for repeated verdicts). */
  shared: fc.boolean(),
});

type Raw = typeof observation extends fc.Arbitrary<infer T> ? T : never;

function toObservation(r: Raw): Observation {
  return {
    mod: r.mod,
    tsSec: r.tsSec,
    tsUsec: 0,
    ipVer: r.cli.includes(':') ? 6 : 4,
    cli: r.cli,
    cliPort: r.cliPort,
    srv: r.srv,
    srvPort: r.srvPort,
    subj: r.subj,
    conn: r.withConn ? `cli=${r.cli}/${r.cliPort}|srv=${r.srv}/${r.srvPort}` : undefined,
    fields: r.fields,
    sharedFields: r.shared,
    encap: false,
  };
}

/** Observations whose `shared` ones reuse one another's field list, by identity. */
function toObservations(rs: Raw[]): Observation[] {
  let last: Observation['fields'] | null = null;
  return rs.map((r) => {
    const o = toObservation(r);
    if (o.sharedFields) o.fields = last ??= o.fields;
    return o;
  });
}

test('writeLogLine writes exactly the bytes of formatLogLine, whatever the values, buffer size and sharing of field lists', () => {
  fc.assert(
    fc.property(fc.array(observation, { minLength: 1, maxLength: 20 }), fc.integer({ min: 64, max: 1024 }), (rs, size) => {
      const obs = toObservations(rs);
      const expected = Buffer.from(obs.map(formatLogLine).join(''));
      const got = written(size, (w) => {
        for (const o of obs) writeLogLine(w, o);
      });
      assert.deepEqual(got, expected);
    }),
    { numRuns: 150 },
  );
});

test('writeLogLine: unknown values print as ??? and times change with the packet second', () => {
  const base = toObservation({
    mod: 'syn',
    tsSec: 1700000000,
    cli: '10.0.0.1',
    cliPort: 1234,
    srv: '10.0.0.2',
    srvPort: 80,
    subj: 'cli',
    withConn: false,
    fields: [['os', null], ['dist', '3']],
    shared: true,
  });
  const out = written(1 << 16, (w) => {
    writeLogLine(w, base);
    writeLogLine(w, { ...base, tsSec: base.tsSec + 61 });
  }).toString();
  const lines = out.split('\n');
  assert.equal(lines.length, 3);
  assert.match(lines[0]!, /^\[\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d\] mod=syn\|cli=10\.0\.0\.1\/1234\|srv=10\.0\.0\.2\/80\|subj=cli\|os=\?\?\?\|dist=3$/);
  assert.notEqual(lines[0]!.slice(0, 22), lines[1]!.slice(0, 22));
});

test('FdWriter.write and bytes keep order across flushes and encode non-ASCII as UTF-8', () => {
  const parts = ['abc', 'é', 'x'.repeat(50), 'naïve', '日本', '', 'z'];
  const out = written(64, (w) => {
    for (const p of parts) {
      w.write(p);
      w.bytes(Buffer.from('|'));
    }
    w.bytes(Buffer.alloc(200, 0x41));
  });
  assert.equal(out.toString('utf8'), parts.map((p) => p + '|').join('') + 'A'.repeat(200));
});
