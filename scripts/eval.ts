/**
 * Accuracy of pof's shipped database (signatures/pof.fp) against p0f
 * 3.09b's (/etc/p0f/p0f.fp), both run through pof's own engine over the
 * dev corpus in ../shared/corpus/dev (or $POF_SHARED/corpus/dev).
 *
 *   node --import tsx scripts/eval.ts [--changes FILE] [--unnamed N]
 *
 * Definitions
 *
 * Flows: the rows of labeled.tsv, each a connection whose client SYN and
 *   HTTP User-Agent are both in a capture.
 * Finding a flow's SYN: the first "syn" observation of its capture with the
 *   row's 4-tuple. labeled.tsv lists tunnelled flows (GTP, ERSPAN, AYIYA)
 *   by their outer addresses, so failing that, the one encapsulated SYN of
 *   the capture with the row's two ports, if there is exactly one.
 * Truth: the OS family of the row's ua_os_family (Windows, Linux, Android,
 *   Mac OS X, iOS), except for flows believed to lie: a User-Agent that is
 *   a fixed string an OS component sends whatever OS it names (ua.ts
 *   `probe`; Android's connectivity check sends a desktop-Linux Chrome 60
 *   agent) is scored as that component's OS, and listed with the reason.
 * Scored flows: those whose truth is one family. 'unknown' (the agent
 *   names no OS) and 'Apple' (a CFNetwork/Darwin agent: macOS or iOS) are
 *   shown apart and left out of the totals.
 * A verdict's families: those its label's text names (db/families.ts):
 *   "macOS or iOS" -> {macos, ios}; "Linux ... (or Android 4.x)" ->
 *   {linux, android}.
 * Outcomes for a scored flow of family F (a label naming Linux counts as
 *   naming ChromeOS, whose stack it is: db/families.ts stackFamily):
 *   strict   an OS label naming F alone;
 *   merged   an OS label naming F and another family (a merge);
 *   wrong    an OS label not naming F, or a userland tool's label;
 *   unnamed  no signature matched, or no SYN was found ("no SYN", counted
 *            in unnamed and shown apart).
 *   merge-tolerant = strict + merged. Percentages are of scored flows.
 * Merges: each [tcp:request] label naming two or more families, with its
 *   signature lines and the labelled flows it names, grouped by stack
 *   signature: the raw signature without what the path sets (the hop count
 *   is added back to the TTL, the MSS becomes '*'). A merge has evidence
 *   when flows of two of its families send the same stack signature.
 * Issue 24's counting: its figures (pof.fp before this eval: wrong 1.0%,
 *   unnamed 2.6%, merge-tolerant 96.4%) found SYNs by 4-tuple only and took
 *   labels as given; that line is printed too, for comparison.
 *
 * Also printed: p0f's bad_sw per family (how often the OS-versus-agent
 * check fires on these flows), suspected lies (listed, not re-scored), identical stack
 * signatures sent by different families, the User-Agent parser against
 * labeled.tsv's families, and identification over every capture:
 *   client SYNs named = SYNs matched by an OS signature / (all SYNs - SYNs
 *   matched by a userland tool label, e.g. Nmap), as p0f counts it;
 *   SYN+ACKs named = SYN+ACKs matched by any signature / all SYN+ACKs.
 * Flows whose label differs between the two databases are written, with
 * the raw signature and User-Agent, to /tmp/pof-eval-changes.tsv (or
 * --changes FILE). --unnamed N lists the N commonest raw signatures pof's
 * database leaves unnamed.
 *
 * Exits 0 with a message when the corpus is absent.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { familiesOf, isMerged, type OsFamily } from '../src/db/families.js';
import { DEFAULT_SIGNATURES, loadSignatures } from '../src/db/load.js';
import type { Label, SignatureDb } from '../src/db/types.js';
import { parseUserAgent } from '../src/fingerprint/ua.js';
import { COUNT_KEYS, devCaptures, readLabeled, runFile, zeroCounts, type FileRun, type IdCounts, type Labeled } from './eval-run.js';
import { figures, labelledFamilies, pct, score, stackGroups, suspects, type Score, type Scored, type Tally } from './eval-score.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const SHARED = process.env.POF_SHARED ?? path.resolve(here, '../../shared');
const DEV = path.join(SHARED, 'corpus', 'dev');
const P0F_DB = '/etc/p0f/p0f.fp';
/** Issue 24's acceptance for pof.fp on dev. */
const TARGET = { wrong: 1.0, unnamed: 1.5, tolerant: 98 };

