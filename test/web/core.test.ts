// The middleware core: option validation, 4-tuples, timeouts against a
// silent or restarting daemon, field selection, waiting, and a live sensor
// on loopback (root only).
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { describe, it } from 'node:test';

import { engineLookup } from '../../src/api/lookup.js';
import { ConnVerdicts } from '../../src/state/conn-verdicts.js';
import { PofApiServer } from '../../src/api/server.js';
import { addonAvailable, openLive } from '../../src/capture/live.js';
import { connTuple, createPofCore, type PofOptions } from '../../src/web/core.js';
import { withPof } from '../../src/web/node-http.js';
import { DaemonSource } from '../../src/web/sources.js';
import { errorResult, POF_VAR_NAMES, resultFor, resultShape, type PofResult } from '../../src/web/result.js';
import { linuxSyn, makeHost, makeLookup } from '../api/helpers.js';
import { cannedLookup, makeEngine, request, tempDir } from './helpers.js';

async function serve(opts: PofOptions | ReturnType<typeof createPofCore>, host = '127.0.0.1', before?: (s: net.Socket) => void, attach = false) {
  const listener = withPof((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(req.pof));
  }, opts);
  const server = http.createServer(listener);
  if (before) server.prependListener('connection', before);
  if (attach) listener.attach(server);
  await new Promise<void>((r) => server.listen(0, host, r));
  const port = (server.address() as net.AddressInfo).port;
  const h = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${h}:${port}/`,
    core: listener.core,
    async get(): Promise<{ pof: PofResult; ms: number }> {
      const r = await request(`http://${h}:${port}/`, { agent: false });
      return { pof: JSON.parse(r.body) as PofResult, ms: r.ms };
    },
    async close() {
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
      await listener.core.close();
    },
  };
}

describe('options are checked at construction', () => {
  const bad: Array<[string, PofOptions, RegExp]> = [
    ['two sources', { socket: '/x', lookup: cannedLookup() }, /give one of/],
    ['empty socket path', { socket: '' }, /socket must be/],
    ['engine without conns', { engine: makeEngine().engine }, /engine needs conns/],
    ['conns without engine', { lookup: cannedLookup(), conns: makeEngine().conns }, /conns given without engine/],
    ['timeout 0', { socket: '/x', timeoutMs: 0 }, /timeoutMs must be an integer in 1\.\.60000/],
    ['timeout fractional', { socket: '/x', timeoutMs: 2.5 }, /timeoutMs/],
    ['timeout too long', { socket: '/x', timeoutMs: 600_000 }, /timeoutMs/],
    ['bad waitFor', { socket: '/x', waitFor: 'tcp' as never }, /waitFor must be/],
    ['unknown field', { socket: '/x', fields: ['pof_genre', 'pof_shoesize' as never] }, /fields must list/],
    ['bad retryMs', { socket: '/x', retryMs: 0 }, /retryMs/],
    ['bad savedSyn', { socket: '/x', savedSyn: 'yes' as never }, /savedSyn must be/],
    ['bad watch', { socket: '/x', watch: 1 as never }, /watch must be true or false/],
  ];
  for (const [name, opts, re] of bad) {
    it(name, () => {
      assert.throws(() => createPofCore(opts), (e: Error & { code?: string }) => e.code === 'E_CONFIG' && re.test(e.message));
    });
  }
  it('good options resolve with defaults (20 ms, wait for the SYN)', async () => {
    const c = createPofCore({ socket: '/nonexistent.sock' });
    assert.equal(c.options.timeoutMs, 20);
    assert.equal(c.options.waitFor, 'syn');
    assert.equal(c.options.fields.length, 12);
    await c.close();
  });
});

