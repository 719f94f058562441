/**
 * The shared store's schema: what the sensor writes to Redis and web nodes
 * read, so that any client (another language, redis-cli) can too.
 *
 *   pof:conn:<cli>/<cli_port>><srv>/<srv_port>   a connection's verdicts
 *   pof:host:<addr>                              what is known of a host
 *
 * Addresses are in pof's text (the daemon's): IPv4 dotted, IPv6 as eight
 * uncompressed lower-case hex groups, IPv4-mapped IPv6 as IPv4, e.g.
 *
 *   pof:conn:198.51.100.7/45012>203.0.113.80/443
 *   pof:host:2001:db8:0:0:0:0:0:7
 *
 * Values are JSON strings, in the shapes of the daemon's JSON answers: a
 * conn key holds what {"cli":..} answers as "conn" (JsonConn), a host key
 * what {"addr":..} answers as "host" (JsonHost). Each key has a TTL (SET
 * ... EX): connections 300 s, hosts 3600 s by default. The "pof:" prefix
 * may be changed (several sites on one Redis).
 *
 * Also here: the store URL, redis[s]://[[user]:password@]host[:port][/db],
 * checked once with one line per problem.
 */
import { PofError } from '../../errors.js';
import { canonicalAddress } from '../../net/addr.js';

export const DEFAULT_KEY_PREFIX = 'pof:';
export const DEFAULT_CONN_TTL_S = 300;
export const DEFAULT_HOST_TTL_S = 3600;
export const MAX_TTL_S = 30 * 86_400;
export const DEFAULT_REDIS_PORT = 6379;
/** Longest key prefix. */
export const MAX_KEY_PREFIX = 64;

export function connStoreKey(prefix: string, cli: string, cliPort: number, srv: string, srvPort: number): string {
  return `${prefix}conn:${cli}/${cliPort}>${srv}/${srvPort}`;
}

export function hostStoreKey(prefix: string, addr: string): string {
  return `${prefix}host:${addr}`;
}

/** The key of a connection given in any address text (null: not addresses, or mixed versions). */
export function connStoreKeyOf(prefix: string, cli: string, cliPort: number, srv: string, srvPort: number): string | null {
  const c = canonicalAddress(cli);
  const s = canonicalAddress(srv);
  if (!c || !s || c.ver !== s.ver) return null;
  return connStoreKey(prefix, c.addr, cliPort, s.addr, srvPort);
}

export interface StoreUrl {
  tls: boolean;
  host: string;
  port: number;
  database: number;
  username: string | undefined;
  password: string | undefined;
  /** The URL without its password, for messages and logs. */
  display: string;
}

/**
 * Parses a store URL; PofError E_CONFIG (one line, the password never in
 * it) when it is not one. `what` names the flag or option in messages.
 */
export function parseStoreUrl(text: unknown, what = 'store'): StoreUrl {
  const bad = (why: string): PofError => new PofError('E_CONFIG', `${what}: ${why}`);
  if (typeof text !== 'string' || !text) throw bad('give a URL: redis://HOST[:PORT][/DB] or rediss://...');
  if (text.length > 2048) throw bad('the URL is longer than 2048 characters');
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw bad(`not a URL (redis://HOST[:PORT][/DB] or rediss://...)`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw bad(`${u.protocol.replace(/:$/, '')}:// is not redis:// or rediss://`);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw bad('the URL names no host');
  const port = u.port ? Number(u.port) : DEFAULT_REDIS_PORT;
  let database = 0;
  const path = u.pathname.replace(/^\//, '');
  if (path) {
    if (!/^\d{1,5}$/.test(path) || Number(path) > 65535) throw bad(`database "${path.slice(0, 16)}" is not a number (redis://HOST:PORT/DB)`);
    database = Number(path);
  }
  if (u.search || u.hash) throw bad('the URL takes no ?query or #fragment');
  let username: string | undefined;
  let password: string | undefined;
  try {
    username = u.username ? decodeURIComponent(u.username) : undefined;
    password = u.password ? decodeURIComponent(u.password) : undefined;
  } catch {
    throw bad('the user name or password is badly %-encoded');
  }
  const auth = username || password ? `${username ?? ''}${password ? ':***' : ''}@` : '';
  const hostText = host.includes(':') ? `[${host}]` : host;
  return { tls: u.protocol === 'rediss:', host, port, database, username, password, display: `${u.protocol}//${auth}${hostText}:${port}${database ? `/${database}` : ''}` };
}

/** Checks a key prefix option. */
export function keyPrefixOption(what: string, v: unknown): string {
  if (v === undefined) return DEFAULT_KEY_PREFIX;
  if (typeof v !== 'string' || v.length > MAX_KEY_PREFIX || /[\s\0]/.test(v)) throw new PofError('E_CONFIG', `${what}: keyPrefix must be a string of at most ${MAX_KEY_PREFIX} characters without blanks`);
  return v;
}
