// Saved SYNs: the matcher on SYN bytes (table), then real loopback
// connections with TCP_SAVE_SYN, as this user and as an unprivileged one.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

import { PofApiServer } from '../../src/api/server.js';
import { loadNativeAddon } from '../../src/capture/native.js';
import { canonicalAddress } from '../../src/net/addr.js';
import { withPof } from '../../src/web/node-http.js';
import type { PofResult } from '../../src/web/result.js';
import { kernelTuple, readSavedSyn, readSavedSynView, savedSynAvailable, savedSynProblem, SynFingerprinter, synTuple } from '../../src/web/saved-syn.js';
import { ipv4, ipv6, tcpSegment } from '../helpers/packet-build.js';
import { cannedLookup, request, signatures, synBytes, tempDir } from './helpers.js';

const T4 = { ipVer: 4 as const, cli: '192.0.2.10', cliPort: 40000, srv: '198.51.100.1', srvPort: 80 };
const T6 = { ipVer: 6 as const, cli: '2001:db8:0:0:0:0:0:10', cliPort: 40000, srv: '2001:db8:0:0:0:0:0:1', srvPort: 443 };

describe('SynFingerprinter', () => {
  const fp = new SynFingerprinter(signatures());
  const cases: Array<[string, Buffer, { label: string | null; dist: number; mtu: number | null; link?: string | null; rawSig?: RegExp }]> = [
    ['Linux 3.10-4.18 over IPv4, 7 hops', synBytes(T4), { label: 'Linux 3.10 to 4.18', dist: 7, mtu: 1500, link: 'Ethernet', rawSig: /^4:57\+7:0:1460:mss\*20,7:mss,sok,ts,nop,ws:df,id\+:0$/ }],
    ['Linux over IPv6 (MSS 1440)', synBytes(T6, { mss: 1440, ttl: 60 }), { label: 'Linux 3.10 to 4.18', dist: 4, mtu: 1500 }],
    ['Linux loopback (MSS 65495, window 65495)', synBytes(T4, { mss: 65495, win: 65495, ttl: 64 }), { label: 'Linux (loopback)', dist: 0, mtu: 65535 }],
    ['no MSS: no MTU', synBytes(T4, { options: [1, 1, 4, 2] }), { label: null, dist: 7, mtu: null }],
  ];
  for (const [name, bytes, want] of cases) {
    it(name, () => {
      const r = fp.fingerprint(bytes, 1700000000000);
      assert.ok(r.ok, !r.ok ? r.reason : '');
      assert.equal(r.verdict.tcp.label, want.label);
      assert.equal(r.verdict.tcp.dist, want.dist);
      assert.equal(r.verdict.mtu?.mtu ?? null, want.mtu);
      if (want.link !== undefined) assert.equal(r.verdict.mtu?.link, want.link);
      if (want.rawSig) assert.match(r.verdict.tcp.rawSig!, want.rawSig);
    });
  }
  it('a SYN with data (TCP Fast Open: the saved headers claim more) still decodes, as a payload SYN', () => {
    const b = synBytes(T4);
    b.writeUInt16BE(b.length + 100, 2);
    const r = fp.fingerprint(b);
    assert.ok(r.ok);
    assert.match(r.verdict.tcp.rawSig!, /:\+$/);
    assert.equal(b.readUInt16BE(2), synBytes(T4).length + 100, 'the caller’s bytes are not changed');
  });
  it("a client's next SYN (other port) gets the same verdict object; another TTL or MSS a verdict of its own", () => {
    const fresh = new SynFingerprinter(signatures());
    const a = fresh.fingerprint(synBytes(T4));
    const b = fresh.fingerprint(synBytes({ ...T4, cliPort: 40001 }));
    const far = fresh.fingerprint(synBytes(T4, { ttl: 50 }));
    const mss = fresh.fingerprint(synBytes(T4, { mss: 1400 }));
    assert.ok(a.ok && b.ok && far.ok && mss.ok);
    assert.equal(b.verdict, a.verdict);
    assert.notEqual(far.verdict, a.verdict);
    assert.equal(far.verdict.tcp.dist, 14);
    assert.equal(a.verdict.tcp.dist, 7);
    assert.equal(mss.verdict.mtu?.mtu, 1440);
    assert.equal(a.verdict.mtu?.mtu, 1500);
  });
  it('a SYN+ACK is refused', () => {
    const b = synBytes(T4);
    b[20 + 13] = 0x12;
    const r = fp.fingerprint(b);
    assert.deepEqual(r, { ok: false, reason: 'saved headers are not a SYN' });
  });
  for (const [name, bytes] of [
    ['empty', Buffer.alloc(0)],
    ['truncated', synBytes(T4).subarray(0, 30)],
    ['not IP', Buffer.alloc(60, 0x11)],
  ] as const) {
    it(`${name} bytes give a reason`, () => {
      const r = fp.fingerprint(bytes);
      assert.equal(r.ok, false);
      assert.match((r as { reason: string }).reason, /saved SYN not decoded/);
    });
  }
});

