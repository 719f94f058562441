import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PacketRecord } from '../../src/capture/types.js';
import { HttpFlowState } from '../../src/fingerprint/http-headers.js';
import { hostMemo } from '../../src/state/http-nat.js';
import { conversation, dbFrom, field, run, TCP_PART, type ConvSpec } from './conv.js';

const DB = dbFrom(
  TCP_PART +
    `
[http:request]
ua_os = Linux,Windows,iOS=[iPad]

label = s:!:curl:
sys   = Linux
sig   = *:User-Agent,Host,Accept=[*/*]::curl/

label = s:!:WinOnly:
sys   = Windows
sig   = *:User-Agent,Host,X-Win::WinOnly/

[http:response]
label = s:!:Apache:2.x
sys   = @unix
sig   = *:Date,Server,Content-Type::Apache

label = s:!:nginx:1.x
sys   = @unix
sig   = *:Server,Date,Content-Type::nginx
`,
);

const curl = (ua = 'curl/7.1', extra = ''): string => `GET / HTTP/1.1\r\nUser-Agent: ${ua}\r\nHost: x\r\nAccept: */*\r\n${extra}Accept-Language: da\r\n\r\n`;
const apache = (date = 'Sat, 01 May 2010 18:14:47 GMT', extra = ''): string =>
  `HTTP/1.1 200 OK\r\nDate: ${date}\r\nServer: Apache/2.2\r\nContent-Type: text/html\r\n${extra}\r\nhello`;
const nginx = 'HTTP/1.1 200 OK\r\nServer: nginx/1.2\r\nDate: Sat, 01 May 2010 18:14:47 GMT\r\nContent-Type: text/html\r\n\r\n';
const unknown = 'HTTP/1.1 200 OK\r\nServer: what\r\n\r\n';

/** Several conversations, one after another, each on its own client port. */
function sessions(list: ConvSpec[], gap = 1): PacketRecord[] {
  let t = 1272737000;
  return list.flatMap((s, i) => {
    const p = conversation({ sport: 40000 + i * 7, tsSec: t, ...s });
    t += gap;
    return p;
  });
}

test('a request and its response: records in p0f field order, host records updated', () => {
  const r = run(DB, conversation({ request: curl(), response: apache() }));
  assert.equal(r.http.length, 2);
  const [req, resp] = r.http;
  assert.equal(req!.mod, 'http request');
  assert.equal(req!.subj, 'cli');
  assert.deepEqual(req!.fields.map(([k]) => k), ['app', 'lang', 'params', 'raw_sig']);
  assert.deepEqual(req!.fields, [
    ['app', 'curl'],
    ['lang', 'Danish'],
    ['params', 'none'],
    ['raw_sig', '1:User-Agent,Host,Accept=[*/*],Accept-Language=[da]:Connection,Accept-Encoding,Accept-Charset,Keep-Alive:curl/7.1'],
  ]);
  assert.deepEqual(req!.detail, { kind: 'http', app: { name: 'curl', flavor: null, generic: false }, language: 'Danish', badSw: 0 });
  assert.equal(resp!.mod, 'http response');
  assert.equal(resp!.subj, 'srv');
  assert.equal(field(resp, 'app'), 'Apache 2.x');
  assert.equal(field(resp, 'raw_sig'), '1:Date,Server,Content-Type:Connection,Keep-Alive,Accept-Ranges:Apache/2.2');
  const cli = r.engine.hosts.get('10.0.0.1')!;
  const srv = r.engine.hosts.get('10.0.0.2')!;
  assert.equal(cli.httpName, 'curl');
  assert.equal(cli.httpFlavor, null);
  assert.equal(cli.language, 'Danish');
  assert.equal(cli.httpRawSig, field(req, 'raw_sig'));
  assert.equal(srv.httpName, 'Apache');
  assert.equal(srv.httpFlavor, '2.x');
  assert.equal(r.engine.flows.size, 0, 'the flow is let go once the response is read');
});

test('unknown traffic: app=???; non-HTTP traffic and responses without a request give no record', () => {
  const r = run(DB, conversation({ request: 'GET / HTTP/1.0\r\nFoo: bar\r\n\r\n', response: unknown }));
  assert.equal(field(r.http[0], 'app'), null);
  assert.equal(field(r.http[0], 'params'), 'anonymous');
  assert.equal(field(r.http[0], 'lang'), 'none');
  assert.equal(field(r.http[1], 'app'), null);
  const ssh = run(DB, conversation({ request: 'SSH-2.0-OpenSSH_8.9p1 Ubuntu\r\n', response: 'SSH-2.0-OpenSSH_7.4\r\n' }));
  assert.equal(ssh.http.length, 0);
  assert.equal(ssh.engine.flows.size, 0, 'p0f stops watching a flow that is not HTTP');
  const early = run(DB, conversation({ request: curl(), response: apache(), responseFirst: true }));
  assert.equal(early.http.length, 0);
});

test('the per-flow state stays small: headers and values are bounded', () => {
  const big = 'GET / HTTP/1.1\r\n' + Array.from({ length: 40 }, (_, i) => `X-${i}: ${'v'.repeat(900)}\r\n`).join('') + '\r\n';
  const r = run(DB, conversation({ request: big, reqCuts: new Array(100).fill(300), response: apache() }));
  assert.equal(r.http.length, 0, 'more than 32 headers: not fingerprinted');
  for (const f of r.engine.flows.all()) {
    const st = f.app as HttpFlowState;
    assert.ok(st.msg.hdrs.length <= 32);
    assert.ok(f.reqLen <= 8192);
  }
});

