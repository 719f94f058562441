/**
 * `pof query`: asks a running pof daemon about a host (like p0f-client) or,
 * with --port/--srv/--srv-port, about one connection.
 *
 *   pof query ADDRESS [-s PATH] [--json] [--timeout MS]
 *   pof query ADDRESS --port N --srv ADDR --srv-port N [-s PATH] [--json]
 *   pof query ... --store redis://HOST:PORT[/DB]    the shared store instead
 *
 * Exit codes: 0 found, 1 no match or error, 2 usage.
 */
import { PofClient } from '../api/client.js';
import type { JsonConn, JsonHost, JsonSide } from '../api/json-types.js';
import { StoreReader } from '../api/store/reader.js';
import { V3_MATCH_FUZZY, V3_MATCH_GENERIC, type V3HostInfo } from '../api/v3.js';
import { DEFAULT_API_SOCKET } from '../config.js';
import { isPofError, PofError } from '../errors.js';
import { parseAddress } from '../net/addr.js';
import { helpText, parseArgs, stringFlag, type FlagSpec } from './args.js';

interface Out {
  write(s: string): unknown;
}

const FLAGS: readonly FlagSpec[] = [
  { name: 's', takesValue: true, valueName: 'PATH', help: `API socket (default ${DEFAULT_API_SOCKET})` },
  { name: 'port', takesValue: true, valueName: 'N', help: "the client's port: query one connection" },
  { name: 'srv', takesValue: true, valueName: 'ADDR', help: "the server's address (with --port)" },
  { name: 'srv-port', takesValue: true, valueName: 'N', help: "the server's port (with --port)" },
  { name: 'store', takesValue: true, valueName: 'URL', help: 'ask the shared store (redis://HOST:PORT[/DB] or rediss://...) instead of a daemon; a password in the URL or in $POF_STORE_PASSWORD' },
  { name: 'json', takesValue: false, help: "print pof's JSON answer" },
  { name: 'timeout', takesValue: true, valueName: 'MS', help: 'give up after this many ms (default 2000)' },
  { name: 'help', takesValue: false, help: 'show this help' },
  { name: 'h', takesValue: false, help: 'show this help' },
];

