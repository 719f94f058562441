/** The query server on a temp Unix socket, with real node clients. */
import assert from 'node:assert/strict';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import { after, test } from 'node:test';
import { ConnVerdicts } from '../../src/state/conn-verdicts.js';
import { PofApiServer } from '../../src/api/server.js';
import { decodeV2Response, decodeV2Status, encodeV2Query } from '../../src/api/v2.js';
import { decodeV3Response, encodeV3Query, V3_RESP_SIZE } from '../../src/api/v3.js';
import { PofError } from '../../src/errors.js';
import { linuxSyn, makeHost, makeLookup, tempSocketDir } from './helpers.js';
import { closedWithin, connect, readN, sleep, talk } from './net-helpers.js';

const tmp = tempSocketDir();
after(() => tmp.cleanup());

const T = { cli: '192.0.2.10', cliPort: 51000, srv: '198.51.100.1', srvPort: 80 };
const linux = makeHost({ lastOs: { id: 1, line: 1, generic: false, sys: [], cls: 'unix', name: 'Linux', flavor: '3.11 and newer' }, distance: 8 });
const conns = new ConnVerdicts(100);
conns.observe(linuxSyn(T));
const lookup = makeLookup([linux], conns);

const q3 = (a: string): Buffer => encodeV3Query(Uint8Array.from(a.split('.').map(Number)));
const status3 = (b: Buffer, i: number): string => {
  const d = decodeV3Response(b, i * V3_RESP_SIZE);
  return d.ok ? d.status : `error:${d.reason}`;
};

let seq = 0;
async function withServer<T>(opts: Partial<ConstructorParameters<typeof PofApiServer>[0]>, fn: (s: PofApiServer, path: string) => Promise<T>): Promise<T> {
  const path = tmp.path(`s${++seq}.sock`);
  const s = await PofApiServer.listen({ path, lookup, ...opts });
  try {
    return await fn(s, path);
  } finally {
    await s.close();
  }
}

test('options are validated', () => {
  const path = tmp.path('x.sock');
  for (const maxClients of [0, 101, 2.5]) assert.throws(() => new PofApiServer({ path, lookup, maxClients }), PofError);
  assert.throws(() => new PofApiServer({ path, lookup, maxPending: -1 }), PofError);
  assert.throws(() => new PofApiServer({ path: '', lookup }), PofError);
});

test('v3: pipelined queries answered in order on one connection', async () => {
  await withServer({}, async (_s, path) => {
    const qs: Buffer[] = [];
    const want: string[] = [];
    for (let i = 0; i < 300; i++) {
      if (i % 3 === 0) (qs.push(q3('192.0.2.10')), want.push('ok'));
      else if (i % 3 === 1) (qs.push(q3('10.0.0.1')), want.push('no match'));
      else (qs.push(Buffer.alloc(21, 0x55)), want.push('bad query'));
    }
    const { buf } = await talk(path, Buffer.concat(qs), 300 * V3_RESP_SIZE);
    assert.equal(buf.length, 300 * V3_RESP_SIZE);
    assert.deepEqual(want.map((_, i) => status3(buf, i)), want);
  });
});

test('queries split across writes byte by byte still work', async () => {
  await withServer({}, async (_s, path) => {
    const s = await connect(path);
    const q = Buffer.concat([q3('192.0.2.10'), Buffer.from('{"addr":"192.0.2.10"}\n')]);
    for (const b of q) {
      s.write(Buffer.from([b]));
      await sleep(1);
    }
    const a = await readN(s, V3_RESP_SIZE);
    assert.equal(status3(a, 0), 'ok');
    const line = await readN(s, 10);
    s.destroy();
    assert.ok(line.toString().startsWith('{"status":'));
  });
});

