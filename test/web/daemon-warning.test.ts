// A dead daemon at start: `pof proxy` says so once on stderr, the
// middleware once through onWarning (default process.emitWarning); each
// request still carries pof_err; a live daemon gets no warning.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import { after, describe, it } from 'node:test';

import { PofApiServer } from '../../src/api/server.js';
import { createPofCore } from '../../src/web/core.js';
import { withPof } from '../../src/web/node-http.js';
import { cannedLookup, request, tempDir, until } from './helpers.js';
import { proxyUrl, spawnFixture, startNodeBackend, stopChild } from './net-helpers.js';

const d = tempDir('pof-warn-');
after(() => d.cleanup());
const WARNING = /^cannot reach the pof daemon at \S+ \((ENOENT|ECONNREFUSED)\): requests carry pof_err \(X-Pof-Err\) saying so until it answers$/;

describe('pof proxy with a dead daemon', () => {
  it('one line on stderr at start, not one per request; each request has X-Pof-Err', async () => {
    const backend = await startNodeBackend();
    const sock = d.path('missing.sock');
    const child = spawnFixture('run-proxy.ts', ['--listen', '127.0.0.1:0', '--upstream', backend.url, '-s', sock, '--no-saved-syn', '--timeout', '20']);
    let err = '';
    child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    try {
      const url = await proxyUrl(child);
      for (let i = 0; i < 5; i++) await request(`${url}/`, { agent: false });
      assert.ok(await until(() => err.includes('\n'), 3000), 'no warning');
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(err.split('\n').filter(Boolean), [`pof proxy: cannot reach the pof daemon at ${sock} (ENOENT): requests carry pof_err (X-Pof-Err) saying so until it answers`]);
      assert.equal(backend.seen.length, 5);
      for (const h of backend.seen) assert.match(String(h['x-pof-err']), /ENOENT/);
    } finally {
      await stopChild(child);
      await backend.stop();
    }
  });

  it('a live daemon: nothing on stderr', async () => {
    const backend = await startNodeBackend();
    const sock = d.path('live.sock');
    const api = await PofApiServer.listen({ path: sock, lookup: cannedLookup() });
    const child = spawnFixture('run-proxy.ts', ['--listen', '127.0.0.1:0', '--upstream', backend.url, '-s', sock, '--no-saved-syn', '--timeout', '500']);
    let err = '';
    child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    try {
      const url = await proxyUrl(child);
      await request(`${url}/`, { agent: false });
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(err, '');
      assert.equal(backend.seen[0]!['x-pof-genre'], 'Windows');
    } finally {
      await stopChild(child);
      await api.close();
      await backend.stop();
    }
  });
});

describe('middleware with a dead daemon', () => {
  it('onWarning is told once, whatever the number of requests', async () => {
    const told: string[] = [];
    // A socket path that exists but where nobody listens (a plain file).
    const file = d.path('not-a-daemon.sock');
    writeFileSync(file, '');
    const core = createPofCore({ socket: file, timeoutMs: 20, onWarning: (m) => told.push(m) });
    const server = http.createServer((req, res) => {
      const r = core.get(req.socket);
      void Promise.resolve(r).then((v) => res.end(v.err ?? ''));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/`;
      const bodies: string[] = [];
      for (let i = 0; i < 4; i++) bodies.push((await request(url, { agent: false })).body);
      assert.ok(await until(() => told.length > 0, 3000), 'onWarning was not told');
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(told.length, 1, told.join('\n'));
      assert.match(told[0]!, WARNING);
      assert.ok(told[0]!.includes(file), told[0]);
      for (const b of bodies) assert.notEqual(b, '', 'each request still has pof_err');
    } finally {
      server.close();
      await core.close();
    }
  });

  it('by default a process warning (code POF_DAEMON_UNREACHABLE), once', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => {
      if ((w as Error & { code?: string }).code === 'POF_DAEMON_UNREACHABLE') warnings.push(w);
    };
    process.on('warning', onWarning);
    const listener = withPof((_req, res) => res.end('ok'), { socket: d.path('gone.sock'), timeoutMs: 20 });
    const server = http.createServer(listener);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/`;
      for (let i = 0; i < 3; i++) await request(url, { agent: false });
      assert.ok(await until(() => warnings.length > 0, 3000), 'no process warning');
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(warnings.length, 1);
      assert.match(warnings[0]!.message, WARNING);
    } finally {
      process.off('warning', onWarning);
      server.close();
      await listener.core.close();
    }
  });

  it('closed before the daemon could be tried: no warning', async () => {
    const told: string[] = [];
    const core = createPofCore({ socket: d.path('never.sock'), onWarning: (m) => told.push(m) });
    await core.close();
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(told, []);
  });

  it('onWarning must be a function', () => {
    assert.throws(() => createPofCore({ socket: '/x', onWarning: 'loud' as never }), /pof middleware: onWarning must be a function/);
  });
});
