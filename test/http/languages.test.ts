import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LANGUAGES, languageOf } from '../../src/fingerprint/languages.js';

test('the table holds p0f 3.09b language codes and names', () => {
  assert.equal(Object.keys(LANGUAGES).length, 185);
  assert.equal(LANGUAGES.en, 'English');
  assert.equal(LANGUAGES.da, 'Danish');
  assert.equal(LANGUAGES.zh, 'Chinese');
  assert.equal(LANGUAGES.nb, 'Norwegian Bokmal');
  assert.equal(LANGUAGES.el, 'Modern Greek');
  assert.equal(LANGUAGES.sh, 'Serbo-Croatian');
  for (const code of Object.keys(LANGUAGES)) assert.match(code, /^[a-z]{2}$/);
});

test('p0f looks at the first two letters only, and only when no third letter follows', () => {
  assert.deepEqual(languageOf('en-US,en;q=0.5'), { kind: 'known', code: 'en', name: 'English' });
  assert.deepEqual(languageOf('da, en-GB;q=0.8'), { kind: 'known', code: 'da', name: 'Danish' });
  assert.deepEqual(languageOf('de'), { kind: 'known', code: 'de', name: 'German' });
  assert.deepEqual(languageOf('eng'), { kind: 'none' });
  assert.deepEqual(languageOf('e'), { kind: 'none' });
  assert.deepEqual(languageOf(' en'), { kind: 'none' });
  assert.deepEqual(languageOf('*'), { kind: 'none' });
  assert.deepEqual(languageOf(''), { kind: 'none' });
  assert.deepEqual(languageOf(null), { kind: 'none' });
});

test('codes are case-sensitive; unknown two-letter codes are "unknown" (printed ???)', () => {
  assert.deepEqual(languageOf('EN-us'), { kind: 'unknown', code: 'EN' });
  assert.deepEqual(languageOf('zz'), { kind: 'unknown', code: 'zz' });
  assert.deepEqual(languageOf('xx;q=1'), { kind: 'unknown', code: 'xx' });
});
