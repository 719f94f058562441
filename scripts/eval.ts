/**
 * Accuracy of pof's shipped database (signatures/pof.fp) against p0f 3.09b's
 * (/etc/p0f/p0f.fp), both run through pof's own engine over the dev corpus
 * in ../shared/corpus/dev.
 *
 *   node --import tsx scripts/eval.ts [--changes FILE] [--unnamed N]
 *
 * What it measures:
 *
 * 1. OS-family accuracy on labeled.tsv: flows whose client SYN and HTTP
 *    User-Agent are both in a capture. The SYN verdict of a flow is the
 *    first "syn" observation the engine reports for that capture and
 *    4-tuple (or, for tunnelled flows that labeled.tsv lists with their
 *    outer addresses, the only SYN in the capture with the same two
 *    ports). Labels 'unknown' and 'Apple' (a CFNetwork/Darwin agent that
 *    does not say iOS or macOS) are left out. A verdict is
 *      correct  - an OS label whose family (FAMILY below) is the UA's;
 *      wrong    - another family, a merged label ("macOS or iOS"), or a
 *                 userland tool label;
 *      unnamed  - no SYN seen, or no signature matched.
 *    Strict accuracy = correct / flows; unnamed % = unnamed / flows.
 *    Android is not Linux and iOS is not macOS. Merged labels (one label
 *    naming two families because the SYNs are identical) always count as
 *    wrong here; the merge-tolerant figure beside it counts a merged label
 *    as right when the UA's family is one of the merged ones.
 *
 * 2. Identification over every dev capture:
 *      client SYNs named = SYNs matched by an OS signature
 *                          / (all SYNs - SYNs matched by a userland tool
 *                             label, e.g. NMap or masscan),
 *      as p0f counts it (its "app=" records are set aside);
 *      SYN+ACKs named    = SYN+ACKs matched by any signature / all SYN+ACKs.
 *    Generic and fuzzy matches count as named.
 *
 * Flows whose verdict differs between the two databases are written, with
 * the raw signature and User-Agent, to /tmp/pof-eval-changes.tsv (or
 * --changes FILE) for review. --unnamed N lists the N commonest raw
 * signatures left unnamed by pof's database.
 *
 * Exits 0 with a message when ../shared (or POF_SHARED) is absent.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCaptureFile } from '../src/capture/file.js';
import { DEFAULT_SIGNATURES, loadSignatures } from '../src/db/load.js';
import type { SignatureDb } from '../src/db/types.js';
import { Engine } from '../src/engine.js';
import type { Observation } from '../src/observation.js';
import { HttpModule } from '../src/state/http-module.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const SHARED = process.env.POF_SHARED ?? path.resolve(here, '../../shared');
const DEV = path.join(SHARED, 'corpus', 'dev');
const POF_DB = DEFAULT_SIGNATURES;
const P0F_DB = '/etc/p0f/p0f.fp';

/**
 * Label name -> OS family, for both databases. A name missing here is a
 * family of its own (it can only be right if the UA family has that name).
 * MERGED names stand for two families at once and always count as wrong.
 */
const FAMILY: Record<string, string> = {
  // pof.fp
  Windows: 'Windows',
  Linux: 'Linux',
  Android: 'Android',
  ChromeOS: 'ChromeOS',
  macOS: 'Mac OS X',
  iOS: 'iOS',
  FreeBSD: 'FreeBSD',
  OpenBSD: 'OpenBSD',
  NetBSD: 'NetBSD',
  Solaris: 'Solaris',
  // p0f.fp spellings
  'Mac OS X': 'Mac OS X',
  'MacOS X': 'Mac OS X',
};
const MERGED: Record<string, readonly string[]> = {
  'macOS or iOS': ['Mac OS X', 'iOS'],
};
/** UA families left out of the accuracy figures. */
const SKIP_UA = new Set(['unknown', 'Apple']);

interface Verdict {
  /** "Name flavor", or null when nothing matched. */
  label: string | null;
  name: string | null;
  userland: boolean;
  rawSig: string;
}

/** The identification counts kept over all captures. */
const COUNT_KEYS = [
  'synTotal',
  'synTool',
  'synNamed',
  'synackTotal',
  'synackNamed',
  'httpReq',
  'httpReqNamed',
  'httpResp',
  'httpRespNamed',
] as const;

/** Identification counts over all captures (one per COUNT_KEYS name). */
type IdCounts = Record<(typeof COUNT_KEYS)[number], number>;

function zeroCounts(): IdCounts {
  return Object.fromEntries(COUNT_KEYS.map((k) => [k, 0])) as IdCounts;
}

interface FileRun extends IdCounts {
  syn: Map<string, Verdict>;
  /** "cliPort>srvPort" -> tuple keys with those ports (for the tunnel fallback). */
  byPorts: Map<string, string[]>;
  unnamedSyn: string[];
  unnamedSynack: string[];
}

