/** PofClient and `pof query` against a real server on a temp socket. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { after, test } from 'node:test';
import { PofClient } from '../../src/api/client.js';
import { ConnVerdicts } from '../../src/state/conn-verdicts.js';
import { answerJsonLine, connEventLine } from '../../src/api/json.js';
import { PofApiServer } from '../../src/api/server.js';
import { runQuery } from '../../src/cli/query.js';
import { PofError } from '../../src/errors.js';
import { linuxSyn, makeHost, makeLookup, obs, tempSocketDir } from './helpers.js';
import { sleep } from './net-helpers.js';

const tmp = tempSocketDir();
after(() => tmp.cleanup());

const T = { cli: '192.0.2.10', cliPort: 51000, srv: '198.51.100.1', srvPort: 80 };
const linux = makeHost({
  lastOs: { id: 1, line: 1, generic: false, sys: [], cls: 'unix', name: 'Linux', flavor: '3.11 and newer' },
  lastQuality: 2,
  distance: 8,
  lastUpMin: 1500,
  upModDays: 49,
  linkType: 'Ethernet or modem',
  httpName: 'Firefox',
  httpFlavor: '10.x or newer',
  badSw: 1,
  language: 'English',
  lastNat: 1700000050,
});
const v6 = makeHost({ addr: '2001:db8:0:0:0:0:0:1', ipVer: 6 });
const conns = new ConnVerdicts(100);
conns.observe(linuxSyn(T));
conns.observe(obs(T, 'mtu', 'cli', { kind: 'mtu', mtu: 1500, link: 'Ethernet or modem' }));
const lookup = makeLookup([linux, v6], conns);

let seq = 0;
async function withServer<R>(fn: (path: string, s: PofApiServer) => Promise<R>, opts = {}): Promise<R> {
  const path = tmp.path(`c${++seq}.sock`);
  const s = await PofApiServer.listen({ path, lookup, ...opts });
  try {
    return await fn(path, s);
  } finally {
    await s.close();
  }
}

/**
 * A scripted server: each JSON line it reads gets `answer(line)`, all the
 * answers to one read in one write; `onRead` sees each read's size.
 */
async function lineServer(name: string, answer: (line: string) => string, onRead?: (bytes: number) => void): Promise<{ path: string; close(): Promise<void> }> {
  return rawServer(name, (sock) => {
    let pending = '';
    sock.on('data', (d) => {
      onRead?.(d.length);
      pending += d.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      sock.write(lines.map(answer).join(''));
    });
  });
}

/** A server of the test's own on a temp socket: `onConnection` gets each connection. */
async function rawServer(name: string, onConnection: (sock: net.Socket) => void): Promise<{ path: string; close(): Promise<void> }> {
  const path = tmp.path(`${name}${++seq}.sock`);
  const srv = net.createServer(onConnection);
  await new Promise<void>((r) => srv.listen(path, r));
  return { path, close: () => new Promise<void>((r) => srv.close(() => r())) };
}

class Sink {
  text = '';
  write(s: string): boolean {
    this.text += s;
    return true;
  }
}

test('typed answers: v3 host, JSON host, connection, status', async () => {
  await withServer(async (path) => {
    const c = new PofClient({ path });
    try {
      const h = await c.queryHost('192.0.2.10');
      assert.equal(h?.osName, 'Linux');
      assert.equal(h?.distance, 8);
      assert.equal(h?.uptimeMin, 1500);
      assert.equal(await c.queryHost('10.0.0.1'), null);
      assert.equal((await c.queryHost('::ffff:192.0.2.10'))?.osFlavor, '3.11 and newer');
      assert.equal((await c.queryHost('2001:db8::1'))?.totalConn, 3);
      await assert.rejects(c.queryHost('nonsense'), PofError);
      const j = await c.queryHostJson('192.0.2.10');
      assert.equal(j?.os?.label, 'Linux 3.11 and newer');
      assert.equal(await c.queryHostJson('10.0.0.1'), null);
      const k = await c.queryConnection(T);
      assert.equal(k?.conn?.client.mtu?.link, 'Ethernet or modem');
      assert.equal(k?.host?.addr, '192.0.2.10');
      assert.equal(await c.queryConnection({ ...T, cli: '10.0.0.9' }), null);
      const st = await c.status();
      assert.equal(st.version, 'pof 0.1.0');
      await assert.rejects(c.queryJson({ addr: 'x' }), /bad query/);
    } finally {
      await c.close();
    }
  });
});

