import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isPofError } from '../../src/errors.js';
import { DEFAULT_TLS_DB, loadTlsDb } from '../../src/db/tls-load.js';
import { parseTlsDb } from '../../src/db/tls-parse.js';
import { TLS_FAMILIES } from '../../src/db/tls-types.js';
import { buildTlsIndex, labelTls } from '../../src/fingerprint/tls/label.js';

const B = '8daaf6152771';
const C = 'e5627efa2ab1';
const entry = (key: string, family = 'chromium', name = 'Chrome', evidence = 'seen'): string => `tls = ${key} | ${family} | ${name} | ${evidence}`;

function problems(text: string): string[] {
  const r = parseTlsDb(text, 'x.fp');
  assert.equal(r.ok, false, 'expected the file to be refused');
  return r.ok ? [] : r.diagnostics.map((d) => `${d.file}:${d.line}: ${d.field}: ${d.message}`);
}

describe('tls.fp syntax', () => {
  it('reads entries, comments and blank lines', () => {
    const r = parseTlsDb(['; a comment', '', `  ${entry(`*_${B}_${C}`)}  `, entry(`q13d??????_${B}_0123456789ab`, 'firefox', 'Firefox', 'QUIC only'), ''].join('\n'), 'x.fp');
    assert.ok(r.ok);
    assert.equal(r.db.entries.length, 2);
    const [a, q] = r.db.entries;
    assert.deepEqual([a!.line, a!.a, a!.b, a!.c, a!.family, a!.name], [3, { kind: 'any' }, B, C, 'chromium', 'Chrome']);
    assert.deepEqual(q!.a, { kind: 'pattern', chars: 'q13d??????' });
  });

  it('names the line and field of each problem, and reads on', () => {
    const got = problems(
      [
        entry(`*_${B}`), // 1: two parts
        entry(`*_${B.toUpperCase()}_${C}`), // 2: upper case
        entry(`t13d_${B}_${C}`), // 3: short a
        entry(`*_${B}_${C}`, 'chrome'), // 4: unknown family
        entry(`*_${B}_${C}`, 'chromium', ''), // 5: empty name
        entry(`*_${B}_${C}`, 'chromium', 'Chrome', ''), // 6: no evidence
        'tls = a | b', // 7: field count
        'label = x', // 8: unknown statement
        'just words', // 9
      ].join('\n'),
    );
    assert.deepEqual(got, [
      `x.fp:1: key: expected A_B_C (JA4's three parts), got "*_${B}"`,
      `x.fp:2: key: part b must be 12 lower-case hex digits, got "${B.toUpperCase()}"`,
      'x.fp:3: key: part a must be \'*\' or 10 characters of [0-9a-z?], got "t13d"',
      `x.fp:4: family: unknown family "chrome" (known: ${TLS_FAMILIES.join(', ')})`,
      'x.fp:5: name: empty',
      'x.fp:6: evidence: empty: say what the entry rests on',
      "x.fp:7: line: expected 4 fields separated by '|' (KEY | FAMILY | NAME | EVIDENCE), got 2",
      'x.fp:8: line: unknown statement "label" (only \'tls =\' is known)',
      'x.fp:9: line: expected \'tls = KEY | FAMILY | NAME | EVIDENCE\' or a \';\' comment, got "just words"',
    ]);
  });

  it('refuses two entries that can match the same hello, agreeing or not', () => {
    assert.deepEqual(problems([entry(`*_${B}_${C}`), entry(`t13d1516h2_${B}_${C}`, 'firefox')].join('\n')), [
      `x.fp:2: key: "t13d1516h2_${B}_${C}" conflicts with line 1 (*_${B}_${C}, chromium): both would match the same hello`,
    ]);
    assert.deepEqual(problems([entry(`t13d????h2_${B}_${C}`), entry(`t13d1516??_${B}_${C}`)].join('\n')), [
      `x.fp:2: key: "t13d1516??_${B}_${C}" duplicates line 1 (t13d????h2_${B}_${C}, chromium): both would match the same hello`,
    ]);
    // Patterns that cannot both fit one "a" part are fine.
    assert.ok(parseTlsDb([entry(`t13d????h2_${B}_${C}`), entry(`t13d????h1_${B}_${C}`, 'firefox')].join('\n'), 'x.fp').ok);
  });

  it('a line longer than the limit is one error, not a hang', () => {
    const got = problems(entry(`*_${B}_${C}`, 'chromium', 'x'.repeat(5000)));
    assert.deepEqual(got, ['x.fp:1: line: longer than 4096 characters']);
  });

  it('never throws on random text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        const r = parseTlsDb(s, 'x.fp');
        assert.ok(r.ok || r.diagnostics.length > 0);
      }),
      { numRuns: 300 },
    );
  });

  it('loading refuses a broken file with every problem, one line each', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pof-tlsdb-'));
    try {
      const f = path.join(dir, 'bad.fp');
      fs.writeFileSync(f, [entry(`*_${B}_${C}`, 'nope'), entry(`*_${B}`)].join('\n'));
      assert.throws(
        () => loadTlsDb(f),
        (e: unknown) => isPofError(e) && e.code === 'E_SIGNATURES' && e.message.split('\n').length === 2 && e.message.startsWith(`${f}:1: family:`),
      );
      assert.throws(() => loadTlsDb(path.join(dir, 'missing.fp')), (e: unknown) => isPofError(e) && e.code === 'E_IO' && /no such file/.test(e.message));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the shipped tls.fp', () => {
  const db = loadTlsDb(DEFAULT_TLS_DB);
  it('loads, and every entry names its evidence', () => {
    assert.ok(db.entries.length >= 40, `${db.entries.length} entries`);
    for (const e of db.entries) assert.ok(e.evidence.length >= 20, `line ${e.line}: evidence too thin: ${e.evidence}`);
  });
  it('has entries for each family the verdict relies on', () => {
    const fams = new Set(db.entries.map((e) => e.family));
    for (const f of ['chromium', 'firefox', 'apple', 'schannel', 'android', 'openssl', 'python', 'go', 'java'] as const) assert.ok(fams.has(f), f);
  });
});