function field(o: Observation, key: string): string | null {
  for (const [k, v] of o.fields) if (k === key) return v;
  return null;
}

/** One spelling per address (labeled.tsv uses compressed IPv6). */
function normAddr(a: string): string {
  if (!a.includes(':')) return a;
  try {
    return new URL(`http://[${a}]/`).hostname.slice(1, -1);
  } catch {
    return a.toLowerCase();
  }
}

const tupleKey = (cli: string, cport: number | string, srv: string, sport: number | string): string =>
  `${normAddr(cli)}/${cport}>${normAddr(srv)}/${sport}`;

function runFile(file: string, db: SignatureDb): FileRun {
  const r: FileRun = {
    syn: new Map(),
    byPorts: new Map(),
    ...zeroCounts(),
    unnamedSyn: [],
    unnamedSynack: [],
  };
  const engine = new Engine({ db }, (o) => {
    const d = o.detail;
    if (o.mod === 'syn' && d?.kind === 'tcp') {
      r.synTotal++;
      const m = d.match;
      const raw = field(o, 'raw_sig') ?? '';
      if (m?.userland) r.synTool++;
      else if (m) r.synNamed++;
      else r.unnamedSyn.push(raw);
      const k = tupleKey(o.cli, o.cliPort, o.srv, o.srvPort);
      if (!r.syn.has(k)) {
        const pk = `${o.cliPort}>${o.srvPort}`;
        r.byPorts.set(pk, [...(r.byPorts.get(pk) ?? []), k]);
        r.syn.set(k, {
          label: m ? (m.flavor ? `${m.name} ${m.flavor}` : m.name) : null,
          name: m ? m.name : null,
          userland: m?.userland ?? false,
          rawSig: raw,
        });
      }
    } else if (o.mod === 'syn+ack' && d?.kind === 'tcp') {
      r.synackTotal++;
      if (d.match) r.synackNamed++;
      else r.unnamedSynack.push(field(o, 'raw_sig') ?? '');
    } else if (o.mod === 'http request' && d?.kind === 'http') {
      r.httpReq++;
      if (d.app) r.httpReqNamed++;
    } else if (o.mod === 'http response' && d?.kind === 'http') {
      r.httpResp++;
      if (d.app) r.httpRespNamed++;
    }
  });
  engine.addModule(new HttpModule());
  try {
    readCaptureFile(file, (p) => engine.handle(p));
  } catch {
    // An unreadable capture counts as having no observations.
  }
  return r;
}

interface Labeled {
  file: string;
  key: string;
  /** "cliPort>srvPort". */
  ports: string;
  ua: string;
  userAgent: string;
}

function readLabeled(): Labeled[] {
  const lines = fs.readFileSync(path.join(DEV, 'labeled.tsv'), 'utf8').split('\n').filter(Boolean);
  const head = lines[0]!.split('\t');
  const col = (n: string): number => {
    const i = head.indexOf(n);
    if (i < 0) throw new Error(`labeled.tsv has no column ${n}`);
    return i;
  };
  const [cf, cci, ccp, csi, csp, cua, cagent] = ['file', 'client_ip', 'client_port', 'server_ip', 'server_port', 'ua_os_family', 'user_agent'].map(col);
  return lines.slice(1).map((l) => {
    const c = l.split('\t');
    return {
      file: c[cf!]!,
      key: tupleKey(c[cci!]!, c[ccp!]!, c[csi!]!, c[csp!]!),
      ports: `${c[ccp!]!}>${c[csp!]!}`,
      ua: c[cua!]!,
      userAgent: c[cagent!] ?? '',
    };
  });
}

function devCaptures(): string[] {
  return fs
    .readdirSync(DEV)
    .filter((f) => fs.existsSync(path.join(DEV, f + '.p0f.log')))
    .sort()
    .map((f) => path.join(DEV, f));
}

/**
 * The SYN verdict of a labeled flow: by its 4-tuple; failing that (labeled.tsv
 * gives the outer addresses of tunnelled flows: ERSPAN, GTP, AYIYA), by its
 * two ports when exactly one SYN in the capture has them.
 */
function findSyn(run: FileRun | undefined, l: Labeled): Verdict | undefined {
  if (!run) return undefined;
  const v = run.syn.get(l.key);
  if (v) return v;
  const keys = run.byPorts.get(l.ports);
  return keys && keys.length === 1 ? run.syn.get(keys[0]!) : undefined;
}

type Outcome = 'correct' | 'wrong' | 'merged' | 'unnamed';

function judge(v: Verdict | undefined, ua: string): Outcome {
  if (!v || v.name === null) return 'unnamed';
  if (v.userland) return 'wrong';
  const merged = MERGED[v.name];
  if (merged) return 'merged';
  return (FAMILY[v.name] ?? v.name) === ua ? 'correct' : 'wrong';
}