describe('synTuple', () => {
  const seg = tcpSegment({ sport: 40001, dport: 8080, flags: 0x02, options: [{ mss: 1460 }] });
  it('IPv4: addresses and ports of the SYN, options in the IP header skipped', () => {
    assert.deepEqual(synTuple(ipv4(seg, { src: '192.0.2.7', dst: '198.51.100.1' })), { ipVer: 4, cli: '192.0.2.7', cliPort: 40001, srv: '198.51.100.1', srvPort: 8080 });
    const withOpts = ipv4(seg, { src: '192.0.2.7', dst: '198.51.100.1', options: [1, 1, 1, 1] });
    assert.equal(withOpts[0]! & 0xf, 6);
    assert.deepEqual(synTuple(withOpts), { ipVer: 4, cli: '192.0.2.7', cliPort: 40001, srv: '198.51.100.1', srvPort: 8080 });
  });
  it("IPv6: in pof's text, as the socket's address would be canonicalised", () => {
    assert.deepEqual(synTuple(ipv6(seg, { src: '2001:db8::7', dst: '2001:db8::1' })), { ipVer: 6, cli: '2001:db8:0:0:0:0:0:7', cliPort: 40001, srv: '2001:db8:0:0:0:0:0:1', srvPort: 8080 });
  });
  for (const [name, bytes] of [
    ['empty', Buffer.alloc(0)],
    ['cut before the ports', ipv4(seg).subarray(0, 22)],
    ['not TCP', ipv4(Buffer.alloc(8), { proto: 17 })],
    ['IPv6 with an extension header first', ipv6(seg, { ext: [{ type: 0 }] })],
    ['IPv4-mapped IPv6 addresses (the socket says IPv4)', ipv6(seg, { src: '::ffff:c000:207', dst: '2001:db8::1' })],
    ['not IP', Buffer.alloc(60, 0x11)],
  ] as const) {
    it(`${name}: null (the socket is asked instead)`, () => assert.equal(synTuple(bytes), null));
  }
});

const skip = process.platform !== 'linux' ? 'Linux only' : !savedSynAvailable() ? 'saved-SYN addon not built (npm run build:native)' : false;

describe('kernelTuple: both ends of a socket in one native call', { skip }, () => {
  /** The tuple of the server side of one connection, from the kernel and from Node's getters. */
  async function bothWays(listen: net.ListenOptions, connect: net.NetConnectOpts): Promise<{ kernel: unknown; node: unknown }> {
    const srv = net.createServer();
    const got = new Promise<{ kernel: unknown; node: unknown }>((resolve) =>
      srv.once('connection', (s) => {
        const kernel = kernelTuple(s);
        const c = s.remoteAddress === undefined ? null : canonicalAddress(s.remoteAddress);
        const l = s.localAddress === undefined ? null : canonicalAddress(s.localAddress);
        resolve({ kernel, node: c && l ? { ipVer: c.ver, cli: c.addr, cliPort: s.remotePort, srv: l.addr, srvPort: s.localPort } : null });
        s.destroy();
      }),
    );
    await new Promise<void>((r) => srv.listen(listen, r));
    const port = (srv.address() as net.AddressInfo).port;
    const c = net.connect({ ...connect, port } as net.NetConnectOpts);
    c.on('error', () => {});
    try {
      return await got;
    } finally {
      c.destroy();
      srv.close();
    }
  }
  it('IPv4', async () => {
    const { kernel, node } = await bothWays({ host: '127.0.0.1', port: 0 }, { host: '127.0.0.1' } as net.NetConnectOpts);
    assert.deepEqual(kernel, node);
  });
  it('IPv4 on a dual-stack socket: the mapped addresses as IPv4', async () => {
    const { kernel, node } = await bothWays({ host: '::', port: 0, ipv6Only: false }, { host: '127.0.0.1' } as net.NetConnectOpts);
    assert.deepEqual(kernel, node);
    assert.equal((kernel as { ipVer: number }).ipVer, 4);
  });
  it('IPv6', async () => {
    const { kernel, node } = await bothWays({ host: '::1', port: 0 }, { host: '::1' } as net.NetConnectOpts);
    assert.deepEqual(kernel, node);
  });
  it('not TCP/IP (a Unix socket): left to Node', async () => {
    const dir = tempDir();
    try {
      const { kernel, node } = await bothWays({ path: dir.path('s.sock') }, { path: dir.path('s.sock') });
      assert.equal(kernel, undefined);
      assert.equal(node, null);
    } finally {
      dir.cleanup();
    }
  });
});

