import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeUptime, freqText, roundFrequency, uptimeText } from '../../src/fingerprint/uptime.js';

test('frequency rounding follows p0f bands', () => {
  const cases: Array<[number, number]> = [
    [0, 1],
    [7, 7],
    [10, 10],
    [11, 10],
    [13, 15],
    [48, 50],
    [51, 50],
    [97, 100],
    [101, 100],
    [240, 250],
    [499, 500],
    [998, 1000],
    [1049, 1100],
  ];
  for (const [f, want] of cases) assert.equal(roundFrequency(f), want, `f=${f}`);
});

test('a 1000 Hz clock over 2 s gives uptime from the tick count', () => {
  const ts0 = 3_600_000; // one hour of 1 kHz ticks
  const r = computeUptime(ts0 + 2000, ts0, 2000);
  assert.equal(r.kind, 'ok');
  if (r.kind !== 'ok') return;
  assert.equal(r.freq, 1000);
  assert.equal(r.upMin, 60);
  assert.equal(r.upModDays, 49);
  assert.equal(uptimeText(r.upMin, r.upModDays), '0 days 1 hrs 0 min (modulo 49 days)');
  assert.equal(freqText(r.ffreq), '1000.00 Hz');
});

test('too soon, too late, too few ticks: skipped', () => {
  assert.equal(computeUptime(1000, 900, 10).kind, 'skip'); // < 25 ms
  assert.equal(computeUptime(1000, 900, 11 * 60 * 1000).kind, 'skip'); // > 10 min
  assert.equal(computeUptime(1003, 1000, 1000).kind, 'skip'); // < 5 ticks
});

test('implausible clocks are rejected, and wraparound counts as going back', () => {
  assert.equal(computeUptime(1_000_000, 0, 100).kind, 'bad-frequency'); // 10 kHz
  const back = computeUptime(1000, 2000, 1000); // went back 1000 ticks
  assert.equal(back.kind, 'bad-frequency');
  // u32 wraparound forward: 0xfffffff0 -> 0x10 is +32 ticks
  const wrap = computeUptime(0x10, 0xfffffff0, 1000);
  assert.equal(wrap.kind, 'ok');
});