interface DbReport extends IdCounts {
  name: string;
  runs: Map<string, FileRun>;
  perFamily: Map<string, { flows: number; named: number; correct: number; wrong: number; merged: number; mergedRight: number; unnamed: number }>;
  flows: number;
  correct: number;
  merged: number;
  mergedRight: number;
  unnamed: number;
}

function evaluate(name: string, dbPath: string, captures: string[], labeled: Labeled[]): DbReport {
  const db = loadSignatures(dbPath);
  const runs = new Map<string, FileRun>();
  const rep: DbReport = {
    name,
    runs,
    perFamily: new Map(),
    flows: 0,
    correct: 0,
    merged: 0,
    mergedRight: 0,
    unnamed: 0,
    ...zeroCounts(),
  };
  for (const f of captures) {
    const r = runFile(f, db);
    runs.set(path.basename(f), r);
    for (const k of COUNT_KEYS) rep[k] += r[k];
  }
  for (const l of labeled) {
    if (SKIP_UA.has(l.ua)) continue;
    const v = findSyn(runs.get(l.file), l);
    const o = judge(v, l.ua);
    let fam = rep.perFamily.get(l.ua);
    if (!fam) {
      fam = { flows: 0, named: 0, correct: 0, wrong: 0, merged: 0, mergedRight: 0, unnamed: 0 };
      rep.perFamily.set(l.ua, fam);
    }
    fam.flows++;
    rep.flows++;
    if (o !== 'unnamed') fam.named++;
    if (o === 'correct') {
      fam.correct++;
      rep.correct++;
    } else if (o === 'unnamed') {
      fam.unnamed++;
      rep.unnamed++;
    } else {
      fam.wrong++;
      if (o === 'merged') {
        fam.merged++;
        rep.merged++;
        if (MERGED[v!.name!]!.includes(l.ua)) {
          fam.mergedRight++;
          rep.mergedRight++;
        }
      }
    }
  }
  return rep;
}

const pct = (a: number, b: number): string => (b ? ((100 * a) / b).toFixed(1) + '%' : '-');

function printReport(reps: DbReport[]): void {
  const fams = [...new Set(reps.flatMap((r) => [...r.perFamily.keys()]))].sort();
  console.log('OS-family accuracy on labeled flows (SYN verdict vs User-Agent family)');
  console.log(`  ${'family'.padEnd(10)}${reps.map((r) => r.name.padEnd(44)).join('')}`);
  console.log(`  ${''.padEnd(10)}${reps.map(() => 'flows named correct wrong(merged) unnamed'.padEnd(44)).join('')}`);
  for (const f of fams) {
    const cells = reps.map((r) => {
      const x = r.perFamily.get(f) ?? { flows: 0, named: 0, correct: 0, wrong: 0, merged: 0, unnamed: 0 };
      return `${String(x.flows).padStart(5)} ${String(x.named).padStart(5)} ${String(x.correct).padStart(7)} ${String(x.wrong).padStart(5)}(${x.merged})`.padEnd(37) + String(x.unnamed).padStart(7);
    });
    console.log(`  ${f.padEnd(10)}${cells.map((c) => c.padEnd(44)).join('')}`);
  }
  for (const r of reps) {
    console.log(
      `  ${r.name}: strict accuracy ${pct(r.correct, r.flows)} (${r.correct}/${r.flows}), unnamed ${pct(r.unnamed, r.flows)}` +
        (r.merged ? `, merged labels ${r.merged} (merge-tolerant accuracy ${pct(r.correct + r.mergedRight, r.flows)})` : ''),
    );
  }
  console.log('\nIdentification over all dev captures (pof engine)');
  for (const r of reps) {
    console.log(
      `  ${r.name}: client SYNs named ${pct(r.synNamed, r.synTotal - r.synTool)} (${r.synNamed}/${r.synTotal - r.synTool}; ` +
        `${r.synTool} of ${r.synTotal} SYNs matched a tool label and are set aside), ` +
        `SYN+ACKs named ${pct(r.synackNamed, r.synackTotal)} (${r.synackNamed}/${r.synackTotal})`,
    );
    console.log(
      `  ${''.padEnd(r.name.length)}  SYNs given any label (OS or tool) ${pct(r.synNamed + r.synTool, r.synTotal)}`,
    );
    console.log(
      `  ${''.padEnd(r.name.length)}  HTTP requests named ${pct(r.httpReqNamed, r.httpReq)} (${r.httpReqNamed}/${r.httpReq}), ` +
        `responses named ${pct(r.httpRespNamed, r.httpResp)} (${r.httpRespNamed}/${r.httpResp})`,
    );
  }
}

