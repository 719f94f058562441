/**
 * Apache LogFormat strings, compiled once into a list of small functions.
 * Pure: a LogRecord (what one request did) in, one line out.
 *
 * Directives (mod_log_config's meaning):
 *   %%  %a %{c}a %A %b %B %{NAME}C %D %{VAR}e %f %h %H %{NAME}i %k %l %L
 *   %m %{NAME}n %{NAME}o %p %{canonical|local|remote}p %P %{pid|tid}P %q %r
 *   %R %s %>s %<s %t %{FORMAT}t %T %{s|ms|us}T %u %U %v %V %X
 * with mod_log_config's modifiers: status conditions (%400,501{User-agent}i,
 * %!200,304{Referer}i) and < / >. %{pof_genre}e and the other pof variables
 * read the request's pof verdict, as with mod_pof. Values from the request
 * are escaped as Apache does (\" \\ \n \t \xhh); an unknown value is "-".
 * Nicknames: common, combined, vhost_common, vhost_combined, referer,
 * agent, pof, pof_combined.
 */
import { PofError } from '../errors.js';
import { isPofValueName, pofValue, type PofResult } from './result.js';

/** What one request did: everything a LogFormat directive can print. */
export interface LogRecord {
  method: string;
  /** Request target as received ('/a/b?x=1'). */
  url: string;
  /** '1.1'. */
  httpVersion: string;
  /** Request headers, lower-case names (Node's req.headers). */
  headersIn: Record<string, string | string[] | undefined>;
  /** A response header by name. */
  headerOut(name: string): string | undefined;
  status: number;
  /** Response body bytes. */
  bytesOut: number;
  cli: string;
  cliPort: number;
  srv: string;
  srvPort: number;
  /** Request start, ms since the epoch (may be fractional). */
  startMs: number;
  durationUs: number;
  /** Earlier requests on the same connection. */
  keepAliveCount: number;
  /** 'X' aborted, '+' kept alive, '-' closed. */
  connStatus: 'X' | '+' | '-';
  pof: PofResult | undefined;
  /** Other environment variables (%{VAR}e beyond pof's). */
  env?: (name: string) => string | undefined;
}

export interface LogFormatOptions {
  /** %v: the server's name (default: the host name). */
  serverName?: string;
  /** %{canonical}p and %p (default: the local port). */
  canonicalPort?: number;
}

export const LOG_NICKNAMES: Readonly<Record<string, string>> = {
  common: '%h %l %u %t "%r" %>s %b',
  combined: '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"',
  vhost_common: '%v %h %l %u %t "%r" %>s %b',
  vhost_combined: '%v:%p %h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"',
  referer: '%{Referer}i -> %U',
  agent: '%{User-agent}i',
  pof: '%h %l %u %t "%r" %>s %b "%{pof_genre}e" "%{pof_details}e" %{pof_distance}e "%{pof_link}e"',
  pof_combined:
    '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i" "%{pof_genre}e" "%{pof_details}e" %{pof_distance}e "%{pof_link}e" "%{pof_err}e"',
};

type Item = (r: LogRecord) => string;

const HEX = '0123456789abcdef';

/** Apache's ap_escape_logitem: quotes, backslashes and control bytes escaped; other non-ASCII as \xhh. */
export function escapeLogItem(s: string): string {
  let plain = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c >= 0x7f || c === 0x22 || c === 0x5c) {
      plain = false;
      break;
    }
  }
  if (plain) return s;
  const bytes = /[^\x00-\xff]/.test(s) ? Buffer.from(s, 'utf8') : Buffer.from(s, 'latin1');
  let out = '';
  for (const c of bytes) {
    switch (c) {
      case 0x22:
        out += '\\"';
        break;
      case 0x5c:
        out += '\\\\';
        break;
      case 0x08:
        out += '\\b';
        break;
      case 0x0a:
        out += '\\n';
        break;
      case 0x0d:
        out += '\\r';
        break;
      case 0x09:
        out += '\\t';
        break;
      case 0x0b:
        out += '\\v';
        break;
      default:
        out += c < 0x20 || c >= 0x7f ? '\\x' + HEX[c >> 4] + HEX[c & 15] : String.fromCharCode(c);
    }
  }
  return out;
}