async function serve(opts: Parameters<typeof withPof>[1], attach = true) {
  const listener = withPof((req, res) => {
    res.end(JSON.stringify(req.pof));
    // An application that changes its result changes no other connection's.
    req.pof!.vars.pof_genre = 'changed by the app';
  }, opts);
  // Not attached: a wrapper hides the listener from listen-hook.ts as well.
  const server = attach ? http.createServer(listener) : http.createServer((req, res) => listener(req, res));
  if (attach) listener.attach(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    server,
    core: listener.core,
    get: async (): Promise<PofResult> => JSON.parse((await request(`http://127.0.0.1:${port}/`, { agent: false })).body) as PofResult,
    close: async () => {
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
      await listener.core.close();
    },
  };
}

/** A server with saved SYNs and a daemon (an API server over a canned lookup), for `body`; both closed after. */
async function withDaemon(opts: Parameters<typeof withPof>[1], body: (app: Awaited<ReturnType<typeof serve>>, lookup: ReturnType<typeof cannedLookup>) => Promise<void>): Promise<void> {
  const dir = tempDir();
  const lookup = cannedLookup();
  const api = await PofApiServer.listen({ path: dir.path('pof.sock'), lookup });
  const app = await serve({ savedSyn: true, socket: dir.path('pof.sock'), timeoutMs: 2000, ...opts });
  try {
    await body(app, lookup);
  } finally {
    await app.close();
    await api.close();
    dir.cleanup();
  }
}

