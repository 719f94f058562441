/**
 * How the truth verdict (src/verdict, docs/verdict.md) does on the dev
 * corpus: false alarms on truthful flows, lies caught.
 *
 *   node --import tsx scripts/verdict-eval.ts [--db FILE] [--list] [--keep DIR]
 *
 * Truthful flows: the rows of labeled.tsv. Each capture is run through the
 * engine with the HTTP module (as scripts/eval-run.ts does) and pof.fp (or
 * --db); a row's connection gives the SYN's label (TCP layer) and its first
 * request's HTTP signature (application, dishonest flag, proxy headers);
 * the row's User-Agent is parsed with fingerprint/ua.ts. These flows are
 * cleartext HTTP, so their TLS layer is absent; the TLS label is scored
 * apart, per connection (TCP against TLS), over every ClientHello of the
 * corpus (scripts/tls-hellos.ts, tshark as the byte feeder).
 *
 * Lies: for each labelled flow whose agent names one OS family F of
 * windows, linux, macos, ios, android, and each other family G of those,
 * the agent is rewritten at the same length to name G (scripts/ua-lie.ts),
 * in a copy of the capture (every occurrence of "User-Agent: <agent>" in
 * the file's bytes), the copy is run through the engine again and the
 * verdict is taken with the rewritten agent. A lie is caught when the
 * verdict is mismatch. Also shown: the lies a SYN cannot tell apart (G is
 * among the families of F's SYN label: "macOS or iOS" for a Mac or an
 * iPhone, "Linux (or Android)").
 *
 * --list prints every mismatch on truthful flows and every lie missed;
 * --keep DIR keeps the rewritten captures. Exits 0 with a message when the
 * corpus is absent.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCaptureFile } from '../src/capture/file.js';
import { loadSignatures } from '../src/db/load.js';
import { loadTlsDb } from '../src/db/tls-load.js';
import type { SignatureDb, SysEntry } from '../src/db/types.js';
import { Engine } from '../src/engine.js';
import { buildTlsIndex, labelTls } from '../src/fingerprint/tls/label.js';
import { parseUserAgent } from '../src/fingerprint/ua.js';
import type { Observation, TcpMatchInfo } from '../src/observation.js';
import { HttpModule } from '../src/state/http-module.js';
import { appFamilies, proxiedBy, tcpEvidence } from '../src/state/verdict/evidence.js';
import type { HttpEvidence, Verdict, VerdictInput } from '../src/state/verdict/types.js';
import { verdictOf } from '../src/state/verdict/verdict.js';
import { readLabeled, tupleKey, type Labeled } from './eval-run.js';
import { hellosOf } from './tls-hellos.js';
import { LIE_FAMILIES, lieUa, type LieFamily } from './ua-lie.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const SHARED = process.env.POF_SHARED ?? path.resolve(here, '../../shared');
const DEV = path.join(SHARED, 'corpus', 'dev');
const args = process.argv.slice(2);
const opt = (f: string): string | undefined => {
  const i = args.indexOf(f);
  return i >= 0 ? args[i + 1] : undefined;
};
const LIST = args.includes('--list');
/** Issue 24's acceptance. */
const TARGET = { falseAlarms: 1, caught: 95 };

interface ConnSeen {
  syn: TcpMatchInfo | null;
  http: { app: string | null; appSys: readonly SysEntry[] | null; dishonest: boolean; proxied: boolean } | null;
}

function field(o: Observation, key: string): string | null {
  for (const [k, v] of o.fields) if (k === key) return v;
  return null;
}

/** Header names of a request's raw_sig (`ver:horder:habsent:expsw`), optional ones included. */
function headerNames(raw: string): string[] {
  const parts = raw.split(':');
  if (parts.length < 2) return [];
  return parts[1]!.split(',').map((h) => h.replace(/^\?/, '').replace(/=.*$/, '').trim());
}

