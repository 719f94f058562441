/**
 * The middleware core and the proxy behind a balancer (the proxyProtocol
 * option), with real sockets on loopback and real PROXY headers (v1 text,
 * v2 from writeV2): the client the header names is the one looked up,
 * limited, logged and forwarded; a LOCAL header means the real endpoints;
 * a saved SYN of a relayed connection (the balancer's) is not used; a
 * server that did not read headers says so. Also the store option's and
 * the CLI's checks.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { startProxy } from '../../src/cli/proxy.js';
import { isPofError } from '../../src/errors.js';
import { AccessLog } from '../../src/web/access-log.js';
import { createPofCore, type PofOptions } from '../../src/web/core.js';
import { pofHandler, withPof } from '../../src/web/node-http.js';
import { createPofProxy } from '../../src/web/proxy.js';
import { writeV2 } from '../../src/web/proxy-protocol-write.js';
import type { PofResult } from '../../src/web/result.js';
import { savedSynAvailable } from '../../src/web/saved-syn.js';
import { makeEngine, tempDir, until } from './helpers.js';
import { startNodeBackend } from './net-helpers.js';

const CLIENT = { ipVer: 4 as const, cli: '198.51.100.7', cliPort: 45012, srv: '203.0.113.80', srvPort: 443 };
const V1 = `PROXY TCP4 ${CLIENT.cli} ${CLIENT.srv} ${CLIENT.cliPort} ${CLIENT.srvPort}\r\n`;
const GET = 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';

/** What the test app answers: the request's result. */
function answer(req: http.IncomingMessage, res: http.ServerResponse): void {
  const r = req.pof!;
  res.setHeader('Content-Type', 'application/json');
  res.end(JSON.stringify({ genre: r.vars.pof_genre, err: r.err, via: r.via, conn: r.conn }));
}

interface Saw {
  genre: string;
  err: string | null;
  via: PofResult['via'];
  conn: PofResult['conn'];
}

/** Writes `first` (a header, or nothing) and a GET on a new connection; the JSON answer and the socket's local port. */
function ask(port: number, first: Buffer | string, opts: { onConnect?: (localPort: number) => void } = {}): Promise<Saw & { localPort: number }> {
  return new Promise((resolve, reject) => {
    const c = net.connect(port, '127.0.0.1');
    let out = '';
    let localPort = 0;
    c.on('connect', () => {
      localPort = c.localPort!;
      opts.onConnect?.(localPort);
      c.write(Buffer.concat([Buffer.from(first), Buffer.from(GET)]));
    });
    c.on('data', (d) => (out += d));
    c.on('error', reject);
    c.on('close', () => {
      const body = out.slice(out.indexOf('\r\n\r\n') + 4);
      try {
        resolve({ ...(JSON.parse(body) as Saw), localPort });
      } catch {
        reject(new Error(`not JSON: ${out}`));
      }
    });
  });
}

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as net.AddressInfo).port;
}

const close = (server: http.Server): Promise<void> =>
  new Promise((r) => {
    server.close(() => r());
    server.closeAllConnections();
  });

