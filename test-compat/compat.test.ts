/**
 * p0f 3.09b compatibility over ../shared/corpus/dev: pof with p0f's own
 * database must reproduce p0f's log records field for field. Skips when
 * the corpus or /etc/p0f/p0f.fp is absent.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { test } from 'node:test';
import { compare, formatReport, linesOf, matchLines, p0fWithoutAslr, recheckWithP0f, runCorpus, type FileResult } from './compat-lib.js';
import { corpusAvailable, devCaptures, P0F_DB } from './corpus.js';

const ready = corpusAvailable() && fs.existsSync(P0F_DB);
const haveP0f = spawnSync('sh', ['-c', 'command -v p0f'], { stdio: 'ignore' }).status === 0;
let results: FileResult[] = [];

const TCP_MODS = ['syn', 'syn+ack', 'mtu', 'uptime'];
const APP_MODS = ['http request', 'http response', 'host change', 'ip sharing'];

test('TCP records (syn, syn+ack, mtu, uptime) match p0f 3.09b for >= 99.5%', { skip: !ready && 'needs ../shared and /etc/p0f/p0f.fp' }, () => {
  results = runCorpus(devCaptures(), P0F_DB);
  const r = compare(results, TCP_MODS);
  console.log(formatReport(r));
  assert.ok(r.total > 1000, 'the corpus should hold thousands of records');
  assert.ok(r.matched / r.total >= 0.995, `only ${((100 * r.matched) / r.total).toFixed(2)}% reproduced`);
});

test('HTTP, host change and ip sharing records match p0f 3.09b for >= 99% (p0f reruns excuse its own nondeterminism)', { skip: !ready && 'needs ../shared and /etc/p0f/p0f.fp' }, () => {
  const r = compare(results, APP_MODS);
  console.log(formatReport(r));
  let excused = 0;
  const unexcused: string[] = [];
  if (haveP0f) {
    for (const fr of results) {
      const x = recheckWithP0f(fr, APP_MODS);
      excused += x.excused;
      unexcused.push(...x.unexcused);
    }
    console.log(
      `p0f rerun check: ${excused} of ${r.total - r.matched} missing records are missing from some run of p0f 3.09b itself ` +
        `(non-deterministic in p0f); ${unexcused.length} are not:` +
        unexcused.map((l) => '\n    ' + l).join(''),
    );
    // The same records against p0f run deterministically (address
    // randomisation off) on every capture where the stored log differs.
    let detTotal = 0;
    let detMatched = 0;
    let detRuns = 0;
    for (const fr of results) {
      const exp = linesOf(fr.expected, APP_MODS);
      const got = linesOf(fr.got, APP_MODS);
      const m = matchLines(exp, got);
      const det = m.missing.length || m.extras.length ? p0fWithoutAslr(fr.file, APP_MODS) : null;
      if (det) detRuns++;
      detTotal += (det ?? exp).length;
      detMatched += det ? matchLines(det, got).matched : m.matched;
    }
    console.log(
      `against p0f 3.09b with address randomisation off (setarch -R, deterministic; rerun on ${detRuns} captures): ` +
        `${detMatched}/${detTotal} (${((100 * detMatched) / Math.max(1, detTotal)).toFixed(2)}%)`,
    );
    assert.ok(detMatched / Math.max(1, detTotal) >= 0.99, 'pof should agree with deterministic p0f on >= 99% of these records');
  } else console.log('p0f not installed: no rerun check');
  const adjusted = (r.matched + excused) / r.total;
  console.log(`strict ${((100 * r.matched) / r.total).toFixed(2)}%, allowing for p0f's own run-to-run variation ${(100 * adjusted).toFixed(2)}%`);
  assert.ok(r.total > 500);
  assert.ok(adjusted >= 0.99, `only ${(100 * adjusted).toFixed(2)}% reproduced`);
});

test('all records (TCP, HTTP, host change, ip sharing) match the stored p0f 3.09b logs for >= 99%, strictly', { skip: !ready && 'needs ../shared and /etc/p0f/p0f.fp' }, () => {
  const r = compare(results, [...TCP_MODS, ...APP_MODS]);
  const pct = (100 * r.matched) / r.total;
  console.log(`all mods together: ${r.matched}/${r.total} p0f records reproduced strictly (${pct.toFixed(2)}%), no rerun allowance`);
  assert.ok(r.total > 1500);
  assert.ok(r.matched / r.total >= 0.99, `only ${pct.toFixed(2)}% reproduced`);
});
