import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  ConnPos,
  HostHttpPos,
  HostOsPos,
  HostPos,
  HostTlsPos,
  HostUptimePos,
  HttpAppPos,
  HttpPos,
  MtuPos,
  NatPos,
  packConn,
  packHost,
  packSide,
  SidePos,
  SideUptimePos,
  TcpMatchPos,
  TcpPos,
  TlsClientPos,
  TlsHelloPos,
  TlsServerPos,
  unpackConn,
  unpackHost,
} from '../../src/api/compact.js';
import { ConnVerdicts } from '../../src/state/conn-verdicts.js';
import { answerJsonLine } from '../../src/api/json.js';
import type { JsonConn, JsonHost, JsonSide } from '../../src/api/json-types.js';
import { linuxSyn, makeHost, makeLookup, obs } from './helpers.js';

const text = fc.string({ maxLength: 40 });
const textN = fc.option(text, { nil: null });
const int = fc.integer({ min: 0, max: 2 ** 32 });
const intN = fc.option(int, { nil: null });

const host: fc.Arbitrary<JsonHost> = fc
  .record({
    addr: text,
    ip_version: fc.constantFrom<4 | 6>(4, 6),
    first_seen: int,
    last_seen: int,
    total_conn: int,
    os: fc.option(fc.record({ name: text, flavor: textN, class: textN, fuzzy: fc.boolean(), generic: fc.boolean() }), { nil: null }),
    os_match_q: fc.nat(3),
    http: fc.option(fc.record({ name: text, flavor: textN }), { nil: null }),
    bad_sw: fc.nat(2),
    language: textN,
    distance: intN,
    link: textN,
    mtu: intN,
    uptime: fc.option(fc.record({ minutes: int, modulo_days: int }), { nil: null }),
    last_nat: intN,
    last_chg: intN,
    tls: fc.option(fc.record({ ja4: text, client: fc.option(fc.record({ family: text, name: text }), { nil: null }), transport: fc.constantFrom<'tcp' | 'quic'>('tcp', 'quic'), sni: textN, time: int }), { nil: null }),
  })
  .map((h) => ({
    ...h,
    // Host labels are name + flavor by definition (hostToJson).
    os: h.os ? { name: h.os.name, flavor: h.os.flavor, class: h.os.class, label: h.os.flavor ? `${h.os.name} ${h.os.flavor}` : h.os.name, fuzzy: h.os.fuzzy, generic: h.os.generic } : null,
    http: h.http ? { ...h.http, label: h.http.flavor ? `${h.http.name} ${h.http.flavor}` : h.http.name } : null,
  }));

const side: fc.Arbitrary<JsonSide> = fc.record({
  tcp: fc.option(
    fc.record({
      label: textN,
      match: fc.option(fc.record({ name: text, flavor: textN, class: textN, userland: fc.boolean(), generic: fc.boolean(), fuzzy: fc.boolean() }), { nil: null }),
      dist: fc.nat(255),
      dist_upper_bound: fc.boolean(),
      quality: fc.nat(3),
      params: textN,
      raw_sig: textN,
    }),
    { nil: null },
  ),
  mtu: fc.option(fc.record({ mtu: int, link: textN }), { nil: null }),
  uptime: fc.option(fc.record({ minutes: int, modulo_days: int, freq_hz: int }), { nil: null }),
  http: fc.option(
    fc.record({
      label: textN,
      app: fc.option(fc.record({ name: text, flavor: textN, generic: fc.boolean() }), { nil: null }),
      language: textN,
      bad_sw: fc.nat(2),
      params: textN,
      raw_sig: textN,
    }),
    { nil: null },
  ),
  nat: fc.option(fc.record({ kind: fc.constantFrom<'ip sharing' | 'host change'>('ip sharing', 'host change'), reasons: fc.array(text, { maxLength: 4 }), time: int }), { nil: null }),
  tls: fc.option(
    fc.oneof(
      fc.record({
        transport: fc.constantFrom<'tcp' | 'quic'>('tcp', 'quic'),
        version: text,
        ja4: text,
        ja3: text,
        sni: textN,
        alpn: fc.option(fc.array(text, { maxLength: 3 }), { nil: null }),
        client: fc.option(fc.record({ family: text, name: text }), { nil: null }),
        after_retry: fc.boolean(),
      }),
      fc.record({ transport: fc.constantFrom<'tcp' | 'quic'>('tcp', 'quic'), version: text, cipher: fc.nat(0xffff), alpn: textN, hello_retry_request: fc.boolean() }),
    ),
    { nil: null },
  ),
});

