/**
 * The evidence behind signatures/tls.fp: every ClientHello of the corpus
 * with its JA4, SNI and the User-Agents seen from the same client (on the
 * same connection, as before a CONNECT tunnel, or from the same address in
 * the same capture), grouped by JA4 parts b_c (the key tls.fp uses), with
 * the label tls.fp gives now.
 *
 *   node --import tsx scripts/tls-evidence.ts [--corpus DIR] [--all] [--unlabelled]
 *
 * Reads the dev captures that ja4.tsv or ja3.tsv list (--all: every dev
 * capture) and corpus/tls/*. Prints one block per b_c: hellos, captures,
 * "a" parts, SNIs, agents, label; then the share of hellos labelled, and
 * conflicts: hellos whose own connection's agent names a browser the label
 * contradicts (the verdict's ua-browser:tls rule). --unlabelled prints only
 * keys tls.fp does not cover. tshark is the byte feeder (tls-hellos.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTlsDb } from '../src/db/tls-load.js';
import { buildTlsIndex, labelTls } from '../src/fingerprint/tls/label.js';
import { parseUserAgent } from '../src/fingerprint/ua.js';
import { tlsExpectation } from '../src/state/verdict/expect.js';
import { hellosOf, userAgentsOf, type Hello } from './tls-hellos.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (f: string): string | undefined => {
  const i = args.indexOf(f);
  return i >= 0 ? args[i + 1] : undefined;
};
const corpus = path.resolve(opt('--corpus') ?? path.join(process.env.POF_SHARED ?? path.join(here, '../../shared'), 'corpus'));
const dev = path.join(corpus, 'dev');
if (!fs.existsSync(dev)) {
  console.log(`tls-evidence: no corpus at ${corpus}; nothing to do`);
  process.exit(0);
}

const idx = buildTlsIndex(loadTlsDb());
const files: Array<[string, string]> = [];
const listed = new Set<string>();
for (const t of ['ja4.tsv', 'ja3.tsv']) {
  const p = path.join(dev, t);
  if (fs.existsSync(p)) for (const l of fs.readFileSync(p, 'utf8').split('\n').slice(1)) if (l) listed.add(l.split('\t')[0]!);
}
for (const f of fs.readdirSync(dev).sort()) if (/\.(pcap|pcapng|cap)$/.test(f) && (args.includes('--all') || listed.has(f))) files.push([f, path.join(dev, f)]);
const tlsDir = path.join(corpus, 'tls');
if (fs.existsSync(tlsDir)) for (const f of fs.readdirSync(tlsDir).sort()) if (/\.(pcap|pcapng)$/.test(f)) files.push([f, path.join(tlsDir, f)]);

interface Row {
  h: Hello;
  same: string[];
  host: string[];
}
const groups = new Map<string, Row[]>();
let hellos = 0;
let labelled = 0;
const conflicts: string[] = [];
const short = (f: string): string => f.replace(/^.*__/, '');
for (const [file, full] of files) {
  const hs = hellosOf(file, full);
  if (hs.length === 0) continue;
  const uas = userAgentsOf(full);
  for (const h of hs) {
    hellos++;
    const same = uas.filter((u) => u.src === h.src && u.sport === h.sport).map((u) => u.ua);
    const host = [...new Set(uas.filter((u) => u.src === h.src).map((u) => u.ua))];
    const key = h.ja4.ja4.slice(11);
    groups.set(key, [...(groups.get(key) ?? []), { h, same, host }]);
    const l = labelTls(idx, h.ja4.ja4);
    if (l.kind !== 'known') continue;
    labelled++;
    for (const ua of same) {
      const e = tlsExpectation(parseUserAgent(ua));
      if (e?.binding && !e.families.includes(l.family)) conflicts.push(`${short(file)} ${h.src}/${h.sport} ${h.ja4.ja4} is ${l.family} (line ${l.line}), its connection's agent says ${e.claim}: ${ua}`);
    }
  }
}

const top = (xs: string[], n: number): string => {
  const c = new Map<string, number>();
  for (const x of xs) c.set(x, (c.get(x) ?? 0) + 1);
  return [...c].sort((a, b) => b[1] - a[1]).slice(0, n).map(([x, k]) => (k > 1 ? `${x} (${k})` : x)).join(', ');
};
const onlyUnlabelled = args.includes('--unlabelled');
for (const [key, rows] of [...groups].sort((a, b) => b[1].length - a[1].length)) {
  const l = labelTls(idx, rows[0]!.h.ja4.ja4);
  if (onlyUnlabelled && l.kind === 'known') continue;
  console.log(`\n${key}: ${rows.length} hellos; ${l.kind === 'known' ? `tls.fp line ${l.line}: ${l.family}, ${l.name}` : 'not in tls.fp'}`);
  console.log(`  captures: ${top(rows.map((r) => short(r.h.file)), 6)}`);
  console.log(`  a parts:  ${top(rows.map((r) => `${r.h.transport === 'quic' ? 'quic ' : ''}${r.h.ja4.ja4.slice(0, 10)}`), 6)}`);
  console.log(`  SNI:      ${top(rows.map((r) => r.h.sni ?? '-'), 6)}`);
  const same = rows.flatMap((r) => r.same);
  if (same.length > 0) console.log(`  agent on the connection: ${top(same, 3)}`);
  const host = rows.flatMap((r) => r.host);
  if (host.length > 0) console.log(`  agents of the address:   ${top(host, 4)}`);
}
console.log(`\ntls-evidence: ${files.length} captures, ${hellos} ClientHellos, ${groups.size} distinct b_c keys; tls.fp has ${idx.size} entries`);
console.log(`  hellos labelled: ${labelled} of ${hellos} (${hellos ? ((100 * labelled) / hellos).toFixed(1) : '-'}%)`);
console.log(`  conflicts with the agent on the same connection: ${conflicts.length}`);
for (const c of conflicts) console.log(`  CONFLICT ${c}`);