/**
 * The best strict accuracy any SYN-only database could reach on these
 * flows: flows whose SYNs are byte-for-byte alike (same raw signature) get
 * one verdict, so each such group scores at most its largest family.
 */
function ceiling(r: DbReport, labeled: Labeled[]): { best: number; flows: number; clashes: string[] } {
  const groups = new Map<string, Map<string, number>>();
  let flows = 0;
  for (const l of labeled) {
    if (SKIP_UA.has(l.ua)) continue;
    flows++;
    const v = findSyn(r.runs.get(l.file), l);
    const k = v ? v.rawSig : `(no SYN) ${l.file} ${l.key}`;
    const g = groups.get(k) ?? new Map<string, number>();
    g.set(l.ua, (g.get(l.ua) ?? 0) + 1);
    groups.set(k, g);
  }
  let best = 0;
  const clashes: string[] = [];
  for (const [k, g] of groups) {
    best += Math.max(...g.values());
    if (g.size > 1) clashes.push(`${[...g].map(([f, n]) => `${n} ${f}`).join(' + ')}: ${k}`);
  }
  return { best, flows, clashes };
}

function writeChanges(file: string, base: DbReport, ours: DbReport, labeled: Labeled[]): { changed: number; outcomes: Map<string, number> } {
  const outcomes = new Map<string, number>();
  const rows = ['file\ttuple\tua_family\tp0f_verdict\tpof_verdict\tp0f_outcome\tpof_outcome\traw_sig\tuser_agent'];
  for (const l of labeled) {
    const a = findSyn(base.runs.get(l.file), l);
    const b = findSyn(ours.runs.get(l.file), l);
    if ((a?.label ?? null) === (b?.label ?? null)) continue;
    const skip = SKIP_UA.has(l.ua);
    if (!skip && judge(a, l.ua) !== judge(b, l.ua)) {
      const k = `${judge(a, l.ua)} -> ${judge(b, l.ua)}`;
      outcomes.set(k, (outcomes.get(k) ?? 0) + 1);
    }
    rows.push(
      [
        l.file,
        l.key,
        l.ua,
        a?.label ?? '???',
        b?.label ?? '???',
        skip ? '-' : judge(a, l.ua),
        skip ? '-' : judge(b, l.ua),
        b?.rawSig ?? a?.rawSig ?? '',
        l.userAgent,
      ].join('\t'),
    );
  }
  fs.writeFileSync(file, rows.join('\n') + '\n');
  return { changed: rows.length - 1, outcomes };
}

function printUnnamed(r: DbReport, n: number): void {
  for (const [what, pick] of [
    ['SYN', (x: FileRun) => x.unnamedSyn],
    ['SYN+ACK', (x: FileRun) => x.unnamedSynack],
  ] as const) {
    const count = new Map<string, number>();
    for (const run of r.runs.values()) for (const s of pick(run)) count.set(s, (count.get(s) ?? 0) + 1);
    console.log(`\nCommonest unnamed ${what} raw signatures (${r.name}):`);
    for (const [s, c] of [...count].sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(`  ${String(c).padStart(5)}  ${s}`);
  }
}

function main(): void {
  if (!fs.existsSync(path.join(DEV, 'labeled.tsv'))) {
    console.log(`eval: skipped, no corpus at ${DEV} (set POF_SHARED to the shared directory)`);
    return;
  }
  const args = process.argv.slice(2);
  const opt = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const changesFile = opt('--changes') ?? '/tmp/pof-eval-changes.tsv';
  const captures = devCaptures();
  const labeled = readLabeled();
  const reps: DbReport[] = [];
  if (fs.existsSync(P0F_DB)) reps.push(evaluate('p0f.fp', P0F_DB, captures, labeled));
  else console.log(`eval: ${P0F_DB} not found, comparing nothing against it`);
  const ours = evaluate('pof.fp', POF_DB, captures, labeled);
  reps.push(ours);
  console.log(`${captures.length} captures, ${labeled.length} labeled flows (${reps[reps.length - 1]!.flows} with a usable family)\n`);
  printReport(reps);
  const c = ceiling(ours, labeled);
  console.log(`\nCeiling for any SYN-only database: ${pct(c.best, c.flows)} (${c.best}/${c.flows}); identical SYNs, different families:`);
  for (const x of c.clashes) console.log(`  ${x}`);
  if (reps.length === 2) {
    const { changed, outcomes } = writeChanges(changesFile, reps[0]!, ours, labeled);
    console.log(`\n${changed} labeled flows changed verdict vs p0f.fp (listed in ${changesFile}); outcome changes:`);
    for (const [k, n] of [...outcomes].sort((x, y) => y[1] - x[1])) console.log(`  ${String(n).padStart(4)}  ${k}`);
  }
  const un = opt('--unnamed');
  if (un) printUnnamed(ours, Number(un));
}

main();