test('pipelined: 2000 queries over one connection, answers matched in order', async () => {
  await withServer(async (path, s) => {
    const c = new PofClient({ path, maxQueue: 5000, timeoutMs: 10000 });
    try {
      const res = await Promise.all(
        Array.from({ length: 2000 }, (_, i) =>
          i % 2 ? c.queryHost(i % 4 === 1 ? '192.0.2.10' : '10.0.0.1').then((r) => (r ? 'h' : 'n')) : c.queryHostJson('192.0.2.10').then((r) => (r ? 'j' : 'x')),
        ),
      );
      assert.deepEqual(res, Array.from({ length: 2000 }, (_, i) => (i % 2 ? (i % 4 === 1 ? 'h' : 'n') : 'j')));
      assert.equal(s.stats.accepted, 1);
    } finally {
      await c.close();
    }
  });
});

test('questions asked while a batch is unanswered wait, then go together in one write', async () => {
  // A server that holds its answers until told to release them.
  const path = tmp.path(`hold${++seq}.sock`);
  const reads: string[] = [];
  let held: net.Socket | null = null;
  let lines = 0;
  const srv = net.createServer((sock) => {
    held = sock;
    sock.on('data', (d) => {
      reads.push(d.toString());
      lines += d.toString().split('\n').length - 1;
    });
  });
  await new Promise<void>((r) => srv.listen(path, r));
  const release = (n: number): void => void held!.write('{"status":"no match"}\n'.repeat(n));
  const until = async (cond: () => boolean): Promise<void> => {
    for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 2));
  };
  const c = new PofClient({ path, timeoutMs: 5000 });
  try {
    const first = c.queryHostJson('192.0.2.1');
    await until(() => lines === 1);
    // Three more, each in a turn of its own, while the first is out.
    const later: Promise<unknown>[] = [];
    for (let i = 2; i <= 4; i++) {
      later.push(c.queryHostJson(`192.0.2.${i}`));
      await new Promise((r) => setImmediate(r));
    }
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(lines, 1, 'nothing more is written before the answer');
    release(1);
    assert.equal(await first, null);
    await until(() => lines === 4);
    assert.equal(lines, 4);
    assert.equal(reads.length, 2, `reads: ${JSON.stringify(reads)}`);
    release(3);
    assert.deepEqual(await Promise.all(later), [null, null, null]);
  } finally {
    await c.close();
    await new Promise<void>((r) => srv.close(() => r()));
  }
});

test('a question that times out before it was written leaves without dropping the connection', async () => {
  const path = tmp.path(`held${++seq}.sock`);
  let conns = 0;
  let held: net.Socket | null = null;
  const srv = net.createServer((sock) => {
    conns++;
    held = sock;
    sock.on('data', () => {});
  });
  await new Promise<void>((r) => srv.listen(path, r));
  const c = new PofClient({ path, timeoutMs: 5000 });
  try {
    const first = c.queryHostJson('192.0.2.1');
    for (let i = 0; i < 500 && !held; i++) await new Promise((r) => setTimeout(r, 2));
    await new Promise((r) => setTimeout(r, 20));
    // Held behind the unanswered first question, then timed out.
    await assert.rejects(c.queryHostJson('192.0.2.2', { timeoutMs: 30 }), /timed out/);
    held!.write('{"status":"no match"}\n');
    assert.equal(await first, null);
    assert.equal(conns, 1);
  } finally {
    await c.close();
    await new Promise<void>((r) => srv.close(() => r()));
  }
});

test('a slow server is not a stuck one: a question past its own timeout fails, its late answer is dropped, the connection stays', async () => {
  // Answers each line (its address echoed in the answer) after `delay` ms.
  let conns = 0;
  let delay = 120;
  const srv = await rawServer('slow', (sock) => {
    conns++;
    let pending = '';
    sock.on('data', (d) => {
      pending += d.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      const out = lines.map((l) => `{"status":"ok","host":null,"conn":null,"echo":${JSON.stringify((JSON.parse(l) as { addr: string }).addr)}}\n`).join('');
      setTimeout(() => sock.write(out), delay);
    });
  });
  const c = new PofClient({ path: srv.path, timeoutMs: 2000 });
  try {
    await assert.rejects(c.queryJson({ addr: '192.0.2.1' }, { timeoutMs: 30 }), /timed out after 30 ms/);
    delay = 0;
    // Asked after the timeout, answered after the late answer to the first: each gets its own.
    const a = await c.queryJson({ addr: '192.0.2.2' }, { timeoutMs: 1000 });
    assert.equal((a as unknown as { echo: string }).echo, '192.0.2.2');
    assert.equal(conns, 1, 'the connection was kept');
  } finally {
    await c.close();
    await srv.close();
  }
});

