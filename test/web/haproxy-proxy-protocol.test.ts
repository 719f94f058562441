/**
 * Real PROXY headers from HAProxy (Debian's haproxy), read by the reader in
 * front of a node:http server: curl -> HAProxy -> server.
 *
 *   - TLS ended by HAProxy, send-proxy-v2 with every TLV HAProxy can add
 *     (SSL and its names, ALPN, authority from SNI, CRC-32C, unique ID);
 *   - send-proxy (v1) and send-proxy-v2 over IPv4 and IPv6;
 *   - the server trusting another range: HAProxy's connections are refused.
 *
 * The client address and port in each header must be curl's own.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { canonicalAddress } from '../../src/net/addr.js';
import { proxyHeaderOf, withProxyProtocol, type ProxyProtocolReader } from '../../src/web/proxy-protocol-reader.js';
import { freePort, stopChild } from './net-helpers.js';

const ci = process.env.CI === 'true';
const runs = (cmd: string, args: string[]): boolean => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const haveHaproxy = runs('haproxy', ['-v']) && runs('curl', ['--version']) && runs('openssl', ['version']);
// In CI a missing tool fails the run rather than skipping it.
const skip = haveHaproxy || ci ? false : 'haproxy, curl or openssl not installed';
const haveV6 = ((): boolean => {
  try {
    return execFileSync('ip', ['-6', 'addr', 'show', 'dev', 'lo'], { encoding: 'utf8' }).includes('::1');
  } catch {
    return false;
  }
})();

interface App {
  port: number;
  reader: ProxyProtocolReader;
  close(): Promise<void>;
}

async function app(trusted: string): Promise<App> {
  const srv = http.createServer((req, res) => {
    const h = proxyHeaderOf(req.socket);
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify(h ? { ...h, tlvs: { ...h.tlvs, uniqueId: h.tlvs.uniqueId?.toString('latin1') ?? null } } : null));
  });
  const reader = withProxyProtocol(srv, { trusted });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { port: (srv.address() as net.AddressInfo).port, reader, close: () => new Promise<void>((r) => srv.close(() => r())) };
}

async function waitListening(port: number, host: string, child: ChildProcess, log: () => string): Promise<void> {
  const end = Date.now() + 15_000;
  while (Date.now() < end) {
    if (child.exitCode !== null) throw new Error(`haproxy exited: ${log()}`);
    const ok = await new Promise<boolean>((r) => {
      const c = net.connect(port, host);
      c.once('connect', () => {
        c.destroy();
        r(true);
      });
      c.once('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`haproxy does not listen on ${host}:${port}: ${log()}`);
}

/** curl's body and its own local port (asynchronously: the servers are in this process). */
function curl(args: string[]): Promise<{ status: number; body: string; localPort: number }> {
  return new Promise((resolve) => {
    const c = spawn('curl', ['-s', '-S', '--max-time', '10', '-w', '\n%{local_port}', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout!.on('data', (d) => (out += d));
    c.stderr!.resume();
    c.on('close', (code) => {
      const nl = out.lastIndexOf('\n');
      resolve({ status: code ?? -1, body: out.slice(0, nl), localPort: Number(out.slice(nl + 1)) });
    });
  });
}

describe('PROXY headers from HAProxy', { skip }, () => {
  let dir: string;
  let haproxy: ChildProcess;
  let hlog = '';
  let good: App;
  let distrust: App;
  const port: Record<'tls' | 'v1' | 'v2' | 'v6' | 'refused', number> = { tls: 0, v1: 0, v2: 0, v6: 0, refused: 0 };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pof-haproxy-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=pof.test'], { stdio: 'ignore' });
    writeFileSync(join(dir, 'both.pem'), readFileSync(join(dir, 'cert.pem')).toString() + readFileSync(join(dir, 'key.pem')).toString());
    good = await app('127.0.0.1/32');
    distrust = await app('10.0.0.0/8');
    for (const k of Object.keys(port) as Array<keyof typeof port>) port[k] = await freePort();
    const v2opts = 'ssl,cert-cn,ssl-cipher,cert-sig,cert-key,authority,crc32c,unique-id';
    const cfg = `
global
  maxconn 100
defaults
  mode tcp
  timeout connect 2s
  timeout client 10s
  timeout server 10s
frontend tls
  bind 127.0.0.1:${port.tls} ssl crt ${join(dir, 'both.pem')} alpn h2,http/1.1
  unique-id-format pof-%ci-%cp
  default_backend tls_v2
backend tls_v2
  server app 127.0.0.1:${good.port} send-proxy-v2 proxy-v2-options ${v2opts}
frontend v1
  bind 127.0.0.1:${port.v1}
  default_backend v1
backend v1
  server app 127.0.0.1:${good.port} send-proxy
frontend v2
  bind 127.0.0.1:${port.v2}
${haveV6 ? `  bind [::1]:${port.v6}\n` : ''}  default_backend v2
backend v2
  server app 127.0.0.1:${good.port} send-proxy-v2 proxy-v2-options crc32c
frontend refused
  bind 127.0.0.1:${port.refused}
  default_backend refused
backend refused
  server app 127.0.0.1:${distrust.port} send-proxy-v2
`;
    writeFileSync(join(dir, 'haproxy.cfg'), cfg);
    haproxy = spawn('haproxy', ['-db', '-f', join(dir, 'haproxy.cfg')], { stdio: ['ignore', 'pipe', 'pipe'] });
    haproxy.stdout!.on('data', (d) => (hlog += d));
    haproxy.stderr!.on('data', (d) => (hlog += d));
    for (const k of ['tls', 'v1', 'v2', 'refused'] as const) await waitListening(port[k], '127.0.0.1', haproxy, () => hlog);
  });

  after(async () => {
    if (haproxy) await stopChild(haproxy);
    await good?.close();
    await distrust?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('send-proxy-v2 after TLS: curl\'s address and port, and the SSL, ALPN, authority, CRC-32C and unique ID TLVs', async () => {
    const r = await curl(['--http1.1', '-k', '--resolve', `pof.test:${port.tls}:127.0.0.1`, `https://pof.test:${port.tls}/`]);
    assert.equal(r.status, 0, r.body + hlog);
    const h = JSON.parse(r.body);
    assert.equal(h.version, 2);
    assert.equal(h.command, 'proxy');
    assert.deepEqual(h.addr, { family: 'inet', transport: 'stream', src: '127.0.0.1', srcPort: r.localPort, dst: '127.0.0.1', dstPort: port.tls });
    assert.equal(h.tlvs.alpn, 'http/1.1');
    assert.equal(h.tlvs.authority, 'pof.test');
    assert.equal(h.tlvs.crc32c, true);
    assert.equal(h.tlvs.uniqueId, `pof-127.0.0.1-${r.localPort}`);
    assert.equal(h.tlvs.ssl.tls, true);
    assert.equal(h.tlvs.ssl.certConn, false);
    assert.match(h.tlvs.ssl.version, /^TLSv1\.[23]$/);
    assert.match(h.tlvs.ssl.cipher, /^[A-Z0-9_-]+$/);
  });

  it('send-proxy (v1) and send-proxy-v2 over TCP: the client as curl connected', async () => {
    const v1 = await curl([`http://127.0.0.1:${port.v1}/`]);
    assert.equal(v1.status, 0, v1.body + hlog);
    const h1 = JSON.parse(v1.body);
    assert.equal(h1.version, 1);
    assert.deepEqual(h1.addr, { family: 'inet', transport: 'stream', src: '127.0.0.1', srcPort: v1.localPort, dst: '127.0.0.1', dstPort: port.v1 });
    const v2 = await curl([`http://127.0.0.1:${port.v2}/`]);
    const h2 = JSON.parse(v2.body);
    assert.equal(h2.version, 2);
    assert.equal(h2.addr.srcPort, v2.localPort);
    assert.equal(h2.tlvs.crc32c, true);
  });

  it('send-proxy-v2 of an IPv6 client', { skip: !haveV6 && 'no IPv6 on lo' }, async () => {
    const r = await curl(['-g', `http://[::1]:${port.v6}/`]);
    assert.equal(r.status, 0, r.body + hlog);
    const h = JSON.parse(r.body);
    assert.deepEqual(h.addr, { family: 'inet6', transport: 'stream', src: canonicalAddress('::1')!.addr, srcPort: r.localPort, dst: canonicalAddress('::1')!.addr, dstPort: port.v6 });
  });

  it('refuses HAProxy where it is not a trusted proxy', async () => {
    const before = distrust.reader.stats.refused.untrusted;
    const r = await curl([`http://127.0.0.1:${port.refused}/`]);
    assert.notEqual(r.status, 0);
    assert.equal(r.body, '');
    assert.equal(distrust.reader.stats.refused.untrusted, before + 1);
  });
});
