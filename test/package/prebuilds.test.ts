/**
 * The prebuilt addons in prebuilds/ (what `npm install pof` uses, with no
 * install script): made from today's sources, loadable, and the saved-SYN
 * one free of libpcap.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const plat = `${process.platform}-${process.arch}`;
const here = `${root}prebuilds/${plat}`;
const skip = existsSync(here) ? false : `no prebuilt addons for ${plat}`;

test('the prebuilt addons are made from the sources in native/ (else: npm run build:prebuilds)', () => {
  const r = spawnSync(process.execPath, [`${root}scripts/prebuild.mjs`, '--check'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});

test('each prebuilt addon loads in a fresh Node and has its functions', { skip }, () => {
  const out = execFileSync(
    process.execPath,
    [
      '-e',
      `const a = require(${JSON.stringify(`${here}/pof_saved_syn.node`)});
       const p = require(${JSON.stringify(`${here}/pof_pcap.node`)});
       console.log(JSON.stringify({ saved: Object.keys(a).sort(), supported: a.supported, pcap: typeof p.libVersion === 'function' && p.libVersion() }));`,
    ],
    { encoding: 'utf8' },
  );
  const r = JSON.parse(out) as { saved: string[]; supported: boolean; pcap: string };
  assert.deepEqual(r.saved, ['getNames', 'getSavedSyn', 'getSavedSynInto', 'setSaveSyn', 'supported']);
  assert.equal(r.supported, process.platform === 'linux');
  assert.match(r.pcap, /^libpcap version \d/);
});

test('the saved-SYN prebuild needs no libpcap; the live capture one links libpcap and the C/C++ libraries only', { skip: skip || (process.platform !== 'linux' && 'ELF only') }, () => {
  const needed = (f: string): string[] => [...execFileSync('readelf', ['-d', f], { encoding: 'utf8' }).matchAll(/NEEDED.*\[(.+)\]/g)].map((m) => m[1]!);
  const base = /^(libc\.so\.6|libstdc\+\+\.so\.6|libgcc_s\.so\.1|libm\.so\.6|ld-linux-x86-64\.so\.2)$/;
  const saved = needed(`${here}/pof_saved_syn.node`);
  assert.deepEqual(saved.filter((l) => !base.test(l)), []);
  const pcap = needed(`${here}/pof_pcap.node`).filter((l) => !base.test(l));
  assert.equal(pcap.length, 1);
  assert.match(pcap[0]!, /^libpcap\.so/);
});
