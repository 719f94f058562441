/** The native addon loader: a missing addon is a reason, not an exception. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadNativeAddon } from '../../src/native.js';

test('a missing addon gives a one-line reason naming the file', () => {
  const r = loadNativeAddon('pof_no_such_addon');
  assert.ok('error' in r);
  assert.match(r.error, /^the native addon is not built \(.*build\/Release\/pof_no_such_addon\.node is missing\)$/);
});