const USAGE = `Usage: pof query ADDRESS [-s PATH | --store URL] [--json]
       pof query ADDRESS --port N --srv ADDRESS --srv-port N [-s PATH | --store URL] [--json]
Asks a running pof daemon (or, with --store, the shared store on Redis that
sensors publish to) what it knows about a host, or about one connection.
Exit status: 0 found, 1 no match or error, 2 usage.

${helpText(FLAGS)}
`;

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** p0f-client's "%Y/%m/%d %H:%M:%S", local time. */
function fmtTime(sec: number): string {
  const d = new Date(sec * 1000);
  return `${d.getFullYear()}/${pad2(d.getMonth() + 1)}/${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

function portArg(name: string, v: string | true | undefined): number {
  if (typeof v !== 'string' || !/^\d{1,5}$/.test(v) || Number(v) > 65535) {
    throw new PofError('E_USAGE', `--${name} wants a port number 0..65535`);
  }
  return Number(v);
}

/** The p0f-client block, from a p0f 3 answer. */
export function formatV3Host(r: V3HostInfo): string {
  const lines: string[] = [];
  lines.push(`First seen    = ${fmtTime(r.firstSeen)}`);
  lines.push(`Last update   = ${fmtTime(r.lastSeen)}`);
  lines.push(`Total flows   = ${r.totalConn}`);
  if (!r.osName) lines.push('Detected OS   = ???');
  else {
    const g = r.osMatchQ & V3_MATCH_GENERIC ? ' [generic]' : '';
    const f = r.osMatchQ & V3_MATCH_FUZZY ? ' [fuzzy]' : '';
    lines.push(`Detected OS   = ${r.osName} ${r.osFlavor}${g}${f}`);
  }
  if (!r.httpName) lines.push('HTTP software = ???');
  else {
    const id = r.badSw === 2 ? 'is fake' : r.badSw ? 'OS mismatch' : 'seems legit';
    lines.push(`HTTP software = ${r.httpName} ${r.httpFlavor} (ID ${id})`);
  }
  lines.push(`Network link  = ${r.linkType || '???'}`);
  lines.push(`Language      = ${r.language || '???'}`);
  lines.push(`Distance      = ${r.distance === -1 ? '???' : r.distance}`);
  if (r.lastNat) lines.push(`IP sharing    = ${fmtTime(r.lastNat)}`);
  if (r.lastChg) lines.push(`Sys change    = ${fmtTime(r.lastChg)}`);
  if (r.uptimeMin) {
    const m = r.uptimeMin;
    lines.push(`Uptime        = ${Math.floor(m / 60 / 24)} days ${Math.floor(m / 60) % 24} hrs ${m % 60} min (modulo ${r.upModDays} days)`);
  }
  return lines.join('\n') + '\n';
}

/** The same block from pof's JSON host answer. */
export function formatJsonHost(h: JsonHost): string {
  return formatV3Host({
    firstSeen: h.first_seen,
    lastSeen: h.last_seen,
    totalConn: h.total_conn,
    uptimeMin: h.uptime?.minutes ?? 0,
    upModDays: h.uptime?.modulo_days ?? 0,
    lastNat: h.last_nat ?? 0,
    lastChg: h.last_chg ?? 0,
    distance: h.distance ?? -1,
    badSw: h.bad_sw,
    osMatchQ: h.os_match_q,
    osName: h.os?.name ?? '',
    osFlavor: h.os?.flavor ?? '',
    httpName: h.http?.name ?? '',
    httpFlavor: h.http?.flavor ?? '',
    linkType: h.link ?? '',
    language: h.language ?? '',
  });
}

function sideLines(who: string, s: JsonSide): string[] {
  const out: string[] = [];
  const name = (label: string): string => label.padEnd(14);
  if (s.tcp) {
    const t = s.tcp;
    const q = `${t.match?.generic ? ' [generic]' : ''}${t.match?.fuzzy ? ' [fuzzy]' : ''}`;
    const d = `${t.dist_upper_bound ? '<= ' : ''}${t.dist}`;
    out.push(`${name(`${who} TCP`)}= ${t.label ?? '???'}${q} (distance ${d})`);
  }
  if (s.mtu) out.push(`${name(`${who} link`)}= ${s.mtu.link ?? '???'} (MTU ${s.mtu.mtu})`);
  if (s.http) {
    const id = s.http.bad_sw === 2 ? 'is fake' : s.http.bad_sw ? 'OS mismatch' : 'seems legit';
    out.push(`${name(`${who} HTTP`)}= ${s.http.label ?? '???'} (ID ${id})${s.http.language ? `, language ${s.http.language}` : ''}`);
  }
  if (s.uptime) {
    const m = s.uptime.minutes;
    out.push(`${name(`${who} uptime`)}= ${Math.floor(m / 60 / 24)} days ${Math.floor(m / 60) % 24} hrs ${m % 60} min (modulo ${s.uptime.modulo_days} days)`);
  }
  if (s.nat) out.push(`${name(`${who} ${s.nat.kind === 'ip sharing' ? 'NAT' : 'change'}`)}= ${fmtTime(s.nat.time)}${s.nat.reasons.length ? ` (${s.nat.reasons.join(' ')})` : ''}`);
  return out;
}

export function formatConn(c: JsonConn): string {
  const lines = [`Connection    = ${c.cli.addr}/${c.cli.port} -> ${c.srv.addr}/${c.srv.port}`];
  lines.push(`Seen          = ${fmtTime(c.first_seen)} .. ${fmtTime(c.last_seen)}`);
  lines.push(...sideLines('Client', c.client), ...sideLines('Server', c.server));
  return lines.join('\n') + '\n';
}

export async function runQuery(argv: string[], stdout: Out, stderr: Out): Promise<number> {
  let client: PofClient | null = null;
  try {
    const { flags, rest } = parseArgs(argv, FLAGS, 'pof query');
    if (flags.has('help') || flags.has('h')) {
      stdout.write(USAGE);
      return 0;
    }
    if (rest.length !== 1) throw new PofError('E_USAGE', rest.length ? 'give one address' : 'give the address to look up');
    const addr = rest[0]!;
    if (!parseAddress(addr)) throw new PofError('E_USAGE', `not an IP address: ${addr}`);
    const str = (k: string): string | undefined => stringFlag(flags, k);
    const path = str('s') ?? DEFAULT_API_SOCKET;
    const byConn = ['port', 'srv', 'srv-port'].filter((k) => flags.has(k));
    if (byConn.length && byConn.length !== 3) throw new PofError('E_USAGE', '--port, --srv and --srv-port go together');
    const t = str('timeout');
    if (t !== undefined && (!/^\d{1,7}$/.test(t) || Number(t) < 1)) throw new PofError('E_USAGE', '--timeout wants milliseconds (1..9999999)');
    const timeoutMs = t === undefined ? 2000 : Number(t);
    let conn: { cli: string; cliPort: number; srv: string; srvPort: number } | null = null;
    if (byConn.length) {
      const srv = str('srv')!;
      if (!parseAddress(srv)) throw new PofError('E_USAGE', `not an IP address: ${srv}`);
      conn = { cli: addr, cliPort: portArg('port', flags.get('port')), srv, srvPort: portArg('srv-port', flags.get('srv-port')) };
    }

    const json = flags.has('json');
    const store = str('store');
    if (store !== undefined) {
      if (flags.has('s')) throw new PofError('E_USAGE', 'give -s or --store, not both');
      return await queryStore(store, addr, conn, json, timeoutMs, stdout);
    }
    client = new PofClient({ path, timeoutMs, waitForServer: false });
    if (conn) {
      const a = await client.queryJson({ cli: conn.cli, cli_port: conn.cliPort, srv: conn.srv, srv_port: conn.srvPort });
      if (json) stdout.write(JSON.stringify(a) + '\n');
      if (a.status !== 'ok') {
        if (!json) stdout.write('No matching host or connection in pof cache.\n');
        return 1;
      }
      if (!json) {
        stdout.write(a.host ? formatJsonHost(a.host) : 'Host          = ???\n');
        stdout.write(a.conn ? formatConn(a.conn) : 'Connection    = ???\n');
      }
      return 0;
    }
    if (json) {
      const a = await client.queryJson({ addr });
      stdout.write(JSON.stringify(a) + '\n');
      return a.status === 'ok' ? 0 : 1;
    }
    const r = await client.queryHost(addr);
    if (!r) {
      stdout.write("No matching host in p0f cache. That's all we know.\n");
      return 1;
    }
    stdout.write(formatV3Host(r));
    return 0;
  } catch (e) {
    if (isPofError(e)) {
      stderr.write(`pof: ${e.message}\n`);
      if (e.code === 'E_USAGE') {
        stderr.write(USAGE);
        return 2;
      }
      return 1;
    }
    stderr.write(`pof: ${(e as Error)?.message ?? String(e)}\n`);
    return 1;
  } finally {
    await client?.close();
  }
}

/**
 * The same questions to the shared store: the daemon's JSON shapes, so the
 * same blocks print. Redis not reached within the timeout is one line.
 */
async function queryStore(url: string, addr: string, conn: { cli: string; cliPort: number; srv: string; srvPort: number } | null, json: boolean, timeoutMs: number, stdout: Out): Promise<number> {
  const password = process.env.POF_STORE_PASSWORD || undefined;
  const reader = new StoreReader({ url, password, timeoutMs: Math.min(timeoutMs, 60_000), cacheTtlMs: 0, connectTimeoutMs: timeoutMs });
  let timer: NodeJS.Timeout | undefined;
  try {
    const ready = await Promise.race([reader.ready().then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs)))]);
    if (!ready) throw new PofError('E_STORE', reader.unavailable() ?? `redis did not answer within ${timeoutMs} ms`);
    if (conn) {
      const a = await reader.connection(conn);
      if (json) stdout.write(JSON.stringify(a ? { status: 'ok', host: a.host, conn: a.conn } : { status: 'no match' }) + '\n');
      if (!a) {
        if (!json) stdout.write('No matching host or connection in the pof store.\n');
        return 1;
      }
      if (!json) {
        stdout.write(a.host ? formatJsonHost(a.host) : 'Host          = ???\n');
        stdout.write(a.conn ? formatConn(a.conn) : 'Connection    = ???\n');
      }
      return 0;
    }
    const h = await reader.host(addr);
    if (json) stdout.write(JSON.stringify(h ? { status: 'ok', host: h } : { status: 'no match' }) + '\n');
    else stdout.write(h ? formatJsonHost(h) : 'No matching host in the pof store.\n');
    return h ? 0 : 1;
  } finally {
    clearTimeout(timer);
    await reader.close();
  }
}