const esc = (s: string | undefined | null): string => (s === undefined || s === null ? '-' : escapeLogItem(s));

/** A request header by its lowercase name (as Node keys them). */
function header(h: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = h[name];
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v.join(', ') : v;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTHS_LONG = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const DAYS_LONG = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const p2 = (n: number): string => (n < 10 ? '0' + n : String(n));
const p3 = (n: number): string => String(n).padStart(3, '0');

function tzOffset(d: Date): string {
  const off = -d.getTimezoneOffset();
  const a = Math.abs(off);
  return (off < 0 ? '-' : '+') + p2(Math.floor(a / 60)) + p2(a % 60);
}

/** strftime(3), local time, the conversions log formats use. */
export function strftime(fmt: string, d: Date): string {
  let out = '';
  for (let i = 0; i < fmt.length; i++) {
    const ch = fmt[i]!;
    if (ch !== '%' || i + 1 >= fmt.length) {
      out += ch;
      continue;
    }
    const c = fmt[++i]!;
    switch (c) {
      case 'a': out += DAYS[d.getDay()]; break;
      case 'A': out += DAYS_LONG[d.getDay()]; break;
      case 'b': case 'h': out += MONTHS[d.getMonth()]; break;
      case 'B': out += MONTHS_LONG[d.getMonth()]; break;
      case 'c': out += `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())} ${d.getFullYear()}`; break;
      case 'C': out += p2(Math.floor(d.getFullYear() / 100)); break;
      case 'd': out += p2(d.getDate()); break;
      case 'e': out += String(d.getDate()).padStart(2, ' '); break;
      case 'D': out += `${p2(d.getMonth() + 1)}/${p2(d.getDate())}/${p2(d.getFullYear() % 100)}`; break;
      case 'F': out += `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())}`; break;
      case 'H': out += p2(d.getHours()); break;
      case 'I': out += p2(d.getHours() % 12 || 12); break;
      case 'j': {
        const start = new Date(d.getFullYear(), 0, 1);
        out += p3(Math.floor((d.getTime() - start.getTime() + (start.getTimezoneOffset() - d.getTimezoneOffset()) * 60000) / 86400000) + 1);
        break;
      }
      case 'm': out += p2(d.getMonth() + 1); break;
      case 'M': out += p2(d.getMinutes()); break;
      case 'n': out += '\n'; break;
      case 'p': out += d.getHours() < 12 ? 'AM' : 'PM'; break;
      case 'R': out += `${p2(d.getHours())}:${p2(d.getMinutes())}`; break;
      case 's': out += String(Math.floor(d.getTime() / 1000)); break;
      case 'S': out += p2(d.getSeconds()); break;
      case 't': out += '\t'; break;
      case 'T': out += `${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}`; break;
      case 'u': out += String(d.getDay() || 7); break;
      case 'w': out += String(d.getDay()); break;
      case 'y': out += p2(d.getFullYear() % 100); break;
      case 'Y': out += String(d.getFullYear()); break;
      case 'z': out += tzOffset(d); break;
      case 'Z': out += tzOffset(d); break;
      case '%': out += '%'; break;
      default: out += '%' + c;
    }
  }
  return out;
}

let clfSec = -1;
let clfText = '';
/** [10/Oct/2000:13:55:36 -0700], cached per second. */
function clfTime(ms: number): string {
  const sec = Math.floor(ms / 1000);
  if (sec !== clfSec) {
    const d = new Date(sec * 1000);
    clfText = `[${p2(d.getDate())}/${MONTHS[d.getMonth()]}/${d.getFullYear()}:${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())} ${tzOffset(d)}]`;
    clfSec = sec;
  }
  return clfText;
}

function timeItem(arg: string | null): Item {
  if (arg === null) return (r) => clfTime(r.startMs);
  let fmt = arg;
  let atEnd = false;
  if (fmt.startsWith('begin:')) fmt = fmt.slice(6);
  else if (fmt.startsWith('end:')) {
    fmt = fmt.slice(4);
    atEnd = true;
  }
  const when = (r: LogRecord): number => (atEnd ? r.startMs + r.durationUs / 1000 : r.startMs);
  switch (fmt) {
    case 'sec':
      return (r) => String(Math.floor(when(r) / 1000));
    case 'msec':
      return (r) => String(Math.floor(when(r)));
    case 'usec':
      return (r) => String(Math.floor(when(r) * 1000));
    case 'msec_frac':
      return (r) => p3(Math.floor(when(r)) % 1000);
    case 'usec_frac':
      return (r) => String(Math.floor(when(r) * 1000) % 1000000).padStart(6, '0');
    case '':
      return (r) => clfTime(when(r));
    default:
      return (r) => strftime(fmt, new Date(when(r)));
  }
}

function basicUser(h: Record<string, string | string[] | undefined>): string | undefined {
  const a = header(h, 'authorization');
  if (!a) return undefined;
  const m = /^\s*basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(a);
  if (!m) return undefined;
  const text = Buffer.from(m[1]!, 'base64').toString('latin1');
  const colon = text.indexOf(':');
  return colon === -1 ? undefined : text.slice(0, colon);
}

function cookie(h: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const c = header(h, 'cookie');
  if (!c) return undefined;
  for (const part of c.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

function envValue(r: LogRecord, name: string): string | undefined {
  if (isPofValueName(name)) {
    const v = pofValue(r.pof, name);
    return v === '' ? undefined : v;
  }
  return r.env?.(name);
}

function directive(letter: string, arg: string | null, opts: LogFormatOptions, hostName: string): Item {
  switch (letter) {
    case 'a':
    case 'h':
      return (r) => r.cli;
    case 'A':
      return (r) => r.srv;
    case 'b':
      return (r) => (r.bytesOut ? String(r.bytesOut) : '-');
    case 'B':
      return (r) => String(r.bytesOut);
    case 'C':
      if (!arg) throw new Error('%C needs a cookie name: %{NAME}C');
      return (r) => esc(cookie(r.headersIn, arg));
    case 'D':
      return (r) => String(Math.round(r.durationUs));
    case 'e':
      if (!arg) throw new Error('%e needs a variable name: %{VAR}e');
      return (r) => {
        const v = envValue(r, arg);
        return v === undefined || v === '' ? '-' : escapeLogItem(v);
      };
    case 'f':
    case 'L':
    case 'l':
    case 'R':
      return () => '-';
    case 'n':
      if (!arg) throw new Error('%n needs a note name: %{NAME}n');
      return () => '-';
    case 'H':
      return (r) => `HTTP/${r.httpVersion}`;
    case 'i': {
      if (!arg) throw new Error('%i needs a header name: %{Header}i');
      const name = arg.toLowerCase();
      return (r) => esc(header(r.headersIn, name));
    }
    case 'o':
      if (!arg) throw new Error('%o needs a header name: %{Header}o');
      return (r) => esc(r.headerOut(arg));
    case 'k':
      return (r) => String(r.keepAliveCount);
    case 'm':
      return (r) => esc(r.method);
    case 'p': {
      const which = arg ?? 'canonical';
      if (which === 'remote') return (r) => String(r.cliPort);
      if (which === 'local') return (r) => String(r.srvPort);
      if (which === 'canonical') return opts.canonicalPort !== undefined ? () => String(opts.canonicalPort) : (r) => String(r.srvPort);
      throw new Error(`%{${which}}p: use canonical, local or remote`);
    }
    case 'P': {
      const which = arg ?? 'pid';
      if (which === 'pid' || which === 'tid' || which === 'hextid') {
        const pid = which === 'hextid' ? process.pid.toString(16) : String(process.pid);
        return () => pid;
      }
      throw new Error(`%{${which}}P: use pid, tid or hextid`);
    }
    case 'q':
      return (r) => {
        const i = r.url.indexOf('?');
        return i === -1 ? '' : esc(r.url.slice(i));
      };
    case 'r':
      return (r) => esc(`${r.method} ${r.url} HTTP/${r.httpVersion}`);
    case 's':
      return (r) => String(r.status);
    case 't':
      return timeItem(arg);
    case 'T': {
      const unit = arg ?? 's';
      if (unit === 's') return (r) => String(Math.floor(r.durationUs / 1e6));
      if (unit === 'ms') return (r) => String(Math.floor(r.durationUs / 1000));
      if (unit === 'us') return (r) => String(Math.floor(r.durationUs));
      throw new Error(`%{${unit}}T: use s, ms or us`);
    }
    case 'u':
      return (r) => esc(basicUser(r.headersIn));
    case 'U':
      return (r) => esc(pathOf(r.url));
    case 'v': {
      const name = opts.serverName ?? hostName;
      return () => name;
    }
    case 'V':
      return (r) => {
        const host = header(r.headersIn, 'host');
        if (!host) return opts.serverName ?? hostName;
        const m = /^(\[[^\]]*\]|[^:]*)/.exec(host);
        return esc((m ? m[1]! : host).toLowerCase());
      };
    case 'X':
      return (r) => r.connStatus;
    default:
      throw new Error(`unknown directive %${letter}`);
  }
}

function withCondition(item: Item, codes: number[], negate: boolean): Item {
  if (!codes.length) return item;
  const set = new Set(codes);
  return (r) => (set.has(r.status) !== negate ? item(r) : '-');
}

export type CompiledLogFormat = (r: LogRecord) => string;

/** Compiles a LogFormat string or nickname; throws PofError('E_CONFIG') naming the bad directive. */
export function compileLogFormat(format: string, opts: LogFormatOptions = {}, hostName = 'localhost'): CompiledLogFormat {
  if (typeof format !== 'string') throw new PofError('E_CONFIG', 'a log format must be a string');
  const fmt = Object.prototype.hasOwnProperty.call(LOG_NICKNAMES, format) ? LOG_NICKNAMES[format]! : format;
  const items: Item[] = [];
  let lit = '';
  const flush = (): void => {
    if (lit) {
      const s = lit;
      items.push(() => s);
      lit = '';
    }
  };
  let i = 0;
  while (i < fmt.length) {
    const ch = fmt[i]!;
    if (ch === '\\' && i + 1 < fmt.length) {
      const n = fmt[i + 1]!;
      lit += n === 'n' ? '\n' : n === 't' ? '\t' : n;
      i += 2;
      continue;
    }
    if (ch !== '%') {
      lit += ch;
      i++;
      continue;
    }
    const at = i;
    i++;
    if (fmt[i] === '%') {
      lit += '%';
      i++;
      continue;
    }
    let arg: string | null = null;
    const codes: number[] = [];
    let negate = false;
    let num = '';
    let letter: string | null = null;
    while (i < fmt.length && letter === null) {
      const c = fmt[i]!;
      if (c >= '0' && c <= '9') {
        num += c;
        i++;
        continue;
      }
      if (num) {
        codes.push(Number(num));
        num = '';
      }
      if (c === '!') negate = true;
      else if (c === ',' || c === '<' || c === '>') {
        /* separators and original/final status: one status here */
      } else if (c === '{') {
        const end = fmt.indexOf('}', i);
        if (end === -1) throw new PofError('E_CONFIG', `log format: unterminated %{ at character ${at + 1}`);
        arg = fmt.slice(i + 1, end);
        i = end;
      } else letter = c;
      i++;
    }
    if (letter === null) throw new PofError('E_CONFIG', `log format: % at character ${at + 1} has no directive letter`);
    let item: Item;
    try {
      item = directive(letter, arg, opts, hostName);
    } catch (e) {
      throw new PofError('E_CONFIG', `log format: ${(e as Error).message} (at character ${at + 1} of ${JSON.stringify(fmt)})`);
    }
    flush();
    items.push(withCondition(item, codes, negate));
  }
  flush();
  const n = items.length;
  return (r) => {
    let s = '';
    for (let k = 0; k < n; k++) s += items[k]!(r);
    return s;
  };
}