test('a server that answers nothing for the client timeout is stuck: replaced, even when each question timed out sooner', async () => {
  let conns = 0;
  const srv = await rawServer('stuck', (sock) => {
    // The first connection never answers; later ones do.
    if (++conns === 1) return void sock.on('data', () => {});
    sock.on('data', (d) => sock.write('{"status":"no match"}\n'.repeat(String(d).split('\n').length - 1)));
  });
  const c = new PofClient({ path: srv.path, timeoutMs: 200 });
  try {
    await assert.rejects(c.queryHostJson('192.0.2.1', { timeoutMs: 30 }), /timed out after 30 ms/);
    assert.equal(conns, 1, 'not replaced at the question timeout');
    await sleep(300);
    // Behind the unanswered question on the old connection, this one would wait forever.
    assert.equal(await c.queryHostJson('192.0.2.2', { timeoutMs: 1000 }), null);
    assert.equal(conns, 2, 'replaced after the client timeout');
  } finally {
    await c.close();
    await srv.close();
  }
});

test('an answer that came while the event loop was blocked past the timeout is still taken', async () => {
  // The server in a process of its own: it answers while this one is blocked.
  const path = tmp.path(`busy${++seq}.sock`);
  const code = `require('net').createServer((s) => s.on('data', (d) => s.write('{"status":"no match"}\\n'.repeat(String(d).split('\\n').length - 1)))).listen(${JSON.stringify(path)}, () => console.log('up'))`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((r) => child.stdout.once('data', r));
  const srv = { close: async () => void child.kill() };
  const c = new PofClient({ path, timeoutMs: 2000 });
  try {
    await c.queryHostJson('192.0.2.1'); // connected
    const q = c.queryHostJson('192.0.2.2', { timeoutMs: 20 });
    // Block the loop well past the timeout once the question is written (setImmediate).
    setImmediate(() => {
      const end = performance.now() + 80;
      while (performance.now() < end);
    });
    assert.equal(await q, null);
  } finally {
    await c.close();
    await srv.close();
  }
});

test('queries asked in one turn of the event loop reach the server in one write', async () => {
  // A bare server that records each read and answers every JSON line.
  const reads: number[] = [];
  const srv = await lineServer('raw', () => '{"status":"no match"}\n', (n) => reads.push(n));
  const c = new PofClient({ path: srv.path, timeoutMs: 5000 });
  try {
    await c.queryHostJson('192.0.2.1'); // connected
    reads.length = 0;
    // Count the socket writes that carry queries (answers carry "status").
    let queryWrites = 0;
    const write = net.Socket.prototype.write;
    net.Socket.prototype.write = function (this: net.Socket, ...args: Parameters<net.Socket['write']>) {
      if (String(args[0]).includes('"addr"')) queryWrites++;
      return write.apply(this, args);
    } as net.Socket['write'];
    let answers;
    try {
      answers = await Promise.all(Array.from({ length: 20 }, (_, i) => c.queryHostJson(`192.0.2.${i + 1}`)));
    } finally {
      net.Socket.prototype.write = write;
    }
    assert.deepEqual(answers, Array.from({ length: 20 }, () => null));
    assert.equal(queryWrites, 1, `20 queries took ${queryWrites} writes`);
    assert.equal(reads.length, 1);
  } finally {
    await c.close();
    await srv.close();
  }
});

test('host and connection questions go in the compact form; a server that refuses it is asked in the keyed form', async () => {
  // A pof from before the compact form: "compact" is an unknown field.
  const lines: string[] = [];
  const srv = await lineServer('old', (line) => {
    lines.push(line);
    const q = JSON.parse(line) as Record<string, unknown>;
    return 'compact' in q ? '{"status":"bad query","error":"unknown field \\"compact\\""}\n' : answerJsonLine(line, lookup, () => ({})).text;
  });
  const old = new PofClient({ path: srv.path, timeoutMs: 5000 });
  try {
    const k = await old.queryConnection(T);
    assert.equal(k?.conn?.client.tcp?.label, 'Linux 3.11 and newer');
    assert.equal((await old.queryHostJson('192.0.2.10'))?.os?.label, 'Linux 3.11 and newer');
    // Refused once, then never asked that way again.
    assert.deepEqual(
      lines.map((l) => 'compact' in (JSON.parse(l) as object)),
      [true, false, false],
    );
  } finally {
    await old.close();
    await srv.close();
  }
  // A current server gets compact questions and the answers are the keyed records.
  await withServer(async (p, s) => {
    const c = new PofClient({ path: p });
    try {
      const k = await c.queryConnection(T);
      assert.deepEqual(k, JSON.parse(answerJsonLine(JSON.stringify({ cli: T.cli, cli_port: T.cliPort, srv: T.srv, srv_port: T.srvPort }), lookup, () => ({})).text, (key, v) => (key === 'status' ? undefined : v)));
      assert.deepEqual(await c.queryHostJson('192.0.2.10'), k?.host);
      assert.equal(s.stats.badQueries, 0);
    } finally {
      await c.close();
    }
  });
});