describe('connTuple', () => {
  const sock = (ra: string, rp: number, la: string, lp: number): net.Socket =>
    ({ remoteAddress: ra, remotePort: rp, localAddress: la, localPort: lp }) as unknown as net.Socket;
  it('IPv4', () => assert.deepEqual(connTuple(sock('192.0.2.1', 5000, '198.51.100.2', 80)), { ipVer: 4, cli: '192.0.2.1', cliPort: 5000, srv: '198.51.100.2', srvPort: 80 }));
  it('IPv4-mapped IPv6 (a dual-stack listener) is IPv4', () =>
    assert.deepEqual(connTuple(sock('::ffff:192.0.2.1', 5000, '::ffff:198.51.100.2', 80)), { ipVer: 4, cli: '192.0.2.1', cliPort: 5000, srv: '198.51.100.2', srvPort: 80 }));
  it("IPv6 in pof's canonical text", () =>
    assert.deepEqual(connTuple(sock('2001:db8::1', 5000, '::1', 443)), { ipVer: 6, cli: '2001:db8:0:0:0:0:0:1', cliPort: 5000, srv: '0:0:0:0:0:0:0:1', srvPort: 443 }));
  it('a closed socket has none', () => assert.equal(connTuple({} as net.Socket), null));
});

describe('resultFor: one result made for many connections', () => {
  const made = errorResult({ ipVer: 4, cli: '192.0.2.1', cliPort: 5000, srv: '198.51.100.2', srvPort: 80 }, 'no verdict within 20 ms', ['daemon']);
  const other = { ipVer: 4 as const, cli: '192.0.2.1', cliPort: 5001, srv: '198.51.100.2', srvPort: 80 };
  it('a copy with its own conn, vars and via; the rest the same', () => {
    const a = resultFor(made, other);
    assert.equal(a.conn, other);
    assert.deepEqual({ ...a, conn: null }, { ...made, conn: null });
    a.vars.pof_genre = 'changed';
    a.via.push('engine');
    assert.equal(made.vars.pof_genre, '');
    assert.deepEqual(made.via, ['daemon']);
  });
  it('copies (and copies of copies) know their shape; other results are their own', () => {
    const a = resultFor(made, other);
    assert.equal(resultShape(a), made);
    assert.equal(resultShape(resultFor(a, other)), made);
    assert.equal(resultShape(made), made);
  });
});

describe('the connection cache', () => {
  const sock = (): net.Socket => ({ remoteAddress: '192.0.2.1', remotePort: 5000, localAddress: '198.51.100.2', localPort: 80 }) as net.Socket;

  it('each core keeps its own entry on a socket, and asks once per connection', () => {
    const genreOnly = createPofCore({ lookup: cannedLookup(), fields: ['pof_genre'] });
    const every = createPofCore({ lookup: cannedLookup() });
    const s = sock();
    const a = genreOnly.get(s) as PofResult;
    const b = every.get(s) as PofResult;
    assert.deepEqual(Object.keys(a.vars), ['pof_genre']);
    assert.equal(Object.keys(b.vars).length, POF_VAR_NAMES.length);
    assert.equal(genreOnly.peek(s), a);
    assert.equal(every.peek(s), b);
    assert.equal(genreOnly.get(s), a, 'the cached result, not a new lookup');
    assert.deepEqual([genreOnly.stats.lookups, genreOnly.stats.cached, every.stats.lookups], [1, 1, 1]);
    // A new connection (socket) is looked up anew; nothing shows on the socket's own keys.
    const t = sock();
    assert.equal(genreOnly.peek(t), undefined);
    assert.notEqual(genreOnly.get(t), a);
    assert.deepEqual(Object.keys(s), ['remoteAddress', 'remotePort', 'localAddress', 'localPort']);
  });
});

