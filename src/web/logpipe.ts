/**
 * Piped access logs: each line of an Apache or nginx access log that
 * carries the client's address and port (e.g. LogFormat "%a %{remote}p
 * %A %p ...", nginx "$remote_addr $remote_port $server_addr $server_port
 * ...") gets pof's fields appended, asked of the daemon. Lines come out
 * in the order they came in.
 *
 * Bounded: each line waits at most timeoutMs for its answer; at most
 * maxPending lines are in the air (the caller stops reading while `full`);
 * a dead daemon is noticed once and its lines pass at once with pof_err
 * saying why.
 */
import { isPofError, PofError } from '../errors.js';
import { intOption } from '../options.js';
import { canonicalAddress } from '../net/addr.js';
import { compileLogFormat, type CompiledLogFormat } from './log-format.js';
import { buildResult, errorResult, type ConnTuple, type PofAnswer, type PofResult } from './result.js';
import type { AskedSource } from './sources.js';

export const DEFAULT_LOGPIPE_APPEND = ' "%{pof_genre}e" "%{pof_details}e" %{pof_distance}e "%{pof_link}e" "%{pof_err}e"';
export const DEFAULT_LOGPIPE_TIMEOUT_MS = 100;
export const DEFAULT_LOGPIPE_MAX_PENDING = 1000;

export interface LogPipeOptions {
  source: AskedSource;
  /** 1-based field positions ("..." and [...] count as one field). */
  addrField?: number;
  /** The client port's field; 0 = none (host lookups by address only). */
  portField?: number;
  srvField?: number;
  srvPortField?: number;
  /** The server's address and port when the lines do not carry them. */
  srv?: string;
  srvPort?: number;
  /** What to append: a LogFormat string of %{pof_...}e and text (default DEFAULT_LOGPIPE_APPEND). */
  append?: string;
  /** Leading fields to drop from the output (the address/port prefix added for pof). */
  cut?: number;
  timeoutMs?: number;
  maxPending?: number;
  /** Where finished lines go (each with its newline). */
  write: (text: string) => void;
}

interface Span {
  start: number;
  end: number;
}

/** Field spans of a log line: blanks separate; "..." (with \" escapes) and [...] are one field. */
export function splitFields(line: string): Span[] {
  const out: Span[] = [];
  let i = 0;
  const n = line.length;
  while (i < n) {
    while (i < n && (line[i] === ' ' || line[i] === '\t')) i++;
    if (i >= n) break;
    const start = i;
    if (line[i] === '"') {
      i++;
      while (i < n && line[i] !== '"') i += line[i] === '\\' ? 2 : 1;
      i = Math.min(n, i + 1);
    } else if (line[i] === '[') {
      const close = line.indexOf(']', i);
      i = close === -1 ? n : close + 1;
    } else {
      while (i < n && line[i] !== ' ' && line[i] !== '\t') i++;
    }
    out.push({ start, end: i });
  }
  return out;
}

const posOpt = (name: string, v: number | undefined, dflt: number, lo: number, hi = 1000): number => intOption(`logpipe: ${name}`, v, dflt, lo, hi);

function unquote(s: string): string {
  return s.length >= 2 && s[0] === '"' && s[s.length - 1] === '"' ? s.slice(1, -1) : s;
}

function canonical(text: string): { addr: string; ver: 4 | 6 } | null {
  const t = unquote(text);
  return canonicalAddress(t.startsWith('[') && t.endsWith(']') ? t.slice(1, -1) : t);
}

function portOf(text: string): number | null {
  const t = unquote(text);
  if (!/^\d{1,5}$/.test(t)) return null;
  const n = Number(t);
  return n <= 65535 ? n : null;
}

interface Item {
  line: string;
  cut: number;
  tuple: ConnTuple | null;
  text: string | null;
}

export class LogPipe {
  private readonly o: Required<Omit<LogPipeOptions, 'srv' | 'srvPort' | 'srvField' | 'srvPortField'>> & {
    srv: string | null;
    srvPort: number | null;
    srvField: number;
    srvPortField: number;
  };
  private readonly fmt: CompiledLogFormat;
  private readonly queue: Item[] = [];
  private drainWaiters: Array<() => void> = [];
  /** Lines in, lines out, lines whose lookup failed or timed out. */
  readonly stats = { lines: 0, written: 0, errors: 0, unparsed: 0 };