test('v3, JSON and v2 recognised per query on one connection', async () => {
  await withServer({ v2KeepAlive: true }, async (_s, path) => {
    const v2 = encodeV2Query({ type: 'fingerprint', id: 9, src: T.cli, srcPort: T.cliPort, dst: T.srv, dstPort: T.srvPort });
    const json = '{"id":1,"cli":"192.0.2.10","cli_port":51000,"srv":"198.51.100.1","srv_port":80}\n';
    const s = await connect(path);
    s.write(Buffer.concat([q3('192.0.2.10'), Buffer.from(json), v2, q3('10.1.1.1')]));
    assert.equal(status3(await readN(s, 232), 0), 'ok');
    const parts: Buffer[] = [];
    for (;;) {
      const b = await readN(s, 1);
      parts.push(b);
      if (b[0] === 0x0a) break;
    }
    const j = JSON.parse(Buffer.concat(parts).toString());
    assert.equal(j.id, 1);
    assert.equal(j.conn.client.tcp.label, 'Linux 3.11 and newer');
    const r2 = decodeV2Response(await readN(s, 144));
    assert.ok(r2.ok && r2.type === 'ok' && r2.info.genre === 'Linux' && r2.id === 9);
    assert.equal(status3(await readN(s, 232), 0), 'no match');
    s.destroy();
  });
});

test('v2: answered, then closed as p0f 2 does; status query', async () => {
  await withServer({}, async (s, path) => {
    const q = encodeV2Query({ type: 'fingerprint', id: 0x12345678, src: T.cli, srcPort: T.cliPort, dst: T.srv, dstPort: T.srvPort });
    const r = await talk(path, q);
    assert.equal(r.closed, true);
    assert.equal(r.buf.length, 144);
    const d = decodeV2Response(r.buf);
    assert.ok(d.ok && d.type === 'ok' && d.info.genre === 'Linux' && d.info.detail === '3.11 and newer' && d.info.dist === 8);
    const st = await talk(path, encodeV2Query({ type: 'status', id: 5, src: '0.0.0.0', srcPort: 0, dst: '0.0.0.0', dstPort: 0 }));
    const ds = decodeV2Status(st.buf);
    assert.ok(ds.ok && ds.id === 5 && ds.version === 'pof 0.1.0' && ds.packets === 42 && ds.queries === 2 && ds.mode === 'S');
    assert.equal(s.stats.queries.v2, 2);
  });
});

test('200 concurrent clients with -S 20: all served, never more than 20 at once', async () => {
  let maxActive = 0;
  let srv: PofApiServer | null = null;
  const counting = { ...lookup, host: (a: string) => ((maxActive = Math.max(maxActive, srv!.stats.active)), lookup.host(a)) };
  const path = tmp.path('many.sock');
  srv = await PofApiServer.listen({ path, lookup: counting, maxClients: 20 });
  try {
    const results = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const s = await connect(path);
        s.write(q3(i % 2 ? '192.0.2.10' : '10.0.0.1'));
        const a = await readN(s, 232, 10000);
        await sleep(5); // hold the slot a little
        s.destroy();
        return status3(a, 0) === (i % 2 ? 'ok' : 'no match');
      }),
    );
    assert.equal(results.filter(Boolean).length, 200);
    assert.ok(maxActive <= 20, `max active ${maxActive}`);
    assert.ok(maxActive >= 2);
    assert.equal(srv.stats.accepted, 200);
    assert.equal(srv.stats.refused, 0);
  } finally {
    await srv.close();
  }
});

test('a client beyond the limit waits for a free slot', async () => {
  await withServer({ maxClients: 1 }, async (s, path) => {
    const a = await connect(path);
    a.write(q3('192.0.2.10'));
    await readN(a, 232);
    const b = await connect(path);
    b.write(q3('192.0.2.10'));
    await sleep(100);
    assert.equal(s.stats.pending, 1);
    const late = readN(b, 232, 3000);
    a.destroy();
    assert.equal(status3(await late, 0), 'ok');
    b.destroy();
  });
});

