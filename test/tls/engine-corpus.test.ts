/**
 * The engine against the TLS references of ../shared/corpus, ClientHello
 * by ClientHello, matched by capture and 4-tuple (scripts/tls-refs.ts):
 * JA4 and its three variants against dev/ja4.tsv, JA3 against dev/ja3.tsv,
 * and FoxIO's published vectors (TCP and QUIC) in tls/expected-ja4.tsv, at
 * least 99.5% each (cases where the specification rules against the
 * reference count as agreeing, and are pinned here). The captures go
 * through Engine.handle as `pof -r` runs them: no tshark. Also: with TLS
 * on or off, p0f's own records on these captures are the same, line for
 * line. Skipped without ../shared.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readCaptureFile } from '../../src/capture/file.js';
import { loadSignatures } from '../../src/db/load.js';
import { Engine } from '../../src/engine.js';
import { formatLogLine } from '../../src/output/p0f-log.js';
import { HttpModule } from '../../src/state/http-module.js';
import { compare, readAll, references, TARGET, type Comparison } from '../../scripts/tls-refs.js';

const CORPUS = fileURLToPath(new URL('../../../shared/corpus', import.meta.url));
const P0F_DB = '/etc/p0f/p0f.fp';
const refs = references(CORPUS);
const skip = refs === null ? `no corpus at ${CORPUS}` : false;

describe('the engine against the TLS references', { skip }, () => {
  const hellos = refs === null ? new Map() : readAll(refs);
  const results = new Map<string, Comparison>((refs ?? []).map((r) => [r.name, compare(r, hellos)]));
  const get = (prefix: string): Comparison => [...results.values()].find((c) => c.name.startsWith(prefix))!;

  for (const prefix of ['dev/ja4.tsv', 'dev/ja3.tsv', 'tls/expected-ja4.tsv']) {
    it(`${prefix}: every reference hello found, each field at or above ${TARGET * 100}%`, () => {
      const c = get(prefix);
      assert.ok(c.rows > 80, `${prefix} has its rows`);
      assert.deepEqual(c.missing, [], 'hellos the engine did not report');
      for (const [field, ratio] of c.ratio) {
        assert.ok(ratio >= TARGET, `${field}: ${(100 * ratio).toFixed(2)}%\n${c.disagreements.join('\n')}`);
      }
    });
  }

  it('the spec-ruled cases are the known ones, no more', () => {
    // JA4.md's ALPN hex rule against FoxIO's '9' per non-ASCII byte (one vector).
    assert.equal(get('tls/expected-ja4.tsv').ruled.length, 1);
    assert.match(get('tls/expected-ja4.tsv').ruled[0]!, /tls-non-ascii-alpn\.pcapng.*\n.*t13d151699_.*\n.*t13d1516bd_/);
    // tshark's JA3 on two hellos its dissector finds malformed (hash and string each).
    assert.equal(get('dev/ja3.tsv').ruled.length, 4);
    for (const r of get('dev/ja3.tsv').ruled) assert.match(r, /tls_invalid_reads\.pcap/);
    assert.equal(get('dev/ja4.tsv').ruled.length, 0);
  });

  it('QUIC: every published QUIC hello comes from a decrypted Initial', () => {
    const rows = (refs ?? []).find((r) => r.name.startsWith('tls/'))!.rows;
    const quic = rows.filter((r) => r.transport === 'udp');
    assert.ok(quic.length >= 20);
    let found = 0;
    for (const file of new Set(rows.map((r) => r.file!))) for (const h of hellos.get(file) ?? []) if (h.transport === 'udp') found++;
    assert.equal(found, quic.length);
  });

  it("TLS on or off, p0f's records on these captures are the same, line for line", { skip: !existsSync(P0F_DB) && 'needs /etc/p0f/p0f.fp' }, () => {
    const db = loadSignatures(P0F_DB);
    const lines = (file: string, tls: boolean): string[] => {
      const out: string[] = [];
      const e = new Engine({ db, tls }, (o) => {
        if (o.mod !== 'tls' && o.mod !== 'tls server') out.push(formatLogLine(o));
      });
      e.addModule(new HttpModule());
      readCaptureFile(file, (r) => e.handle(r));
      return out;
    };
    let n = 0;
    for (const ref of refs ?? []) {
      for (const file of new Set(ref.rows.map((r) => r.file!))) {
        const path = join(ref.dir, file);
        const on = lines(path, true);
        assert.deepEqual(on, lines(path, false), file);
        n += on.length;
      }
    }
    assert.ok(n > 1000, `${n} p0f records compared`);
  });
});
