/**
 * eval's data: the engine's verdicts per capture, labeled.tsv's rows, and
 * how a row finds its SYN. See scripts/eval.ts for the definitions.
 */
import fs from 'node:fs';
import path from 'node:path';
import { readCaptureFile } from '../src/capture/file.js';
import { labelFamilies, type OsFamily } from '../src/db/families.js';
import type { SignatureDb } from '../src/db/types.js';
import { Engine } from '../src/engine.js';
import type { Observation } from '../src/observation.js';
import { HttpModule } from '../src/state/http-module.js';

export interface SynVerdict {
  /** "Name flavor", or null when nothing matched. */
  label: string | null;
  userland: boolean;
  /** The label's OS families (none for tools and unknown names). */
  families: OsFamily[];
  /** Signature line matched, or null. */
  line: number | null;
  rawSig: string;
  /** rawSig without what the path sets (hop count, MSS): what the stack chose. */
  stackSig: string;
  encap: boolean;
}

/** The identification counts kept over all captures. */
export const COUNT_KEYS = ['synTotal', 'synTool', 'synNamed', 'synackTotal', 'synackNamed', 'httpReq', 'httpReqNamed', 'httpResp', 'httpRespNamed'] as const;
export type IdCounts = Record<(typeof COUNT_KEYS)[number], number>;

export function zeroCounts(): IdCounts {
  return Object.fromEntries(COUNT_KEYS.map((k) => [k, 0])) as IdCounts;
}

export interface FileRun extends IdCounts {
  /** Tuple key -> the first SYN verdict of that connection. */
  syn: Map<string, SynVerdict>;
  /** "cliPort>srvPort" -> tuple keys of encapsulated SYNs with those ports. */
  encapByPorts: Map<string, string[]>;
  unnamedSyn: string[];
  unnamedSynack: string[];
  /** Signature line -> SYNs it matched (all SYNs, labelled or not). */
  synLines: Map<number, number>;
  /** Tuple key -> p0f's bad_sw after the connection's first HTTP request. */
  badSw: Map<string, number>;
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

export const tupleKey = (cli: string, cport: number | string, srv: string, sport: number | string): string =>
  `${normAddr(cli)}/${cport}>${normAddr(srv)}/${sport}`;

/**
 * `ver:ittl:olen:mss:wsize,scale:olayout:quirks:pclass` with the TTL read
 * back to the initial TTL ("63+1" -> 64) and the MSS as '*': the hop count
 * and the MSS (from the link MTU) are the path's, the rest is the stack's.
 */
export function stackSig(raw: string): string {
  const f = raw.split(':');
  if (f.length !== 8) return raw;
  const m = /^(\d+)\+(\d+)$/.exec(f[1]!);
  if (m) f[1] = String(Number(m[1]) + Number(m[2]));
  f[3] = '*';
  return f.join(':');
}

export function runFile(file: string, db: SignatureDb): FileRun {
  const r: FileRun = { syn: new Map(), encapByPorts: new Map(), ...zeroCounts(), unnamedSyn: [], unnamedSynack: [], synLines: new Map(), badSw: new Map() };
  const engine = new Engine({ db }, (o) => {
    const d = o.detail;
    if (o.mod === 'syn' && d?.kind === 'tcp') {
      r.synTotal++;
      const m = d.match;
      const raw = field(o, 'raw_sig') ?? '';
      if (m?.userland) r.synTool++;
      else if (m) r.synNamed++;
      else r.unnamedSyn.push(raw);
      if (m) r.synLines.set(m.line, (r.synLines.get(m.line) ?? 0) + 1);
      const k = tupleKey(o.cli, o.cliPort, o.srv, o.srvPort);
      if (r.syn.has(k)) return;
      if (o.encap) {
        const pk = `${o.cliPort}>${o.srvPort}`;
        r.encapByPorts.set(pk, [...(r.encapByPorts.get(pk) ?? []), k]);
      }
      r.syn.set(k, {
        label: m ? (m.flavor ? `${m.name} ${m.flavor}` : m.name) : null,
        userland: m?.userland ?? false,
        families: m && !m.userland ? labelFamilies(m.name, m.flavor) : [],
        line: m ? m.line : null,
        rawSig: raw,
        stackSig: stackSig(raw),
        encap: o.encap,
      });
    } else if (o.mod === 'syn+ack' && d?.kind === 'tcp') {
      r.synackTotal++;
      if (d.match) r.synackNamed++;
      else r.unnamedSynack.push(field(o, 'raw_sig') ?? '');
    } else if (o.mod === 'http request' && d?.kind === 'http') {
      r.httpReq++;
      if (d.app) r.httpReqNamed++;
      const k = tupleKey(o.cli, o.cliPort, o.srv, o.srvPort);
      if (!r.badSw.has(k)) r.badSw.set(k, d.badSw);
    } else if (o.mod === 'http response' && d?.kind === 'http') {
      r.httpResp++;
      if (d.app) r.httpRespNamed++;
    }
  });
  engine.addModule(new HttpModule());
  try {
    readCaptureFile(file, (p) => engine.handle(p));
  } catch {
    // A damaged capture keeps what was read before the damage.
  }
  return r;
}

export interface Labeled {
  file: string;
  cli: string;
  key: string;
  /** "cliPort>srvPort". */
  ports: string;
  /** labeled.tsv's ua_os_family. */
  uaFamily: string;
  userAgent: string;
}

export function readLabeled(dev: string): Labeled[] {
  const lines = fs.readFileSync(path.join(dev, 'labeled.tsv'), 'utf8').split('\n').filter(Boolean);
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
      cli: c[cci!]!,
      key: tupleKey(c[cci!]!, c[ccp!]!, c[csi!]!, c[csp!]!),
      ports: `${c[ccp!]!}>${c[csp!]!}`,
      uaFamily: c[cua!]!,
      userAgent: c[cagent!] ?? '',
    };
  });
}

export function devCaptures(dev: string): string[] {
  return fs
    .readdirSync(dev)
    .filter((f) => fs.existsSync(path.join(dev, f + '.p0f.log')))
    .sort()
    .map((f) => path.join(dev, f));
}

/** How a row's SYN was found. */
export type Located = { how: 'tuple' | 'tunnel'; v: SynVerdict } | { how: 'none' };

/**
 * By the row's 4-tuple; failing that (labeled.tsv gives the outer
 * addresses of tunnelled flows), and unless `tupleOnly`, the one
 * encapsulated SYN in the capture with the row's two ports.
 */
export function locate(run: FileRun | undefined, l: Labeled, tupleOnly = false): Located {
  if (!run) return { how: 'none' };
  const v = run.syn.get(l.key);
  if (v) return { how: 'tuple', v };
  if (tupleOnly) return { how: 'none' };
  const keys = run.encapByPorts.get(l.ports);
  return keys && keys.length === 1 ? { how: 'tunnel', v: run.syn.get(keys[0]!)! } : { how: 'none' };
}
