/**
 * The TLS references in ../shared/corpus and how the engine's ClientHellos
 * are matched with them, for scripts/tls-engine-check.ts and
 * test/tls/engine-corpus.test.ts: dev/ja4.tsv (FoxIO's ja4.py over tshark
 * 4.0), dev/ja3.tsv (tshark's JA3) and tls/expected-ja4.tsv (FoxIO's
 * published vectors, TCP and QUIC).
 *
 * Each capture goes through the real engine (Engine.handle, as `pof -r F
 * --json` runs it); its 'tls' observations are the hellos. A reference row
 * is matched by capture, transport and 4-tuple, then by its rank among the
 * rows of that 4-tuple: first as the engine names the connection (client
 * first), else reversed (ja4.py orients a stream by its first packet, so in
 * a capture that starts after the SYN the server may come first), else by
 * the ports alone with the same SNI (ja4.py names a tunnelled hello by the
 * tunnel's outer addresses; the engine by the inner ones).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCaptureFile } from '../src/capture/file.js';
import { parseSignatures } from '../src/db/parse.js';
import { Engine } from '../src/engine.js';
import { canonicalAddress } from '../src/net/addr.js';
import type { Observation } from '../src/observation.js';

export const TARGET = 0.995;

export type Row = Record<string, string>;

export function readTsv(path: string): Row[] {
  const [head, ...rows] = readFileSync(path, 'utf8').split('\n').filter((l) => l.length > 0);
  const cols = head!.split('\t');
  return rows.map((r) => {
    const v = r.split('\t');
    return Object.fromEntries(cols.map((c, i) => [c, v[i] ?? '']));
  });
}

/** One hello as the engine reported it. */
export interface EngineHello {
  file: string;
  transport: 'tcp' | 'udp';
  cli: string;
  cliPort: number;
  srv: string;
  srvPort: number;
  fields: Record<string, string | null>;
  /** The first ALPN value as sent (for the spec-ruled cases). */
  alpn0: string | null;
  ja3String: string;
}

const canon = (a: string): string => canonicalAddress(a)?.addr ?? a;
const lastOf = (s: string): string => s.slice(s.lastIndexOf(',') + 1);

/** An empty TCP/HTTP database: the hellos do not depend on it. */
function emptyDb() {
  const p = parseSignatures('', 'empty');
  if (!p.ok) throw new Error('empty database');
  return p.db;
}

/** The engine's TLS counters summed over the captures read (see readAll). */
export const totals = { serverHellos: 0, quicInitials: 0, drops: new Map<string, number>() };

/** Every ClientHello the engine reports for one capture, in order. */
export function engineHellos(file: string, path: string): EngineHello[] {
  const out: EngineHello[] = [];
  const sink = (o: Observation): void => {
    if (o.mod !== 'tls') return;
    const d = o.detail;
    const fields: Record<string, string | null> = {};
    for (const [k, v] of o.fields) fields[k] = v;
    out.push({
      file,
      transport: d !== undefined && d.kind === 'tls' && d.transport === 'quic' ? 'udp' : 'tcp',
      cli: o.cli,
      cliPort: o.cliPort,
      srv: o.srv,
      srvPort: o.srvPort,
      fields,
      alpn0: d !== undefined && d.kind === 'tls' && d.alpn !== null && d.alpn.length > 0 ? d.alpn[0]! : null,
      ja3String: d !== undefined && d.kind === 'tls' ? d.ja3_string : '',
    });
  };
  const engine = new Engine({ db: emptyDb() }, sink);
  readCaptureFile(path, (r) => engine.handle(r));
  const t = engine.stats.tls;
  totals.serverHellos += t.serverHellos.tcp + t.serverHellos.quic;
  totals.quicInitials += t.quicInitials;
  for (const [k, v] of Object.entries(t.drops)) totals.drops.set(k, (totals.drops.get(k) ?? 0) + (v ?? 0));
  return out;
}

export interface Reference {
  name: string;
  rows: Row[];
  /** Where the captures of this reference are. */
  dir: string;
  /** The row's key: capture, transport, client end, server end (canonical addresses). */
  key(r: Row): { file: string; transport: 'tcp' | 'udp'; src: string; sport: number; dst: string; dport: number; sni: string | null };
  /** Compared fields: the reference's column and the engine's value. */
  fields: Array<[string, (h: EngineHello) => string]>;
}

