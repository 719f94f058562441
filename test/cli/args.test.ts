import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseArgs, parsePair } from '../../src/cli/args.js';
import { batchMsFlag, SENSOR_FLAGS } from '../../src/cli/sensor-flags.js';
import { PofError } from '../../src/errors.js';

test("p0f 3 and p0f 2 invocations parse", () => {
  const a = parseArgs(['-i', 'eth0', '-s', '/var/run/p0f.sock', '-u', 'p0f', '-d'], SENSOR_FLAGS);
  assert.equal(a.flags.get('i'), 'eth0');
  assert.equal(a.flags.get('s'), '/var/run/p0f.sock');
  assert.equal(a.flags.get('d'), true);
  const b = parseArgs(['-qKU', '-Q', '/var/run/p0f/p0f.sock', '-u', 'www-data'], SENSOR_FLAGS);
  assert.equal(b.flags.get('q'), true);
  assert.equal(b.flags.get('K'), true);
  assert.equal(b.flags.get('U'), true);
  assert.equal(b.flags.get('Q'), '/var/run/p0f/p0f.sock');
});

test('bundled value and trailing filter expression', () => {
  const a = parseArgs(['-rfoo.pcap', '--json', 'port', '80'], SENSOR_FLAGS);
  assert.equal(a.flags.get('r'), 'foo.pcap');
  assert.equal(a.flags.get('json'), true);
  assert.deepEqual(a.rest, ['port', '80']);
});

test('usage errors are PofErrors with one-line messages', () => {
  for (const argv of [['-Z'], ['--nope'], ['-r'], ['-f', 'a', '-f', 'b'], ['--json=1']]) {
    assert.throws(() => parseArgs(argv, SENSOR_FLAGS), (e: unknown) => e instanceof PofError && e.code === 'E_USAGE' && !e.message.includes('\n'));
  }
  assert.deepEqual(parsePair('m', '10,20', [100, 100]), [10, 20]);
  assert.throws(() => parsePair('m', '10', [100, 100]), PofError);
  assert.throws(() => parsePair('m', '0,5', [100, 100]), PofError);
  assert.throws(() => parsePair('m', '500,5', [100, 100]), PofError);
});

test('--batch-ms: whole milliseconds in 1..10000, undefined when not given', () => {
  const ms = (argv: string[]) => batchMsFlag(parseArgs(argv, SENSOR_FLAGS).flags);
  assert.equal(ms(['-i', 'lo']), undefined);
  assert.equal(ms(['--batch-ms', '1']), 1);
  assert.equal(ms(['--batch-ms', '10000']), 10000);
  for (const bad of ['0', '10001', '2.5', '-1', 'x']) {
    assert.throws(() => ms([`--batch-ms=${bad}`]), (e: unknown) => e instanceof PofError && e.code === 'E_USAGE' && /--batch-ms wants milliseconds in 1\.\.10000 /.test(e.message));
  }
});