describe('saved SYNs on loopback', { skip }, () => {
  it('the exact TCP verdict, distance and MTU of each connection, no daemon', async () => {
    const app = await serve({ savedSyn: true });
    try {
      const pof = await app.get();
      assert.deepEqual(pof.via, ['saved-syn']);
      assert.equal(pof.vars.pof_genre, 'Linux');
      assert.equal(pof.vars.pof_details, '(loopback)');
      assert.equal(pof.vars.pof_distance, '0');
      assert.equal(pof.vars.pof_type, '0');
      assert.equal(pof.mtu, 65535);
      assert.match(pof.rawSig!, /^4:64\+0:0:65495:mss\*1,\d+:mss,sok,ts,nop,ws:df(,id\+)?:0$/);
      assert.equal(pof.err, null);
      assert.equal(app.core.stats.savedSyns, 1);
      // The tuple, read from the SYN, is the socket's.
      assert.equal(pof.conn?.cli, '127.0.0.1');
      assert.equal(pof.conn?.srv, '127.0.0.1');
      assert.equal(pof.conn?.srvPort, (app.server.address() as net.AddressInfo).port);
      assert.ok(pof.conn!.cliPort > 0 && pof.conn!.cliPort !== pof.conn!.srvPort);
    } finally {
      await app.close();
    }
  });

  it('the kernel hands the SYN out once', async () => {
    const srv = http.createServer();
    const listener = withPof(() => {}, { savedSyn: true });
    listener.attach(srv);
    const got: Array<Buffer | null> = [];
    srv.on('connection', (s) => {
      got.push(readSavedSyn(s), readSavedSyn(s));
      s.destroy();
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as net.AddressInfo).port;
    await request(`http://127.0.0.1:${port}/`).catch(() => {});
    srv.close();
    await listener.core.close();
    assert.equal(got[0]![0]! >> 4, 4, 'starts at the IP header (no link header)');
    assert.equal(got[1], null);
  });

  it('readSavedSynView: the same bytes in a reused buffer; a buffer too small leaves the SYN for a larger one', async () => {
    const srv = http.createServer();
    const listener = withPof(() => {}, { savedSyn: true });
    listener.attach(srv);
    const got: Array<{ own: Buffer | null; need: number; view: Buffer | null; again: Buffer | null; tuple: string }> = [];
    let n = 0;
    srv.on('connection', (s) => {
      // Every other connection through readSavedSyn, for the bytes to compare against.
      let need = 0;
      if (n % 2) need = (loadNativeAddon('pof_saved_syn') as { addon: { getSavedSynInto(fd: number, b: Buffer): number } }).addon.getSavedSynInto((s as unknown as { _handle: { fd: number } })._handle.fd, Buffer.alloc(8));
      const own = n++ % 2 ? readSavedSyn(s) : null;
      const view = own ? null : readSavedSynView(s);
      got.push({ own, need, view: view && Buffer.from(view), again: readSavedSynView(s), tuple: `${s.remoteAddress}:${s.remotePort}>${s.localAddress}:${s.localPort}` });
      s.destroy();
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as net.AddressInfo).port;
    for (let i = 0; i < 2; i++) await request(`http://127.0.0.1:${port}/`, { agent: false }).catch(() => {});
    srv.close();
    await listener.core.close();
    const [a, b] = got;
    const t = synTuple(a!.view!)!;
    assert.equal(`${t.cli}:${t.cliPort}>${t.srv}:${t.srvPort}`, a!.tuple);
    assert.equal(a!.again, null, 'handed out once');
    // Same length and the same bytes but for what differs per connection (ports, seq, id, checksums, timestamps).
    assert.equal(a!.view!.length, b!.own!.length);
    assert.equal(b!.need, -b!.own!.length, 'the size needed, and the SYN kept for the next read');
    assert.deepEqual(a!.view!.subarray(0, 2), b!.own!.subarray(0, 2));
  });

  it('a server nobody attached, which serves pof in a way not seen, gets saved SYNs from its second connection on', async () => {
    const app = await serve({ savedSyn: true }, false);
    try {
      const first = await app.get();
      assert.equal(first.found, false);
      assert.match(first.vars.pof_err, /no saved SYN/);
      const second = await app.get();
      assert.equal(second.vars.pof_genre, 'Linux');
    } finally {
      await app.close();
    }
  });

  it('a server that starts listening on a Unix socket: no crash; the refusal is kept', async () => {
    const dir = tempDir();
    const listener = withPof((req, res) => res.end(req.pof?.vars.pof_err ?? ''), { savedSyn: true });
    const srv = http.createServer(listener);
    listener.attach(srv);
    try {
      const path = dir.path('s.sock');
      await new Promise<void>((r) => srv.listen(path, r));
      assert.match(savedSynProblem(srv) ?? '', /cannot enable saved SYNs|no descriptor/);
      const body = await new Promise<string>((resolve, reject) => {
        http.get({ socketPath: path, path: '/' }, (res) => {
          let t = '';
          res.on('data', (d: Buffer) => (t += d.toString()));
          res.on('end', () => resolve(t));
        }).on('error', reject);
      });
      // A Unix-socket request has no TCP connection to fingerprint; it is still answered.
      assert.match(body, /connection has no address/);
    } finally {
      srv.close();
      await listener.core.close();
      dir.cleanup();
    }
  });

  it('with a daemon/engine: the SYN from the kernel, the rest from pof', async () => {
    const app = await serve({ savedSyn: true, lookup: cannedLookup() });
    try {
      const pof = await app.get();
      assert.deepEqual(pof.via, ['saved-syn', 'engine']);
      assert.equal(pof.vars.pof_genre, 'Linux', 'the SYN saved by the kernel wins over the lookup');
      assert.equal(pof.http?.label, 'Firefox 10.x or newer');
      assert.equal(pof.vars.pof_nat, '1');
    } finally {
      await app.close();
    }
  });

  it("with a daemon socket: the SYN from the kernel, the client address's facts from the daemon, asked once per address within hostTtlMs", async () => {
    await withDaemon({ hostTtlMs: 300 }, async (app, lookup) => {
      const first = await app.get();
      assert.deepEqual(first.via, ['saved-syn', 'daemon']);
      assert.equal(first.vars.pof_genre, 'Linux', 'the TCP facts are the SYN’s own, not the host’s last OS');
      assert.equal(first.vars.pof_distance, '0');
      assert.equal(first.mtu, 65535);
      assert.equal(first.http?.label, 'Firefox 10.x or newer', 'host facts from the daemon');
      assert.equal(first.vars.pof_uptime, '25');
      assert.equal(first.vars.pof_nat, '1');
      assert.equal(first.err, null);
      const ports = new Set([first.conn!.cliPort]);
      for (let i = 0; i < 4; i++) {
        const next = await app.get();
        assert.equal(next.http?.label, 'Firefox 10.x or newer');
        assert.equal(next.vars.pof_genre, 'Linux');
        assert.equal(next.conn!.srvPort, first.conn!.srvPort);
        ports.add(next.conn!.cliPort);
      }
      assert.equal(ports.size, 5, 'each connection its own tuple, though their results are made once');
      // Five connections, one question about 127.0.0.1; none about the connections themselves.
      assert.equal(lookup.hostAsked, 1);
      assert.equal(lookup.asked, 0);
      assert.equal(app.core.stats.hostCached, 4);
      assert.equal(app.core.stats.savedSyns, 5);
      await new Promise((r) => setTimeout(r, 350));
      await app.get();
      assert.equal(lookup.hostAsked, 2, 'asked again once the answer is older than hostTtlMs');
    });
  });

  it('with a daemon socket: connections that come together from one address share one question', async () => {
    await withDaemon({}, async (app, lookup) => {
      const all = await Promise.all(Array.from({ length: 6 }, () => app.get()));
      for (const r of all) assert.equal(r.vars.pof_nat, '1');
      assert.equal(lookup.hostAsked, 1);
      assert.equal(app.core.stats.asked, 1);
    });
  });

  it('with a daemon socket and hostTtlMs 0: every connection asks', async () => {
    await withDaemon({ hostTtlMs: 0 }, async (app, lookup) => {
      for (let i = 0; i < 3; i++) assert.equal((await app.get()).vars.pof_nat, '1');
      assert.equal(lookup.hostAsked, 3);
      assert.equal(app.core.stats.hostCached, 0);
    });
  });

  it('with the daemon down: still the SYN verdict, and pof_err says why the rest is missing', async () => {
    const dir = tempDir();
    const app = await serve({ savedSyn: true, socket: dir.path('none.sock'), timeoutMs: 20 });
    try {
      const pof = await app.get();
      assert.equal(pof.found, true);
      assert.equal(pof.vars.pof_genre, 'Linux');
      assert.match(pof.vars.pof_err, /ENOENT/);
      assert.deepEqual(pof.via, ['saved-syn']);
    } finally {
      await app.close();
      dir.cleanup();
    }
  });

  const asNobody = process.getuid?.() !== 0 ? 'needs root to switch to an unprivileged user' : false;
  it('works for an unprivileged user (nobody), IPv4 and IPv6', { skip: asNobody }, () => {
    // The child loads its code as root and then becomes nobody, with no
    // capabilities: nobody may not read the clone when it lives in a 0700
    // directory (root's home, mktemp -d).
    const child = fileURLToPath(new URL('./fixtures/saved-syn-child.ts', import.meta.url));
    const r = spawnSync(process.execPath, ['--import', 'tsx', child], {
      encoding: 'utf8',
      timeout: 60_000,
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      env: { ...process.env, HOME: '/tmp', POF_CHILD_UID: '65534' },
    });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { uid: number; euid: number; gid: number; groups: number[]; capEff: string; v4: PofResult; v6: PofResult };
    assert.deepEqual([out.uid, out.euid, out.gid, out.groups], [65534, 65534, 65534, [65534]]);
    assert.equal(out.capEff, '0000000000000000', 'no capabilities left');
    for (const [pof, mtu] of [[out.v4, 65535], [out.v6, 65536]] as const) {
      assert.deepEqual(pof.via, ['saved-syn']);
      assert.equal(pof.vars.pof_genre, 'Linux');
      assert.equal(pof.vars.pof_details, '(loopback)');
      assert.equal(pof.vars.pof_distance, '0');
      assert.equal(pof.mtu, mtu);
    }
    assert.equal(out.v6.conn?.ipVer, 6);
  });
});
