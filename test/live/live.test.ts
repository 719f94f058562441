// Live capture on loopback through the native addon. Needs root (or
// CAP_NET_RAW) and a built addon; skips cleanly otherwise.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import net from 'node:net';
import { release } from 'node:os';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

import { PofError } from '../../src/errors.js';
import { addonAvailable, listInterfaces, openLive, type LiveCapture } from '../../src/capture/live.js';
import type { PacketRecord } from '../../src/capture/types.js';
import { freePort } from '../web/net-helpers.js';
import { patternByte } from './fixtures/pattern.js';

const isRoot = process.getuid?.() === 0;
const haveAddon = addonAvailable();
const skip = !haveAddon ? 'native addon not built (npm run build:native)' : !isRoot ? 'needs root for live capture' : false;

const LINKTYPE_ETHERNET = 1;
const TCP_SYN = 0x02;
const TCP_ACK = 0x10;

interface Syn {
  sport: number;
  dport: number;
  tsMs: number;
  seenAt: number;
}

/** IPv4/TCP over Ethernet (what lo gives) -> SYN without ACK, else null. */
function parseSyn(rec: PacketRecord): Omit<Syn, 'seenAt'> | null {
  const d = rec.data;
  const o = rec.offset;
  if (rec.linkType !== LINKTYPE_ETHERNET || rec.caplen < 14 + 20 + 20) return null;
  if (d.readUInt16BE(o + 12) !== 0x0800) return null;
  const ip = o + 14;
  if (d[ip + 9] !== 6) return null;
  const tcp = ip + (d[ip] & 0x0f) * 4;
  const flags = d[tcp + 13];
  if ((flags & TCP_SYN) === 0 || (flags & TCP_ACK) !== 0) return null;
  return { sport: d.readUInt16BE(tcp), dport: d.readUInt16BE(tcp + 2), tsMs: rec.tsSec * 1000 + rec.tsUsec / 1000 };
}

function fdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

async function until(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
}

function connectOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const c = net.connect({ port, host: '127.0.0.1' }, () => {
      const local = c.localPort;
      c.end();
      c.on('close', () => resolve(local ?? -1));
    });
    c.on('error', reject);
  });
}

