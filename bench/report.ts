/**
 * `npm run bench report`: `pof report bench.pcap` against `pof -r bench.pcap`
 * alone (stdout to /dev/null, so pof -r formats nothing: the strictest
 * baseline), in alternating pairs. Prints the ratio of medians of wall time
 * and of CPU time (user + sys, less disturbed by other work on the
 * machine); the goal is at most 1.5x.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './stats.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface Run {
  wall: number;
  cpu: number;
}

function timed(cmd: string[], stdout: 'ignore' | number): Run {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S', ...cmd], { stdio: ['ignore', stdout, 'pipe'], encoding: 'utf8' });
  const last = r.stderr.trim().split('\n').pop() ?? '';
  const m = /^([\d.]+) ([\d.]+) ([\d.]+)$/.exec(last);
  if (r.status !== 0 || !m) throw new Error(`${cmd.join(' ')} failed: ${r.stderr.slice(-500)}`);
  return { wall: Number(m[1]), cpu: Number(m[2]) + Number(m[3]) };
}

export function report(cap: string | null, runs: number): void {
  if (!cap) return;
  const cli = path.join(root, 'dist', 'cli', 'main.js');
  if (!fs.existsSync(cli)) throw new Error('run `npm run build` first');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pof-bench-report-'));
  const out = path.join(dir, 'report.html');
  const devnull = fs.openSync('/dev/null', 'w');
  const a: Run[] = [];
  const b: Run[] = [];
  const runA = (): void => void a.push(timed(['node', cli, '-r', cap], devnull));
  const runB = (): void => void b.push(timed(['node', cli, 'report', cap, '-q', '-o', out], 'ignore'));
  try {
    for (let i = 0; i < runs; i++) {
      if (i % 2) {
        runB();
        runA();
      } else {
        runA();
        runB();
      }
    }
  } finally {
    fs.closeSync(devnull);
  }
  const size = fs.statSync(out).size;
  fs.rmSync(dir, { recursive: true, force: true });
  const med = (xs: Run[], k: keyof Run): number => median(xs.map((x) => x[k]));
  const list = (xs: Run[], k: keyof Run): string => xs.map((x) => x[k].toFixed(2)).join(', ');
  console.log(`report: pof -r    wall ${med(a, 'wall').toFixed(2)} s (${list(a, 'wall')}), cpu ${med(a, 'cpu').toFixed(2)} s (${list(a, 'cpu')})`);
  console.log(`report: pof report wall ${med(b, 'wall').toFixed(2)} s (${list(b, 'wall')}), cpu ${med(b, 'cpu').toFixed(2)} s (${list(b, 'cpu')}); report ${Math.round(size / 1024)} KiB`);
  const pairs = a.map((x, i) => b[i]!.wall / x.wall);
  console.log(
    `report: pof report takes ${(med(b, 'wall') / med(a, 'wall')).toFixed(2)}x pof -r's wall time (per pair ${pairs.map((x) => x.toFixed(2)).join(', ')}), ` +
      `${(med(b, 'cpu') / med(a, 'cpu')).toFixed(2)}x its CPU time (goal <= 1.5x)`,
  );
}
