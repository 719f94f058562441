// Apache LogFormat directives (a table, one row per directive and
// modifier), nicknames, escaping, and the AccessLog writer: real requests,
// pof variables, SIGHUP reopening, dropping when the output is behind.
process.env.TZ = 'UTC';

import assert from 'node:assert/strict';
import { readFileSync, renameSync } from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import { describe, it } from 'node:test';

import { AccessLog } from '../../src/web/access-log.js';
import { compileLogFormat, escapeLogItem, strftime, type LogRecord } from '../../src/web/log-format.js';
import { withPof } from '../../src/web/node-http.js';
import { buildResult, errorResult } from '../../src/web/result.js';
import { cannedLookup, request, tempDir, until } from './helpers.js';

const T = { ipVer: 4 as const, cli: '192.0.2.10', cliPort: 51000, srv: '198.51.100.1', srvPort: 8080 };
const POF = buildResult(T, {
  host: null,
  conn: {
    ip_version: 4,
    cli: { addr: T.cli, port: T.cliPort },
    srv: { addr: T.srv, port: T.srvPort },
    first_seen: 1700000000,
    last_seen: 1700000001,
    encap: false,
    sendsyn: false,
    client: {
      tcp: {
        label: 'Linux 2.6.x',
        match: { name: 'Linux', flavor: '2.6.x', class: 'unix', userland: false, generic: false, fuzzy: false },
        dist: 2,
        dist_upper_bound: false,
        quality: 0,
        params: 'none',
        raw_sig: '4:62+2:0:1460:mss*4,7:mss,sok,ts,nop,ws:df,id+:0',
      },
      mtu: { mtu: 1500, link: 'Ethernet' },
      uptime: { minutes: 1030, modulo_days: 49, freq_hz: 1000 },
      http: { label: 'Firefox 10.x or newer', app: { name: 'Firefox', flavor: '10.x or newer', generic: false }, language: 'English', bad_sw: 0, params: 'none', raw_sig: '' },
      nat: null,
    },
    server: { tcp: null, mtu: null, uptime: null, http: null, nat: null },
  },
}, ['daemon']);

function rec(over: Partial<LogRecord> = {}): LogRecord {
  const out: Record<string, string> = { 'content-type': 'text/html', 'set-cookie': 'a=1' };
  return {
    method: 'GET',
    url: '/index.php?x=1&y=2',
    httpVersion: '1.1',
    headersIn: {
      host: 'www.example.com:8080',
      'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) "quoted"',
      referer: 'http://example.com/start',
      cookie: 'sid=abc123; theme=dark',
      authorization: 'Basic ' + Buffer.from('frank:secret').toString('base64'),
    },
    headerOut: (n) => out[n.toLowerCase()],
    status: 200,
    bytesOut: 2326,
    cli: T.cli,
    cliPort: T.cliPort,
    srv: T.srv,
    srvPort: T.srvPort,
    startMs: 1700000000123.456,
    durationUs: 1534567,
    keepAliveCount: 2,
    connStatus: '+',
    pof: POF,
    env: (n) => (n === 'UNIQUE_ID' ? 'Zx1' : undefined),
    ...over,
  };
}

const fmt = (f: string, r: LogRecord = rec(), opts = {}): string => compileLogFormat(f, { serverName: 'www.example.com', ...opts })(r);