  constructor(opts: LogPipeOptions) {
    if (!opts || typeof opts !== 'object' || !opts.source || typeof opts.write !== 'function') {
      throw new PofError('E_CONFIG', 'logpipe: source and write are required');
    }
    let srv: string | null = null;
    if (opts.srv !== undefined) {
      const c = canonical(opts.srv);
      if (!c) throw new PofError('E_CONFIG', `logpipe: srv is not an IP address: ${opts.srv}`);
      srv = c.addr;
    }
    let srvPort: number | null = null;
    if (opts.srvPort !== undefined) {
      if (!Number.isInteger(opts.srvPort) || opts.srvPort < 0 || opts.srvPort > 65535) throw new PofError('E_CONFIG', 'logpipe: srvPort must be 0..65535');
      srvPort = opts.srvPort;
    }
    this.o = {
      source: opts.source,
      addrField: posOpt('addrField', opts.addrField, 1, 1),
      portField: posOpt('portField', opts.portField, 2, 0),
      srvField: posOpt('srvField', opts.srvField, 0, 0),
      srvPortField: posOpt('srvPortField', opts.srvPortField, 0, 0),
      srv,
      srvPort,
      append: opts.append ?? DEFAULT_LOGPIPE_APPEND,
      cut: posOpt('cut', opts.cut, 0, 0),
      timeoutMs: posOpt('timeoutMs', opts.timeoutMs, DEFAULT_LOGPIPE_TIMEOUT_MS, 1, 60_000),
      maxPending: posOpt('maxPending', opts.maxPending, DEFAULT_LOGPIPE_MAX_PENDING, 1, 1_000_000),
      write: opts.write,
    };
    this.fmt = compileLogFormat(this.o.append);
  }

  /** Lines read but not yet written. */
  get pending(): number {
    return this.queue.length;
  }

  /** True while the caller should stop reading. */
  get full(): boolean {
    return this.queue.length >= this.o.maxPending;
  }

  /** Takes one line (without its newline). */
  push(line: string): void {
    this.stats.lines++;
    const fields = splitFields(line);
    const o = this.o;
    const cutAt = o.cut > 0 ? (fields[o.cut]?.start ?? line.length) : 0;
    const item: Item = { line, cut: cutAt, tuple: null, text: null };
    this.queue.push(item);
    const get = (pos: number): string | null => (pos > 0 && fields[pos - 1] ? line.slice(fields[pos - 1]!.start, fields[pos - 1]!.end) : null);
    const a = get(o.addrField);
    const cli = a ? canonical(a) : null;
    const cliPort = o.portField ? portOf(get(o.portField) ?? '') : null;
    if (!cli || (o.portField && cliPort === null)) {
      this.stats.unparsed++;
      item.cut = 0; // not the expected shape: keep the line whole
      this.finish(item, errorResult(null, 'no client address/port in the line'));
      return;
    }
    const srvText = o.srvField ? get(o.srvField) : null;
    const srv = srvText ? canonical(srvText)?.addr ?? null : o.srv;
    const srvPortText = o.srvPortField ? get(o.srvPortField) : null;
    const srvPort = srvPortText !== null ? portOf(srvPortText) : o.srvPort;
    const byConn = cliPort !== null && srv !== null && srvPort !== null;
    const tuple: ConnTuple = { ipVer: cli.ver, cli: cli.addr, cliPort: cliPort ?? 0, srv: srv ?? '', srvPort: srvPort ?? 0 };
    item.tuple = tuple;
    const down = o.source.unavailable();
    if (down) {
      this.finish(item, errorResult(tuple, down));
      return;
    }
    let answer: PofAnswer | null | Promise<PofAnswer | null>;
    try {
      answer = byConn ? o.source.ask(tuple, o.timeoutMs) : o.source.askHost(cli.addr, o.timeoutMs);
    } catch (e) {
      answer = Promise.reject(e);
    }
    Promise.resolve(answer).then(
      (a) => {
        this.finish(item, buildResult(tuple, a, [o.source.via]));
      },
      (e: unknown) => {
        const msg = e instanceof Error ? e.message : String(e);
        const why = o.source.unavailable() ?? (isPofError(e) && e.code === 'E_API_TIMEOUT' ? `pof did not answer within ${o.timeoutMs} ms` : msg);
        this.finish(item, errorResult(tuple, why));
      },
    );
  }

  private finish(item: Item, r: PofResult): void {
    if (r.err && r.err !== 'no match') this.stats.errors++;
    const t = item.tuple;
    const appended = this.fmt({
      method: '-',
      url: '-',
      httpVersion: '1.1',
      headersIn: {},
      headerOut: () => undefined,
      status: 0,
      bytesOut: 0,
      cli: t?.cli ?? '-',
      cliPort: t?.cliPort ?? 0,
      srv: t?.srv || '-',
      srvPort: t?.srvPort ?? 0,
      startMs: Date.now(),
      durationUs: 0,
      keepAliveCount: 0,
      connStatus: '-',
      pof: r,
    });
    item.text = item.line.slice(item.cut) + appended + '\n';
    this.flush();
  }

  private flush(): void {
    const q = this.queue;
    let n = 0;
    let out = '';
    while (n < q.length && q[n]!.text !== null) out += q[n++]!.text;
    if (!n) return;
    q.splice(0, n);
    this.stats.written += n;
    this.o.write(out);
    if (!q.length) {
      const w = this.drainWaiters;
      this.drainWaiters = [];
      for (const f of w) f();
    }
  }

  /** Resolves when every line pushed so far is written. */
  drain(): Promise<void> {
    if (!this.queue.length) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }
}