test('1-byte segments: the request reads the same as in one piece', () => {
  const whole = run(DB, conversation({ request: curl(), response: apache() }));
  const split = run(DB, conversation({ request: curl(), reqCuts: new Array(curl().length).fill(1), response: apache() }));
  assert.deepEqual(split.http[0]!.fields, whole.http[0]!.fields);
});

test('Via / X-Forwarded-For score 8 (via): a host change at once', () => {
  const r = run(DB, sessions([{ request: curl('curl/1', 'X-Forwarded-For: 1.2.3.4\r\n'), response: apache() }]));
  const hc = r.observations.filter((o) => o.mod === 'host change');
  assert.equal(hc.length, 1);
  assert.equal(hc[0]!.subj, 'cli');
  assert.deepEqual(hc[0]!.fields, [
    ['reason', 'via'],
    ['raw_hits', '1,1,1,1'],
  ]);
  const idx = r.observations.findIndex((o) => o.mod === 'host change');
  assert.equal(r.observations[idx - 1]!.mod, 'http request', 'reported right after the HTTP record');
});

test('ua_os: an honest User-Agent naming another OS than the SYN scores ua_vs_os and sets bad_sw 1', () => {
  const r = run(DB, sessions([{ request: curl('curl/7 (Windows)'), response: apache() }, { request: curl('curl/7 (Linux)'), response: apache() }]));
  const hc = r.observations.filter((o) => o.mod === 'host change');
  assert.equal(hc.length, 1);
  assert.equal(field(hc[0], 'reason'), 'ua_vs_os');
  const reqs = r.http.filter((o) => o.mod === 'http request');
  assert.equal(reqs[0]!.detail?.kind === 'http' && reqs[0]!.detail.badSw, 1);
  assert.equal(reqs[1]!.detail?.kind === 'http' && reqs[1]!.detail.badSw, 0, 'a matching User-Agent clears it');
});

test('a dishonest User-Agent sets bad_sw 2 and skips the ua_os check', () => {
  const r = run(DB, conversation({ request: curl('Wget/1 (Windows)'), response: apache() }));
  const req = r.http[0]!;
  assert.equal(field(req, 'params'), 'dishonest');
  assert.equal(r.engine.hosts.get('10.0.0.1')!.badSw, 2);
  assert.equal(r.observations.filter((o) => o.mod === 'host change').length, 0);
});

test('an application signature for another OS scores app_vs_os', () => {
  const r = run(DB, conversation({ request: 'GET / HTTP/1.1\r\nUser-Agent: WinOnly/1\r\nHost: x\r\nX-Win: 1\r\n\r\n', response: apache() }));
  assert.equal(field(r.http[0], 'app'), 'WinOnly');
  const hc = r.observations.filter((o) => o.mod === 'host change');
  assert.deepEqual(hc.map((o) => field(o, 'reason')), ['app_vs_os']);
});

test('a server whose signature changes on the same port scores srv_sig_lb; known to unknown scores x_known', () => {
  const r = run(
    DB,
    sessions([
      { request: curl(), response: apache() },
      { request: curl(), response: nginx },
      { request: curl(), response: nginx, dport: 8080 },
      { request: curl(), response: unknown, dport: 80 }, // the last response kept was on 8080: no comparison
      { request: curl(), response: nginx, dport: 8080 },
      { request: curl(), response: unknown, dport: 8080 },
      { request: curl(), response: unknown, dport: 8080 }, // unknown after unknown: nothing to say
    ]),
  );
  const hc = r.observations.filter((o) => o.mod === 'host change' && o.subj === 'srv');
  assert.deepEqual(
    hc.map((o) => [o.srvPort, field(o, 'reason'), field(o, 'raw_hits')]),
    [
      [80, 'srv_sig_lb', '1,1,1,1'],
      [8080, 'x_known', '1,2,2,2'],
    ],
  );
  const memo = hostMemo(r.engine.hosts.get('10.0.0.2')!);
  assert.equal(memo.respPort, 8080);
  assert.equal(memo.resp?.matched, null);
});

test("responses whose Date drifts more than the time between them allows score 'date'", () => {
  const r = run(
    DB,
    sessions(
      [
        { request: curl(), response: apache('Sat, 01 May 2010 18:14:47 GMT') },
        { request: curl(), response: apache('Sat, 01 May 2010 18:14:50 GMT') },
        { request: curl(), response: apache('Sat, 01 May 2010 17:14:50 GMT') },
        { request: curl(), response: apache('garbage') },
        { request: curl(), response: apache('Sat, 01 May 2010 17:15:10 GMT') },
      ],
      5,
    ),
  );
  const hc = r.observations.filter((o) => o.mod === 'host change' && o.subj === 'srv');
  assert.deepEqual(
    hc.map((o) => [o.cliPort, field(o, 'reason')]),
    [[40014, 'date']],
  );
});

test('ip sharing: a lasting pattern of differences', () => {
  const list: ConvSpec[] = [];
  for (let i = 0; i < 4; i++) list.push({ request: curl('curl/1', 'Via: proxy\r\n'), response: apache() });
  const r = run(DB, sessions(list));
  const nat = r.observations.filter((o) => o.mod === 'host change' || o.mod === 'ip sharing');
  assert.deepEqual(
    nat.map((o) => [o.mod, field(o, 'reason'), field(o, 'raw_hits')]),
    [
      ['host change', 'via', '1,1,1,1'],
      ['host change', 'via', '2,2,2,2'],
      ['ip sharing', 'via', '3,3,3,3'],
      ['host change', 'via', '1,1,1,1'],
    ],
  );
});
