/**
 * Real p0f 3.09b as the oracle for the v3 wire format: p0f runs on the
 * loopback interface with its API socket, sees one HTTP exchange, and is
 * queried with PofClient and raw bytes. Its answers must decode, re-encode
 * to the very same bytes, and its bad-query / no-match answers must equal
 * pof's. Needs root and /usr/sbin/p0f; skipped otherwise.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { PofClient } from '../../src/api/client.js';
import { decodeV3Response, encodeV3Response, V3Status } from '../../src/api/v3.js';
import { tempSocketDir } from './helpers.js';
import { connect, readN, sleep } from './net-helpers.js';

const P0F = '/usr/sbin/p0f';
const usable = existsSync(P0F) && process.getuid?.() === 0 && existsSync('/etc/p0f/p0f.fp');
const tmp = tempSocketDir();
after(() => tmp.cleanup());

test('p0f 3.09b answers decode and re-encode byte for byte', { skip: !usable && 'needs root and p0f 3 installed', timeout: 30000 }, async (t) => {
  const web = http.createServer((_q, r) => r.end('hi'));
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
  const port = (web.address() as AddressInfo).port;
  const sock = tmp.path('p0f.sock');
  let p0f: ChildProcess | null = null;
  try {
    p0f = spawn(P0F, ['-i', 'lo', '-s', sock, `tcp port ${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    p0f.stdout!.on('data', (d) => (log += d));
    p0f.stderr!.on('data', (d) => (log += d));
    for (let i = 0; i < 50 && !log.includes('Entered main event loop'); i++) await sleep(100);
    if (!log.includes('Entered main event loop')) {
      t.skip(`p0f did not start: ${log.split('\n').slice(-3).join(' ')}`);
      return;
    }
    await sleep(200);
    await new Promise<void>((resolve, reject) =>
      http.get({ host: '127.0.0.1', port, headers: { 'Accept-Language': 'en-US,en;q=0.5' } }, (r) => r.resume().on('end', resolve)).on('error', reject),
    );
    await sleep(500);

    const c = new PofClient({ path: sock, timeoutMs: 2000 });
    try {
      const h = await c.queryHost('127.0.0.1');
      if (!h) {
        t.skip('p0f saw no traffic on lo');
        return;
      }
      assert.ok(h.totalConn >= 1);
      assert.ok(h.firstSeen > 1e9);
      assert.equal(await c.queryHost('192.0.2.77'), null);
    } finally {
      await c.close();
    }

    const s = await connect(sock);
    const q = (magic: number, type: number, addr: number[]): Buffer => {
      const b = Buffer.alloc(21);
      b.writeUInt32LE(magic, 0);
      b[4] = type;
      Buffer.from(addr).copy(b, 5);
      return b;
    };
    s.write(Buffer.concat([q(0x50304601, 4, [127, 0, 0, 1]), q(0xdeadbeef, 4, [127, 0, 0, 1]), q(0x50304601, 9, [127, 0, 0, 1]), q(0x50304601, 4, [192, 0, 2, 77])]));
    const ok = await readN(s, 232);
    const badMagic = await readN(s, 232);
    const badType = await readN(s, 232);
    const none = await readN(s, 232);
    s.destroy();
    const d = decodeV3Response(ok);
    assert.ok(d.ok && d.status === 'ok');
    if (d.ok && d.status === 'ok') assert.deepEqual(encodeV3Response(V3Status.OK, d.host), ok);
    assert.deepEqual(badMagic, encodeV3Response(V3Status.BAD_QUERY));
    assert.deepEqual(badType, encodeV3Response(V3Status.BAD_QUERY));
    assert.deepEqual(none, encodeV3Response(V3Status.NO_MATCH));
  } finally {
    p0f?.kill('SIGINT');
    if (p0f && p0f.exitCode === null) await new Promise((r) => p0f!.once('exit', r));
    await new Promise<void>((r) => web.close(() => r()));
  }
});
