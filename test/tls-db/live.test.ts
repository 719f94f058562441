/**
 * Real clients installed on the machine make real TLS connections to a
 * loopback HTTPS server (tap.ts); their hellos must carry the label
 * tls.fp gives their stack. In CI a missing client fails the run.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_TLS_DB, loadTlsDb } from '../../src/db/tls-load.js';
import { buildTlsIndex, labelTls } from '../../src/fingerprint/tls/label.js';
import { startTap, type Tap } from './tap.js';

const ci = process.env.CI === 'true';
const has = (cmd: string, args: string[]): boolean => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const skipFor = (ok: boolean, what: string): string | false => (ok || ci ? false : `${what} not installed`);
const idx = buildTlsIndex(loadTlsDb(DEFAULT_TLS_DB));

/** Runs a client to completion (at most 30 s). */
function run(cmd: string, args: string[], opts: { cwd?: string } = {}): Promise<void> {
  return new Promise((resolve) => {
    const c = spawn(cmd, args, { stdio: 'ignore', cwd: opts.cwd });
    const t = setTimeout(() => c.kill('SIGKILL'), 30_000);
    c.on('exit', () => {
      clearTimeout(t);
      resolve();
    });
    c.on('error', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

describe('live clients get their stack’s label', () => {
  let tap: Tap;
  before(async () => {
    tap = await startTap();
  });
  after(async () => {
    await tap.close();
  });
  const url = (): string => `https://localhost:${tap.port}/`;
  const lastLabel = (): ReturnType<typeof labelTls> => {
    const j = tap.hellos.at(-1);
    assert.ok(j, 'no ClientHello arrived');
    return labelTls(idx, j);
  };
  const expectFamily = (family: string): void => {
    const l = lastLabel();
    assert.equal(l.kind === 'known' ? l.family : `unknown (${l.ja4})`, family);
  };

  it('curl: openssl', { skip: skipFor(has('curl', ['--version']), 'curl') }, async () => {
    await run('curl', ['-sk', '-o', '/dev/null', url()]);
    expectFamily('openssl');
    assert.equal(tap.requests.at(-1)?.ua?.startsWith('curl/'), true, 'the request came through');
  });

  it('openssl s_client: openssl', { skip: skipFor(has('openssl', ['version']), 'openssl') }, async () => {
    await run('sh', ['-c', `openssl s_client -connect localhost:${tap.port} -servername localhost </dev/null`]);
    expectFamily('openssl');
  });

  it('python urllib: python', { skip: skipFor(has('python3', ['--version']), 'python3') }, async () => {
    await run('python3', ['-c', `import ssl,urllib.request\nc=ssl.create_default_context()\nc.check_hostname=False\nc.verify_mode=ssl.CERT_NONE\nurllib.request.urlopen("${url()}", context=c, timeout=10).read()`]);
    expectFamily('python');
  });

  it('node https: node', async () => {
    await run(process.execPath, ['-e', `require('https').get(${JSON.stringify(url())},{rejectUnauthorized:false},r=>r.resume()).on('error',()=>{})`]);
    expectFamily('node');
  });

  it('wget (GnuTLS): gnutls', { skip: skipFor(has('wget', ['--version']), 'wget') }, async () => {
    await run('wget', ['-q', '--no-check-certificate', '-O', '/dev/null', url()]);
    expectFamily('gnutls');
  });

  it('Java HttpsURLConnection: java', { skip: skipFor(has('java', ['-version']), 'java') }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pof-java-'));
    try {
      fs.writeFileSync(path.join(dir, 'J.java'), 'public class J { public static void main(String[] a) { try { new java.net.URL(a[0]).openStream(); } catch (Exception e) {} } }\n');
      await run('java', ['J.java', url()], { cwd: dir });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expectFamily('java');
  });

  it('Chromium: chromium', { skip: skipFor(has('chromium', ['--version']), 'chromium') }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pof-chromium-'));
    try {
      await run('chromium', ['--headless=new', '--no-sandbox', '--disable-gpu', '--ignore-certificate-errors', `--user-data-dir=${dir}`, '--dump-dom', url()]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const l = lastLabel();
    // A Chromium release that adds an extension changes part c: tls.fp then
    // needs a line for it, but the cipher hash stays Chromium's.
    assert.equal(l.ja4.split('_')[1], '8daaf6152771', l.ja4);
    assert.equal(l.kind === 'known' ? l.family : 'chromium', 'chromium');
  });
});