describe('the core against real sockets', () => {
  it('IPv6 connections are asked about in canonical form', async () => {
    const lookup = cannedLookup();
    const asked: string[] = [];
    const conn = lookup.connection;
    lookup.connection = (c, cp, s, sp) => {
      asked.push(`${c}/${cp}>${s}/${sp}`);
      return conn(c, cp, s, sp);
    };
    const app = await serve({ lookup }, '::1');
    try {
      const { pof } = await app.get();
      assert.equal(pof.conn?.ipVer, 6);
      assert.equal(pof.conn?.cli, '0:0:0:0:0:0:0:1');
      assert.match(asked[0]!, /^0:0:0:0:0:0:0:1\/\d+>0:0:0:0:0:0:0:1\/\d+$/);
      assert.equal(pof.vars.pof_genre, 'Windows');
    } finally {
      await app.close();
    }
  });

  it('a silent daemon: the request goes on after the timeout', async () => {
    const dir = tempDir();
    const held: net.Socket[] = [];
    const silent = net.createServer((s) => held.push(s)); // reads, never answers
    await new Promise<void>((r) => silent.listen(dir.path('slow.sock'), r));
    const app = await serve({ socket: dir.path('slow.sock'), timeoutMs: 20 });
    try {
      for (let i = 0; i < 3; i++) {
        const { pof, ms } = await app.get();
        assert.equal(pof.found, false);
        assert.equal(pof.vars.pof_err, 'pof did not answer within 20 ms');
        assert.ok(ms < 300, `took ${ms} ms`);
      }
    } finally {
      await app.close();
      for (const s of held) s.destroy();
      silent.close();
      dir.cleanup();
    }
  });

  it('a restarting daemon: errors while it is gone, answers again once it is back', async () => {
    const dir = tempDir();
    const path = dir.path('pof.sock');
    const lookup = cannedLookup();
    let server = await PofApiServer.listen({ path, lookup });
    const app = await serve({ socket: path, timeoutMs: 50 });
    try {
      assert.equal((await app.get()).pof.vars.pof_genre, 'Windows');
      await server.close();
      const down = await app.get();
      assert.equal(down.pof.found, false);
      assert.match(down.pof.vars.pof_err, /ENOENT|ECONNREFUSED|ECONNRESET|did not answer/);
      assert.ok(down.ms < 500);
      server = await PofApiServer.listen({ path, lookup });
      let back: PofResult | null = null;
      for (let i = 0; i < 200 && back?.vars.pof_genre !== 'Windows'; i++) {
        back = (await app.get()).pof;
        if (back.vars.pof_genre !== 'Windows') await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(back?.vars.pof_genre, 'Windows');
    } finally {
      await app.close();
      await server.close();
      dir.cleanup();
    }
  });

  it('fields limits the mod_pof variables exposed', async () => {
    const app = await serve({ lookup: cannedLookup(), fields: ['pof_genre', 'pof_err'] });
    try {
      const { pof } = await app.get();
      assert.deepEqual(pof.vars, { pof_genre: 'Windows', pof_err: '' });
      assert.equal(pof.os?.name, 'Windows');
    } finally {
      await app.close();
    }
  });

  it('fields: a name given twice does not hide that another is left out', async () => {
    const fields = POF_VAR_NAMES.filter((k) => k !== 'pof_err');
    const app = await serve({ lookup: cannedLookup(), fields: [...fields, 'pof_genre'] });
    try {
      const { pof } = await app.get();
      assert.deepEqual(Object.keys(pof.vars).sort(), [...fields].sort());
    } finally {
      await app.close();
    }
  });

  it("waitFor 'none' takes the first answer; 'syn' waits for the connection's SYN", async () => {
    for (const waitFor of ['none', 'syn'] as const) {
      const sys = makeEngine();
      const app = await serve({ engine: sys.engine, conns: sys.conns, waitFor, timeoutMs: 300 }, '127.0.0.1', (s) => {
        const t = { ipVer: 4 as const, cli: '127.0.0.1', cliPort: s.remotePort!, srv: '127.0.0.1', srvPort: s.localPort! };
        setTimeout(() => sys.feedSyn(t), 40);
      });
      try {
        const { pof } = await app.get();
        if (waitFor === 'none') {
          assert.equal(pof.vars.pof_type, '2');
          assert.equal(pof.found, false);
        } else {
          assert.equal(pof.vars.pof_genre, 'Linux');
        }
      } finally {
        await app.close();
      }
    }
  });

  it('in-process engine: a request before its SYN waits to be told of it, with no questions in between, and gets the whole packet (MTU too)', async () => {
    const sys = makeEngine();
    let fedAt = 0;
    // retryMs 1: a lookup that polled would ask dozens of times in 60 ms.
    const app = await serve({ engine: sys.engine, conns: sys.conns, timeoutMs: 1000, retryMs: 1 }, '127.0.0.1', (s) => {
      setTimeout(() => {
        fedAt = performance.now();
        sys.feedSyn({ ipVer: 4, cli: '127.0.0.1', cliPort: s.remotePort!, srv: '127.0.0.1', srvPort: s.localPort! });
      }, 60);
    });
    try {
      const { pof } = await app.get();
      const answeredAfter = performance.now() - fedAt;
      assert.equal(pof.vars.pof_genre, 'Linux');
      assert.equal(pof.mtu, 1500);
      assert.equal(pof.vars.pof_link, 'Ethernet');
      assert.equal(app.core.stats.asked, 1, 'asked once (when the request came), then told');
      assert.equal(app.core.stats.toldLate, 1);
      assert.ok(answeredAfter < 500, `answered ${answeredAfter.toFixed(1)} ms after the SYN`);
    } finally {
      await app.close();
    }
  });

  it('one lookup serves pipelined requests that arrive while it runs', async () => {
    const sys = makeEngine();
    let sock: net.Socket | null = null;
    const app = await serve({ engine: sys.engine, conns: sys.conns, timeoutMs: 500 }, '127.0.0.1', (s) => {
      sock = s;
      setTimeout(() => sys.feedSyn({ ipVer: 4, cli: '127.0.0.1', cliPort: s.remotePort!, srv: '127.0.0.1', srvPort: s.localPort! }), 30);
    });
    try {
      const port = Number(new URL(app.url).port);
      const raw = net.connect(port, '127.0.0.1');
      await new Promise((r) => raw.once('connect', r));
      let text = '';
      raw.on('data', (d) => (text += d.toString()));
      raw.write('GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      await new Promise((r) => raw.once('close', r));
      assert.equal(text.match(/"pof_genre":"Linux"/g)?.length, 3);
      assert.equal(app.core.stats.lookups, 1);
      assert.ok(sock);
    } finally {
      await app.close();
    }
  });
});

const isRoot = process.getuid?.() === 0;
const liveSkip = !addonAvailable() ? 'native addon not built' : !isRoot ? 'needs root for live capture' : false;

describe('a live sensor on loopback (root)', { skip: liveSkip }, () => {
  it("fingerprints the real connection's SYN and its HTTP request", async () => {
    const sys = makeEngine();
    const app = await serve({ engine: sys.engine, conns: sys.conns, waitFor: 'http', timeoutMs: 2000 });
    const port = Number(new URL(app.url).port);
    const cap = openLive({ iface: 'lo', filter: `tcp port ${port}`, timeoutMs: 1 });
    cap.onPackets((rec) => sys.engine.handle(rec));
    try {
      await new Promise((r) => setTimeout(r, 100));
      const { pof } = await app.get();
      assert.equal(pof.vars.pof_genre, 'Linux');
      assert.equal(pof.vars.pof_details, '(loopback)');
      assert.equal(pof.vars.pof_distance, '0');
      assert.equal(pof.mtu, 65535);
      assert.match(pof.rawSig ?? '', /^4:64\+0:0:65495:/);
      assert.deepEqual(pof.via, ['engine']);
      // The HTTP request was seen too (waitFor 'http').
      const v = sys.conns.get(pof.conn!.cli, pof.conn!.cliPort, pof.conn!.srv, pof.conn!.srvPort);
      assert.ok(v?.client.http, 'HTTP verdict recorded');
    } finally {
      cap.close();
      await app.close();
    }
  });
});

describe('a watched port: the daemon tells, the core does not ask', () => {
  const T = (s: net.Socket) => ({ cli: '127.0.0.1', cliPort: s.remotePort!, srv: '127.0.0.1', srvPort: s.localPort! });

  /**
   * A daemon (API server on a ConnVerdicts) that "sees" each SYN as the app
   * accepts the connection, and tells about it while `tell()` says so.
   */
  async function toldApp(opts: PofOptions, tell: () => boolean = () => true, attach = false) {
    const dir = tempDir();
    const path = dir.path('pof.sock');
    const conns = new ConnVerdicts(1000);
    const api = await PofApiServer.listen({ path, lookup: makeLookup([makeHost({ addr: '127.0.0.1' })], conns) });
    const app = await serve(
      { socket: path, ...opts },
      '127.0.0.1',
      (s) => {
        const v = conns.observe(linuxSyn(T(s)));
        if (tell()) api.notify(v);
      },
      attach,
    );
    return {
      api,
      app,
      async close() {
        await app.close();
        await api.close();
        dir.cleanup();
      },
    };
  }

  it('connections the daemon tells about are answered without a question', async () => {
    const { api, app, close } = await toldApp({ timeoutMs: 2000 });
    try {
      // The first connection asks (and starts the watch); later ones are told.
      assert.equal((await app.get()).pof.vars.pof_genre, 'Linux');
      const askedFirst = app.core.stats.asked;
      for (let i = 0; i < 20; i++) {
        const { pof } = await app.get();
        assert.equal(pof.vars.pof_genre, 'Linux');
        assert.equal(pof.vars.pof_details, '3.11 and newer');
        assert.deepEqual(pof.via, ['daemon']);
        assert.equal(pof.err, null);
      }
      assert.equal(app.core.stats.asked, askedFirst, 'no question after the first connection');
      assert.equal(app.core.stats.lookups, 21);
      const { told, toldLate } = app.core.stats;
      assert.ok(told + toldLate >= 20, `told before or while waiting: ${told} + ${toldLate}`);
      assert.ok(api.stats.events >= 20);
    } finally {
      await close();
    }
  });

  it('an attached server is watched from the start: its first connection is told too', async () => {
    const { api, app, close } = await toldApp({ timeoutMs: 2000 }, () => true, true);
    try {
      const end = Date.now() + 2000;
      while (api.status().watch.clients === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
      assert.equal(api.status().watch.clients, 1, 'watching before any connection');
      assert.equal((await app.get()).pof.vars.pof_genre, 'Linux');
      assert.equal(app.core.stats.asked, 0);
      assert.equal(app.core.stats.told + app.core.stats.toldLate, 1);
      assert.equal(api.status().watch.events, 1);
    } finally {
      await close();
    }
  });

  it('watch: false asks about every connection', async () => {
    const { api, app, close } = await toldApp({ timeoutMs: 2000, watch: false });
    try {
      for (let i = 0; i < 5; i++) assert.equal((await app.get()).pof.vars.pof_genre, 'Linux');
      assert.equal(app.core.stats.asked, 5);
      assert.equal(app.core.stats.told + app.core.stats.toldLate, 0);
      assert.equal(api.stats.events, 0);
    } finally {
      await close();
    }
  });

  it('a connection the daemon never tells about is still asked about, before the timeout', async () => {
    let tell = true;
    const { app, close } = await toldApp({ timeoutMs: 200 }, () => tell);
    try {
      await app.get();
      await app.get(); // watched by now
      tell = false;
      const asked = app.core.stats.asked;
      const { pof, ms } = await app.get();
      assert.equal(pof.vars.pof_genre, 'Linux');
      assert.equal(pof.err, null);
      assert.ok(app.core.stats.asked > asked, 'asked');
      assert.ok(ms >= 140 && ms < 1000, `answered after waiting to be told (${ms} ms)`);
    } finally {
      await close();
    }
  });
});

describe('DaemonSource', () => {
  it('a daemon that refuses to watch (an older pof) is not asked to again, and is asked about connections', async () => {
    const dir = tempDir();
    const path = dir.path('old.sock');
    const got: string[] = [];
    const old = net.createServer((sock) => {
      let pending = '';
      sock.on('data', (d) => {
        pending += d.toString();
        const lines = pending.split('\n');
        pending = lines.pop()!;
        for (const l of lines) got.push(l);
        sock.write(lines.map((l) => (l.includes('"watch"') ? '{"status":"bad query","error":"\\"op\\" must be \\"host\\", \\"conn\\" or \\"status\\""}\n' : '{"status":"no match"}\n')).join(''));
      });
    });
    await new Promise<void>((r) => old.listen(path, r));
    const src = new DaemonSource({ path });
    const t = { ipVer: 4 as const, cli: '192.0.2.1', cliPort: 1000, srv: '192.0.2.2', srvPort: 80 };
    try {
      src.watchPort(80);
      assert.equal(await src.ask(t, 1000), null);
      src.watchPort(80);
      assert.equal(await src.ask(t, 1000), null);
      assert.equal(src.watching(80), false);
      assert.deepEqual(
        got.filter((l) => l.includes('"watch"')).map((l) => JSON.parse(l)),
        [{ op: 'watch', srv_port: 80, until: 'syn' }],
        'asked to watch once, until the SYN is known (the default waitFor)',
      );
    } finally {
      await src.close();
      old.close();
      dir.cleanup();
    }
  });

  it('hands over what it was told once, and not after pushedTtlMs (a reused 4-tuple)', async () => {
    const dir = tempDir();
    const path = dir.path('pof.sock');
    const conns = new ConnVerdicts(100);
    const api = await PofApiServer.listen({ path, lookup: makeLookup([], conns) });
    const src = new DaemonSource({ path, pushedTtlMs: 100 });
    const t = { ipVer: 4 as const, cli: '192.0.2.1', cliPort: 1000, srv: '192.0.2.2', srvPort: 80 };
    const tuple = { cli: t.cli, cliPort: t.cliPort, srv: t.srv, srvPort: t.srvPort };
    try {
      src.watchPort(80);
      const until = Date.now() + 2000;
      while (!src.watching(80) && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
      assert.ok(src.watching(80));
      api.notify(conns.observe(linuxSyn(tuple)));
      const told = await src.awaitPush(t, 1000);
      assert.equal(told?.conn?.client.tcp?.match?.name, 'Linux');
      assert.equal(src.take(t), null, 'a waiter got it: nothing left to take');
      api.notify(conns.observe(linuxSyn({ ...tuple, cliPort: 1001 })));
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(src.take({ ...t, cliPort: 1001 })?.conn?.cli.port, 1001);
      assert.equal(src.take({ ...t, cliPort: 1001 }), null, 'taken once');
      api.notify(conns.observe(linuxSyn({ ...tuple, cliPort: 1002 })));
      await new Promise((r) => setTimeout(r, 250));
      assert.equal(src.take({ ...t, cliPort: 1002 }), null, 'too old');
      assert.equal(await src.awaitPush({ ...t, cliPort: 1003 }, 30), null, 'nothing told: null after the wait');
    } finally {
      await src.close();
      await api.close();
      dir.cleanup();
    }
  });

  it('a slow daemon is not taken for a dead one, whatever its socket path says', async () => {
    const dir = tempDir();
    mkdirSync(dir.path('EPERM'));
    const path = dir.path('EPERM/pof.sock');
    const silent = net.createServer((s) => s.on('data', () => {}));
    await new Promise<void>((r) => silent.listen(path, r));
    const src = new DaemonSource({ path });
    try {
      await assert.rejects(src.ask({ ipVer: 4, cli: '192.0.2.1', cliPort: 1000, srv: '192.0.2.2', srvPort: 80 }, 30), /timed out/);
      assert.equal(src.unavailable(), null);
    } finally {
      await src.close();
      silent.close();
      dir.cleanup();
    }
  });

  it('a socket nobody listens on is a dead daemon, with the reason', async () => {
    const dir = tempDir();
    const src = new DaemonSource({ path: dir.path('none.sock') });
    try {
      await assert.rejects(src.ask({ ipVer: 4, cli: '192.0.2.1', cliPort: 1000, srv: '192.0.2.2', srvPort: 80 }, 200));
      assert.match(src.unavailable() ?? '', /^pof daemon unavailable \(ENOENT on .*none\.sock\)$/);
    } finally {
      await src.close();
      dir.cleanup();
    }
  });
});
