// pof logpipe: field splitting, ordered and bounded lookups, and the CLI
// reading piped lines against a real daemon socket (and a dead one).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { engineLookup } from '../../src/api/lookup.js';
import { PofApiServer } from '../../src/api/server.js';
import { PofError } from '../../src/errors.js';
import { LogPipe, splitFields } from '../../src/web/logpipe.js';
import type { ConnTuple, PofAnswer } from '../../src/web/result.js';
import { lookupSource, type AskedSource } from '../../src/web/sources.js';
import { cannedLookup, makeEngine, tempDir } from './helpers.js';
import { spawnFixture } from './net-helpers.js';

describe('splitFields', () => {
  const table: Array<[string, string[]]> = [
    ['a b  c', ['a', 'b', 'c']],
    ['  lead\ttab ', ['lead', 'tab']],
    ['1.2.3.4 5 [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200', ['1.2.3.4', '5', '[10/Oct/2000:13:55:36 -0700]', '"GET / HTTP/1.1"', '200']],
    ['"a \\"quoted\\" b" x', ['"a \\"quoted\\" b"', 'x']],
    ['"unterminated x', ['"unterminated x']],
    ['', []],
  ];
  for (const [line, want] of table) {
    it(JSON.stringify(line), () => assert.deepEqual(splitFields(line).map((s) => line.slice(s.start, s.end)), want));
  }
});

/** A source whose answers the test releases, in any order. */
function manualSource(): AskedSource & { calls: ConnTuple[]; hostCalls: string[]; release(i: number, a: PofAnswer | null | Error): void; down: string | null } {
  const waiting: Array<(a: PofAnswer | null | Error) => void> = [];
  const s = {
    via: 'daemon' as const,
    calls: [] as ConnTuple[],
    hostCalls: [] as string[],
    down: null as string | null,
    ask(t: ConnTuple) {
      s.calls.push(t);
      return new Promise<PofAnswer | null>((resolve, reject) => waiting.push((a) => (a instanceof Error ? reject(a) : resolve(a))));
    },
    askHost(addr: string) {
      s.hostCalls.push(addr);
      return new Promise<PofAnswer | null>((resolve, reject) => waiting.push((a) => (a instanceof Error ? reject(a) : resolve(a))));
    },
    unavailable: () => s.down,
    close: async () => {},
    release(i: number, a: PofAnswer | null | Error) {
      waiting[i]!(a);
    },
  };
  return s;
}

const canned = lookupSource(cannedLookup(), 'daemon');
const answer = (t: ConnTuple): PofAnswer => canned.ask(t, 10) as PofAnswer;