describe('the core behind a balancer (proxyProtocol)', () => {
  it("a server made with withPof reads headers from its first connection: the header's client is looked up", async () => {
    const sys = makeEngine();
    sys.feedSyn(CLIENT);
    const h = withPof(answer, { engine: sys.engine, conns: sys.conns, timeoutMs: 300, proxyProtocol: { trusted: '127.0.0.1/32' } });
    const server = http.createServer(h);
    const port = await listen(server);
    try {
      const v1 = await ask(port, V1);
      assert.equal(v1.err, null);
      assert.equal(v1.genre, 'Linux');
      assert.deepEqual(v1.conn, CLIENT);
      // v2, the same client.
      const v2 = await ask(port, writeV2({ addr: { family: 'inet', transport: 'stream', src: CLIENT.cli, srcPort: CLIENT.cliPort, dst: CLIENT.srv, dstPort: CLIENT.srvPort } }));
      assert.equal(v2.genre, 'Linux');
      assert.deepEqual(v2.conn, CLIENT);
      assert.equal(h.core.proxyProtocol!.stats.proxied, 2);
    } finally {
      await close(server);
      await h.core.close();
    }
  });

  it('a LOCAL header (a health check): the real endpoints are looked up', async () => {
    const sys = makeEngine();
    const h = withPof(answer, { engine: sys.engine, conns: sys.conns, timeoutMs: 300, proxyProtocol: { trusted: '127.0.0.1/32' } });
    const server = http.createServer(h);
    const port = await listen(server);
    try {
      const saw = await ask(port, writeV2({ command: 'local' }), { onConnect: (lp) => sys.feedSyn({ ipVer: 4, cli: '127.0.0.1', cliPort: lp, srv: '127.0.0.1', srvPort: port }) });
      assert.equal(saw.genre, 'Linux');
      assert.equal(saw.conn?.cliPort, saw.localPort);
      assert.equal(h.core.proxyProtocol!.stats.local, 1);
    } finally {
      await close(server);
      await h.core.close();
    }
  });

  it('required mode, a server that did not read headers: the first connection says why; the next ones are read', async () => {
    const sys = makeEngine();
    sys.feedSyn(CLIENT);
    const mw = pofHandler({ engine: sys.engine, conns: sys.conns, timeoutMs: 300, proxyProtocol: { trusted: '127.0.0.1/32' } });
    // The listen hook cannot see the middleware through this closure.
    const server = http.createServer((req, res) => mw(req, res, () => answer(req, res)));
    const port = await listen(server);
    try {
      const first = await ask(port, '');
      assert.match(first.err ?? '', /no PROXY header read: the connection came before its server read them/);
      assert.equal(first.genre, '');
      const next = await ask(port, V1);
      assert.equal(next.err, null);
      assert.deepEqual(next.conn, CLIENT);
    } finally {
      await close(server);
      await mw.core.close();
    }
  });

  it("a relayed connection's saved SYN (the balancer's) is not used; a direct one's is (optional mode)", { skip: !savedSynAvailable() && 'saved SYNs unavailable here' }, async () => {
    const sys = makeEngine();
    sys.feedSyn(CLIENT);
    const h = withPof(answer, { engine: sys.engine, conns: sys.conns, savedSyn: true, timeoutMs: 300, proxyProtocol: { trusted: '127.0.0.1/32', mode: 'optional' } });
    const server = http.createServer(h);
    const port = await listen(server);
    try {
      const relayed = await ask(port, V1);
      assert.deepEqual(relayed.via, ['engine']);
      assert.deepEqual(relayed.conn, CLIENT);
      const direct = await ask(port, '');
      assert.equal(direct.via[0], 'saved-syn');
      assert.equal(direct.conn?.cliPort, direct.localPort);
      assert.equal(direct.genre, 'Linux');
    } finally {
      await close(server);
      await h.core.close();
    }
  });

  describe('over TLS (the header before the handshake)', { skip: spawnSync('openssl', ['version']).status !== 0 && 'openssl not installed' }, () => {
    const dir = tempDir();
    let key: Buffer;
    let cert: Buffer;
    before(() => {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir.dir, 'key.pem'), '-out', join(dir.dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
      key = readFileSync(join(dir.dir, 'key.pem'));
      cert = readFileSync(join(dir.dir, 'cert.pem'));
    });
    after(() => dir.cleanup());

    it('pof proxy terminating TLS behind a balancer: HTTP/1.1 and h2 requests are the header\'s client\'s', async () => {
      const sys = makeEngine();
      sys.feedSyn(CLIENT);
      const backend = await startNodeBackend();
      const proxy = createPofProxy({ upstream: backend.url, tls: { key, cert }, pof: { engine: sys.engine, conns: sys.conns, timeoutMs: 300, proxyProtocol: { trusted: '127.0.0.1/32' } } });
      const { port } = await proxy.listen(0, '127.0.0.1');
      /** A TLS connection to the proxy after a PROXY header naming CLIENT. */
      const relayed = (alpn: string): Promise<tls.TLSSocket> =>
        new Promise((resolve, reject) => {
          const raw = net.connect(port, '127.0.0.1', () => {
            raw.write(V1);
            const t = tls.connect({ socket: raw, rejectUnauthorized: false, servername: 'localhost', ALPNProtocols: [alpn] }, () => resolve(t));
            t.on('error', reject);
          });
          raw.on('error', reject);
        });
      try {
        const t1 = await relayed('http/1.1');
        const body1 = await new Promise<string>((resolve) => {
          let out = '';
          t1.on('data', (d) => (out += d));
          t1.on('close', () => resolve(out.slice(out.indexOf('\r\n\r\n') + 4)));
          t1.write(GET);
        });
        const h1 = JSON.parse(body1) as http.IncomingHttpHeaders;
        assert.equal(h1['x-forwarded-for'], CLIENT.cli);
        assert.equal(h1['x-pof-genre'], 'Linux');

        const t2 = await relayed('h2');
        assert.equal(t2.alpnProtocol, 'h2');
        const session = http2.connect(`https://localhost:${port}`, { createConnection: () => t2 });
        const body2 = await new Promise<string>((resolve, reject) => {
          const r = session.request({ ':path': '/' });
          let out = '';
          r.on('data', (d) => (out += d));
          r.on('end', () => resolve(out));
          r.on('error', reject);
        });
        session.close();
        const h2 = JSON.parse(body2) as http.IncomingHttpHeaders;
        assert.equal(h2['x-forwarded-for'], CLIENT.cli);
        assert.equal(h2['x-pof-genre'], 'Linux');
      } finally {
        await proxy.close();
        await backend.stop();
      }
    });

    it("an https server's requests are the header's client's", async () => {
      const sys = makeEngine();
      sys.feedSyn(CLIENT);
      const h = withPof(answer, { engine: sys.engine, conns: sys.conns, timeoutMs: 300, proxyProtocol: { trusted: '127.0.0.1/32' } });
      const server = https.createServer({ key, cert }, h);
      const port = await listen(server);
      try {
        const body = await new Promise<string>((resolve, reject) => {
          const raw = net.connect(port, '127.0.0.1', () => {
            raw.write(V1);
            const t = tls.connect({ socket: raw, rejectUnauthorized: false, servername: 'localhost' }, () => t.write(GET));
            let out = '';
            t.on('data', (d) => (out += d));
            t.on('error', reject);
            t.on('close', () => resolve(out.slice(out.indexOf('\r\n\r\n') + 4)));
          });
          raw.on('error', reject);
        });
        const saw = JSON.parse(body) as Saw;
        assert.equal(saw.genre, 'Linux');
        assert.deepEqual(saw.conn, CLIENT);
      } finally {
        await close(server);
        await h.core.close();
      }
    });
  });

  it('pof proxy: X-Forwarded-For, the access log and the per-client limit name the header\'s client', async () => {
    const sys = makeEngine();
    sys.feedSyn(CLIENT);
    const backend = await startNodeBackend();
    const dir = tempDir();
    const log = new AccessLog({ file: join(dir.dir, 'access.log'), format: '%h %{pof_genre}e' });
    const pof: PofOptions = { engine: sys.engine, conns: sys.conns, timeoutMs: 300, proxyProtocol: { trusted: '127.0.0.1/32' } };
    const proxy = createPofProxy({ upstream: backend.url, pof, accessLog: log, maxConnectionsPerClient: 1, onWarning: () => {} });
    const { port } = await proxy.listen(0, '127.0.0.1');
    try {
      const headers = await new Promise<http.IncomingHttpHeaders>((resolve, reject) => {
        const c = net.connect(port, '127.0.0.1', () => c.write(V1 + GET));
        let out = '';
        c.on('data', (d) => (out += d));
        c.on('error', reject);
        c.on('close', () => resolve(JSON.parse(out.slice(out.indexOf('\r\n\r\n') + 4)) as http.IncomingHttpHeaders));
      });
      assert.equal(headers['x-forwarded-for'], CLIENT.cli);
      assert.equal(headers['x-pof-genre'], 'Linux');
      await until(() => readFileSync(join(dir.dir, 'access.log'), 'utf8').includes('\n'), 3000);
      assert.match(readFileSync(join(dir.dir, 'access.log'), 'utf8'), /^198\.51\.100\.7 Linux$/m);

      // One connection per client at once: a second one of the same client is closed, another client's is not.
      const open = (header: string): Promise<net.Socket> =>
        new Promise((resolve) => {
          const c = net.connect(port, '127.0.0.1', () => {
            c.write(header);
            resolve(c);
          });
          c.on('error', () => {});
        });
      const closed = (c: net.Socket, ms: number): Promise<boolean> =>
        new Promise((resolve) => {
          if (c.destroyed) return resolve(true);
          const t = setTimeout(() => resolve(false), ms);
          c.once('close', () => {
            clearTimeout(t);
            resolve(true);
          });
        });
      const a = await open(V1);
      await new Promise((r) => setTimeout(r, 100));
      const b = await open(V1);
      const other = await open('PROXY TCP4 198.51.100.8 203.0.113.80 45013 443\r\n');
      assert.equal(await closed(b, 2000), true, 'the same client: closed');
      assert.equal(await closed(other, 300), false, 'another client: open');
      assert.equal(a.destroyed, false);
      for (const c of [a, other]) c.destroy();
    } finally {
      await proxy.close();
      await log.close();
      await backend.stop();
      dir.cleanup();
    }
  });
});

