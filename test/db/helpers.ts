/** Shared bits for the signature-file tests. */
import assert from 'node:assert/strict';
import { parseSignatures } from '../../src/db/parse.js';
import type { Diagnostic, SignatureDb } from '../../src/db/types.js';

export const P0F_FP = '/etc/p0f/p0f.fp';

/** A file whose line 4 is `sig = <sig>` in [tcp:request] under an OS label. */
export function tcpFile(...sigs: string[]): string {
  return ['classes = win,unix,other', '[tcp:request]', 'label = s:unix:Linux:3.x', ...sigs.map((s) => `sig = ${s}`)].join('\n') + '\n';
}

/** A file whose line 5 is `sig = <sig>` in [http:request] under an application label. */
export function httpFile(...sigs: string[]): string {
  return ['classes = win,unix,other', '[http:request]', 'label = s:!:Firefox:10.x', 'sys = Windows,@unix', ...sigs.map((s) => `sig = ${s}`)].join('\n') + '\n';
}

export function parseOk(text: string): SignatureDb {
  const r = parseSignatures(text, 'test.fp');
  if (!r.ok) assert.fail('unexpected diagnostics:\n' + r.diagnostics.map((d) => `${d.line}: ${d.field}: ${d.message}`).join('\n'));
  return r.db;
}

export function diagnostics(text: string): Diagnostic[] {
  const r = parseSignatures(text, 'test.fp');
  assert.equal(r.ok, false, 'expected the text to be refused');
  return r.ok ? [] : r.diagnostics;
}

/** Asserts exactly one diagnostic, at `line` on `field`, whose message matches `re` if given. */
export function expectOne(text: string, line: number, field: string, re?: RegExp): Diagnostic {
  const ds = diagnostics(text);
  assert.equal(ds.length, 1, 'expected one diagnostic, got: ' + JSON.stringify(ds));
  const d = ds[0]!;
  assert.equal(d.file, 'test.fp');
  assert.equal(d.line, line, `line of ${JSON.stringify(d)}`);
  assert.equal(d.field, field, `field of ${JSON.stringify(d)}`);
  if (re) assert.match(d.message, re);
  return d;
}