interface DbRun extends IdCounts {
  name: string;
  db: SignatureDb;
  runs: Map<string, FileRun>;
  main: Score;
  asLabelled: Score;
  issue: Score;
}

function evaluate(name: string, dbPath: string, captures: string[], labeled: Labeled[]): DbRun {
  const db = loadSignatures(dbPath);
  const runs = new Map<string, FileRun>();
  const counts = zeroCounts();
  for (const f of captures) {
    const r = runFile(f, db);
    runs.set(path.basename(f), r);
    for (const k of COUNT_KEYS) counts[k] += r[k];
  }
  return {
    name,
    db,
    runs,
    ...counts,
    main: score(runs, labeled),
    asLabelled: score(runs, labeled, { correctLies: false }),
    issue: score(runs, labeled, { tupleOnly: true, correctLies: false }),
  };
}

const cell = (n: number, of: number): string => `${String(n).padStart(4)} ${pct(n, of).padStart(6)}`;

function tallyLine(t: Tally): string {
  return (
    `${String(t.flows).padStart(5)}  ${cell(t.strict, t.flows)}  ${String(t.merged).padStart(4)}  ${cell(t.strict + t.merged, t.flows)}` +
    `  ${cell(t.wrong, t.flows)}  ${cell(t.unnamed + t.nosyn, t.flows)} (${t.nosyn})`
  );
}

function summary(t: Tally): string {
  const f = figures(t);
  return `strict ${f.strict.toFixed(1)}%, merge-tolerant ${f.tolerant.toFixed(1)}%, wrong ${f.wrong.toFixed(1)}%, unnamed ${f.unnamed.toFixed(1)}% of ${t.flows}`;
}

function printAccuracy(r: DbRun): void {
  console.log(`\n${r.name}: OS-family accuracy on labelled flows (SYN verdict against the User-Agent's family)`);
  console.log('  family     flows  strict        merged  merge-tolerant  wrong        unnamed (no SYN)');
  const fams = [...r.main.perFamily.keys()].sort();
  for (const f of fams) console.log(`  ${f.padEnd(9)}${tallyLine(r.main.perFamily.get(f)!)}`);
  console.log(`  ${'total'.padEnd(9)}${tallyLine(r.main.total)}`);
  for (const [name, fam] of [
    ['Apple', ['macos', 'ios']],
    ['unknown', []],
  ] as const) {
    const rows = r.main.rows.filter((x) => x.row.uaFamily === name);
    if (!rows.length) continue;
    const agree = rows.filter((x) => x.v?.families.some((f) => (fam as readonly string[]).includes(f))).length;
    const named = rows.filter((x) => x.v && x.v.label !== null).length;
    const what = fam.length ? `, a label naming macOS or iOS ${agree}` : '';
    console.log(`  not scored: ${rows.length} '${name}' flows (${name === 'Apple' ? 'CFNetwork/Darwin: macOS or iOS' : 'the agent names no OS'}): labelled ${named}${what}`);
  }
  console.log(`  ${r.name}: ${summary(r.main.total)}`);
  console.log(`  ${''.padEnd(r.name.length)}  labels as given (no lie correction): ${summary(r.asLabelled.total)}`);
  console.log(`  ${''.padEnd(r.name.length)}  issue 24's counting (4-tuple only, labels as given): ${summary(r.issue.total)}`);
}

/**
 * p0f's "OS differs from User-Agent" (bad_sw 1) on scored flows whose
 * request the engine read, per family: with a merged label it should only
 * fire for an agent of another family.
 */
