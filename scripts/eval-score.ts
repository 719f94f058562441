/**
 * eval's scoring: what each labelled flow really is (its truth), how a SYN
 * verdict fares against it, and the evidence behind merged labels. See
 * scripts/eval.ts for the definitions.
 */
import { familyOfName, osAgrees, type OsFamily } from '../src/db/families.js';
import { parseUserAgent } from '../src/fingerprint/ua.js';
import { locate, type FileRun, type Labeled, type SynVerdict } from './eval-run.js';

export interface Truth {
  /** The families the flow can be; one for scored flows. */
  families: OsFamily[];
  /** What labeled.tsv says, as families. */
  labelled: OsFamily[];
  /** Set when the User-Agent is believed to lie: why, and what the flow is instead. */
  lie: string | null;
}

/** labeled.tsv's family names: 'Apple' is a CFNetwork/Darwin agent (macOS or iOS), 'unknown' names no OS. */
export function labelledFamilies(name: string): OsFamily[] {
  if (name === 'Apple') return ['macos', 'ios'];
  const f = familyOfName(name);
  return f ? [f] : [];
}

/**
 * The flow's truth: labeled.tsv's family, unless the User-Agent is a fixed
 * string that an OS component sends whatever OS it names (ua.ts `probe`),
 * in which case the flow is that component's OS.
 */
export function truthOf(l: Labeled, correctLies = true): Truth {
  const labelled = labelledFamilies(l.uaFamily);
  const probe = correctLies ? parseUserAgent(l.userAgent).probe : null;
  if (probe && !(labelled.length === 1 && labelled[0] === probe.os)) {
    return { families: [probe.os], labelled, lie: `${probe.what}: a fixed agent naming ${labelled.join(' or ') || 'no OS'}` };
  }
  return { families: labelled, labelled, lie: null };
}

export type Outcome = 'strict' | 'merged' | 'wrong' | 'unnamed' | 'nosyn';

/** A verdict naming F, or the family whose stack F uses (ChromeOS is Linux to TCP), is right for F. */
export function judge(v: SynVerdict | undefined, t: OsFamily): Outcome {
  if (!v) return 'nosyn';
  if (v.label === null) return 'unnamed';
  if (v.userland || !osAgrees([t], v.families)) return 'wrong';
  return v.families.length === 1 ? 'strict' : 'merged';
}

export interface Tally {
  flows: number;
  strict: number;
  merged: number;
  wrong: number;
  unnamed: number;
  nosyn: number;
}

export const zeroTally = (): Tally => ({ flows: 0, strict: 0, merged: 0, wrong: 0, unnamed: 0, nosyn: 0 });

export interface Scored {
  row: Labeled;
  truth: Truth;
  v: SynVerdict | undefined;
  how: 'tuple' | 'tunnel' | 'none';
  outcome: Outcome | null;
}

export interface Score {
  perFamily: Map<OsFamily, Tally>;
  total: Tally;
  rows: Scored[];
}

/** Scores every row; only rows whose truth is exactly one family count in the tallies. */
export function score(runs: Map<string, FileRun>, labeled: Labeled[], opts: { tupleOnly?: boolean; correctLies?: boolean } = {}): Score {
  const perFamily = new Map<OsFamily, Tally>();
  const total = zeroTally();
  const rows: Scored[] = [];
  for (const row of labeled) {
    const truth = truthOf(row, opts.correctLies ?? true);
    const loc = locate(runs.get(row.file), row, opts.tupleOnly);
    const v = loc.how === 'none' ? undefined : loc.v;
    let outcome: Outcome | null = null;
    if (truth.families.length === 1) {
      const t = truth.families[0]!;
      outcome = judge(v, t);
      const fam = perFamily.get(t) ?? zeroTally();
      perFamily.set(t, fam);
      for (const x of [fam, total]) {
        x.flows++;
        x[outcome]++;
      }
    }
    rows.push({ row, truth, v, how: loc.how, outcome });
  }
  return { perFamily, total, rows };
}

export const pct = (a: number, b: number): string => (b ? ((100 * a) / b).toFixed(1) + '%' : '-');

/** The four figures of issue 24, as numbers (percent of scored flows). */
export function figures(t: Tally): { strict: number; tolerant: number; wrong: number; unnamed: number } {
  const p = (n: number): number => (t.flows ? (100 * n) / t.flows : 0);
  return { strict: p(t.strict), tolerant: p(t.strict + t.merged), wrong: p(t.wrong), unnamed: p(t.unnamed + t.nosyn) };
}

/**
 * Scored flows whose single-family verdict disagrees with their truth
 * while another flow of the same client address in the same capture sends
 * the same stack signature with an agent naming the verdict's family:
 * likely lies (or two systems behind one address). Listed, not re-scored.
 */
export function suspects(s: Score): Array<{ x: Scored; witness: Scored }> {
  const out: Array<{ x: Scored; witness: Scored }> = [];
  for (const x of s.rows) {
    if (x.outcome !== 'wrong' || !x.v || x.v.families.length !== 1) continue;
    const fam = x.v.families[0]!;
    const witness = s.rows.find(
      (w) => w !== x && w.row.file === x.row.file && w.row.cli === x.row.cli && w.v?.stackSig === x.v!.stackSig && w.truth.families.includes(fam),
    );
    if (witness) out.push({ x, witness });
  }
  return out;
}

export interface StackGroup {
  stackSig: string;
  /** Truth family -> flows. */
  byFamily: Map<string, Scored[]>;
}

/** Scored flows grouped by the stack signature of their SYN. */
export function stackGroups(rows: readonly Scored[], pick: (x: Scored) => boolean = () => true): StackGroup[] {
  const groups = new Map<string, StackGroup>();
  for (const x of rows) {
    if (!x.v || x.truth.families.length !== 1 || !pick(x)) continue;
    const g = groups.get(x.v.stackSig) ?? { stackSig: x.v.stackSig, byFamily: new Map() };
    groups.set(x.v.stackSig, g);
    const f = x.truth.families[0]!;
    g.byFamily.set(f, [...(g.byFamily.get(f) ?? []), x]);
  }
  return [...groups.values()];
}