it('pof proxy --proxy-protocol=optional: the mode after =, the route says so; other flags still take no value', async () => {
  const p = await startProxy(['--listen', '127.0.0.1:0', '--upstream', 'http://127.0.0.1:1', '-s', '/nonexistent/pof.sock', '--no-saved-syn', '--proxy-protocol=optional', '--trusted-proxy', '127.0.0.1/32'], { write: () => true });
  try {
    assert.match(p.route, /^PROXY headers optional from 127\.0\.0\.1\/32 \+ daemon \/nonexistent\/pof\.sock$/);
    assert.equal(p.http, null);
  } finally {
    await p.close();
  }
  await assert.rejects(startProxy(['--listen', '127.0.0.1:0', '--upstream', 'http://127.0.0.1:1', '--no-saved-syn=1'], { write: () => true }), /option --no-saved-syn takes no value/);
});

describe('checks at start-up: one E_CONFIG or E_USAGE line', () => {
  const sys = makeEngine();
  for (const [opts, re] of [
    [{ socket: '/run/pof.sock', store: 'redis://127.0.0.1:1' }, /^pof middleware: give one of socket, client, engine \(with conns\), lookup or store$/],
    [{ store: 'http://127.0.0.1:6379' }, /^pof middleware: store: /],
    [{ store: { url: 'redis://127.0.0.1:1', timeoutMs: -1 } }, /^pof middleware: store: timeoutMs/],
    [{ engine: sys.engine, conns: sys.conns, proxyProtocol: { trusted: '10.0.0.0/33' } }, /^pof middleware: PROXY protocol: trusted proxies: /],
    [{ engine: sys.engine, conns: sys.conns, proxyProtocol: { trusted: '10.0.0.0/8', mode: 'sometimes' } }, /^pof middleware: PROXY protocol: mode must be 'required' or 'optional'/],
    [{ engine: sys.engine, conns: sys.conns, proxyProtocol: 'yes' }, /^pof middleware: proxyProtocol must be options/],
  ] as Array<[PofOptions, RegExp]>) {
    it(`${JSON.stringify(opts, (k, v) => (k === 'engine' || k === 'conns' ? undefined : v))} -> ${re}`, () => {
      assert.throws(
        () => createPofCore(opts),
        (e: unknown) => isPofError(e) && e.code === 'E_CONFIG' && re.test(e.message) && !e.message.includes('\n'),
      );
    });
  }

  for (const [args, re] of [
    [['--trusted-proxy', '127.0.0.1/32'], /^--trusted-proxy goes with --proxy-protocol$/],
    [['--proxy-protocol'], /^--proxy-protocol needs --trusted-proxy CIDR/],
    [['--proxy-protocol=sometimes', '--trusted-proxy', '127.0.0.1/32'], /^--proxy-protocol wants 'required' \(the default\) or 'optional'/],
    [['--proxy-protocol', '--trusted-proxy', '127.0.0.1/40'], /^--trusted-proxy: /],
    [['--proxy-protocol', '--trusted-proxy', '127.0.0.1/32', '--proxy-header-timeout', '0'], /^--proxy-header-timeout wants milliseconds in 1\.\./],
    [['--store', 'redis://127.0.0.1:1', '-s', '/run/pof.sock'], /^--store cannot be used with -s or -i$/],
    [['--store', 'mysql://127.0.0.1'], /^--store: /],
    [['--http', '127.0.0.1:99999'], /^--http wants ADDR:PORT/],
  ] as Array<[string[], RegExp]>) {
    it(`pof proxy ${args.join(' ')} -> ${re}`, async () => {
      await assert.rejects(startProxy(['--listen', '127.0.0.1:0', '--upstream', 'http://127.0.0.1:1', ...args], { write: () => true }), (e: unknown) => isPofError(e) && e.code === 'E_USAGE' && re.test(e.message));
    });
  }
});