test('a malformed compact answer fails that question, clearly', async () => {
  const srv = await lineServer('bad', () => '{"status":"ok","host":["short"],"conn":null}\n');
  const c = new PofClient({ path: srv.path, timeoutMs: 5000 });
  try {
    await assert.rejects(c.queryConnection(T), /malformed compact answer/);
  } finally {
    await c.close();
    await srv.close();
  }
});

test('answers and events are told apart by their keys, in any order, not by their first bytes', async () => {
  // An event line as pof writes it, with its keys reordered, "event" last.
  const event = JSON.parse(connEventLine(linux, conns.get(T.cli, T.cliPort, T.srv, T.srvPort)!)) as Record<string, unknown>;
  const reordered = JSON.stringify({ host: event.host, conn: event.conn, event: event.event });
  // Answers beginning {"e: a bad query with its error first, an ok one with "extra" first.
  const srv = await lineServer('order', (line) => {
    const q = JSON.parse(line) as Record<string, unknown>;
    if (q.op === 'watch') return `{"status":"ok"}\n${reordered}\n`;
    if ('addr' in q) return '{"error":"try again","status":"bad query"}\n';
    return '{"extra":1,"status":"ok","server":{"version":"x"}}\n';
  });
  const c = new PofClient({ path: srv.path, timeoutMs: 5000 });
  const got: unknown[] = [];
  c.onConnEvent = (e) => got.push(e);
  try {
    await assert.rejects(c.queryHostJson('192.0.2.10'), (e: unknown) => e instanceof PofError && e.code === 'E_API_REFUSED' && /bad query: try again/.test(e.message));
    assert.equal((await c.status()).version, 'x');
    await c.watch(80);
    for (let i = 0; i < 100 && !got.length; i++) await sleep(5);
    assert.equal(got.length, 1, 'the event with "event" last was taken for one');
    assert.equal(c.badEvents, 0);
    assert.deepEqual((got[0] as { conn: unknown }).conn, JSON.parse(answerJsonLine(JSON.stringify({ cli: T.cli, cli_port: T.cliPort, srv: T.srv, srv_port: T.srvPort }), lookup, () => ({})).text).conn);
  } finally {
    await c.close();
    await srv.close();
  }
});

test('bounded queue; close rejects what is pending', async () => {
  await withServer(async (path) => {
    const c = new PofClient({ path, maxQueue: 3 });
    const ps = [c.queryHost('192.0.2.10'), c.queryHost('192.0.2.10'), c.queryHost('192.0.2.10')];
    await assert.rejects(c.queryHost('192.0.2.10'), /queue full/);
    await Promise.all(ps);
    const late = assert.rejects(c.queryHost('192.0.2.10'), /closed/);
    await c.close();
    await late;
    await assert.rejects(c.queryHost('192.0.2.10'), /closed/);
  });
});

test('per-query timeout when the server does not answer; the connection is replaced', async () => {
  const path = tmp.path('mute.sock');
  let conns = 0;
  let answer = false;
  const mute = net.createServer((s) => {
    conns++;
    s.on('data', (d) => {
      if (answer) for (let i = 0; i + 21 <= d.length; i += 21) s.write(Buffer.concat([Buffer.from('02463050', 'hex'), Buffer.from('20000000', 'hex'), Buffer.alloc(224)]));
    });
  });
  await new Promise<void>((r) => mute.listen(path, r));
  const c = new PofClient({ path, timeoutMs: 150 });
  try {
    const t0 = Date.now();
    await assert.rejects(c.queryHost('192.0.2.10'), /timed out after 150 ms/);
    assert.ok(Date.now() - t0 < 1000);
    answer = true;
    assert.equal(await c.queryHost('192.0.2.10'), null);
    assert.equal(conns, 2);
  } finally {
    await c.close();
    await new Promise<void>((r) => mute.close(() => r()));
  }
});