test('the waiting queue is bounded; extra connections are closed', async () => {
  await withServer({ maxClients: 1, maxPending: 2 }, async (s, path) => {
    const held = await connect(path);
    const waiting = [await connect(path), await connect(path)];
    const extra = await connect(path);
    assert.equal(await closedWithin(extra, 2000), true);
    assert.equal(s.stats.refused, 1);
    assert.equal(s.status().clients.closed.refused, 1);
    for (const w of [held, ...waiting]) w.destroy();
  });
});

test('garbage, oversized and slow clients do not affect others', async () => {
  await withServer({ queryTimeoutMs: 300, maxJsonLine: 256 }, async (s, path) => {
    // Slow: half a query, then nothing.
    const slow = await connect(path);
    slow.write(q3('192.0.2.10').subarray(0, 10));
    // Oversized JSON line.
    const big = talk(path, '{"addr":"' + 'x'.repeat(1000));
    // Random garbage: answered as bad p0f 3 queries.
    const garbage = talk(path, Buffer.alloc(21 * 5, 0x99), 21 * 0 + 5 * 232);
    // A good client meanwhile, answered at once.
    const t0 = Date.now();
    const good = await talk(path, Buffer.concat([q3('192.0.2.10'), q3('192.0.2.10')]), 464);
    assert.ok(Date.now() - t0 < 250, 'good client waited');
    assert.equal(status3(good.buf, 1), 'ok');
    const g = await garbage;
    assert.deepEqual([0, 1, 2, 3, 4].map((i) => status3(g.buf, i)), Array(5).fill('bad query'));
    const b = await big;
    assert.equal(b.closed, true);
    assert.match(b.buf.toString(), /"status":"bad query".*longer than 256/);
    assert.equal(await closedWithin(slow, 2000), true);
    // Each close counted by why: the long line, the slow query.
    assert.equal(s.stats.longLines, 1);
    assert.equal(s.stats.queryTimeouts, 1);
    assert.equal(s.stats.timedOut, 2);
    // Incomplete JSON gets an error line before the close.
    const partial = await talk(path, '{"addr":"1.2.3.4"');
    assert.match(partial.buf.toString(), /not completed in time/);
    assert.equal(s.stats.queryTimeouts, 2);
    assert.deepEqual(s.status().clients.closed, { refused: 0, evicted: 0, pending_timeout: 0, query_timeout: 2, idle_timeout: 0, long_line: 1 });
    assert.equal(s.stats.idleTimeouts + s.stats.pendingTimeouts, 0);
  });
});

test('a client that never reads is paused, not buffered without bound', async () => {
  await withServer({ maxOutput: 64 * 1024, idleTimeoutMs: 500 }, async (srv, path) => {
    const hog = await connect(path);
    hog.pause();
    const chunk = Buffer.concat(Array.from({ length: 2000 }, () => q3('192.0.2.10')));
    let writes = 0;
    const pump = (): void => {
      while (writes < 200 && hog.write(chunk)) writes++;
    };
    hog.on('drain', () => {
      writes++;
      pump();
    });
    hog.on('error', () => undefined);
    pump();
    await sleep(200);
    // 200 * 2000 queries would be ~93 MB of answers; the server stopped reading long before.
    assert.ok(writes < 200, `server kept reading (${writes} writes)`);
    const good = await talk(path, q3('192.0.2.10'), 232);
    assert.equal(status3(good.buf, 0), 'ok');
    // No progress for longer than the idle timeout: dropped by the server.
    for (let i = 0; i < 60 && srv.stats.timedOut === 0; i++) await sleep(50);
    assert.equal(srv.stats.idleTimeouts, 1);
    assert.equal(srv.stats.timedOut, 1);
    // The slot is given back when the dropped socket's 'close' comes (a tick or so later).
    for (let i = 0; i < 20 && srv.stats.active !== 0; i++) await sleep(10);
    assert.equal(srv.stats.active, 0);
    hog.destroy();
  });
});

