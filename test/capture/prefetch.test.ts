/** The read-ahead thread hands the parser exactly what direct reads give. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { getSystemErrorName } from 'node:util';
import { readCaptureFile } from '../../src/capture/file.js';
import { startPrefetch } from '../../src/capture/prefetch.js';
import { buildDemoCapture } from '../../scripts/make-sample.js';

test('prefetched and direct reading give the same packets, in small and large chunks', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pof-prefetch-'));
  const demo = buildDemoCapture();
  // many copies of the demo's records behind one header make a larger file
  const hdr = demo.subarray(0, 24);
  const body = demo.subarray(24);
  const file = path.join(dir, 'big.pcap');
  fs.writeFileSync(file, Buffer.concat([hdr, ...Array.from({ length: 200 }, () => body)]));
  const collect = (opts: Parameters<typeof readCaptureFile>[2]): string[] => {
    const out: string[] = [];
    const s = readCaptureFile(file, (r) => out.push(`${r.tsSec}.${r.tsUsec}:${r.data.toString('hex', r.offset, r.offset + r.caplen)}`), opts);
    assert.equal(s.problem, undefined);
    return out;
  };
  const direct = collect({ prefetchAbove: Infinity });
  assert.equal(direct.length, 28 * 200);
  for (const chunkSize of [97, 4096, 1 << 20]) assert.deepEqual(collect({ prefetchAbove: 0, chunkSize }), direct);
  // damage is still reported after every packet before it
  const cut = path.join(dir, 'cut.pcap');
  fs.writeFileSync(cut, fs.readFileSync(file).subarray(0, 20000));
  let n = 0;
  const s = readCaptureFile(cut, () => n++, { prefetchAbove: 0, chunkSize: 512 });
  assert.ok(s.problem && n > 0);
});

test('the read-ahead thread reports open and read errors as Node errno values', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pof-prefetch-'));
  try {
    // A directory opens but cannot be read (EISDIR); a missing file cannot be opened.
    for (const [p, code] of [[dir, 'EISDIR'], [path.join(dir, 'missing.pcap'), 'ENOENT']] as const) {
      const pf = startPrefetch(p, 4096);
      try {
        assert.equal(pf.next(), null);
        assert.equal(getSystemErrorName(pf.errno), code);
      } finally {
        pf.close();
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