export function references(corpus: string): Reference[] | null {
  const ja4Path = join(corpus, 'dev/ja4.tsv');
  if (!existsSync(ja4Path)) return null;
  const ja4Fields: Reference['fields'] = ['ja4', 'ja4_r', 'ja4_o', 'ja4_ro'].map((n) => [n, (h) => h.fields[n] ?? '']);
  return [
    {
      name: 'dev/ja4.tsv (JA4, JA4_r, JA4_o, JA4_ro)',
      rows: readTsv(ja4Path),
      dir: join(corpus, 'dev'),
      key: (r) => ({ file: r.file!, transport: 'tcp', src: canon(r.src!), sport: Number(r.srcport), dst: canon(r.dst!), dport: Number(r.dstport), sni: r.sni || null }),
      fields: ja4Fields,
    },
    {
      name: 'dev/ja3.tsv (JA3 and its string)',
      rows: readTsv(join(corpus, 'dev/ja3.tsv')),
      dir: join(corpus, 'dev'),
      key: (r) => ({
        file: r.file!,
        transport: 'tcp',
        src: canon(lastOf(r.ipv6_src || r.ip_src!)),
        sport: Number(r.srcport),
        dst: canon(lastOf(r.ipv6_dst || r.ip_dst!)),
        dport: Number(r.dstport),
        sni: null,
      }),
      fields: [
        ['ja3', (h) => h.fields.ja3 ?? ''],
        ['ja3_full', (h) => h.ja3String],
      ],
    },
    {
      name: 'tls/expected-ja4.tsv (published vectors, TCP and QUIC)',
      rows: readTsv(join(corpus, 'tls/expected-ja4.tsv')),
      dir: join(corpus, 'tls'),
      key: (r) => ({
        file: r.file!,
        transport: r.transport === 'udp' ? 'udp' : 'tcp',
        src: canon(r.src!),
        sport: Number(r.srcport),
        dst: canon(r.dst!),
        dport: Number(r.dstport),
        sni: r.sni || null,
      }),
      fields: [['ja4', (h) => h.fields.ja4 ?? '']],
    },
  ];
}

const ALNUM = /^[0-9A-Za-z]$/;

/**
 * Why the engine's value, which follows the method's specification,
 * differs from the reference's where the reference departs from it; else
 * null. The same cases as scripts/tls-check.ts.
 */
export function specRules(field: string, row: Row, mine: string, h: EngineHello): string | null {
  const ref = row[field] ?? '';
  if (field.startsWith('ja4')) {
    // JA4.md: a first ALPN value that is not alphanumeric at an end is
    // shown by its first and last hex digits; FoxIO's tools print '9' for
    // each non-ASCII byte (FoxIO-LLC/ja4 issues 148, 178: "The
    // documentation is the correct method").
    const alpn = h.alpn0 ?? '';
    if (alpn.length > 0 && ref.slice(0, 8) === mine.slice(0, 8) && ref.slice(10) === mine.slice(10)) {
      const a = alpn[0]!;
      const z = alpn[alpn.length - 1]!;
      const nine = (c: string): string => (c.charCodeAt(0) > 127 ? '9' : c);
      if ((!ALNUM.test(a) || !ALNUM.test(z)) && ref.slice(8, 10) === nine(a) + nine(z)) {
        return `first ALPN value ${Buffer.from(alpn, 'latin1').toString('hex')} is not alphanumeric at its ends: the spec prints its first and last hex digits (${mine.slice(8, 10)}), the reference tool '9' per non-ASCII byte (${ref.slice(8, 10)})`;
      }
    }
  }
  if (field.startsWith('ja3')) {
    // Salesforce's JA3 always has five fields; where tshark's dissector
    // finds the hello malformed it writes none, or stops the string early.
    const full = row.ja3_full ?? '';
    if (full === '') return "tshark gives no JA3 for this hello (its dissector flags it malformed); pof reads what holds together, as ja4.py over the same dissection does";
    if (h.ja3String.startsWith(full) && full.split(',').length < 5) return `tshark's JA3 string stops where its dissector finds the hello malformed (${full.split(',').length} of 5 fields); pof writes all five`;
  }
  return null;
}

export type Naming = 'tuple' | 'reversed' | 'ports';