/** A client that asks every `everyMs` and checks each answer, until stopped. */
function busyClient(s: net.Socket, everyMs: number): { stop(): Promise<number> } {
  let running = true;
  const loop = (async () => {
    let n = 0;
    while (running) {
      s.write(q3('192.0.2.10'));
      assert.equal(status3(await readN(s, V3_RESP_SIZE, 3000), 0), 'ok');
      n++;
      await sleep(everyMs);
    }
    return n;
  })();
  return {
    stop: async () => {
      running = false;
      return loop;
    },
  };
}

test('20 idle clients hold every slot (-S 20): a 21st is answered within 2 s, one warning logged', async () => {
  const warnings: string[] = [];
  await withServer({ maxClients: 20, onWarning: (m) => warnings.push(m) }, async (srv, path) => {
    const idle: net.Socket[] = [];
    for (let i = 0; i < 20; i++) {
      const c = await connect(path);
      c.write('{"op":"status"}\n');
      await readN(c, 10);
      idle.push(c);
    }
    assert.equal(srv.stats.active, 20);
    const newcomers: net.Socket[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      const n = await connect(path);
      n.write(q3('192.0.2.10'));
      assert.equal(status3(await readN(n, V3_RESP_SIZE, 2000), 0), 'ok');
      assert.ok(performance.now() - t0 < 2000, `answered after ${Math.round(performance.now() - t0)} ms`);
      newcomers.push(n);
    }
    const closed = await Promise.all(idle.map((c) => closedWithin(c, 300)));
    assert.equal(closed.filter(Boolean).length, 3, 'one idle client closed per newcomer');
    assert.equal(srv.stats.evicted, 3);
    assert.equal(srv.stats.active, 20);
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0]!, /^too many API connections: all 20 slots taken; closed one idle for \d+\.\d s to serve a waiting one/);
    for (const c of [...idle, ...newcomers]) c.destroy();
  });
});

test('a client that keeps asking keeps its slot; the idle ones give theirs up', async () => {
  await withServer({ maxClients: 2 }, async (srv, path) => {
    const b = await connect(path);
    const busy = busyClient(b, 100);
    const idle = await connect(path);
    idle.write(q3('192.0.2.10'));
    await readN(idle, V3_RESP_SIZE);
    await sleep(1200);
    const n1 = await connect(path);
    n1.write(q3('192.0.2.10'));
    assert.equal(status3(await readN(n1, V3_RESP_SIZE, 2000), 0), 'ok');
    assert.equal(await closedWithin(idle, 500), true, 'the idle client gave its slot up');
    // Now the newcomer is the idle one.
    await sleep(1200);
    const n2 = await connect(path);
    n2.write(q3('192.0.2.10'));
    assert.equal(status3(await readN(n2, V3_RESP_SIZE, 2000), 0), 'ok');
    assert.equal(await closedWithin(n1, 500), true);
    const asked = await busy.stop();
    assert.ok(asked >= 15, `the busy client was answered ${asked} times`);
    assert.equal(b.destroyed, false, 'the busy client kept its slot');
    assert.equal(srv.stats.evicted, 2);
    for (const c of [b, n2]) c.destroy();
  });
});

test('with every slot busy, a newcomer waits and is closed after the pending timeout; nobody busy is closed', async () => {
  await withServer({ maxClients: 1, pendingTimeoutMs: 1500 }, async (srv, path) => {
    const b = await connect(path);
    const busy = busyClient(b, 100);
    const n = await connect(path);
    n.write(q3('192.0.2.10'));
    let got = 0;
    n.on('data', (d: Buffer) => (got += d.length));
    assert.equal(await closedWithin(n, 3000), true);
    assert.equal(got, 0);
    await busy.stop();
    assert.equal(b.destroyed, false);
    assert.equal(srv.stats.evicted, 0);
    assert.equal(srv.stats.pendingTimeouts, 1);
    assert.equal(srv.stats.timedOut, 1);
    assert.equal(srv.status().clients.closed.pending_timeout, 1);
    b.destroy();
  });
});

