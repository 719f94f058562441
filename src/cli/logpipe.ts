/**
 * `pof logpipe`: appends pof's fields to access-log lines read on standard
 * input (see src/web/logpipe.ts). For Apache:
 *
 *   LogFormat "%a %{remote}p %A %p %h %l %u %t \"%r\" %>s %b" pofpipe
 *   CustomLog "|/usr/bin/pof logpipe -s /run/pof/pof.sock --cut 4 -o /var/log/apache2/access.log" pofpipe
 *
 * Each line waits at most --timeout ms; a dead daemon costs nothing more
 * than its lines' pof_err. SIGHUP reopens -o FILE.
 */
import type { Readable } from 'node:stream';

import { DEFAULT_API_SOCKET } from '../config.js';
import { isPofError, PofError } from '../errors.js';
import { LogFile } from '../web/log-file.js';
import { DEFAULT_LOGPIPE_APPEND, DEFAULT_LOGPIPE_TIMEOUT_MS, LogPipe } from '../web/logpipe.js';
import { DaemonSource } from '../web/sources.js';
import { asksHelp, helpText, parseArgs, stringFlag, type FlagSpec } from './args.js';

interface Out {
  write(s: string): unknown;
}

const FLAGS: readonly FlagSpec[] = [
  { name: 's', takesValue: true, valueName: 'PATH', help: `the pof daemon's socket (default ${DEFAULT_API_SOCKET})` },
  { name: 'addr-field', takesValue: true, valueName: 'N', help: "field holding the client's address (default 1)" },
  { name: 'port-field', takesValue: true, valueName: 'N', help: "field holding the client's port (default 2; 0 = none: by address)" },
  { name: 'srv-field', takesValue: true, valueName: 'N', help: "field holding the server's address" },
  { name: 'srv-port-field', takesValue: true, valueName: 'N', help: "field holding the server's port" },
  { name: 'srv', takesValue: true, valueName: 'ADDR', help: "the server's address, when lines lack it" },
  { name: 'srv-port', takesValue: true, valueName: 'N', help: "the server's port, when lines lack it" },
  { name: 'append', takesValue: true, valueName: 'FMT', help: 'what to append, in LogFormat syntax (%{pof_genre}e ...)' },
  { name: 'cut', takesValue: true, valueName: 'N', help: 'drop the first N fields from the output' },
  { name: 'timeout', takesValue: true, valueName: 'MS', help: `longest wait per line (default ${DEFAULT_LOGPIPE_TIMEOUT_MS})` },
  { name: 'o', takesValue: true, valueName: 'FILE', help: 'append to FILE (reopened on SIGHUP) instead of stdout' },
  { name: 'help', takesValue: false, help: 'show this help' },
  { name: 'h', takesValue: false, help: 'show this help' },
];

const USAGE = `Usage: pof logpipe [-s PATH] [--addr-field N] [--port-field N] [--srv-field N --srv-port-field N]
                   [--append FMT] [--cut N] [--timeout MS] [-o FILE]
Reads access-log lines that carry the client's address and port, appends
what the pof daemon knows about that connection, and writes them on.
Default append: '${DEFAULT_LOGPIPE_APPEND}'

${helpText(FLAGS)}
`;

/** Longest input line passed on whole (bytes); longer ones are cut. */
const MAX_LINE = 1 << 20;

function intFlag(flags: Map<string, string | true>, name: string, lo: number, hi: number): number | undefined {
  const v = flags.get(name);
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^\d+$/.test(v) || Number(v) < lo || Number(v) > hi) {
    throw new PofError('E_USAGE', `--${name} wants a number in ${lo}..${hi}`);
  }
  return Number(v);
}