/** Runs one capture; per connection (tuple key) its first SYN and first request. */
function runCapture(file: string, db: SignatureDb): Map<string, ConnSeen> {
  const conns = new Map<string, ConnSeen>();
  const get = (o: Observation): ConnSeen => {
    const k = tupleKey(o.cli, o.cliPort, o.srv, o.srvPort);
    let c = conns.get(k);
    if (!c) conns.set(k, (c = { syn: null, http: null }));
    return c;
  };
  const engine = new Engine({ db }, (o) => {
    const d = o.detail;
    if (o.mod === 'syn' && d?.kind === 'tcp') {
      const c = get(o);
      if (c.syn === null) c.syn = d.match;
    } else if (o.mod === 'http request' && d?.kind === 'http') {
      const c = get(o);
      if (c.http !== null) return;
      const rec = d.app ? db.httpRequest.find((s) => s.label.name === d.app!.name && s.label.flavor === d.app!.flavor) : undefined;
      c.http = {
        app: d.app ? (d.app.flavor ? `${d.app.name} ${d.app.flavor}` : d.app.name) : null,
        appSys: rec ? rec.label.sys : null,
        dishonest: (field(o, 'params') ?? '').split(' ').includes('dishonest'),
        proxied: proxiedBy(headerNames(field(o, 'raw_sig') ?? '')),
      };
    }
  });
  engine.addModule(new HttpModule());
  try {
    readCaptureFile(file, (p) => engine.handle(p));
  } catch {
    // A damaged capture keeps what was read before the damage.
  }
  return conns;
}

/** A row's connection: by its 4-tuple, else (tunnelled rows name outer addresses) the one connection with its ports. */
function connOf(conns: Map<string, ConnSeen>, l: Labeled): ConnSeen | null {
  const c = conns.get(l.key);
  if (c) return c;
  const [cp, sp] = l.ports.split('>');
  const hits = [...conns.entries()].filter(([k]) => k.includes(`/${cp}>`) && k.endsWith(`/${sp}`));
  return hits.length === 1 ? hits[0]![1] : null;
}

function inputOf(c: ConnSeen | null, ua: string): VerdictInput {
  const h = c?.http ?? null;
  const http: HttpEvidence | null = h ? { app: h.app, appFamilies: h.appSys ? appFamilies(h.appSys) : null, dishonest: h.dishonest, proxied: h.proxied } : null;
  return { ua: parseUserAgent(ua), tcp: tcpEvidence(c?.syn ?? null), tls: null, http };
}

const pct = (n: number, of: number): string => (of === 0 ? '-' : `${((100 * n) / of).toFixed(1)}%`);

function tally(vs: Verdict[]): string {
  const n = (k: string): number => vs.filter((v) => v.verdict === k).length;
  return `consistent ${n('consistent')} (${pct(n('consistent'), vs.length)}), mismatch ${n('mismatch')} (${pct(n('mismatch'), vs.length)}), unknown ${n('unknown')} (${pct(n('unknown'), vs.length)}) of ${vs.length}`;
}

function reasonCounts(vs: Verdict[]): string {
  const m = new Map<string, number>();
  for (const v of vs) for (const r of v.reasons) m.set(r, (m.get(r) ?? 0) + 1);
  return [...m].sort((a, b) => b[1] - a[1]).map(([r, n]) => `${r} ${n}`).join(', ') || 'none';
}

function familyOfRow(l: Labeled): LieFamily | null {
  const m: Record<string, LieFamily> = { Windows: 'windows', Linux: 'linux', 'Mac OS X': 'macos', iOS: 'ios', Android: 'android' };
  return m[l.uaFamily] ?? null;
}