test('a watching client, idle by design, gives its slot up only after the plain idle ones', async () => {
  await withServer({ maxClients: 2, evictIdleMs: 200 }, async (srv, path) => {
    const w = await connect(path);
    w.write('{"op":"watch","srv_port":80}\n');
    await readN(w, 10);
    const p = await connect(path);
    p.write(q3('192.0.2.10'));
    await readN(p, V3_RESP_SIZE);
    await sleep(300);
    const n1 = await connect(path);
    n1.write(q3('192.0.2.10'));
    await readN(n1, V3_RESP_SIZE, 2000);
    assert.equal(await closedWithin(p, 500), true, 'the plain client went first');
    assert.equal(w.destroyed, false);
    await sleep(300);
    const n2 = await connect(path);
    n2.write(q3('192.0.2.10'));
    await readN(n2, V3_RESP_SIZE, 2000);
    assert.equal(await closedWithin(n1, 500), true, 'the plain newcomer, idle now, before the watcher');
    assert.equal(w.destroyed, false);
    assert.equal(srv.stats.evicted, 2);
    for (const c of [w, n2]) c.destroy();
  });
});

test('idle connections are closed after the idle timeout', async () => {
  await withServer({ idleTimeoutMs: 200 }, async (_s, path) => {
    const s = await connect(path);
    s.write(q3('192.0.2.10'));
    await readN(s, 232);
    assert.equal(await closedWithin(s, 2000), true);
  });
});

test('socket file: stale replaced, live refused, non-socket refused, mode and group set, removed on close', async () => {
  const path = tmp.path('life.sock');
  // A stale socket file, as a crashed daemon leaves it: bound, nobody listening.
  // (Node removes its socket file on close, so keep a copy made while it was live.)
  const old = net.createServer();
  await new Promise<void>((r) => old.listen(path, r));
  execFileSync('cp', ['-a', path, path + '.keep']);
  await new Promise<void>((r) => old.close(() => r()));
  execFileSync('mv', [path + '.keep', path]);
  assert.ok(statSync(path).isSocket());

  const gid = process.getgid!();
  const s = await PofApiServer.listen({ path, lookup, mode: 0o660, group: gid });
  try {
    const st = statSync(path);
    assert.equal(st.mode & 0o777, 0o660);
    assert.equal(st.gid, gid);
    await assert.rejects(PofApiServer.listen({ path, lookup }), (e: PofError) => e.code === 'E_API' && /in use/.test(e.message));
    const open = await connect(path);
    await s.close();
    assert.equal(await closedWithin(open, 1000), true);
  } finally {
    await s.close();
  }
  assert.equal(existsSync(path), false);
  const file = tmp.path('plain');
  writeFileSync(file, 'keep me');
  await assert.rejects(PofApiServer.listen({ path: file, lookup }), (e: PofError) => e.code === 'E_API' && /not a socket/.test(e.message));
  assert.ok(existsSync(file));
});

test('random byte streams never break the server', async () => {
  const fc = (await import('fast-check')).default;
  await withServer({ queryTimeoutMs: 100, maxJsonLine: 128 }, async (s, path) => {
    const samples = fc.sample(fc.uint8Array({ minLength: 1, maxLength: 2000 }), 60);
    samples.push(Uint8Array.from(Buffer.from('{"addr":"1.2.3.4"}\n{{{{\n\u00ff\n{"cli":1}\n')));
    await Promise.all(samples.map((b) => talk(path, Buffer.from(b), Infinity, 5000).catch(() => null)));
    const good = await talk(path, q3('192.0.2.10'), 232);
    assert.equal(status3(good.buf, 0), 'ok');
    for (let i = 0; i < 40 && s.stats.active; i++) await sleep(25);
    assert.equal(s.stats.active, 0);
  });
});
