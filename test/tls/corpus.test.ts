/**
 * FoxIO's published JA4 vectors (../shared/corpus/tls/expected-ja4.tsv:
 * TLS over TCP and 20-odd QUIC handshakes from real browsers), read from
 * their captures with pof's framer, QUIC decryption and JA4; tshark only
 * feeds the bytes. Skipped without ../shared; in CI a missing tshark fails.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { newStats, readCapture, type Found, type ServerFacts } from '../../scripts/tls-corpus.js';

const DIR = fileURLToPath(new URL('../../../shared/corpus/tls', import.meta.url));
const TSV = join(DIR, 'expected-ja4.tsv');
const haveCorpus = existsSync(TSV);
const haveTshark = spawnSync('tshark', ['-v'], { stdio: 'ignore' }).status === 0;
const skip = !haveCorpus ? `no corpus at ${DIR}` : haveTshark || process.env.CI === 'true' ? false : 'tshark not installed';

describe('FoxIO published JA4 vectors', { skip }, () => {
  const rows = haveCorpus
    ? readFileSync(TSV, 'utf8')
        .split('\n')
        .slice(1)
        .filter((l) => l.length > 0)
        .map((l) => l.split('\t'))
    : [];
  const found: Found[] = [];
  const stats = newStats();
  if (skip === false) {
    const servers: ServerFacts[] = [];
    for (const file of new Set(rows.map((r) => r[0]))) readCapture(file, join(DIR, file), found, servers, { stats, saved: null });
  }
  it('every published hello is found, and its JA4 agrees (but where the spec rules)', () => {
    const rank = new Map<string, number>();
    let agree = 0;
    for (const [file, , transport, src, sport, dst, dport, sni, want] of rows) {
      const key = `${file}|${transport}|${src}|${sport}|${dst}|${dport}`;
      const i = rank.get(key) ?? 0;
      rank.set(key, i + 1);
      const ours = found
        .filter((f) => `${f.file}|${f.transport}|${f.src}|${f.sport}|${f.dst}|${f.dport}` === key)
        .sort((a, b) => a.stream - b.stream || a.pos - b.pos)[i];
      assert.ok(ours !== undefined, `${key} #${i + 1} found`);
      assert.equal(ours.sni ?? '', sni, key);
      if (file === 'tls-non-ascii-alpn.pcapng') {
        // The first ALPN value is 0xba 0xad: JA4.md prints its first and last
        // hex digits (bd); FoxIO's tools print '9' per non-ASCII byte (99).
        assert.equal(want, 't13d151699_8daaf6152771_e5627efa2ab1');
        assert.equal(ours.ja4.ja4, 't13d1516bd_8daaf6152771_e5627efa2ab1');
        continue;
      }
      assert.equal(ours.ja4.ja4, want, `${key} #${i + 1}`);
      agree++;
    }
    assert.equal(agree, rows.length - 1);
  });
  it('the QUIC hellos: every client Initial decrypts', () => {
    assert.equal(rows.filter((r) => r[2] === 'udp').length, found.filter((f) => f.transport === 'udp').length);
    assert.ok(stats.quicInitials > 0);
    assert.equal(stats.quicDecryptFailed, 0);
  });
});