describe('LogPipe', () => {
  it('keeps the input order whatever order the answers come in', async () => {
    const src = manualSource();
    let out = '';
    const p = new LogPipe({ source: src, srv: '10.0.0.1', srvPort: 80, write: (t) => (out += t), append: ' %{pof_genre}e' });
    p.push('192.0.2.1 1001 first');
    p.push('192.0.2.2 1002 second');
    p.push('192.0.2.3 1003 third');
    assert.equal(p.pending, 3);
    src.release(2, answer(src.calls[2]!));
    src.release(1, null);
    await new Promise((r) => setImmediate(r));
    assert.equal(out, '');
    src.release(0, answer(src.calls[0]!));
    await p.drain();
    assert.equal(out, '192.0.2.1 1001 first Windows\n192.0.2.2 1002 second -\n192.0.2.3 1003 third Windows\n');
    assert.deepEqual(src.calls[0], { ipVer: 4, cli: '192.0.2.1', cliPort: 1001, srv: '10.0.0.1', srvPort: 80 });
  });

  it('server fields, --cut, IPv6 and quoted fields', async () => {
    let out = '';
    const p = new LogPipe({ source: canned, srvField: 3, srvPortField: 4, cut: 4, write: (t) => (out += t), append: ' "%{pof_genre}e" %{pof_distance}e %{remote}p' });
    p.push('2001:db8::1 51000 2001:db8::2 443 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5');
    p.push('"192.0.2.9" "51001" 198.51.100.1 80 x');
    await p.drain();
    assert.equal(out, '- - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5 "Windows" 11 51000\nx "Windows" 11 51001\n');
  });

  it('no port field: by address', async () => {
    const src = manualSource();
    let out = '';
    const p = new LogPipe({ source: src, portField: 0, write: (t) => (out += t), append: ' %{pof_genre}e' });
    p.push('192.0.2.1 rest');
    src.release(0, { host: (canned.askHost('192.0.2.1', 1) as PofAnswer).host, conn: null });
    await p.drain();
    assert.deepEqual(src.hostCalls, ['192.0.2.1']);
    assert.equal(out, '192.0.2.1 rest Windows\n');
  });

  it('lines without an address pass with pof_err; errors and a dead daemon too', async () => {
    const src = manualSource();
    let out = '';
    const p = new LogPipe({ source: src, srv: '10.0.0.1', srvPort: 80, write: (t) => (out += t), append: ' [%{pof_err}e]' });
    p.push('garbage here');
    p.push('192.0.2.1 notaport');
    p.push('192.0.2.1 1000 timed');
    src.release(0, new PofError('E_API_TIMEOUT', 'query to /run/pof.sock timed out after 100 ms'));
    await new Promise((r) => setImmediate(r));
    src.down = 'pof daemon unavailable (ENOENT on /run/pof.sock)';
    p.push('192.0.2.1 1001 down');
    await p.drain();
    assert.equal(
      out,
      'garbage here [no client address/port in the line]\n' +
        '192.0.2.1 notaport [no client address/port in the line]\n' +
        '192.0.2.1 1000 timed [pof did not answer within 100 ms]\n' +
        '192.0.2.1 1001 down [pof daemon unavailable (ENOENT on /run/pof.sock)]\n',
    );
    assert.equal(src.calls.length, 1, 'a daemon known dead is not asked');
    assert.equal(p.stats.unparsed, 2);
  });

  it('is full at maxPending (the reader stops reading)', () => {
    const src = manualSource();
    const p = new LogPipe({ source: src, srv: '10.0.0.1', srvPort: 80, maxPending: 2, write: () => {} });
    p.push('192.0.2.1 1');
    assert.equal(p.full, false);
    p.push('192.0.2.1 2');
    assert.equal(p.full, true);
  });

  it('refuses bad options', () => {
    assert.throws(() => new LogPipe({ source: canned, write: () => {}, addrField: 0 }), /addrField/);
    assert.throws(() => new LogPipe({ source: canned, write: () => {}, srv: 'nope' }), /srv is not an IP/);
    assert.throws(() => new LogPipe({ source: canned, write: () => {}, append: '%{x' }), /unterminated/);
    assert.throws(() => new LogPipe({ source: canned, write: () => {}, maxPending: 0 }), /maxPending/);
  });
});

function runCli(args: string[], input: string): Promise<{ code: number | null; out: string; err: string; ms: number }> {
  const t0 = Date.now();
  const child = spawnFixture('run-logpipe.ts', args, { stdin: 'pipe' });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  child.stdin!.end(input);
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, out, err, ms: Date.now() - t0 })));
}

