/**
 * Compares pof's p0f-format log lines with p0f 3.09b's for the dev corpus.
 * Lines are matched as multisets per capture; unmatched ones are paired by
 * (mod, cli, srv, subj) so the report can say which fields differ.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readCaptureFile } from '../src/capture/file.js';
import { loadSignatures } from '../src/db/load.js';
import type { SignatureDb } from '../src/db/types.js';
import { Engine } from '../src/engine.js';
import { formatLogLine } from '../src/output/p0f-log.js';
import { HttpModule } from '../src/state/http-module.js';

export interface FileResult {
  file: string;
  expected: string[];
  got: string[];
  /** Lines pof wrote for traffic p0f cannot see (VLAN, tunnels, ...). */
  encapLines: string[];
  error?: string;
}

export function modOf(line: string): string {
  const m = /\] mod=([^|]*)\|/.exec(line);
  return m ? m[1]! : '';
}

export function runPofOnFile(file: string, db: SignatureDb, setup?: (e: Engine) => void): { lines: string[]; encapLines: string[]; error?: string } {
  const lines: string[] = [];
  const encapLines: string[] = [];
  const engine = new Engine({ db }, (o) => {
    const l = formatLogLine(o).slice(0, -1); // drop the newline only: raw_sig may end in a space
    if (o.encap) encapLines.push(l);
    else lines.push(l);
  });
  engine.addModule(new HttpModule());
  setup?.(engine);
  let error: string | undefined;
  try {
    const s = readCaptureFile(file, (r) => engine.handle(r));
    if (s.problem) error = `${s.problem.message} at ${s.problem.offset}`;
  } catch (e) {
    error = (e as Error).message;
  }
  return { lines, encapLines, error };
}

export interface CompatReport {
  mods: string[];
  total: number;
  matched: number;
  extra: number;
  encapExtra: number;
  perMod: Record<string, { total: number; matched: number; extra: number }>;
  diffs: string[];
  files: number;
}

function key(line: string): string {
  // mod + cli + srv + subj
  const m = /\] (mod=[^|]*\|cli=[^|]*\|srv=[^|]*\|subj=[^|]*)/.exec(line);
  return m ? m[1]! : line;
}

function fieldDiff(a: string, b: string): string {
  const fa = a.split('|');
  const fb = b.split('|');
  const out: string[] = [];
  if (fa[0]!.slice(0, 21) !== fb[0]!.slice(0, 21)) out.push(`time ${fa[0]!.slice(1, 20)} vs ${fb[0]!.slice(1, 20)}`);
  const ma = new Map(fa.slice(1).map((x) => [x.slice(0, x.indexOf('=')), x.slice(x.indexOf('=') + 1)]));
  const mb = new Map(fb.slice(1).map((x) => [x.slice(0, x.indexOf('=')), x.slice(x.indexOf('=') + 1)]));
  for (const [k, v] of ma) if (mb.get(k) !== v) out.push(`${k}: p0f '${v}' pof '${mb.get(k) ?? '(none)'}'`);
  return out.join('; ');
}

/** Occurrences of each line. */
function countLines(xs: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
}

/** `expected` against `got` as multisets: how many match, which are missing, which are extra. */
export function matchLines(expected: string[], got: string[]): { matched: number; missing: string[]; extras: string[] } {
  const pool = countLines(got);
  const missing: string[] = [];
  let matched = 0;
  for (const l of expected) {
    const n = pool.get(l) ?? 0;
    if (n > 0) {
      pool.set(l, n - 1);
      matched++;
    } else missing.push(l);
  }
  const extras: string[] = [];
  for (const [l, n] of pool) for (let i = 0; i < n; i++) extras.push(l);
  return { matched, missing, extras };
}

/** The lines of one capture's records of `mods`. */
export function linesOf(lines: string[], mods: string[]): string[] {
  return lines.filter((l) => mods.includes(modOf(l)));
}

export function compare(results: FileResult[], mods: string[]): CompatReport {
  const perMod: CompatReport['perMod'] = {};
  for (const m of mods) perMod[m] = { total: 0, matched: 0, extra: 0 };
  const diffs: string[] = [];
  let encapExtra = 0;
  for (const r of results) {
    const exp = linesOf(r.expected, mods);
    encapExtra += linesOf(r.encapLines, mods).length;
    const { missing, extras } = matchLines(exp, linesOf(r.got, mods));
    for (const l of exp) {
      perMod[modOf(l)]!.total++;
      perMod[modOf(l)]!.matched++;
    }
    for (const l of missing) perMod[modOf(l)]!.matched--;
    for (const l of extras) perMod[modOf(l)]!.extra++;
    const byKey = new Map<string, string[]>();
    for (const l of extras) {
      const k = key(l);
      const list = byKey.get(k) ?? [];
      list.push(l);
      byKey.set(k, list);
    }
    const base = path.basename(r.file);
    if (r.error) diffs.push(`${base}: read error: ${r.error}`);
    for (const l of missing) {
      const cands = byKey.get(key(l));
      if (cands && cands.length) {
        const other = cands.shift()!;
        diffs.push(`${base}: ${key(l)}: ${fieldDiff(l, other)}`);
      } else diffs.push(`${base}: missing: ${l}`);
    }
    for (const list of byKey.values()) for (const l of list) diffs.push(`${base}: extra: ${l}`);
  }
  let total = 0;
  let matched = 0;
  let extra = 0;
  for (const m of mods) {
    total += perMod[m]!.total;
    matched += perMod[m]!.matched;
    extra += perMod[m]!.extra;
  }
  return { mods, total, matched, extra, encapExtra, perMod, diffs, files: results.length };
}