/** `pof logpipe ...`: until standard input ends. 0 done, 1 error, 2 usage. */
export async function runLogpipe(argv: string[], stdin: Readable, stdout: Out, stderr: Out): Promise<number> {
  if (asksHelp(argv, FLAGS)) {
    stdout.write(USAGE);
    return 0;
  }
  let pipe: LogPipe;
  let out: LogFile;
  let source: DaemonSource;
  try {
    const { flags, rest } = parseArgs(argv, FLAGS, 'pof logpipe');
    if (rest.length) throw new PofError('E_USAGE', `unexpected argument '${rest[0]}' (see pof logpipe --help)`);
    const str = (k: string): string | undefined => stringFlag(flags, k);
    out = new LogFile({ file: str('o'), stream: str('o') ? undefined : (stdout as unknown as { write(s: string): unknown }) });
    source = new DaemonSource({ path: str('s') ?? DEFAULT_API_SOCKET });
    try {
      pipe = new LogPipe({
        source,
        addrField: intFlag(flags, 'addr-field', 1, 1000),
        portField: intFlag(flags, 'port-field', 0, 1000),
        srvField: intFlag(flags, 'srv-field', 1, 1000),
        srvPortField: intFlag(flags, 'srv-port-field', 1, 1000),
        srv: str('srv'),
        srvPort: intFlag(flags, 'srv-port', 0, 65535),
        append: str('append'),
        cut: intFlag(flags, 'cut', 0, 1000),
        timeoutMs: intFlag(flags, 'timeout', 1, 60000),
        write: (text) => out.write(Buffer.from(text, 'latin1')),
      });
    } catch (e) {
      await source.close();
      await out.close();
      if (isPofError(e) && e.code === 'E_CONFIG') throw new PofError('E_USAGE', e.message);
      throw e;
    }
  } catch (e) {
    if (isPofError(e)) {
      stderr.write(`pof logpipe: ${e.message}\n`);
      return e.code === 'E_USAGE' ? 2 : 1;
    }
    throw e;
  }

  await new Promise<void>((resolve) => {
    let partial = '';
    // Past MAX_LINE bytes without a newline the line is cut: what came is
    // passed on as its line, the rest is skipped up to the next newline.
    let skipping = false;
    let paused = false;
    let finished = false;
    const check = (): void => {
      if (paused && !pipe.full && !out.behind) {
        paused = false;
        // Only a paused input needs the timer to keep the process alive.
        timer.unref();
        stdin.resume();
      }
    };
    const timer = setInterval(check, 5);
    timer.unref();
    // Bytes pass through as they came (latin1 in, latin1 out): log lines need
    // not be UTF-8, and what pof appends is ASCII.
    stdin.setEncoding('latin1');
    const done = (): void => {
      if (finished) return;
      finished = true;
      clearInterval(timer);
      if (partial && !skipping) pipe.push(partial.endsWith('\r') ? partial.slice(0, -1) : partial);
      partial = '';
      resolve();
    };
    stdin.on('data', (chunk: string) => {
      if (out.lastError) {
        // The output is gone (a closed pipe): reading on would lose the rest anyway.
        stdin.pause();
        done();
        return;
      }
      const text = partial + chunk;
      let start = 0;
      for (;;) {
        const nl = text.indexOf('\n', start);
        if (nl === -1) break;
        let line = text.slice(start, nl);
        if (line.endsWith('\r')) line = line.slice(0, -1);
        if (!skipping) pipe.push(line);
        skipping = false;
        start = nl + 1;
      }
      partial = skipping ? '' : text.slice(start);
      if (partial.length > MAX_LINE) {
        pipe.push(partial.slice(0, MAX_LINE));
        partial = '';
        skipping = true;
      }
      if (!paused && (pipe.full || out.behind)) {
        paused = true;
        timer.ref();
        stdin.pause();
      }
    });
    stdin.once('end', done);
    stdin.once('error', (e) => {
      stderr.write(`pof logpipe: reading input: ${e.message}\n`);
      done();
    });
  });
  await pipe.drain();
  await source.close();
  await out.close();
  if (out.lastError) {
    stderr.write(`pof logpipe: writing output: ${out.lastError.message}\n`);
    return 1;
  }
  if (pipe.stats.errors && pipe.stats.errors === pipe.stats.lines) {
    stderr.write(`pof logpipe: no line could be looked up (${pipe.stats.errors} errors)\n`);
  }
  return 0;
}