export interface Comparison {
  name: string;
  rows: number;
  agree: Map<string, number>;
  specRuled: Map<string, number>;
  missing: string[];
  disagreements: string[];
  ruled: string[];
  named: Map<Naming, number>;
  /** Agreement per field, spec-ruled cases counted as agreeing. */
  ratio: Map<string, number>;
}

/** Compares one reference with the engine's hellos of its captures (by file name). */
export function compare(ref: Reference, hellos: Map<string, EngineHello[]>): Comparison {
  const tupleKey = (f: string, t: string, a: string, ap: number, b: string, bp: number): string => `${f}|${t}|${a}|${ap}|${b}|${bp}`;
  const byTuple = new Map<string, EngineHello[]>();
  const byPorts = new Map<string, EngineHello[]>();
  for (const list of hellos.values()) {
    for (const h of list) {
      const k = tupleKey(h.file, h.transport, h.cli, h.cliPort, h.srv, h.srvPort);
      (byTuple.get(k) ?? byTuple.set(k, []).get(k)!).push(h);
      const p = `${h.file}|${h.transport}|${Math.min(h.cliPort, h.srvPort)}|${Math.max(h.cliPort, h.srvPort)}`;
      (byPorts.get(p) ?? byPorts.set(p, []).get(p)!).push(h);
    }
  }
  const used = new Set<EngineHello>();
  const rank = new Map<string, number>();
  const c: Comparison = {
    name: ref.name,
    rows: ref.rows.length,
    agree: new Map(ref.fields.map(([n]) => [n, 0])),
    specRuled: new Map(ref.fields.map(([n]) => [n, 0])),
    missing: [],
    disagreements: [],
    ruled: [],
    named: new Map(),
    ratio: new Map(),
  };
  for (const r of ref.rows) {
    const k = ref.key(r);
    const key = tupleKey(k.file, k.transport, k.src, k.sport, k.dst, k.dport);
    const i = rank.get(key) ?? 0;
    rank.set(key, i + 1);
    let h: EngineHello | undefined;
    let naming: Naming = 'tuple';
    const tries: Array<[Naming, EngineHello[] | undefined]> = [
      ['tuple', byTuple.get(key)],
      ['reversed', byTuple.get(tupleKey(k.file, k.transport, k.dst, k.dport, k.src, k.sport))],
    ];
    for (const [n, list] of tries) {
      const cand = list?.[i];
      if (cand !== undefined && !used.has(cand)) {
        h = cand;
        naming = n;
        break;
      }
    }
    if (h === undefined) {
      const pk = `${k.file}|${k.transport}|${Math.min(k.sport, k.dport)}|${Math.max(k.sport, k.dport)}`;
      const cands = (byPorts.get(pk) ?? []).filter((x) => !used.has(x) && (k.sni === null || x.fields.sni === k.sni));
      if (cands.length > 0 && (k.sni !== null || cands.length === 1)) {
        h = cands[0];
        naming = 'ports';
      }
    }
    if (h === undefined) {
      c.missing.push(`${key} #${i + 1}`);
      continue;
    }
    used.add(h);
    c.named.set(naming, (c.named.get(naming) ?? 0) + 1);
    for (const [n, get] of ref.fields) {
      const mine = get(h);
      const want = r[n] ?? '';
      if (mine === want) {
        c.agree.set(n, c.agree.get(n)! + 1);
        continue;
      }
      const why = specRules(n, r, mine, h);
      const line = `${key} #${i + 1} ${n}\n      ref  ${want}\n      pof  ${mine}`;
      if (why !== null) {
        c.specRuled.set(n, c.specRuled.get(n)! + 1);
        c.ruled.push(`${line}\n      why  ${why}`);
      } else c.disagreements.push(line);
    }
  }
  for (const [n, a] of c.agree) c.ratio.set(n, c.rows === 0 ? 1 : (a + c.specRuled.get(n)!) / c.rows);
  return c;
}

/** The captures each reference names, read once each through the engine. */
export function readAll(refs: Reference[]): Map<string, EngineHello[]> {
  const hellos = new Map<string, EngineHello[]>();
  for (const ref of refs) {
    for (const r of ref.rows) {
      const file = r.file!;
      if (!hellos.has(file)) hellos.set(file, engineHellos(file, join(ref.dir, file)));
    }
  }
  return hellos;
}
