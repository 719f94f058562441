// pof proxy against slow and greedy clients and a silent backend: a request
// head that drips in is cut at the header timeout (408), connections over
// the per-address or total limit are closed while other addresses are
// served, a backend that never answers costs the upstream timeout (504);
// each limit a flag, checked at start. Hostile header names crash nothing.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';

import { runProxy, startProxy } from '../../src/cli/proxy.js';
import { createPofProxy, type PofProxy, type PofProxyOptions } from '../../src/web/proxy.js';
import { cannedLookup, request } from './helpers.js';
import { startNodeBackend } from './net-helpers.js';

/** A raw client connection: what it was sent back, and when it was closed (ms after connecting). */
interface Raw {
  socket: net.Socket;
  got: () => string;
  closed: Promise<number>;
}

function rawConnect(port: number, localAddress = '127.0.0.1'): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', localAddress });
    let got = '';
    let t0 = 0;
    socket.on('data', (d: Buffer) => (got += d.toString('latin1')));
    socket.on('error', () => {});
    const closed = new Promise<number>((r) => socket.once('close', () => r(performance.now() - t0)));
    socket.once('connect', () => {
      t0 = performance.now();
      resolve({ socket, got: () => got, closed });
    });
    socket.once('error', reject);
  });
}

/** Settles with the value, or with 'open' if `p` did not settle within `ms`. */
const within = <T>(p: Promise<T>, ms: number): Promise<T | 'open'> => Promise.race([p, new Promise<'open'>((r) => setTimeout(() => r('open'), ms))]);