const conn: fc.Arbitrary<JsonConn> = fc.record({
  ip_version: fc.constantFrom<4 | 6>(4, 6),
  cli: fc.record({ addr: text, port: fc.nat(65535) }),
  srv: fc.record({ addr: text, port: fc.nat(65535) }),
  first_seen: int,
  last_seen: int,
  encap: fc.boolean(),
  sendsyn: fc.boolean(),
  client: side,
  server: side,
});

/** Through JSON text, as over the socket (and with plain prototypes). */
const wire = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

test('compact host and conn records unpack to the keyed form they were packed from', () => {
  fc.assert(fc.property(host, (h) => assert.deepEqual(unpackHost(wire(packHost(h))), wire(h))));
  fc.assert(fc.property(conn, (c) => assert.deepEqual(unpackConn(wire(packConn(c))), wire(c))));
  assert.equal(unpackHost(null), null);
  assert.equal(unpackConn(null), null);
});

/**
 * Each name of a position table holds the keyed record's value of that key
 * (scalars compared here; records by the caller, one table each).
 */
function holds(packed: readonly unknown[] | null, keyed: object | null, table: Readonly<Record<string, number>>, what: string): void {
  if (keyed === null) return assert.equal(packed, null, what);
  assert.ok(packed, what);
  assert.equal(packed.length, Object.keys(table).length, `${what}: length`);
  for (const [k, i] of Object.entries(table)) {
    const v: unknown = (keyed as Record<string, unknown>)[k];
    if (v === null || typeof v !== 'object' || Array.isArray(v)) assert.deepEqual(packed[i], v, `${what}.${k} at ${i}`);
  }
}

test('every position of the compact form holds the value its name says', () => {
  fc.assert(
    fc.property(host, (h) => {
      const p = packHost(h);
      holds(p, h, HostPos, 'host');
      holds(p[HostPos.os], h.os, HostOsPos, 'host.os');
      holds(p[HostPos.http], h.http, HostHttpPos, 'host.http');
      holds(p[HostPos.uptime], h.uptime, HostUptimePos, 'host.uptime');
      holds(p[HostPos.tls], h.tls ?? null, HostTlsPos, 'host.tls');
      holds(p[HostPos.tls]?.[HostTlsPos.client] ?? null, h.tls?.client ?? null, TlsClientPos, 'host.tls.client');
    }),
  );
  fc.assert(
    fc.property(conn, (c) => {
      const p = packConn(c);
      const flat = { ...c, cli_addr: c.cli.addr, cli_port: c.cli.port, srv_addr: c.srv.addr, srv_port: c.srv.port };
      holds(p, flat, ConnPos, 'conn');
      assert.deepEqual(p[ConnPos.client], packSide(c.client));
      assert.deepEqual(p[ConnPos.server], packSide(c.server));
      for (const s of [c.client, c.server]) {
        const ps = packSide(s);
        holds(ps, s, SidePos, 'side');
        holds(ps[SidePos.tcp], s.tcp, TcpPos, 'tcp');
        holds(ps[SidePos.tcp]?.[TcpPos.match] ?? null, s.tcp?.match ?? null, TcpMatchPos, 'tcp.match');
        holds(ps[SidePos.mtu], s.mtu, MtuPos, 'mtu');
        holds(ps[SidePos.uptime], s.uptime, SideUptimePos, 'uptime');
        holds(ps[SidePos.http], s.http, HttpPos, 'http');
        holds(ps[SidePos.http]?.[HttpPos.app] ?? null, s.http?.app ?? null, HttpAppPos, 'http.app');
        holds(ps[SidePos.nat], s.nat, NatPos, 'nat');
        const t = s.tls ?? null;
        holds(ps[SidePos.tls], t, t !== null && 'ja4' in t ? TlsHelloPos : TlsServerPos, 'tls');
        holds((t !== null && 'ja4' in t && ps[SidePos.tls]?.[TlsHelloPos.client]) || null, t !== null && 'ja4' in t ? t.client : null, TlsClientPos, 'tls.client');
      }
    }),
  );
});