function printBadSw(reps: DbRun[]): void {
  console.log("\np0f's bad_sw 1 (OS differs from User-Agent) on scored flows with an HTTP request, per family:");
  for (const r of reps) {
    const per = new Map<string, [number, number]>();
    for (const x of r.main.rows) {
      if (x.truth.families.length !== 1 || x.how === 'none') continue;
      const run = r.runs.get(x.row.file)!;
      const key = x.how === 'tuple' ? x.row.key : [...run.syn].find(([, v]) => v === x.v)?.[0];
      const b = key === undefined ? undefined : run.badSw.get(key);
      if (b === undefined) continue;
      const f = x.truth.families[0]!;
      const c = per.get(f) ?? [0, 0];
      c[1]++;
      if (b === 1) c[0]++;
      per.set(f, c);
    }
    console.log(`  ${r.name}: ${[...per].sort().map(([f, [n, of]]) => `${f} ${n}/${of}`).join(', ')}`);
  }
}

function printTargets(r: DbRun): void {
  const f = figures(r.main.total);
  const ok = (b: boolean): string => (b ? 'met' : 'NOT MET');
  console.log(
    `\nTargets for ${r.name} (issue 24): wrong ${f.wrong.toFixed(1)}% <= ${TARGET.wrong}% ${ok(f.wrong <= TARGET.wrong)}; ` +
      `unnamed ${f.unnamed.toFixed(1)}% <= ${TARGET.unnamed}% ${ok(f.unnamed <= TARGET.unnamed)}; ` +
      `merge-tolerant ${f.tolerant.toFixed(1)}% >= ${TARGET.tolerant}% ${ok(f.tolerant >= TARGET.tolerant)}`,
  );
}

const where = (x: Scored): string => `${x.row.file} ${x.row.key}`;

function printLies(r: DbRun): void {
  const lies = r.main.rows.filter((x) => x.truth.lie);
  console.log(`\nUser-Agents believed to lie (${lies.length}; scored as the OS that sends them):`);
  for (const x of lies) {
    console.log(`  ${where(x)}\n    labelled ${x.row.uaFamily}, scored ${x.truth.families.join(' or ')}: ${x.truth.lie}`);
    console.log(`    agent: ${x.row.userAgent}\n    ${r.name}: ${x.v?.label ?? '(unnamed)'}  ${x.v?.rawSig ?? ''}`);
    const w = r.main.rows.find((y) => y !== x && !y.truth.lie && y.row.file === x.row.file && y.row.cli === x.row.cli && y.v && y.v.stackSig === x.v?.stackSig && y.truth.families.join() === x.truth.families.join());
    console.log(w ? `    corroborated: the same address sends the same SYN with an agent labelled ${w.row.uaFamily}: ${w.row.userAgent}` : '    not corroborated by another flow of the same address and SYN');
  }
  const sus = suspects(r.main);
  console.log(`Suspected lies (${sus.length}; listed, not re-scored): a wrong single-family verdict that another flow of the same address and stack signature confirms:`);
  for (const { x, witness } of sus) {
    console.log(`  ${where(x)}: agent says ${x.row.uaFamily} (${x.row.userAgent})`);
    console.log(`    ${r.name}: ${x.v!.label}; same address and SYN: ${witness.row.uaFamily} agent ${witness.row.userAgent}`);
  }
  const wrong = r.main.rows.filter((x) => x.outcome === 'wrong' && !sus.some((s) => s.x === x));
  console.log(`Other wrong verdicts (${wrong.length}):`);
  for (const x of wrong) console.log(`  ${where(x)}: ${x.truth.families[0]} agent (${x.row.userAgent}); ${r.name}: ${x.v!.label}  ${x.v!.rawSig}`);
}

function fileCounts(xs: readonly Scored[]): string {
  const c = new Map<string, number>();
  for (const x of xs) c.set(x.row.file, (c.get(x.row.file) ?? 0) + 1);
  return [...c].map(([f, n]) => `${f} (${n})`).join(', ');
}