describe('LogFormat directives', () => {
  const table: Array<[string, string, Partial<LogRecord>?]> = [
    ['%%', '%'],
    ['%a', '192.0.2.10'],
    ['%{c}a', '192.0.2.10'],
    ['%A', '198.51.100.1'],
    ['%b', '2326'],
    ['%b', '-', { bytesOut: 0 }],
    ['%B', '2326'],
    ['%B', '0', { bytesOut: 0 }],
    ['%{sid}C', 'abc123'],
    ['%{theme}C', 'dark'],
    ['%{none}C', '-'],
    ['%D', '1534567'],
    ['%{pof_type}e', '0'],
    ['%{pof_genre}e', 'Linux'],
    ['%{pof_details}e', '2.6.x'],
    ['%{pof_distance}e', '2'],
    ['%{pof_link}e', 'Ethernet'],
    ['%{pof_tos}e', '-'],
    ['%{pof_uptime}e', '17'],
    ['%{pof_score}e', '-'],
    ['%{pof_mflags}e', '-'],
    ['%{pof_fw}e', '-'],
    ['%{pof_nat}e', '-'],
    ['%{pof_err}e', '-'],
    ['%{pof_os}e', 'Linux 2.6.x'],
    ['%{pof_app}e', 'Firefox 10.x or newer'],
    ['%{pof_language}e', 'English'],
    ['%{pof_mtu}e', '1500'],
    ['%{pof_quality}e', '0'],
    ['%{pof_raw_sig}e', '4:62+2:0:1460:mss*4,7:mss,sok,ts,nop,ws:df,id+:0'],
    ['%{pof_via}e', 'daemon'],
    ['%{pof_genre}e', '-', { pof: undefined }],
    ['%{pof_err}e', 'pof daemon unavailable (ENOENT on /run/pof.sock)', { pof: errorResult(T, 'pof daemon unavailable (ENOENT on /run/pof.sock)') }],
    ['%{UNIQUE_ID}e', 'Zx1'],
    ['%{PATH}e', '-'],
    ['%f', '-'],
    ['%h', '192.0.2.10'],
    ['%H', 'HTTP/1.1'],
    ['%{Referer}i', 'http://example.com/start'],
    ['%{user-agent}i', 'Mozilla/5.0 (X11; Linux x86_64) \\"quoted\\"'],
    ['%{X-Missing}i', '-'],
    ['%k', '2'],
    ['%l', '-'],
    ['%L', '-'],
    ['%m', 'GET'],
    ['%{note}n', '-'],
    ['%{Content-Type}o', 'text/html'],
    ['%{X-None}o', '-'],
    ['%p', '8080'],
    ['%{canonical}p', '8080'],
    ['%{local}p', '8080'],
    ['%{remote}p', '51000'],
    ['%P', String(process.pid)],
    ['%{pid}P', String(process.pid)],
    ['%q', '?x=1&y=2'],
    ['%q', '', { url: '/plain' }],
    ['%r', 'GET /index.php?x=1&y=2 HTTP/1.1'],
    ['%R', '-'],
    ['%s', '200'],
    ['%>s', '200'],
    ['%<s', '200'],
    ['%t', '[14/Nov/2023:22:13:20 +0000]'],
    ['%{%Y-%m-%d %H:%M:%S}t', '2023-11-14 22:13:20'],
    ['%{%d/%b/%Y %T %z %a %A %B %j %e %y %I %p %F %R %s}t', '14/Nov/2023 22:13:20 +0000 Tue Tuesday November 318 14 23 10 PM 2023-11-14 22:13 1700000000'],
    ['%{sec}t', '1700000000'],
    ['%{msec}t', '1700000000123'],
    ['%{usec}t', '1700000000123456'],
    ['%{msec_frac}t', '123'],
    ['%{usec_frac}t', '123456'],
    ['%{end:sec}t', '1700000001'],
    ['%{begin:%H:%M:%S}t', '22:13:20'],
    ['%{end:%H:%M:%S}t', '22:13:21'],
    ['%T', '1'],
    ['%{s}T', '1'],
    ['%{ms}T', '1534'],
    ['%{us}T', '1534567'],
    ['%u', 'frank'],
    ['%u', '-', { headersIn: {} }],
    ['%U', '/index.php'],
    ['%v', 'www.example.com'],
    ['%V', 'www.example.com'],
    ['%X', '+'],
    ['%X', 'X', { connStatus: 'X' }],
    ['%400,501{User-agent}i', '-'],
    ['%200,304{Referer}i', 'http://example.com/start'],
    ['%!200,304{Referer}i', '-'],
    ['%!200,304{Referer}i', 'http://example.com/start', { status: 404 }],
    ['%>{Referer}i', 'http://example.com/start'],
    ['"%r" %>s', '"GET /index.php?x=1&y=2 HTTP/1.1" 200'],
    ['a\\tb\\"c', 'a\tb"c'],
  ];
  for (const [f, want, over] of table) {
    it(`${f}${over ? ' ' + JSON.stringify(Object.keys(over)) : ''} -> ${JSON.stringify(want)}`, () => {
      assert.equal(fmt(f, rec(over)), want);
    });
  }

  it('nicknames: common, combined, pof, pof_combined', () => {
    assert.equal(fmt('common'), '192.0.2.10 - frank [14/Nov/2023:22:13:20 +0000] "GET /index.php?x=1&y=2 HTTP/1.1" 200 2326');
    assert.equal(
      fmt('combined'),
      '192.0.2.10 - frank [14/Nov/2023:22:13:20 +0000] "GET /index.php?x=1&y=2 HTTP/1.1" 200 2326 "http://example.com/start" "Mozilla/5.0 (X11; Linux x86_64) \\"quoted\\""',
    );
    assert.equal(fmt('pof'), '192.0.2.10 - frank [14/Nov/2023:22:13:20 +0000] "GET /index.php?x=1&y=2 HTTP/1.1" 200 2326 "Linux" "2.6.x" 2 "Ethernet"');
    assert.match(fmt('pof_combined'), /"Linux" "2\.6\.x" 2 "Ethernet" "-"$/);
    assert.equal(fmt('vhost_common'), 'www.example.com 192.0.2.10 - frank [14/Nov/2023:22:13:20 +0000] "GET /index.php?x=1&y=2 HTTP/1.1" 200 2326');
  });

  it("the article's format (%{pof_genre}e in place of mod_pof's notes)", () => {
    const f = '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" "%{pof_genre}e" "%{pof_details}e"';
    assert.match(fmt(f), /"Linux" "2\.6\.x"$/);
  });

  it('canonicalPort and serverName options', () => {
    assert.equal(fmt('%v:%p', rec(), { serverName: 'a.example', canonicalPort: 443 }), 'a.example:443');
  });

  const bad: Array<[string, RegExp]> = [
    ['%Z', /unknown directive %Z \(at character 1/],
    ['ok %{Referer', /unterminated %\{ at character 4/],
    ['%{x}', /has no directive letter/],
    ['%i', /%i needs a header name/],
    ['%e', /%e needs a variable name/],
    ['%{weird}p', /use canonical, local or remote/],
    ['%{h}T', /use s, ms or us/],
  ];
  for (const [f, re] of bad) {
    it(`refuses ${JSON.stringify(f)}`, () => {
      assert.throws(() => compileLogFormat(f), (e: Error & { code?: string }) => e.code === 'E_CONFIG' && re.test(e.message));
    });
  }
});

describe('escaping (ap_escape_logitem)', () => {
  const table: Array<[string, string]> = [
    ['plain', 'plain'],
    ['say "hi"', 'say \\"hi\\"'],
    ['back\\slash', 'back\\\\slash'],
    ['a\nb\rc\td\x0be\x08', 'a\\nb\\rc\\td\\ve\\b'],
    ['\x01\x7f\xff', '\\x01\\x7f\\xff'],
    ['é', '\\xe9'],
    ['€', '\\xe2\\x82\\xac'],
  ];
  for (const [i, o] of table) it(JSON.stringify(i), () => assert.equal(escapeLogItem(i), o));
  it('%r and %U escape what the client sent', () => {
    assert.equal(fmt('%r', rec({ url: '/a"b\x1b' })), 'GET /a\\"b\\x1b HTTP/1.1');
  });
});

it('strftime pads and names as C does', () => {
  const d = new Date(Date.UTC(2024, 0, 5, 3, 4, 5));
  assert.equal(strftime('%d %e %H %I %p %j %y %C %D %u %w %%', d), '05  5 03 03 AM 005 24 20 01/05/24 5 5 %');
});

describe('AccessLog on real requests', () => {
  async function serve(log: AccessLog) {
    const listener = withPof((req, res) => {
      log.track(req, res);
      if (req.url === '/stream') {
        res.write('x'.repeat(1000));
        res.end(Buffer.alloc(24));
        return;
      }
      if (req.url === '/abort') {
        res.write('partial');
        req.socket.destroy();
        return;
      }
      res.setHeader('x-app', 'demo');
      res.end('hello');
    }, { lookup: cannedLookup() });
    const server = http.createServer(listener);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    return {
      port,
      close: async () => {
        await new Promise<void>((r) => {
          server.close(() => r());
          server.closeAllConnections();
        });
        await listener.core.close();
      },
    };
  }

  it('writes pof variables, body bytes, keep-alive counts and connection status', async () => {
    const lines: string[] = [];
    const log = new AccessLog({ stream: { write: (s: string) => lines.push(s) }, format: '%a %m %U %>s %b %k %X %{x-app}o "%{pof_genre}e" "%{pof_details}e" %{pof_distance}e %{pof_nat}e' });
    const app = await serve(log);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      await request(`http://127.0.0.1:${app.port}/`, { agent });
      await request(`http://127.0.0.1:${app.port}/stream`, { agent });
      await request(`http://127.0.0.1:${app.port}/abort`, { agent }).catch(() => {});
      await until(() => lines.length === 3);
      assert.deepEqual(lines, [
        '127.0.0.1 GET / 200 5 0 + demo "Windows" "7 or 8" 11 1\n',
        '127.0.0.1 GET /stream 200 1024 1 + - "Windows" "7 or 8" 11 1\n',
        '127.0.0.1 GET /abort 200 7 2 X - "Windows" "7 or 8" 11 1\n',
      ]);
      assert.equal(log.written, 3);
    } finally {
      agent.destroy();
      await app.close();
      await log.close();
    }
  });

  it('each log counts the requests on a connection (%k) for itself', async () => {
    const a: string[] = [];
    const b: string[] = [];
    const logA = new AccessLog({ stream: { write: (s: string) => a.push(s) }, format: '%U %k' });
    const logB = new AccessLog({ stream: { write: (s: string) => b.push(s) }, format: '%U %k' });
    const server = http.createServer((req, res) => {
      logA.track(req, res);
      logB.track(req, res);
      res.end('x');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      await request(`http://127.0.0.1:${port}/one`, { agent });
      await request(`http://127.0.0.1:${port}/two`, { agent });
      await until(() => a.length === 2 && b.length === 2);
      assert.deepEqual(a, ['/one 0\n', '/two 1\n']);
      assert.deepEqual(b, ['/one 0\n', '/two 1\n']);
    } finally {
      agent.destroy();
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
      await logA.close();
      await logB.close();
    }
  });

  it('a file is reopened on SIGHUP (logrotate)', async () => {
    const dir = tempDir();
    const file = dir.path('access.log');
    const log = new AccessLog({ file, format: '%U %{pof_genre}e' });
    const app = await serve(log);
    try {
      await request(`http://127.0.0.1:${app.port}/one`, { agent: false });
      assert.ok(await until(() => readFileSync(file, 'utf8') === '/one Windows\n'));
      renameSync(file, file + '.1');
      process.kill(process.pid, 'SIGHUP');
      await new Promise((r) => setTimeout(r, 20));
      await request(`http://127.0.0.1:${app.port}/two`, { agent: false });
      await log.close();
      assert.equal(readFileSync(file + '.1', 'utf8'), '/one Windows\n');
      assert.equal(readFileSync(file, 'utf8'), '/two Windows\n');
    } finally {
      await app.close();
      await log.close();
      dir.cleanup();
    }
  });

  it('drops lines (and counts them) instead of buffering without bound', () => {
    const log = new AccessLog({ stream: { write: () => true, writableLength: 10 << 20 }, maxBufferBytes: 1 << 20 });
    log.writeLine('x\n');
    assert.equal(log.dropped, 1);
    assert.equal(log.written, 0);
  });

  it('refuses bad options at construction', () => {
    assert.throws(() => new AccessLog({ format: '%Q' }), /unknown directive %Q/);
    assert.throws(() => new AccessLog({ file: '/nonexistent-dir/x.log' }), /cannot open/);
    assert.throws(() => new AccessLog({ file: 'a', stream: process.stdout }), /not both/);
    assert.throws(() => new AccessLog({ maxBufferBytes: 10 }), /buffer limit/);
  });
});
