/**
 * p0f 3.09b compatibility over ../shared/corpus/dev: pof with p0f's own
 * database must reproduce p0f's log records field for field. Skips when
 * the corpus or /etc/p0f/p0f.fp is absent.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { compare, formatReport, runCorpus } from './compat-lib.js';
import { corpusAvailable, devCaptures, P0F_DB } from './corpus.js';

const ready = corpusAvailable() && fs.existsSync(P0F_DB);

test('TCP records (syn, syn+ack, mtu, uptime) match p0f 3.09b for >= 99.5%', { skip: !ready && 'needs ../shared and /etc/p0f/p0f.fp' }, () => {
  const results = runCorpus(devCaptures(), P0F_DB);
  const r = compare(results, ['syn', 'syn+ack', 'mtu', 'uptime']);
  console.log(formatReport(r));
  assert.ok(r.total > 1000, 'the corpus should hold thousands of records');
  assert.ok(r.matched / r.total >= 0.995, `only ${((100 * r.matched) / r.total).toFixed(2)}% reproduced`);
});
