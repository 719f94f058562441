// The live sensor's messages: -q prints nothing at start-up (as p0f 2's -q,
// which silenced its banner and "listening" lines), errors still come out,
// and the exit summary counts in good English. Needs root and the addon.
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { e2eSkip, publicTempDir, runPof, startPof, waitFor } from '../e2e/helpers.js';

describe('live sensor messages', { skip: e2eSkip }, () => {
  let tmp: ReturnType<typeof publicTempDir>;
  let web: net.Server;
  let port = 0;

  before(async () => {
    tmp = publicTempDir();
    web = net.createServer((s) => {
      s.on('error', () => undefined);
      s.end();
    });
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
    port = (web.address() as net.AddressInfo).port;
  });
  after(async () => {
    await new Promise<void>((r) => web.close(() => r()));
    tmp.cleanup();
  });

  it('-q: nothing on stderr at start-up; the exit summary says "1 host"', async () => {
    const sock = path.join(tmp.dir, 'run', 'q.sock'); // pof makes run/ for nobody, who can then remove the socket
    const p = await startPof(['-q', '-i', 'lo', '-s', sock, '-u', 'nobody', `tcp port ${port}`]);
    try {
      assert.equal(p.stderr(), '', 'no start-up lines with -q');
      // One connection from 127.0.0.1 to 127.0.0.1: one host.
      await new Promise<void>((resolve, reject) => {
        const c = net.connect(port, '127.0.0.1', () => c.end());
        c.on('close', () => resolve());
        c.on('error', reject);
      });
      await waitFor('the SYN', async () => {
        const r = await runPof(['query', '127.0.0.1', '-s', sock]);
        return r.code === 0;
      });
    } finally {
      await p.stop('SIGTERM');
    }
    const lines = p.stderr().trim().split('\n');
    assert.equal(lines.length, 1, `only the exit summary: ${p.stderr()}`);
    assert.match(lines[0]!, /^\[\+\] SIGTERM: processed \d+ packets \(\d+ TCP\), \d+ observations?, 1 host; kernel dropped 0,/);
  });

  it('-q still says what went wrong', async () => {
    const r = await runPof(['-q', '-i', 'pofnosuch0', '-s', path.join(tmp.dir, 'e.sock')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no such capture device 'pofnosuch0' \(`pof -L` lists the interfaces\)/);
  });

  it('without -q, start-up says what it does', async () => {
    const sock = path.join(tmp.dir, 'v.sock');
    const p = await startPof(['-i', 'lo', '-s', sock, `tcp port ${port}`]);
    await p.stop('SIGTERM');
    assert.match(p.stderr(), /\[\+\] Intercepting traffic on interface 'lo'/);
    assert.match(p.stderr(), /\[\+\] Entered main event loop\./);
    assert.match(p.stderr(), /, 0 hosts; /);
  });
});