export function runCorpus(captures: string[], dbPath: string, setup?: (e: Engine) => void): FileResult[] {
  const db = loadSignatures(dbPath);
  return captures.map((file) => {
    const expected = fs
      .readFileSync(file + '.p0f.log', 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('['));
    const { lines, encapLines, error } = runPofOnFile(file, db, setup);
    return { file, expected, got: lines, encapLines, error };
  });
}

export function formatReport(r: CompatReport, maxDiffs = 60): string {
  const pct = (a: number, b: number): string => (b ? ((100 * a) / b).toFixed(2) : '100.00') + '%';
  const lines = [
    `compat over ${r.files} captures, mods ${r.mods.join(', ')}: ${r.matched}/${r.total} p0f records reproduced (${pct(r.matched, r.total)})`,
  ];
  for (const [m, v] of Object.entries(r.perMod)) {
    lines.push(`  ${m.padEnd(14)} ${v.matched}/${v.total} (${pct(v.matched, v.total)}), ${v.extra} extra on traffic p0f sees`);
  }
  lines.push(`  records beyond p0f (encapsulated traffic p0f drops): ${r.encapExtra}`);
  lines.push(`  differences: ${r.diffs.length}${r.diffs.length > maxDiffs ? ` (first ${maxDiffs})` : ''}`);
  for (const d of r.diffs.slice(0, maxDiffs)) lines.push('    ' + d);
  return lines.join('\n');
}

/**
 * p0f 3.09b is not always deterministic: its HTTP Date parsing hands mktime()
 * a struct tm whose tm_isdst was never set, so the stack slot's old contents
 * decide whether a Date is read an hour early. Often that is the low half of
 * a heap pointer left by an earlier call, whose sign address randomisation
 * picks anew on every run: "date" NAT reasons (host change, ip sharing) then
 * come and go between runs of the same capture. With randomisation off
 * (setarch -R) the pointer is positive, no Date is shifted, and p0f gives
 * the same log every time: the one pof follows.
 */
export function p0fWithoutAslr(file: string, mods: string[]): string[] | null {
  return runP0f(file, mods, true);
}

/** Runs the installed p0f on a capture (TZ=UTC); its log lines of `mods`, or null when it wrote no log. */
function runP0f(file: string, mods: string[], noAslr: boolean): string[] | null {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pof-p0f-'));
  try {
    const log = path.join(tmp, 'p0f.log');
    const p0f = ['p0f', '-r', file, '-o', log];
    const argv = noAslr ? ['setarch', os.machine(), '-R', ...p0f] : p0f;
    spawnSync(argv[0]!, argv.slice(1), { env: { ...process.env, TZ: 'UTC' }, stdio: 'ignore', timeout: 60_000 });
    // No log: p0f (or setarch) could not run.
    if (!fs.existsSync(log)) return null;
    return linesOf(fs.readFileSync(log, 'utf8').split('\n'), mods);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * The run-to-run check (see p0fWithoutAslr for why p0f varies). For a capture whose stored log disagrees with pof, run
 * the installed p0f again several times: a record pof lacks is excused when
 * some p0f run lacks it too, and a record only pof has is excused when some
 * p0f run has it too. Returns the excused count per capture.
 */
export function recheckWithP0f(r: FileResult, mods: string[], runs = 10): { excused: number; unexcused: string[] } {
  const exp = linesOf(r.expected, mods);
  const { missing } = matchLines(exp, linesOf(r.got, mods));
  if (!missing.length) return { excused: 0, unexcused: [] };
  const e = countLines(exp);
  const runsOut = Array.from({ length: runs }, () => countLines(runP0f(r.file, mods, false) ?? []));
  let excused = 0;
  const unexcused: string[] = [];
  for (const l of missing) {
    const need = e.get(l)!;
    if (runsOut.some((m) => (m.get(l) ?? 0) < need)) excused++;
    else unexcused.push(l);
  }
  return { excused, unexcused };
}