describe('labelTls', () => {
  const idx = buildTlsIndex(loadTlsDb(DEFAULT_TLS_DB));
  it('names Chrome whatever its SNI, ALPN and extension count say in part a', () => {
    for (const a of ['t13d1516h2', 't13i1515h1', 't13d151600']) {
      const l = labelTls(idx, `${a}_${B}_${C}`);
      assert.equal(l.kind === 'known' && l.family, 'chromium', a);
    }
  });
  it("Firefox and Android share the cipher hash; the extension hash tells them apart", () => {
    const ff = labelTls(idx, 't13d1715h2_5b57614c22b0_3d5424432f57');
    const an = labelTls(idx, 't13d171100_5b57614c22b0_3f5d972527c0');
    assert.equal(ff.kind === 'known' && ff.family, 'firefox');
    assert.equal(an.kind === 'known' && an.family, 'android');
  });
  it('says unknown rather than guess: a known cipher hash with an unseen extension hash', () => {
    assert.deepEqual(labelTls(idx, `t13d1516h2_${B}_000000000000`), { kind: 'unknown', ja4: `t13d1516h2_${B}_000000000000` });
  });
  it('a pattern on part a is honoured', () => {
    const r = parseTlsDb(entry(`q13d????h3_${B}_${C}`), 'x');
    assert.ok(r.ok);
    const own = buildTlsIndex(r.db);
    assert.equal(labelTls(own, `q13d0310h3_${B}_${C}`).kind, 'known');
    assert.equal(labelTls(own, `t13d0310h3_${B}_${C}`).kind, 'unknown');
  });
  it('never throws on anything', () => {
    fc.assert(
      fc.property(fc.anything(), (x) => {
        const l = labelTls(idx, x as string);
        assert.ok(l.kind === 'unknown' || l.kind === 'known');
      }),
      { numRuns: 300 },
    );
  });
});
