import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { runCheck } from '../../src/cli/check.js';
import { formatDiagnostic, loadSignatures } from '../../src/db/load.js';
import { isPofError } from '../../src/errors.js';
import { tcpFile } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'pof-db-'));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const good = file('good.fp', tcpFile('4:64:0:*:8192,0:mss::0', '4:64:0:*:8192,0:nop::0'));
const bad = file('bad.fp', tcpFile('4:64:0:*:8192,0:mss:zz:0', '4:64:0:*:8192,0:mss::0', '4:64:0:*:8192,0:mss::0', '9:'));
const warned = file('warned.fp', tcpFile('4:64-:12:*:8192,0:mss::0'));

function run(...argv: string[]): { code: number; out: string; err: string } {
  const out = new PassThrough();
  const err = new PassThrough();
  const code = runCheck(argv, out, err);
  return { code, out: String(out.read() ?? ''), err: String(err.read() ?? '') };
}

describe('loadSignatures', () => {
  it('loads a clean file', () => {
    const db = loadSignatures(good);
    assert.equal(db.file, good);
    assert.equal(db.sigCount, 2);
  });

  it('refuses a file with problems, listing all of them one per line', () => {
    assert.throws(
      () => loadSignatures(bad),
      (e: unknown) => {
        assert.ok(isPofError(e));
        assert.equal(e.code, 'E_SIGNATURES');
        assert.deepEqual(e.message.split('\n'), [
          `${bad}:4: quirks: unknown quirk 'zz'`,
          `${bad}:6: sig: signature is already covered by line 5 (s:unix:Linux:3.x); p0f refuses it`,
          `${bad}:7: ver: IP version must be 4, 6 or *, not '9'`,
        ]);
        return true;
      },
    );
  });

  it('an unreadable file is E_IO with a one-line message', () => {
    for (const p of [join(dir, 'missing.fp'), dir]) {
      assert.throws(
        () => loadSignatures(p),
        (e: unknown) => isPofError(e) && e.code === 'E_IO' && !e.message.includes('\n') && e.message.includes(p),
      );
    }
  });

  it('formatDiagnostic', () => {
    assert.equal(formatDiagnostic({ file: 'a.fp', line: 7, field: 'wsize', message: 'bad' }), 'a.fp:7: wsize: bad');
  });
});

describe('pof check', () => {
  it('a clean file: summary on stdout, exit 0', () => {
    const r = run(good);
    assert.equal(r.code, 0);
    assert.equal(r.out, `${good}: 2 signatures, 1 label, OK\n`);
    assert.equal(r.err, '');
  });

  it('warnings go to stderr and do not fail', () => {
    const r = run(warned);
    assert.equal(r.code, 0);
    assert.match(r.err, new RegExp(`^${warned}:4: olen: warning: `));
    assert.match(r.out, /1 signature, 1 label, OK/);
  });

  it('problems: each on stderr, count on stdout, exit 1', () => {
    const r = run(good, bad);
    assert.equal(r.code, 1);
    assert.equal(r.err.trim().split('\n').length, 3);
    assert.match(r.err, new RegExp(`^${bad}:4: quirks: `));
    assert.equal(r.out, `${good}: 2 signatures, 1 label, OK\n${bad}: 3 problems\n`);
    assert.doesNotMatch(r.err, /\bat .*\.ts:\d+/);
  });

  it('an unreadable file is a problem, not a crash', () => {
    const missing = join(dir, 'nope.fp');
    const r = run(missing);
    assert.equal(r.code, 1);
    assert.match(r.err, /cannot read signature file/);
    assert.equal(r.out, `${missing}: 1 problem\n`);
  });

  it('usage errors exit 2', () => {
    assert.equal(run().code, 2);
    assert.equal(run('--bogus', good).code, 2);
    const h = run('--help');
    assert.equal(h.code, 0);
    assert.match(h.out, /usage: pof check/);
    assert.equal(run('--', good).code, 0);
  });
});