describe('proxy limits', () => {
  let backend: Awaited<ReturnType<typeof startNodeBackend>>;
  before(async () => {
    backend = await startNodeBackend();
  });
  after(async () => {
    await backend.stop();
  });

  async function withProxy(opts: Partial<PofProxyOptions>, fn: (port: number, p: PofProxy) => Promise<void>): Promise<void> {
    const p = createPofProxy({ upstream: backend.url, pof: { lookup: cannedLookup() }, onWarning: () => {}, ...opts });
    const a = await p.listen(0, '127.0.0.1');
    try {
      await fn(a.port, p);
    } finally {
      await p.close();
    }
  }

  it('a client dripping a header line every second is answered 408 and closed at the header timeout', async () => {
    await withProxy({ headerTimeoutMs: 2500 }, async (port) => {
      const c = await rawConnect(port);
      c.socket.write('GET / HTTP/1.1\r\nHost: x\r\n');
      let lines = 0;
      const drip = setInterval(() => {
        if (!c.socket.destroyed) c.socket.write(`X-Drip-${++lines}: 1\r\n`);
      }, 1000);
      try {
        const ms = await within(c.closed, 8000);
        assert.notEqual(ms, 'open', 'the dripping client is still connected after 8 s');
        assert.ok((ms as number) >= 2400 && (ms as number) < 5000, `closed after ${String(ms)} ms`);
        assert.ok(lines >= 2, `${lines} lines dripped`);
        assert.match(c.got(), /^HTTP\/1\.1 408 Request Timeout\r\n/);
      } finally {
        clearInterval(drip);
      }
      // A client that sends nothing at all is closed the same way.
      const silent = await rawConnect(port);
      assert.notEqual(await within(silent.closed, 8000), 'open');
      // Others are served as ever.
      assert.equal((await request(`http://127.0.0.1:${port}/`, { agent: false })).status, 200);
    });
  });

  it('the default header timeout is 10 s, not Node’s 60 s checked every 30 s', async () => {
    await withProxy({}, async (port, p) => {
      assert.equal((p.server as http.Server).headersTimeout, 10_000);
      const c = await rawConnect(port);
      c.socket.write('GET / HTTP/1.1\r\n');
      const ms = await within(c.closed, 15_000);
      assert.notEqual(ms, 'open');
      assert.ok((ms as number) >= 9900 && (ms as number) < 12_000, `closed after ${String(ms)} ms`);
    });
  });

  it('connections over the per-address limit are closed at once; another address is still served', async () => {
    const warnings: string[] = [];
    await withProxy({ maxConnectionsPerClient: 3, onWarning: (m) => warnings.push(m) }, async (port) => {
      const held = await Promise.all([1, 2, 3].map(() => rawConnect(port)));
      for (const h of held) h.socket.write('GET / HTTP/1.1\r\nHost: x\r\n');
      const over = await rawConnect(port);
      over.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      assert.notEqual(await within(over.closed, 2000), 'open', 'a 4th connection from 127.0.0.1 was kept');
      assert.equal(over.got(), '');
      // From 127.0.0.2: served.
      const other = await rawConnect(port, '127.0.0.2');
      other.socket.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      await other.closed;
      assert.match(other.got(), /^HTTP\/1\.1 200 /);
      // One of the three leaves: 127.0.0.1 may connect again.
      held[0]!.socket.destroy();
      await held[0]!.closed;
      const again = await rawConnect(port);
      again.socket.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      await again.closed;
      assert.match(again.got(), /^HTTP\/1\.1 200 /);
      for (const h of held) h.socket.destroy();
      assert.equal(warnings.length, 1, 'told once (rate-limited)');
      assert.match(warnings[0]!, /^3 connections open from 127\.0\.0\.1 \(maxConnectionsPerClient\): connection closed \(1 refused so far\)$/);
    });
  });

  it('connections over the total limit are closed, from any address', async () => {
    await withProxy({ maxConnections: 2 }, async (port) => {
      const held = await Promise.all([rawConnect(port), rawConnect(port, '127.0.0.2')]);
      for (const h of held) h.socket.write('GET / HTTP/1.1\r\nHost: x\r\n');
      // (Accepted, so as to be sure the first two are counted.)
      await new Promise((r) => setTimeout(r, 100));
      const over = await rawConnect(port, '127.0.0.3');
      assert.notEqual(await within(over.closed, 2000), 'open');
      for (const h of held) h.socket.destroy();
      await Promise.all(held.map((h) => h.closed));
      assert.equal((await request(`http://127.0.0.1:${port}/`, { agent: false })).status, 200);
    });
  });

  it('hostile header names and values: answered (400, 431) or passed, never a crash; the next request is served', async () => {
    const heads = [
      'GET / HTTP/1.1\r\nHost: x\r\n: empty name\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: x\r\n' + 'X'.repeat(100_000) + ': huge\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: x\r\nX-P\u00f6f-Genre: non-ASCII name\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: x\r\nX-Pof-Genre\u0000: NUL\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: x\r\nX-Pof-Genre : space before colon\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: x\r\nX-Pof-\u0001: control\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: x\r\nX-Note: caf\u00e9 \u00ff\r\n\r\n',
      'GET /p\u00e4th HTTP/1.1\r\nHost: x\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: x\r\n' + Array.from({ length: 3000 }, (_, i) => `X_Pof_F${i}: v\r\n`).join('') + '\r\n',
      'GET / HTTP/1.1\r\nHost: x\r\nX-Pof-' + 'a'.repeat(8000) + ': long pof name\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: x\r\nX\r\n\r\n',
    ];
    await withProxy({}, async (port) => {
      for (const head of heads) {
        const c = await rawConnect(port);
        // (Not half-closed: Node drops a request whose client ends its side first.)
        c.socket.write(Buffer.from(head.replace('Host: x\r\n', 'Host: x\r\nConnection: close\r\n'), 'latin1'));
        assert.notEqual(await within(c.closed, 5000), 'open', JSON.stringify(head.slice(0, 60)));
        assert.match(c.got(), /^HTTP\/1\.1 (200|400|431) /, JSON.stringify(head.slice(0, 60)));
        assert.equal((await request(`http://127.0.0.1:${port}/`, { agent: false })).status, 200);
      }
    });
    // What passed did not carry any client X-Pof-*.
    for (const h of backend.seen) for (const k of Object.keys(h)) if (k.replace(/[_.]/g, '-').startsWith('x-pof-')) assert.match(k, /^x-pof-[a-z0-9-]+$/);
  });

  it('a backend that goes silent in the middle of its answer: the response is cut after the upstream timeout', async () => {
    const stalling = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('first part;');
    });
    await new Promise<void>((r) => stalling.listen(0, '127.0.0.1', r));
    const p = createPofProxy({ upstream: `http://127.0.0.1:${(stalling.address() as net.AddressInfo).port}`, pof: { lookup: cannedLookup() }, upstreamTimeoutMs: 300, onError: () => {} });
    const a = await p.listen(0, '127.0.0.1');
    try {
      const t0 = performance.now();
      const got = await new Promise<{ status: number; body: string; complete: boolean }>((resolve) => {
        http.get(`http://127.0.0.1:${a.port}/`, { agent: false }, (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('error', () => {});
          res.on('close', () => resolve({ status: res.statusCode!, body, complete: res.complete }));
        }).on('error', () => {});
      });
      const ms = performance.now() - t0;
      assert.deepEqual(got, { status: 200, body: 'first part;', complete: false });
      assert.ok(ms >= 290 && ms < 3000, `cut after ${ms} ms`);
    } finally {
      await p.close();
      stalling.closeAllConnections();
      stalling.close();
    }
  });

  it('refuses bad limits', () => {
    const mk = (o: Partial<PofProxyOptions>) => () => createPofProxy({ upstream: backend.url, pof: { lookup: cannedLookup() }, ...o });
    assert.throws(mk({ headerTimeoutMs: 0 }), /pof proxy: headerTimeoutMs must be an integer in 1\.\.300000 \(got 0\)/);
    assert.throws(mk({ maxConnections: 1.5 }), /pof proxy: maxConnections must be an integer/);
    assert.throws(mk({ maxConnectionsPerClient: -1 }), /pof proxy: maxConnectionsPerClient must be an integer/);
    assert.throws(mk({ upstreamTimeoutMs: -1 }), /pof proxy: upstreamTimeoutMs must be an integer in 0\.\.3600000/);
    assert.throws(mk({ onWarning: 'yes' as never }), /onWarning must be a function/);
  });
});