/** The comment block right above a line of the signature file, as one line. */
function commentAbove(text: readonly string[], line: number): string {
  const out: string[] = [];
  for (let i = line - 2; i >= 0 && text[i]!.startsWith(';'); i--) out.unshift(text[i]!.replace(/^;\s?/, ''));
  return out.join(' ').replace(/\s+/g, ' ').trim();
}

function printMerges(r: DbRun): void {
  const text = fs.readFileSync(r.db.file, 'utf8').split('\n');
  const labels: Label[] = [...new Set(r.db.tcpRequest.filter((s) => isMerged(s.label)).map((s) => s.label))];
  console.log(`\nMerges in ${r.name}: ${labels.length} client-SYN labels naming two or more families`);
  for (const l of labels) {
    const fams = familiesOf(l);
    const sigs = r.db.tcpRequest.filter((s) => s.label === l);
    const lines = new Set(sigs.map((s) => s.line));
    console.log(`  ${l.name}${l.flavor ? ' ' + l.flavor : ''} (line ${l.line}): ${fams.join(', ')}`);
    for (const s of sigs) {
      let syns = 0;
      let files = 0;
      for (const run of r.runs.values()) {
        const n = run.synLines.get(s.line) ?? 0;
        syns += n;
        if (n) files++;
      }
      console.log(`    sig line ${s.line}: ${s.text}  (dev: ${syns} SYNs in ${files} captures)`);
    }
    const groups = stackGroups(r.main.rows, (x) => x.v!.line !== null && lines.has(x.v!.line));
    let evidence = 0;
    for (const g of groups) {
      const inLabel = [...g.byFamily.keys()].filter((f) => fams.includes(f as OsFamily));
      if (inLabel.length >= 2) evidence++;
      const counts = [...g.byFamily].map(([f, xs]) => `${xs.length} ${f}`).join(' + ');
      console.log(`    flows sending ${g.stackSig}: ${counts}${inLabel.length >= 2 ? '  <- evidence: the same SYN from ' + inLabel.join(' and ') : ''}`);
      for (const [f, xs] of g.byFamily) console.log(`      ${f}: ${fileCounts(xs)}; e.g. ${xs[0]!.row.userAgent}`);
    }
    if (!groups.length) console.log('    no labelled flow has this label');
    console.log(
      `    => ${evidence ? `evidence in labelled flows: ${evidence} stack signature(s) sent by two of its families` : 'no labelled flows of two of its families share a SYN here'}`,
    );
    console.log(`    the file says: ${commentAbove(text, l.line) || '(nothing)'}`);
  }
  const clashes = stackGroups(r.main.rows).filter((g) => g.byFamily.size > 1);
  console.log(`Identical stack signatures from flows of different families (${clashes.length}):`);
  for (const g of clashes) {
    const xs = [...g.byFamily.values()].flat();
    const labelsSeen = [...new Set(xs.map((x) => x.v!.label ?? '(unnamed)'))];
    const covered = xs.every((x) => x.v!.families.length > 1 && [...g.byFamily.keys()].every((f) => x.v!.families.includes(f as OsFamily)));
    console.log(`  ${[...g.byFamily].map(([f, ys]) => `${ys.length} ${f}`).join(' + ')}: ${g.stackSig}`);
    console.log(`    ${r.name}: ${labelsSeen.join('; ')} -> ${covered ? 'a merged label naming all of them' : 'NOT a merge covering all of them'}`);
  }
}

function printUaCheck(labeled: Labeled[]): void {
  let agree = 0;
  const differ = new Map<string, string>();
  for (const l of labeled) {
    const mine = parseUserAgent(l.userAgent).os?.families ?? [];
    const theirs = labelledFamilies(l.uaFamily);
    if (mine.join() === theirs.join()) agree++;
    else differ.set(`${l.uaFamily}\t${l.userAgent}`, mine.join(' or ') || 'no OS');
  }
  console.log(`\nUser-Agent parser (src/fingerprint/ua.ts) against labeled.tsv's family: ${agree} of ${labeled.length} flows agree; differing agents:`);
  for (const [k, v] of differ) {
    const [fam, ua] = k.split('\t');
    console.log(`  labelled ${fam}, parser ${v}: ${ua}`);
  }
}