describe('live capture on lo', { skip }, () => {
  let server: net.Server;
  let port = 0;

  before(async () => {
    server = net.createServer((s) => {
      s.on('error', () => {});
      s.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', 511, r));
    port = (server.address() as net.AddressInfo).port;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('lists lo as a loopback interface', () => {
    const lo = listInterfaces().find((i) => i.name === 'lo');
    assert.ok(lo, 'lo listed');
    assert.equal(lo.loopback, true);
    assert.equal(lo.up, true);
    assert.ok(lo.addresses.some((a) => a.family === 'IPv4' && a.address === '127.0.0.1'));
  });

  it('delivers every SYN with its ports and a current timestamp, with no kernel drops', async () => {
    const N = 400;
    const cap = openLive({ iface: 'lo', filter: `tcp port ${port}` });
    try {
      assert.equal(cap.linkType, LINKTYPE_ETHERNET);
      const syns: Syn[] = [];
      cap.onPackets((rec) => {
        const s = parseSyn(rec);
        if (s) syns.push({ ...s, seenAt: Date.now() });
      });
      const clientPorts: number[] = [];
      for (let i = 0; i < N; i += 50) {
        const wave = await Promise.all(Array.from({ length: Math.min(50, N - i) }, () => connectOnce(port)));
        clientPorts.push(...wave);
      }
      await until(() => syns.length >= N, 5000);
      assert.equal(syns.length, N, 'one SYN per connection');
      assert.deepEqual(
        syns.map((s) => s.sport).sort((a, b) => a - b),
        [...clientPorts].sort((a, b) => a - b),
      );
      for (const s of syns) {
        assert.equal(s.dport, port);
        assert.ok(Math.abs(s.seenAt - s.tsMs) < 1000, `timestamp ${s.tsMs} within 1 s of ${s.seenAt}`);
      }
      const st = cap.stats();
      assert.equal(st.droppedKernel, 0);
      assert.ok(st.delivered >= N, `delivered ${st.delivered}`);
      if (cap.skipsSentCopies) {
        // The kernel handed over each packet once, not twice (sent and received).
        await new Promise((r) => setTimeout(r, 50));
        const after = cap.stats();
        assert.equal(after.received, after.delivered, `received ${after.received}, delivered ${after.delivered}`);
      }
    } finally {
      cap.close();
    }
  });

  it('keeps every byte, in place, through a JS stall longer than its batch buffers last', async () => {
    // A child moves BYTES of a known pattern over lo while this process's
    // event loop is blocked: the capture thread fills every batch buffer it
    // may have (32 MiB), waits for JS (the kernel ring holds the rest), and
    // after the stall each buffer is handed back and reused many times.
    const BYTES = 80 * 1024 * 1024;
    const p = await freePort();
    const cap = openLive({ iface: 'lo', filter: `tcp dst port ${p}`, bufferSize: 128 * 1024 * 1024 });
    let isn: number | undefined;
    const segments: Array<[number, number]> = [];
    let captured = 0;
    let misplaced = 0;
    /** Bytes of the stream that some captured segment held (retransmissions overlap). */
    const covered = (): number => {
      let total = 0;
      let end = 0;
      for (const [from, to] of [...segments].sort((a, b) => a[0] - b[0])) {
        if (to > end) total += to - Math.max(from, end);
        end = Math.max(end, to);
      }
      return total;
    };
    cap.onPackets((rec) => {
      const d = rec.data;
      const ip = rec.offset + 14;
      if (d.readUInt16BE(rec.offset + 12) !== 0x0800 || d[ip + 9] !== 6) return;
      const tcp = ip + (d[ip] & 0x0f) * 4;
      const seq = d.readUInt32BE(tcp + 4);
      if (d[tcp + 13] & TCP_SYN) {
        isn = seq;
        return;
      }
      const pay = tcp + (d[tcp + 12] >> 4) * 4;
      const len = d.readUInt16BE(ip + 2) - (pay - ip);
      if (len <= 0 || isn === undefined) return;
      const rel = (seq - isn - 1) >>> 0;
      segments.push([rel, rel + len]);
      captured += len;
      const have = Math.min(len, rec.caplen - (pay - rec.offset));
      for (let i = 0; i < have; i++) {
        if (d[pay + i] !== patternByte(rel + i)) {
          misplaced++;
          break;
        }
      }
    });
    try {
      const fixture = fileURLToPath(new URL('./fixtures/pattern-transfer.ts', import.meta.url));
      const child = spawn(process.execPath, ['--import', 'tsx', fixture, String(p), String(BYTES)], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      await until(() => isn !== undefined, 10000);
      assert.notEqual(isn, undefined, 'the transfer started');
      const stallEnd = Date.now() + 1500;
      while (Date.now() < stallEnd); // the stall: no batch is taken meanwhile
      const code = await new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.once('exit', r)));
      assert.equal(code, 0);
      assert.match(out, new RegExp(`^done ${p}$`, 'm'));
      await until(() => captured >= BYTES && covered() >= BYTES, 20000);
      assert.equal(misplaced, 0, 'every packet holds the bytes sent at its sequence number');
      assert.equal(covered(), BYTES, 'every byte sent was captured');
      assert.equal(cap.stats().droppedKernel, 0);
    } finally {
      cap.close();
    }
  });

  it('on lo, the kernel leaves out the sent copy of each packet (Linux 4.20+); other interfaces keep theirs', (t) => {
    const [major = 0, minor = 0] = release().split('.').map(Number);
    if (major < 4 || (major === 4 && minor < 20)) return t.skip(`kernel ${release()} has no PACKET_IGNORE_OUTGOING`);
    const cap = openLive({ iface: 'lo', filter: 'tcp port 1' });
    try {
      assert.equal(cap.skipsSentCopies, true);
    } finally {
      cap.close();
    }
    const other = listInterfaces().find((i) => !i.loopback && i.up && i.name !== 'any');
    if (!other) return;
    const cap2 = openLive({ iface: other.name, filter: 'tcp port 1' });
    try {
      assert.equal(cap2.skipsSentCopies, false, `${other.name} keeps sent packets`);
    } finally {
      cap2.close();
    }
  });

  it('applies the p0f default filter when none is given', async () => {
    const cap = openLive({ iface: 'lo' });
    let syns = 0;
    cap.onPackets((rec) => {
      if (parseSyn(rec)?.dport === port) syns++;
    });
    try {
      await connectOnce(port);
      await until(() => syns > 0, 3000);
      assert.equal(syns, 1);
    } finally {
      cap.close();
    }
  });

  it('setFilter replaces the filter while capturing', async () => {
    const cap = openLive({ iface: 'lo', filter: 'tcp port 9' });
    let syns = 0;
    cap.onPackets((rec) => {
      if (parseSyn(rec)?.dport === port) syns++;
    });
    try {
      await connectOnce(port);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(syns, 0, 'filtered out');
      cap.setFilter(`tcp dst port ${port}`);
      await connectOnce(port);
      await until(() => syns > 0, 3000);
      assert.equal(syns, 1);
    } finally {
      cap.close();
    }
  });

  it('20 open/close cycles leave no descriptors behind; close is idempotent', async () => {
    // Warm up lazily created resources (addon, libuv threadpool) first.
    openLive({ iface: 'lo', filter: `tcp port ${port}` }).close();
    const before = fdCount();
    for (let i = 0; i < 20; i++) {
      const cap: LiveCapture = openLive({ iface: 'lo', filter: `tcp port ${port}` });
      cap.onPackets(() => {});
      if (i % 5 === 0) await connectOnce(port); // close with traffic in flight too
      assert.ok(fdCount() > before, 'an open capture holds descriptors');
      cap.close();
      cap.close();
      assert.equal(cap.closed, true);
      assert.equal(typeof cap.stats().received, 'number', 'stats still answer after close');
      assert.equal(fdCount(), before, `cycle ${i}: descriptors released at once`);
    }
  });

  it('lets the process exit after close', () => {
    const child = fileURLToPath(new URL('./fixtures/exit-after-close.ts', import.meta.url));
    const r = spawnSync(process.execPath, ['--import', 'tsx', child], { encoding: 'utf8', timeout: 15000 });
    assert.equal(r.error, undefined, 'child exited on its own before the timeout');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^seen [1-9]\d*$/m);
  });

  it('rejects a bad filter with PofError and libpcap\'s reason', () => {
    assert.throws(
      () => openLive({ iface: 'lo', filter: 'tcp port' }),
      (e: unknown) => e instanceof PofError && e.code === 'E_LIVE' && /bad filter expression 'tcp port': .*syntax/.test(e.message),
    );
    const cap = openLive({ iface: 'lo', filter: `tcp port ${port}` });
    try {
      assert.throws(
        () => cap.setFilter('host nosuch..name'),
        (e: unknown) => e instanceof PofError && e.code === 'E_LIVE' && /bad filter expression/.test(e.message),
      );
    } finally {
      cap.close();
    }
    assert.throws(() => cap.setFilter('tcp'), (e: unknown) => e instanceof PofError && /closed/.test(e.message));
  });

  it('rejects a missing interface and bad options with PofError', () => {
    assert.throws(
      () => openLive({ iface: 'pofnosuch0' }),
      (e: unknown) =>
        e instanceof PofError &&
        e.code === 'E_LIVE' &&
        /^no such capture device 'pofnosuch0' \(`pof -L` lists the interfaces\)$/.test(e.message),
    );
    assert.throws(() => openLive({ iface: '' }), (e: unknown) => e instanceof PofError && /interface name/.test(e.message));
    assert.throws(
      () => openLive({ iface: 'lo', snaplen: 0 }),
      (e: unknown) => e instanceof PofError && /snaplen must be an integer from 1/.test(e.message),
    );
    assert.throws(
      () => openLive({ iface: 'lo', timeoutMs: 1.5 }),
      (e: unknown) => e instanceof PofError && /timeoutMs/.test(e.message),
    );
  });

  it('says permission denied and what is needed when not privileged', (t) => {
    const child = fileURLToPath(new URL('./fixtures/open-lo.ts', import.meta.url));
    const r = spawnSync(process.execPath, ['--import', 'tsx', child], {
      encoding: 'utf8',
      timeout: 15000,
      uid: 65534,
      gid: 65534,
      cwd: fileURLToPath(new URL('../../', import.meta.url)),
      env: { ...process.env, HOME: '/tmp' },
    });
    const line = r.stdout?.trim().split('\n').pop() ?? '';
    if (r.status !== 0 || !line.startsWith('{')) {
      t.skip(`cannot run a child as nobody here: ${(r.stderr ?? '').split('\n')[0]}`);
      return;
    }
    const out = JSON.parse(line) as { ok: boolean; code?: string; message?: string };
    assert.equal(out.ok, false);
    assert.equal(out.code, 'E_LIVE');
    assert.match(out.message ?? '', /permission denied capturing on 'lo': live capture needs root or CAP_NET_RAW/);
  });
});
