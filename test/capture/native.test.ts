/** The native addon loader: a missing addon is a reason, not an exception. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addonCandidates, buildHint, loadNativeAddon } from '../../src/capture/native.js';

test('a missing addon gives a one-line reason with a way to build it', () => {
  const r = loadNativeAddon('pof_no_such_addon');
  assert.ok('error' in r);
  assert.equal(r.error, `the native addon pof_no_such_addon is neither prebuilt for ${process.platform}-${process.arch} nor built: ${buildHint('pof_no_such_addon')}`);
  assert.doesNotMatch(r.error, /\n/);
  // In the clone, the hint is the clone's script, for the one addon.
  assert.match(buildHint('pof_saved_syn'), /`npm run build:native -- saved-syn` \(needs python3, make and g\+\+\)$/);
  assert.match(buildHint('pof_pcap'), /`npm run build:native -- pcap` \(needs .*libpcap-dev\)$/);
});

test('a build from source is tried before the prebuilt addon, each addon in its own folder', () => {
  const [built, prebuilt] = addonCandidates('pof_saved_syn');
  assert.match(built!, /\/native\/saved-syn\/build\/Release\/pof_saved_syn\.node$/);
  assert.match(prebuilt!, new RegExp(`/prebuilds/${process.platform}-${process.arch}/pof_saved_syn\\.node$`));
  assert.match(addonCandidates('pof_pcap')[0]!, /\/native\/pcap\/build\/Release\/pof_pcap\.node$/);
});