test('malformed compact records give undefined, never a throw or a half-built record', () => {
  fc.assert(
    fc.property(fc.jsonValue(), (v) => {
      const h = unpackHost(v);
      const c = unpackConn(v);
      assert.ok(h === undefined || h === null || typeof h === 'object');
      assert.ok(c === undefined || c === null || typeof c === 'object');
    }),
  );
  // Any one value of a valid record replaced by one of the wrong type.
  const wrong = (x: unknown): unknown => (typeof x === 'string' ? 7 : typeof x === 'number' ? 'seven' : typeof x === 'boolean' ? 0 : Array.isArray(x) ? {} : x === null ? [] : null);
  fc.assert(
    fc.property(host, fc.nat(), (h, k) => {
      const p = packHost(h);
      const i = k % p.length;
      const bad: unknown[] = [...p];
      bad[i] = wrong(p[i]);
      // null may stand where a record may be null: only wrong types count.
      if (p[i] !== null && bad[i] !== null) assert.equal(unpackHost(bad), undefined, `host field ${i}`);
    }),
  );
  fc.assert(
    fc.property(conn, fc.nat(), (c, k) => {
      const p = packConn(c);
      const i = k % 9; // the scalar fields before the two sides
      const bad: unknown[] = [...p];
      bad[i] = wrong(p[i]);
      assert.equal(unpackConn(bad), undefined, `conn field ${i}`);
    }),
  );
  assert.equal(unpackConn([4, 'a', 1, 'b', 2, 3, 4, false, false, [null, null, null, null, ['nat?', [], 1]], [null, null, null, null, null]]), undefined);
  assert.equal(unpackHost(['too', 'short']), undefined);
});

test('a server answers {"compact":true} queries with the same records, packed', () => {
  const T = { cli: '192.0.2.10', cliPort: 51000, srv: '198.51.100.1', srvPort: 80 };
  const conns = new ConnVerdicts(10);
  conns.observe(linuxSyn(T));
  conns.observe(obs(T, 'mtu', 'cli', { kind: 'mtu', mtu: 1500, link: 'Ethernet or modem' }));
  const look = makeLookup(
    [makeHost({ lastOs: { id: 1, line: 1, generic: false, sys: [], cls: 'unix', name: 'Linux', flavor: '3.11 and newer' }, distance: 8, lastUpMin: 90, upModDays: 49, httpName: 'Firefox', httpFlavor: null, lastNat: 1700000050 })],
    conns,
  );
  const ask = (q: object): Record<string, unknown> => JSON.parse(answerJsonLine(JSON.stringify(q), look, () => ({})).text) as Record<string, unknown>;
  const cq = { cli: T.cli, cli_port: T.cliPort, srv: T.srv, srv_port: T.srvPort };
  const keyed = ask(cq);
  const packed = ask({ ...cq, id: 4, compact: true });
  assert.equal(packed.id, 4);
  assert.equal(packed.status, 'ok');
  assert.ok(Array.isArray(packed.host) && Array.isArray(packed.conn));
  assert.deepEqual(unpackHost(packed.host), keyed.host);
  assert.deepEqual(unpackConn(packed.conn), keyed.conn);
  const hostOnly = ask({ addr: T.cli, compact: true });
  assert.deepEqual(unpackHost(hostOnly.host), keyed.host);
  // A known host on an unknown connection: conn null, as in the keyed form.
  assert.equal(ask({ ...cq, cli_port: 9, compact: true }).conn, null);
  assert.deepEqual(ask({ ...cq, cli: '203.0.113.1', compact: true }), { status: 'no match' });
  assert.deepEqual(ask({ ...cq, compact: false }), keyed);
  assert.match(String(ask({ ...cq, compact: 1 }).error), /"compact" must be true or false/);
  assert.match(String(ask({ op: 'status', compact: true }).error), /takes no other fields/);
});
