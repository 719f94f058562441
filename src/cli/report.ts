/**
 * `pof report CAPTURE [-o report.html]`: reads a capture as `pof -r` does
 * (same engine, same modules) and writes one self-contained HTML page of
 * charts: OS families, connections over time, TLS clients, verdicts, hop
 * distances, link types, server stacks, top signatures. Progress goes to
 * stderr for large files: a bar redrawn in place when stderr is a
 * terminal, a line every 10% otherwise.
 */
import { closeSync, fstatSync, openSync, readSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { PacketRecord } from '../capture/types.js';
import { loadSignatures } from '../db/load.js';
import { PofError } from '../errors.js';
import { TrafficSummary } from '../output/report/aggregate.js';
import { renderPage } from '../output/report/render.js';
import { helpText, parseArgs, stringFlag, type FlagSpec } from './args.js';
import { runRead } from './read.js';

const FLAGS: readonly FlagSpec[] = [
  { name: 'o', takesValue: true, valueName: 'FILE', help: "write the report here (default report.html; '-' for stdout)" },
  { name: 'f', takesValue: true, valueName: 'FILE', help: 'signature database in p0f.fp syntax (default: the shipped one)' },
  { name: 'title', takesValue: true, valueName: 'TEXT', help: "the report's heading (default: pof report: CAPTURE)" },
  { name: 'q', takesValue: false, help: 'no progress and no summary line on stderr' },
  { name: 'h', takesValue: false, help: 'this help' },
  { name: 'help', takesValue: false, help: 'this help' },
];

const USAGE = `Usage: pof report CAPTURE [-o report.html] [options] [filter]

Writes one HTML file with charts of the capture's traffic (pcap or pcapng;
'-' reads stdin). The file holds everything it shows (no network access,
opens from file://). A trailing libpcap filter expression selects packets,
as with pof -r.

Options:
${helpText(FLAGS)}
`;

/** Files larger than this get progress reports. */
const PROGRESS_ABOVE = 32 * 1024 * 1024;
/** Least time between two redraws of the bar (ms). */
const BAR_MS = 100;
const BAR_WIDTH = 30;

export interface ReportIo {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  version: string;
}

export async function runReport(argv: string[], io: ReportIo): Promise<number> {
  const { flags, rest } = parseArgs(argv, FLAGS, 'pof report');
  if (flags.has('h') || flags.has('help')) {
    io.stdout.write(USAGE);
    return 0;
  }
  const [file, ...filterWords] = rest;
  if (file === undefined) throw new PofError('E_USAGE', 'pof report needs a capture file (see pof report --help)');
  const out = stringFlag(flags, 'o') ?? 'report.html';
  const quiet = flags.has('q');
  const db = loadSignatures(stringFlag(flags, 'f'));
  const expr = filterWords.join(' ').trim();
  let userFilter: ((rec: PacketRecord) => boolean) | undefined;
  if (expr) userFilter = (await import('./filter-file.js')).compileOfflineFilterForFile(expr);

  const target = out === '-' ? null : new ReportFile(out);
  try {
    return buildReport(file, flags, target, io, { db, quiet, userFilter });
  } finally {
    target?.abandon();
  }
}

interface ReadSetup {
  db: ReturnType<typeof loadSignatures>;
  quiet: boolean;
  userFilter: ((rec: PacketRecord) => boolean) | undefined;
}

function buildReport(file: string, flags: ReadonlyMap<string, string | true>, target: ReportFile | null, io: ReportIo, r: ReadSetup): number {
  const { db, quiet, userFilter } = r;
  const summary = new TrafficSummary();
  const progress = quiet ? null : Progress.start(file, io.stderr);
  // The filter hook sees every packet: it counts them and drives the progress report.
  let packets = 0;
  const uf = userFilter;
  const filter = (rec: PacketRecord): boolean => {
    packets++;
    progress?.packet(rec);
    return uf === undefined || uf(rec);
  };
  const code = runRead({ file, db, json: false, quiet: true, filter, onObservation: summary.add }, (s) => {
    progress?.done();
    if (!quiet) io.stderr.write(s);
  });
  progress?.done();

  const name = file === '-' ? 'stdin' : path.basename(file);
  const data = summary.snapshot();
  const page = renderPage(data, {
    title: stringFlag(flags, 'title') ?? `pof report: ${name}`,
    subtitle: `${file === '-' ? 'stdin' : file} \u00b7 ${packets.toLocaleString('en-US')} packets \u00b7 ${data.totals.observations.toLocaleString('en-US')} observations`,
    version: io.version,
    generatedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  });
  if (target === null) io.stdout.write(page.html);
  else {
    target.commit(page.html);
    if (!quiet) io.stderr.write(`[+] Wrote ${target.target} (${Math.round(Buffer.byteLength(page.html) / 1024)} KiB).\n`);
  }
  return code;
}

/** "no such file or directory (ENOENT)" out of a Node system error. */
function osReason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const m = /^[A-Z0-9_]+: ([^,]+)/.exec(err.message ?? '');
  return m && err.code ? `${m[1]} (${err.code})` : (err.code ?? String(e));
}

