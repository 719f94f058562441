/**
 * p0f 3.09b's own database (/etc/p0f/p0f.fp, from the p0f package): it
 * loads cleanly with p0f's counts, and every signature round-trips
 * through format and parse. Skipped when the file is not installed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { formatHttpSig, formatTcpSig, isDiagnostic, parseHttpSigText, parseTcpSigText } from '../../src/db/format.js';
import { parseSignatures } from '../../src/db/parse.js';
import type { HttpSignature, SignatureDb, TcpSignature } from '../../src/db/types.js';
import { P0F_FP } from './helpers.js';

const have = existsSync(P0F_FP);
const skip = have ? false : `${P0F_FP} not installed`;

function load(): SignatureDb {
  const r = parseSignatures(readFileSync(P0F_FP, 'utf8'), P0F_FP);
  if (!r.ok) assert.fail(r.diagnostics.map((d) => `${d.line}: ${d.field}: ${d.message}`).join('\n'));
  assert.deepEqual(r.warnings, []);
  return r.db;
}

const tcpBody = ({ line: _l, label: _b, text: _t, ...rest }: TcpSignature) => rest;
const httpBody = ({ line: _l, label: _b, text: _t, ...rest }: HttpSignature) => rest;

describe('p0f 3.09b database', { skip }, () => {
  it('parses with no diagnostics and p0f\'s total ("Loaded 322 signatures")', () => {
    const db = load();
    assert.equal(db.sigCount, 322);
    assert.equal(db.sigCount, db.mtu.length + db.tcpRequest.length + db.tcpResponse.length + db.httpRequest.length + db.httpResponse.length);
  });

  it('per-section counts', () => {
    const db = load();
    assert.deepEqual(
      {
        mtu: db.mtu.length,
        tcpRequest: db.tcpRequest.length,
        tcpResponse: db.tcpResponse.length,
        httpRequest: db.httpRequest.length,
        httpResponse: db.httpResponse.length,
        labels: db.labels.length,
        uaOs: db.uaOs.length,
      },
      { mtu: 25, tcpRequest: 91, tcpResponse: 101, httpRequest: 85, httpResponse: 20, labels: 129, uaOs: 9 },
    );
    assert.deepEqual(db.classes, ['win', 'unix', 'other']);
    assert.deepEqual(db.mtu[1], { line: 25, name: 'Ethernet or modem', mtu: 1500 });
    assert.equal(db.labels.filter((l) => l.generic).length, 10);
    assert.equal(db.labels.filter((l) => l.cls === null).every((l) => l.sys.length > 0), true);
    assert.deepEqual(db.uaOs.at(-1), { name: 'Solaris', substr: 'SunOS' });
    const linux = db.tcpRequest[0]!;
    assert.equal(linux.line, 96);
    assert.equal(`${linux.label.name} ${linux.label.flavor}`, 'Linux 3.11 and newer');
    assert.equal(linux.text, '*:64:0:*:mss*20,10:mss,sok,ts,nop,ws:df,id+:0');
  });

  it('agrees with the installed p0f binary on the total', { skip: p0fBinary() ? false : 'p0f not installed' }, () => {
    const r = spawnSync(p0fBinary()!, ['-f', P0F_FP, '-r', '/nonexistent/pof-test.pcap'], { encoding: 'utf8' });
    const m = /Loaded (\d+) signatures/.exec(r.stdout + r.stderr);
    assert.ok(m, r.stdout + r.stderr);
    assert.equal(Number(m[1]), load().sigCount);
  });

  it('every TCP signature round-trips through format and parse', () => {
    const db = load();
    for (const sig of [...db.tcpRequest, ...db.tcpResponse]) {
      const text = formatTcpSig(sig);
      const back = parseTcpSigText(text);
      if (isDiagnostic(back)) assert.fail(`line ${sig.line}: ${text}: ${back.message}`);
      assert.deepEqual(tcpBody(back), tcpBody(sig), `line ${sig.line}`);
      // p0f.fp is written canonically, except for spacing of the '+dist' forms
      if (!/[+]/.test(sig.text.split(':')[1]!)) assert.equal(text, sig.text, `line ${sig.line}`);
    }
  });

  it('every HTTP signature round-trips through format and parse', () => {
    const db = load();
    for (const sig of [...db.httpRequest, ...db.httpResponse]) {
      const text = formatHttpSig(sig);
      assert.equal(text, sig.text, `line ${sig.line}`);
      const back = parseHttpSigText(text);
      if (isDiagnostic(back)) assert.fail(`line ${sig.line}: ${back.message}`);
      assert.deepEqual(httpBody(back), httpBody(sig));
    }
  });

  it('the whole file, rewritten with formatted signatures, parses to the same database', () => {
    const db = load();
    const byLine = new Map<number, string>();
    for (const s of [...db.tcpRequest, ...db.tcpResponse]) byLine.set(s.line, formatTcpSig(s));
    for (const s of [...db.httpRequest, ...db.httpResponse]) byLine.set(s.line, formatHttpSig(s));
    const text = readFileSync(P0F_FP, 'utf8')
      .split('\n')
      .map((l, i) => (byLine.has(i + 1) ? `sig = ${byLine.get(i + 1)}` : l))
      .join('\n');
    const r = parseSignatures(text, 'rewritten');
    assert.ok(r.ok);
    assert.deepEqual(r.db.tcpRequest.map(tcpBody), db.tcpRequest.map(tcpBody));
    assert.deepEqual(r.db.tcpResponse.map(tcpBody), db.tcpResponse.map(tcpBody));
    assert.deepEqual(r.db.httpRequest.map(httpBody), db.httpRequest.map(httpBody));
    assert.equal(r.db.sigCount, 322);
  });
});

function p0fBinary(): string | null {
  for (const p of ['/usr/sbin/p0f', '/usr/bin/p0f', '/usr/local/sbin/p0f', '/usr/local/bin/p0f']) if (existsSync(p)) return p;
  return null;
}