describe('pof proxy limit flags', () => {
  it('--upstream-timeout: a backend that never answers gives 504 after it', async () => {
    const silent = net.createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    let err = '';
    const upstream = `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`;
    const p = await startProxy(['--listen', '127.0.0.1:0', '--upstream', upstream, '-s', '/nonexistent/pof.sock', '--no-saved-syn', '--upstream-timeout', '300'], { write: (s: string) => (err += s) });
    try {
      const r = await request(`${p.url}/`, { agent: false });
      assert.equal(r.status, 504);
      assert.ok(r.ms >= 290, `answered after ${r.ms} ms`);
      assert.match(err, /pof proxy: upstream: upstream 127\.0\.0\.1:\d+ silent for 300 ms\n/);
    } finally {
      await p.close();
      silent.close();
    }
  });

  it('--header-timeout, --max-connections, --max-per-client reach the server', async () => {
    const backend = await startNodeBackend();
    const p = await startProxy(
      ['--listen', '127.0.0.1:0', '--upstream', backend.url, '-s', '/nonexistent/pof.sock', '--no-saved-syn', '--header-timeout', '1500', '--max-connections', '7', '--max-per-client', '1'],
      { write: () => true },
    );
    try {
      const port = Number(new URL(p.url).port);
      const first = await rawConnect(port);
      first.socket.write('GET / HTTP/1.1\r\n');
      const second = await rawConnect(port);
      assert.notEqual(await within(second.closed, 2000), 'open', '--max-per-client 1: a second connection is closed');
      const ms = await within(first.closed, 5000);
      assert.ok(ms !== 'open' && ms >= 1400 && ms < 3000, `--header-timeout 1500: closed after ${String(ms)} ms`);
    } finally {
      await p.close();
      await backend.stop();
    }
  });

  const bad: Array<[string[], RegExp]> = [
    [['--header-timeout', '0'], /^pof proxy: --header-timeout wants milliseconds in 1\.\.300000 \(got '0'\)\n$/],
    [['--header-timeout', '10s'], /^pof proxy: --header-timeout wants milliseconds in 1\.\.300000 \(got '10s'\)\n$/],
    [['--max-connections', '0'], /^pof proxy: --max-connections wants a count in 1\.\.1000000 \(got '0'\)\n$/],
    [['--max-per-client', '-3'], /^pof proxy: --max-per-client wants a count in 1\.\.1000000 \(got '-3'\)\n$/],
    [['--upstream-timeout', '99999999'], /^pof proxy: --upstream-timeout wants milliseconds in 0\.\.3600000 \(got '99999999'\)\n$/],
  ];
  for (const [args, re] of bad) {
    it(`${args.join(' ')}: one line, exit 2`, async () => {
      let err = '';
      const code = await runProxy(['--listen', '127.0.0.1:0', '--upstream', 'http://127.0.0.1:1', ...args], { write: () => true }, { write: (s: string) => (err += s) });
      assert.equal(code, 2);
      assert.match(err, re);
    });
  }

  it('--help shows each limit with its default', async () => {
    let out = '';
    assert.equal(await runProxy(['--help'], { write: (s: string) => (out += s) }, { write: () => true }), 0);
    assert.match(out, /--header-timeout MS .*\(default 10000\)/);
    assert.match(out, /--max-connections N .*\(default 10000\)/);
    assert.match(out, /--max-per-client N .*\(default 256\)/);
    assert.match(out, /--upstream-timeout MS .*\(default 60000; 0 = no limit\)/);
  });
});