/**
 * The report file, written through a temporary file beside it (so a reader
 * never sees half a report), made before the capture is read so that an
 * unwritable place fails at once.
 */
class ReportFile {
  private readonly tmp: string;
  private fd: number | null;

  constructor(readonly target: string) {
    this.tmp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.tmp`);
    try {
      this.fd = openSync(this.tmp, 'wx', 0o644);
    } catch (e) {
      throw new PofError('E_IO', `cannot write ${target}: ${osReason(e)}`, { cause: e });
    }
  }

  commit(html: string): void {
    try {
      writeFileSync(this.fd!, html);
      closeSync(this.fd!);
      this.fd = null;
      renameSync(this.tmp, this.target);
    } catch (e) {
      this.abandon();
      throw new PofError('E_IO', `cannot write ${this.target}: ${osReason(e)}`, { cause: e });
    }
  }

  abandon(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    try {
      unlinkSync(this.tmp);
    } catch {
      /* gone already */
    }
  }
}

/**
 * Progress of a synchronous read, from inside the packet loop: bytes read
 * are estimated from the records (the record header size of the file's
 * format plus the captured bytes), against the file's size.
 */
class Progress {
  private n = 0;
  private bytes = 0;
  private next = 0;
  private lastDraw = 0;
  private lastTenth = 0;
  private finished = false;
  private readonly t0 = Date.now();

  private constructor(
    private readonly size: number,
    private readonly recHdr: number,
    private readonly err: NodeJS.WriteStream,
    private readonly tty: boolean,
  ) {}

  /** A progress report for `file`, or null when it is small, stdin, or unreadable here (the reader says why). */
  static start(file: string, err: NodeJS.WriteStream): Progress | null {
    if (file === '-') return null;
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch {
      return null;
    }
    try {
      const st = fstatSync(fd);
      if (!st.isFile() || st.size < PROGRESS_ABOVE) return null;
      const magic = Buffer.alloc(4);
      readSync(fd, magic, 0, 4, 0);
      // pcapng's enhanced packet block: 28 bytes before the data, 4 after, padding to 4.
      const recHdr = magic.readUInt32BE(0) === 0x0a0d0d0a ? 34 : 16;
      return new Progress(st.size, recHdr, err, err.isTTY === true);
    } finally {
      closeSync(fd);
    }
  }

  packet(rec: PacketRecord): void {
    this.n++;
    this.bytes += rec.caplen + this.recHdr;
    if (this.bytes < this.next) return;
    // Once per percent of the file: a redraw (at most every BAR_MS) or, off a terminal, a line per tenth.
    this.next += this.size / 100;
    const frac = Math.min(this.bytes / this.size, 0.99);
    if (this.tty) {
      const now = Date.now();
      if (now - this.lastDraw < BAR_MS) return;
      this.lastDraw = now;
      this.draw(frac);
    } else {
      const tenth = Math.floor(frac * 10);
      if (tenth > this.lastTenth) {
        this.lastTenth = tenth;
        this.err.write(`pof report: ${tenth * 10}% (${this.n.toLocaleString('en-US')} packets, ${this.elapsed()})\n`);
      }
    }
  }

  private elapsed(): string {
    return `${((Date.now() - this.t0) / 1000).toFixed(1)} s`;
  }

  private draw(frac: number): void {
    const full = Math.round(frac * BAR_WIDTH);
    const bar = '#'.repeat(full) + '.'.repeat(BAR_WIDTH - full);
    this.err.write(`\r[${bar}] ${String(Math.floor(frac * 100)).padStart(3)}%  ${this.n.toLocaleString('en-US')} packets  ${this.elapsed()}\x1b[K`);
  }

  /** Ends the bar (its line is cleared); idempotent. */
  done(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.tty && this.lastDraw > 0) this.err.write('\r\x1b[K');
  }
}