test('waits for a server that is not up yet, and reconnects after a restart', async () => {
  const path = tmp.path('later.sock');
  const c = new PofClient({ path, timeoutMs: 3000, reconnectMinMs: 20, reconnectMaxMs: 100 });
  try {
    const early = c.queryHost('192.0.2.10');
    await sleep(150);
    let s = await PofApiServer.listen({ path, lookup });
    assert.equal((await early)?.osName, 'Linux');
    await s.close();
    await sleep(50);
    const during = c.queryHost('192.0.2.10');
    await sleep(150);
    s = await PofApiServer.listen({ path, lookup });
    assert.equal((await during)?.osName, 'Linux');
    await s.close();
  } finally {
    await c.close();
  }
  const gone = new PofClient({ path: tmp.path('never.sock'), timeoutMs: 100 });
  await assert.rejects(gone.queryHost('192.0.2.10'), /timed out.*ENOENT/);
  await gone.close();
});

test('waitForServer: false fails queries as soon as connecting fails, and keeps serving once a server is up', async () => {
  const path = tmp.path('oneshot.sock');
  const c = new PofClient({ path, timeoutMs: 5000, waitForServer: false });
  try {
    const t0 = performance.now();
    const both = await Promise.allSettled([c.queryHost('192.0.2.10'), c.queryConnection(T)]);
    assert.ok(performance.now() - t0 < 1000, 'not after the 5 s timeout');
    for (const r of both) assert.match(String(r.status === 'rejected' && r.reason), /cannot connect to .*oneshot\.sock \(ENOENT\)/);
    const s = await PofApiServer.listen({ path, lookup });
    try {
      assert.equal((await c.queryHost('192.0.2.10'))?.osName, 'Linux');
    } finally {
      await s.close();
    }
  } finally {
    await c.close();
  }
  assert.throws(() => new PofClient({ path, waitForServer: 'no' as unknown as boolean }), /waitForServer must be true or false/);
});

test('pof query: p0f-client output and exit codes', async () => {
  await withServer(async (path) => {
    const run = async (...argv: string[]) => {
      const out = new Sink();
      const err = new Sink();
      const code = await runQuery(argv, out, err);
      return { code, out: out.text, err: err.text };
    };
    const a = await run('192.0.2.10', '-s', path);
    assert.equal(a.code, 0, a.err);
    const lines = a.out.split('\n');
    assert.match(lines[0]!, /^First seen    = \d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d$/);
    assert.match(lines[1]!, /^Last update   = /);
    assert.deepEqual(lines.slice(2), [
      'Total flows   = 3',
      'Detected OS   = Linux 3.11 and newer [generic]',
      'HTTP software = Firefox 10.x or newer (ID OS mismatch)',
      'Network link  = Ethernet or modem',
      'Language      = English',
      'Distance      = 8',
      lines[8]!,
      'Uptime        = 1 days 1 hrs 0 min (modulo 49 days)',
      '',
    ]);
    assert.match(lines[8]!, /^IP sharing    = /);
    const n = await run('10.0.0.1', '-s', path);
    assert.equal(n.code, 1);
    assert.equal(n.out, "No matching host in p0f cache. That's all we know.\n");
    const j = await run('192.0.2.10', '-s', path, '--json');
    assert.equal(j.code, 0);
    assert.equal(JSON.parse(j.out).host.os.name, 'Linux');
    const k = await run('192.0.2.10', '-s', path, '--port', '51000', '--srv', '198.51.100.1', '--srv-port', '80');
    assert.equal(k.code, 0, k.err);
    assert.match(k.out, /Connection    = 192\.0\.2\.10\/51000 -> 198\.51\.100\.1\/80/);
    assert.match(k.out, /Client TCP    = Linux 3\.11 and newer \(distance 8\)/);
    const kn = await run('10.0.0.1', '-s', path, '--port', '1', '--srv', '198.51.100.1', '--srv-port', '80', '--json');
    assert.equal(kn.code, 1);
    assert.deepEqual(JSON.parse(kn.out), { status: 'no match' });
    assert.equal((await run('-s', path)).code, 2);
    assert.equal((await run('1.2.3', '-s', path)).code, 2);
    assert.equal((await run('1.2.3.4', '--port', '5', '-s', path)).code, 2);
    assert.equal((await run('1.2.3.4', '--bogus')).code, 2);
    // No daemon: said at once, not after the timeout.
    const t0 = performance.now();
    const dead = await run('1.2.3.4', '-s', tmp.path('nobody.sock'), '--timeout', '5000');
    assert.ok(performance.now() - t0 < 2000);
    assert.equal(dead.code, 1);
    assert.match(dead.err, /^pof: cannot connect to .*nobody\.sock \(ENOENT\)\n$/);
  });
});
