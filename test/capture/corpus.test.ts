/**
 * Every capture in the shared development corpus (outside this repository,
 * never copied into it) must parse without throwing, and give the same
 * result read whole or in small chunks. Skipped when the corpus is absent.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readCaptureFile } from '../../src/capture/file.js';

const CORPUS = fileURLToPath(new URL('../../../shared/corpus/dev', import.meta.url));
const files = existsSync(CORPUS)
  ? readdirSync(CORPUS).filter((f) => /\.(pcap|pcapng|cap)$/.test(f))
  : [];

test('shared corpus captures parse', { skip: files.length === 0 ? `no corpus at ${CORPUS}` : false }, (t) => {
  let packets = 0;
  const damaged: string[] = [];
  for (const f of files) {
    const path = join(CORPUS, f);
    let sum = 0;
    const s = readCaptureFile(path, (r) => {
      sum = (sum + r.caplen + r.tsUsec + (r.caplen > 0 ? r.data[r.offset]! : 0)) % 1e9;
    });
    let sum2 = 0;
    const s2 = readCaptureFile(
      path,
      (r) => {
        sum2 = (sum2 + r.caplen + r.tsUsec + (r.caplen > 0 ? r.data[r.offset]! : 0)) % 1e9;
      },
      { chunkSize: 61 },
    );
    assert.deepEqual(s2, s, f);
    assert.equal(sum2, sum, f);
    packets += s.packets;
    if (s.problem) damaged.push(`${f}: ${s.problem.offset}: ${s.problem.message}`);
  }
  t.diagnostic(`${files.length} files, ${packets} packets, ${damaged.length} damaged`);
  for (const d of damaged) t.diagnostic(d);
});