describe('pof logpipe (CLI)', () => {
  it('appends the verdicts a daemon has for each connection', async () => {
    const dir = tempDir();
    const sys = makeEngine();
    const t1 = { ipVer: 4 as const, cli: '192.0.2.10', cliPort: 51000, srv: '198.51.100.1', srvPort: 80 };
    sys.feedSyn(t1);
    const server = await PofApiServer.listen({ path: dir.path('pof.sock'), lookup: engineLookup(sys.engine, sys.conns) });
    try {
      const input =
        '192.0.2.10 51000 198.51.100.1 80 192.0.2.10 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5\n' +
        '192.0.2.77 40000 198.51.100.1 80 192.0.2.77 - - [10/Oct/2000:13:55:37 -0700] "GET /x HTTP/1.1" 404 -\r\n' +
        'no address here';
      const r = await runCli(['-s', dir.path('pof.sock'), '--srv-field', '3', '--srv-port-field', '4', '--cut', '4'], input);
      assert.equal(r.code, 0, r.err);
      assert.equal(
        r.out,
        '192.0.2.10 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5 "Linux" "3.10 to 4.18" 7 "Ethernet" "-"\n' +
          '192.0.2.77 - - [10/Oct/2000:13:55:37 -0700] "GET /x HTTP/1.1" 404 - "-" "-" - "-" "no match"\n' +
          'no address here "-" "-" - "-" "no client address/port in the line"\n',
      );
    } finally {
      await server.close();
      dir.cleanup();
    }
  });

  it('a dead daemon: every line comes out, quickly, with pof_err', async () => {
    const dir = tempDir();
    const lines = Array.from({ length: 200 }, (_, i) => `192.0.2.${i % 250} ${10000 + i} rest`).join('\n') + '\n';
    const r = await runCli(['-s', dir.path('none.sock'), '--srv', '198.51.100.1', '--srv-port', '80', '--append', ' [%{pof_err}e]', '--timeout', '50'], lines);
    dir.cleanup();
    assert.equal(r.code, 0, r.err);
    const out = r.out.trim().split('\n');
    assert.equal(out.length, 200);
    assert.match(out[0]!, /^192\.0\.2\.0 10000 rest \[(pof did not answer within 50 ms|pof daemon unavailable \(ENOENT.*)\]$/);
    assert.match(out[199]!, /\[pof daemon unavailable \(ENOENT on .*none\.sock\)\]$/);
    assert.ok(r.ms < 10_000, `took ${r.ms} ms`);
  });

  it('more lines than it keeps in flight: all come out, in order, from a live daemon', async () => {
    const dir = tempDir();
    const sys = makeEngine();
    const server = await PofApiServer.listen({ path: dir.path('pof.sock'), lookup: engineLookup(sys.engine, sys.conns) });
    try {
      const n = 3000;
      const lines = Array.from({ length: n }, (_, i) => `192.0.2.${i % 250} ${10000 + i} line${i}`).join('\n') + '\n';
      const r = await runCli(['-s', dir.path('pof.sock'), '--srv', '198.51.100.1', '--srv-port', '80', '--append', ' [%{pof_err}e]', '--timeout', '2000'], lines);
      assert.equal(r.code, 0, r.err);
      const out = r.out.trim().split('\n');
      assert.equal(out.length, n);
      assert.equal(out[n - 1], `192.0.2.${(n - 1) % 250} ${10000 + n - 1} line${n - 1} [no match]`);
    } finally {
      await server.close();
      dir.cleanup();
    }
  });

  it('bytes pass through as they came; an over-long line is cut, not split', async () => {
    const dir = tempDir();
    const long = '192.0.2.9 1000 ' + 'x'.repeat(3 << 20);
    const r = await runCli(['-s', dir.path('none.sock'), '--append', ' !', '--timeout', '50'], `192.0.2.1 1000 café ü\n${long}\n192.0.2.2 1001 after\n`);
    dir.cleanup();
    assert.equal(r.code, 0, r.err);
    const out = r.out.split('\n');
    assert.equal(out.length, 4);
    assert.equal(out[0], '192.0.2.1 1000 café ü !');
    assert.equal(out[1]!.length, (1 << 20) + 2);
    assert.ok(out[1]!.startsWith('192.0.2.9 1000 xxx'));
    assert.equal(out[2], '192.0.2.2 1001 after !');
  });

  it('usage errors exit 2', async () => {
    const r = await runCli(['--addr-field', 'x'], '');
    assert.equal(r.code, 2);
    assert.match(r.err, /^pof logpipe: --addr-field wants a number/);
  });
});
