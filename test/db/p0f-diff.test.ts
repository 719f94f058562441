/**
 * Differential test against the real p0f 3.09b, when it is installed: for
 * generated signature files, pof accepts exactly what p0f accepts (with
 * the same signature count) and, when p0f stops at a line, pof's first
 * diagnostic is at that line (for duplicates: naming the same earlier
 * line). p0f is run with `-f FILE -r <missing capture>`, so it reads the
 * database and then exits.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseSignatures } from '../../src/db/parse.js';
import { P0F_FP } from './helpers.js';

const P0F = ['/usr/sbin/p0f', '/usr/bin/p0f', '/usr/local/sbin/p0f', '/usr/local/bin/p0f'].find((p) => existsSync(p));
const dir = P0F ? mkdtempSync(join(tmpdir(), 'pof-diff-')) : '';

type Verdict = { ok: true; count: number } | { ok: false; line: number; coveredBy: number | null; message: string };

function p0f(text: string): Verdict | null {
  const f = join(dir, 'case.fp');
  writeFileSync(f, text, 'latin1');
  const r = spawnSync(P0F!, ['-f', f, '-r', join(dir, 'missing.pcap')], { encoding: 'latin1' });
  const o = `${r.stdout}${r.stderr}`;
  const loaded = /Loaded (\d+) signature/.exec(o);
  if (loaded) return { ok: true, count: Number(loaded[1]) };
  if (/No signatures found/.test(o)) return { ok: true, count: 0 };
  const m = /ABORT : (.*?) in line (\d+)(?: is already covered by line (\d+))?/.exec(o);
  if (m) return { ok: false, line: Number(m[2]), coveredBy: m[3] ? Number(m[3]) : null, message: m[1]! };
  return null; // p0f crashed or printed something unexpected: not comparable
}

let compared = 0;

function compare(text: string): void {
  const want = p0f(text);
  if (!want) return;
  compared++;
  const got = parseSignatures(text, 'case.fp');
  const where = (n: number): string => `line ${n}: ${JSON.stringify(text.split('\n')[n - 1])}`;
  if (want.ok) {
    assert.ok(got.ok, `p0f accepts, pof refuses: ${got.ok ? '' : `${where(got.diagnostics[0]!.line)} ${got.diagnostics[0]!.message}`}`);
    assert.equal(got.db.sigCount, want.count);
  } else {
    assert.ok(!got.ok, `p0f refuses (${want.message}, ${where(want.line)}), pof accepts`);
    const d = got.diagnostics[0]!;
    assert.equal(d.line, want.line, `p0f: ${want.message} at ${where(want.line)}; pof: ${d.field}: ${d.message} at ${where(d.line)}`);
    if (want.coveredBy !== null) assert.match(d.message, new RegExp(`covered by line ${want.coveredBy} `));
    else assert.doesNotMatch(d.message, /covered by/);
  }
}

function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x80000000;
  };
}

describe('agreement with the installed p0f binary', { skip: P0F ? false : 'p0f not installed' }, () => {
  it('mutations of the p0f database', { skip: existsSync(P0F_FP) ? false : `${P0F_FP} not installed` }, () => {
    const rnd = lcg(20240601);
    const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;
    const bits = [':', ',', '*', '+', '-', '0', '1', '6', '9', ' ', '=', '[', ']', '?', '!', '@', 'x', 'eol', 'mss', 'df', 'flow', '%', 'mss*', '\t', ';', '#', '\r', 'ts', 'id+', '0+', '65536', '256', '1001', 'g:'];
    const base = readFileSync(P0F_FP, 'latin1').split('\n');
    for (let c = 0; c < 60; c++) {
      const ls = base.slice();
      for (let k = 0; k < 1 + Math.floor(rnd() * 3); k++) {
        const i = Math.floor(rnd() * ls.length);
        const l = ls[i]!;
        const p = Math.floor(rnd() * (l.length + 1));
        switch (Math.floor(rnd() * 6)) {
          case 0:
            ls[i] = l.slice(0, p) + l.slice(p + 1 + Math.floor(rnd() * 3));
            break;
          case 1:
            ls[i] = l.slice(0, p) + pick(bits) + l.slice(p);
            break;
          case 2:
            ls.splice(Math.floor(rnd() * ls.length), 0, l);
            break;
          case 3:
            ls.splice(i, 1);
            break;
          case 4:
            ls[i] = l.slice(0, p) + pick(bits) + l.slice(p + 1);
            break;
          default:
            ls[i] = l.replace(/\d+/g, (d) => (rnd() < 0.2 ? String(Math.floor(rnd() * 300)) : d));
        }
      }
      compare(ls.join('\n'));
    }
    assert.ok(compared > 50, `only ${compared} cases could be compared`);
  });

  it('duplicate detection on generated TCP and HTTP signatures', () => {
    const rnd = lcg(77);
    const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;
    const tcp = (): string => {
      const ver = pick(['4', '6', '*', '*']);
      const q = ['df', 'flow', 'id-', 'ecn'].filter((x) => rnd() < 0.25 && !(ver === '6' && (x === 'df' || x === 'id-')) && !(ver === '4' && x === 'flow'));
      return [
        ver,
        pick(['64', '64', '128', '30', '99', '64-', '60+4']),
        '0',
        pick(['*', '*', '1460', '1400', '99']),
        `${pick(['*', 'mss*4', 'mtu*4', '%8192', '5840', '5600', '6000', '16384', '0'])},${pick(['*', '0', '7'])}`,
        pick(['mss', 'mss', 'mss,eol+0']),
        q.join(','),
        pick(['0', '0', '*']),
      ].join(':');
    };
    const H = ['Host', 'User-Agent', 'Accept', 'host'];
    const http = (): string => {
      const hs = Array.from({ length: Math.floor(rnd() * 4) }, () => `${rnd() < 0.3 ? '?' : ''}${pick(H)}${rnd() < 0.3 ? pick(['=[a]', '=[ab]']) : ''}`);
      const ab = Array.from({ length: Math.floor(rnd() * 3) }, () => pick(H));
      return `${pick(['0', '1', '*'])}:${hs.join(',')}:${ab.join(',')}:x`;
    };
    for (let c = 0; c < 60; c++) {
      const out = ['classes = win,unix', '[tcp:request]', 'label = s:unix:A:'];
      for (let i = 0; i < 12; i++) {
        if (rnd() < 0.3) out.push(`label = ${pick(['s', 's', 'g'])}:unix:N${i}:`);
        out.push(`sig = ${tcp()}`);
      }
      out.push('[http:response]', 'label = s:!:W:', 'sys = Linux');
      for (let i = 0; i < 6; i++) {
        if (rnd() < 0.3) out.push(`label = ${pick(['s', 'g'])}:!:H${i}:`, 'sys = Linux');
        out.push(`sig = ${http()}`);
      }
      compare(out.join('\n') + '\n');
    }
  });

  it('hand-picked corner cases', () => {
    const H = 'classes = win,unix\n[tcp:request]\nlabel = s:unix:L:\n';
    const cases = [
      H + 'sig = 4:64-:12:*:8192,0:mss::0\nsig = 4:64:2:*:8192,0:mss::0\n',
      H + 'sig = 4:4294967360:0:*:8192,0:mss::0\nsig = 4:64:0:*:8192,0:mss::0\n',
      H + 'sig = 4:64:0:*:8192,0:mss::0\r\n',
      H + 'sig = 4:64:0:*:8192,0:mss::0\0junk\n',
      H + 'sig = 4:64-5:0:*:8192,0:mss::0\n',
      H + 'sig = 4:64:0:*:,:mss,:df,:0\n',
      'classes = win,unix \n',
      '[tcp:request] \n',
      'classes = win\n[http:request]\nua_os = Linux,iOS=[iPad]x,Win\n',
      'classes = win\n[http:request]\nlabel = s:!:X:\nsys = Linux\nsig = 12:Host::x\n',
      'classes = win\n[tcp:request]\nlabel = s:!:X:\nsig = 4:64:0:*:8192,0:mss::0\n',
      'classes = win\n[tcp:request]\n#c\n',
    ];
    for (const t of cases) compare(t);
  });
});