function printIdentification(reps: DbRun[]): void {
  console.log('\nIdentification over all dev captures (pof engine)');
  for (const r of reps) {
    const pad = ''.padEnd(r.name.length);
    console.log(
      `  ${r.name}: client SYNs named ${pct(r.synNamed, r.synTotal - r.synTool)} (${r.synNamed}/${r.synTotal - r.synTool}; ` +
        `${r.synTool} of ${r.synTotal} SYNs matched a tool label and are set aside), SYN+ACKs named ${pct(r.synackNamed, r.synackTotal)} (${r.synackNamed}/${r.synackTotal})`,
    );
    console.log(`  ${pad}  SYNs given any label (OS or tool) ${pct(r.synNamed + r.synTool, r.synTotal)}`);
    console.log(`  ${pad}  HTTP requests named ${pct(r.httpReqNamed, r.httpReq)} (${r.httpReqNamed}/${r.httpReq}), responses named ${pct(r.httpRespNamed, r.httpResp)} (${r.httpRespNamed}/${r.httpResp})`);
  }
}

function writeChanges(file: string, base: DbRun, ours: DbRun): { changed: number; outcomes: Map<string, number> } {
  const outcomes = new Map<string, number>();
  const out = ['file\ttuple\tua_family\tp0f_verdict\tpof_verdict\tp0f_outcome\tpof_outcome\traw_sig\tuser_agent'];
  base.main.rows.forEach((a, i) => {
    const b = ours.main.rows[i]!;
    if ((a.v?.label ?? null) === (b.v?.label ?? null)) return;
    if (a.outcome && b.outcome && a.outcome !== b.outcome) {
      const k = `${a.outcome} -> ${b.outcome}`;
      outcomes.set(k, (outcomes.get(k) ?? 0) + 1);
    }
    out.push([a.row.file, a.row.key, a.row.uaFamily, a.v?.label ?? '???', b.v?.label ?? '???', a.outcome ?? '-', b.outcome ?? '-', b.v?.rawSig ?? a.v?.rawSig ?? '', a.row.userAgent].join('\t'));
  });
  fs.writeFileSync(file, out.join('\n') + '\n');
  return { changed: out.length - 1, outcomes };
}

function printUnnamed(r: DbRun, n: number): void {
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
  const captures = devCaptures(DEV);
  const labeled = readLabeled(DEV);
  const reps: DbRun[] = [];
  if (fs.existsSync(P0F_DB)) reps.push(evaluate('p0f.fp', P0F_DB, captures, labeled));
  else console.log(`eval: ${P0F_DB} not found, comparing nothing against it`);
  const ours = evaluate('pof.fp', DEFAULT_SIGNATURES, captures, labeled);
  reps.push(ours);
  const tunnel = ours.main.rows.filter((x) => x.how === 'tunnel').length;
  console.log(
    `${captures.length} captures, ${labeled.length} labelled flows, ${ours.main.total.flows} scored ` +
      `(${tunnel} of the ${labeled.length} found inside a tunnel by their ports; definitions at the top of scripts/eval.ts)`,
  );
  for (const r of reps) printAccuracy(r);
  printBadSw(reps);
  printTargets(ours);
  printLies(ours);
  printMerges(ours);
  printUaCheck(labeled);
  printIdentification(reps);
  if (reps.length === 2) {
    const file = opt('--changes') ?? '/tmp/pof-eval-changes.tsv';
    const { changed, outcomes } = writeChanges(file, reps[0]!, ours);
    console.log(`\n${changed} labelled flows changed label vs p0f.fp (listed in ${file}); outcome changes:`);
    for (const [k, n] of [...outcomes].sort((x, y) => y[1] - x[1])) console.log(`  ${String(n).padStart(4)}  ${k}`);
  }
  const un = opt('--unnamed');
  if (un) printUnnamed(ours, Number(un));
}

main();