function main(): void {
  if (!fs.existsSync(path.join(DEV, 'labeled.tsv'))) {
    console.log(`verdict-eval: no corpus at ${DEV}; nothing to do`);
    return;
  }
  const db = loadSignatures(opt('--db'));
  const tlsIdx = buildTlsIndex(loadTlsDb());
  const labeled = readLabeled(DEV);
  const byFile = new Map<string, Labeled[]>();
  for (const l of labeled) byFile.set(l.file, [...(byFile.get(l.file) ?? []), l]);

  // ---- truthful flows
  const truthful: Verdict[] = [];
  const scoredTruthful: Verdict[] = [];
  const alarms: string[] = [];
  const runs = new Map<string, Map<string, ConnSeen>>();
  for (const [file, rows] of byFile) {
    const conns = runCapture(path.join(DEV, file), db);
    runs.set(file, conns);
    for (const l of rows) {
      const v = verdictOf(inputOf(connOf(conns, l), l.userAgent));
      truthful.push(v);
      if (familyOfRow(l)) scoredTruthful.push(v);
      if (v.verdict === 'mismatch') alarms.push(`${file} ${l.key}\n    agent: ${l.userAgent}\n    ${v.checks.filter((c) => c.outcome === 'disagree').map((c) => `${c.pair} (${c.strength}): ${c.why}`).join('\n    ')}`);
    }
  }
  console.log(`verdict-eval: ${labeled.length} labelled flows in ${byFile.size} captures (pof.fp${opt('--db') ? ' = ' + opt('--db') : ''}, TLS DB ${tlsIdx.size} entries)`);
  console.log(`\nTruthful flows (labeled.tsv as labelled): ${tally(truthful)}`);
  console.log(`  of them naming one of the five OS families: ${tally(scoredTruthful)}`);
  console.log(`  reasons on truthful flows: ${reasonCounts(truthful)}`);
  const q = { exact: 0, weak: 0, userland: 0, none: 0 };
  for (const [file, rows] of byFile) {
    for (const l of rows) {
      const t = tcpEvidence(connOf(runs.get(file)!, l)?.syn ?? null);
      if (!t) q.none++;
      else if (t.userland) q.userland++;
      else if (t.generic || t.fuzzy) q.weak++;
      else q.exact++;
    }
  }
  console.log(`  their SYN labels: exact ${q.exact}, generic or fuzzy ${q.weak}, userland tool ${q.userland}, none ${q.none}`);
  const fa = truthful.filter((v) => v.verdict === 'mismatch').length;
  console.log(`  false alarms: ${fa} of ${truthful.length} = ${pct(fa, truthful.length)} (target <= ${TARGET.falseAlarms}%)`);
  for (const a of alarms) console.log(`  MISMATCH ${a}`);

  // ---- lies
  const keep = opt('--keep');
  const tmp = keep ?? fs.mkdtempSync(path.join(os.tmpdir(), 'pof-lies-'));
  fs.mkdirSync(tmp, { recursive: true });
  const pairs = new Map<string, { n: number; caught: number }>();
  let lies = 0;
  let caught = 0;
  let synBlind = 0;
  let synBlindCaught = 0;
  let notBuilt = 0;
  let notInBytes = 0;
  const missed: string[] = [];
  for (const [file, rows] of byFile) {
    const orig = fs.readFileSync(path.join(DEV, file));
    for (const to of LIE_FAMILIES) {
      let buf: Buffer | null = null;
      const todo: Array<{ l: Labeled; lie: string; from: LieFamily }> = [];
      for (const l of rows) {
        const from = familyOfRow(l);
        if (!from || from === to) continue;
        const lie = lieUa(l.userAgent, to);
        if (!lie) {
          notBuilt++;
          continue;
        }
        const needle = Buffer.from(`User-Agent: ${l.userAgent}\r\n`, 'latin1');
        if (orig.indexOf(needle) < 0) {
          notInBytes++;
          continue;
        }
        buf ??= Buffer.from(orig);
        const repl = Buffer.from(`User-Agent: ${lie}\r\n`, 'latin1');
        for (let at = buf.indexOf(needle); at >= 0; at = buf.indexOf(needle, at + 1)) repl.copy(buf, at);
        todo.push({ l, lie, from });
      }
      if (!buf) continue;
      const copy = path.join(tmp, `${to}--${file}`);
      fs.writeFileSync(copy, buf);
      const conns = runCapture(copy, db);
      if (!keep) fs.rmSync(copy);
      for (const { l, lie, from } of todo) {
        const c = connOf(conns, l);
        const v = verdictOf(inputOf(c, lie));
        const ok = v.verdict === 'mismatch';
        lies++;
        if (ok) caught++;
        const pk = `${from}->${to}`;
        const p = pairs.get(pk) ?? { n: 0, caught: 0 };
        p.n++;
        if (ok) p.caught++;
        pairs.set(pk, p);
        const fams = tcpEvidence(c?.syn ?? null)?.families ?? [];
        if (fams.includes(to)) {
          synBlind++;
          if (ok) synBlindCaught++;
        } else if (!ok) {
          missed.push(`${file} ${l.key} ${pk} -> ${v.verdict}\n    lie:   ${lie}\n    SYN:   ${tcpEvidence(c?.syn ?? null)?.label ?? 'none'}; skipped ${v.skipped.map((s) => `${s.layer} ${s.why}`).join(', ')}`);
        }
      }
    }
  }
  if (!keep) fs.rmSync(tmp, { recursive: true, force: true });
  console.log(`\nConstructed lies (agent rewritten in a copy of the capture, same length, another OS family): ${lies}`);
  console.log(`  caught (mismatch): ${caught} = ${pct(caught, lies)} (target >= ${TARGET.caught}%)`);
  console.log(`  lies naming a family the flow's SYN label also names (the SYN cannot tell them apart): ${synBlind}, caught ${synBlindCaught}`);
  console.log(`  caught among the others: ${caught - synBlindCaught} of ${lies - synBlind} = ${pct(caught - synBlindCaught, lies - synBlind)}`);
  console.log(`  not constructed: ${notBuilt} (no comment to rewrite, or too short), agent not found whole in the capture's bytes: ${notInBytes}`);
  console.log('  per pair (from->to: caught/lies):');
  for (const [k, p] of [...pairs].sort()) console.log(`    ${k.padEnd(18)} ${p.caught}/${p.n} ${pct(p.caught, p.n)}`);
  if (LIST) for (const m of missed) console.log(`  MISSED ${m}`);
  else if (missed.length > 0) console.log(`  ${missed.length} missed lies the SYN could tell apart (--list shows them)`);

  tlsSection(tlsIdx, db);
}

/** Per ClientHello of the corpus: its label, and a connection verdict from TCP and TLS. */
function tlsSection(tlsIdx: ReturnType<typeof buildTlsIndex>, db: SignatureDb): void {
  const files = new Set<string>();
  for (const name of ['ja4.tsv', 'ja3.tsv']) {
    const p = path.join(DEV, name);
    if (!fs.existsSync(p)) continue;
    for (const line of fs.readFileSync(p, 'utf8').split('\n').slice(1)) if (line) files.add(line.split('\t')[0]!);
  }
  let hellos = 0;
  let known = 0;
  const verdicts: Verdict[] = [];
  const alarms: string[] = [];
  for (const f of [...files].sort()) {
    const full = path.join(DEV, f);
    if (!fs.existsSync(full)) continue;
    let hs;
    try {
      hs = hellosOf(f, full);
    } catch {
      continue;
    }
    const conns = runCapture(full, db);
    for (const h of hs) {
      hellos++;
      const t = labelTls(tlsIdx, h.ja4.ja4);
      if (t.kind === 'known') known++;
      const c = conns.get(tupleKey(h.src, h.sport, h.dst, h.dport)) ?? null;
      const v = verdictOf({ ua: null, tcp: tcpEvidence(c?.syn ?? null), tls: t, http: null });
      verdicts.push(v);
      if (v.verdict === 'mismatch') alarms.push(`${f} ${h.src}/${h.sport} ${h.ja4.ja4}: ${v.checks.map((x) => x.why).join('; ')}`);
    }
  }
  console.log(`\nTLS: ${hellos} ClientHellos over TCP and QUIC in the dev captures that ja4.tsv/ja3.tsv list; labelled by the TLS DB ${known} = ${pct(known, hellos)}`);
  console.log(`  connection verdicts (TCP against TLS, no User-Agent): ${tally(verdicts)}`);
  for (const a of alarms) console.log(`  MISMATCH ${a}`);
}

main();
