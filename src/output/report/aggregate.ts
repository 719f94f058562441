/**
 * TrafficSummary: the picture of the traffic that `pof report` draws and
 * the dashboard serves, fed one Observation at a time (it is an
 * ObservationSink). Everything is bounded: each table holds a fixed number
 * of distinct keys (rare ones are folded away when it is full, see
 * tally.ts), the timeline a fixed number of buckets (they get wider as the
 * capture gets longer), the recent-mismatch list a fixed number of rows.
 *
 * Two modes:
 *   - whole capture (windowS 0): one set of tables, for the offline report;
 *   - last N seconds (windowS > 0): the window is cut into `slices` time
 *     slices in a ring, each with its own (smaller) tables; a snapshot
 *     merges the slices still inside the window, and a slice is reused once
 *     it has left it. Memory is slices x the per-slice caps, whatever the
 *     traffic.
 *
 * Time is packet time. The per-observation work is a switch on `mod`, a
 * few counter increments and, for TCP verdicts, one WeakMap lookup: the
 * engine hands the same field list to every observation of one verdict,
 * so what the summary makes of it (family, raw_sig, label) is computed
 * once per verdict, not per packet.
 */
import { PofError } from '../../errors.js';
import type { Observation, ObservationField, TcpMatchInfo } from '../../observation.js';
import type { MismatchRow, NamedCount, RecentMismatch, ReportData, SignatureRow } from './data.js';
import { osBucket, UNKNOWN } from './os-names.js';
import { mergeInto, top, EntryTable, Tally } from './tally.js';

export interface SummaryOptions {
  /** 0: the whole capture (default); > 0: only the last this many seconds. */
  windowS?: number;
  /** Time slices of the window (live mode); default 30. */
  slices?: number;
  /** Distinct keys per table (per slice in live mode); default 500 (whole capture), 200 (live). */
  maxKeys?: number;
  /** Distinct raw signatures per direction (per slice in live mode); default 2000, 300. */
  maxSignatures?: number;
  /** Distinct client addresses counted (per slice in live mode); default 100000, 5000. */
  maxClients?: number;
  /** Timeline buckets (whole capture); default 120. */
  timelineBuckets?: number;
  /** Recent mismatches kept; default 50. */
  recentMismatches?: number;
}

/** OS family series tracked by the timeline; more go to "Other". */
const MAX_FAMILIES = 48;
/** Families drawn in the timeline; the rest add up to "Other". */
const TIMELINE_SERIES = 7;
/** Rows of each list in a snapshot. */
const TOP_ROWS = 20;
const TOP_SIGNATURES = 40;
/** Hop distances are 0..255 (a TTL difference). */
const HOPS = 256;
/** Largest window accepted (a day). */
const MAX_WINDOW_S = 86400;

interface SigEntry {
  label: string | null;
  count: number;
}

/** What one TCP verdict's (shared) field list says. */
interface TcpMemo {
  fam: number;
  stack: string;
  label: string | null;
  rawSig: string;
  dist: number;
}

class Slice {
  idx = -1;
  observations = 0;
  syn = 0;
  synAck = 0;
  http = 0;
  tlsN = 0;
  verdictN = 0;
  readonly fam = new Float64Array(MAX_FAMILIES);
  readonly hopsCli = new Float64Array(HOPS);
  readonly hopsSrv = new Float64Array(HOPS);
  readonly mtuCli: Tally;
  readonly mtuSrv: Tally;
  readonly stacks: Tally;
  readonly sigSyn: EntryTable<SigEntry>;
  readonly sigSynAck: EntryTable<SigEntry>;
  readonly tlsClients: Tally;
  readonly ja4: Tally;
  readonly verdicts: Tally;
  readonly mismatches: Tally;
  readonly clients = new Set<string>();
  clientsFull = false;

  constructor(keys: number, sigs: number, readonly maxClients: number) {
    this.mtuCli = new Tally(keys);
    this.mtuSrv = new Tally(keys);
    this.stacks = new Tally(keys);
    this.sigSyn = new EntryTable(sigs);
    this.sigSynAck = new EntryTable(sigs);
    this.tlsClients = new Tally(keys);
    this.ja4 = new Tally(keys);
    this.verdicts = new Tally(16);
    this.mismatches = new Tally(keys);
  }

  reset(idx: number): void {
    this.idx = idx;
    this.observations = this.syn = this.synAck = this.http = this.tlsN = this.verdictN = 0;
    this.fam.fill(0);
    this.hopsCli.fill(0);
    this.hopsSrv.fill(0);
    for (const t of [this.mtuCli, this.mtuSrv, this.stacks, this.tlsClients, this.ja4, this.verdicts, this.mismatches]) t.clear();
    this.sigSyn.clear();
    this.sigSynAck.clear();
    this.clients.clear();
    this.clientsFull = false;
  }
}

/**
 * Bucket widths of the whole-capture timeline (seconds): each divides the
 * next, so that buckets merge whole, and each reads well on an axis. Past
 * the last, widths double.
 */
const BUCKET_STEPS = [1, 2, 10, 20, 60, 120, 600, 1200, 3600, 7200, 21600, 86400, 604800];

/** Whole-capture timeline: buckets that get wider (BUCKET_STEPS) when they run out. */
class Timeline {
  bucketS = 1;
  private step = 0;
  /** Bucket number (time / bucketS) of buckets[0]; NaN before the first SYN. */
  base = NaN;
  buckets: Float64Array[] = [];

  constructor(readonly max: number) {}

  add(ts: number, fam: number): void {
    let i = Math.floor(ts / this.bucketS) - this.base;
    if (Number.isNaN(i)) {
      this.base = Math.floor(ts / this.bucketS);
      i = 0;
    }
    while (i >= this.max) {
      this.coarsen();
      i = Math.floor(ts / this.bucketS) - this.base;
    }
    if (i < 0) i = 0; // a packet older than the first: counted in the first bucket
    const b = this.buckets;
    while (b.length <= i) b.push(new Float64Array(MAX_FAMILIES));
    b[i]![fam]!++;
  }

  private coarsen(): void {
    this.step++;
    const width = BUCKET_STEPS[this.step] ?? this.bucketS * 2;
    const k = width / this.bucketS;
    const base = Math.floor(this.base / k);
    const nb: Float64Array[] = [];
    this.buckets.forEach((arr, j) => {
      const at = Math.floor((this.base + j) / k) - base;
      while (nb.length <= at) nb.push(new Float64Array(MAX_FAMILIES));
      const t = nb[at]!;
      for (let f = 0; f < MAX_FAMILIES; f++) t[f]! += arr[f]!;
    });
    this.buckets = nb;
    this.base = base;
    this.bucketS = width;
  }
}

function positiveInt(name: string, v: number | undefined, dflt: number, max: number): number {
  const x = v ?? dflt;
  if (!Number.isInteger(x) || x < 1 || x > max) throw new PofError('E_CONFIG', `report: ${name} must be an integer from 1 to ${max} (got ${String(v)})`);
  return x;
}

export class TrafficSummary {
  readonly windowS: number;
  private readonly sliceS: number;
  private readonly ring: Slice[];
  private cur: Slice;
  private readonly timeline: Timeline | null;
  private readonly recentCap: number;
  private readonly recent: RecentMismatch[] = [];
  private recentNext = 0;
  private first = Infinity;
  private last = -Infinity;
  /** OS family names by id; the last id is "Other". */
  private readonly famNames: string[] = [];
  private readonly famIds = new Map<string, number>();
  private readonly memo = new WeakMap<readonly ObservationField[], TcpMemo>();
  /** The link name of each MTU seen (a database fact, not a count). */
  private readonly linkOf = new Map<number, string | null>();
  private readonly maxKeys: number;
  private anyPruned = false;

  constructor(opts: SummaryOptions = {}) {
    const w = opts.windowS ?? 0;
    if (!Number.isFinite(w) || w < 0 || w > MAX_WINDOW_S) throw new PofError('E_CONFIG', `report: the window must be 0 to ${MAX_WINDOW_S} seconds (got ${String(opts.windowS)})`);
    this.windowS = w;
    const live = w > 0;
    const slices = live ? positiveInt('slices', opts.slices, 30, 1000) : 1;
    this.maxKeys = positiveInt('maxKeys', opts.maxKeys, live ? 200 : 500, 100000);
    const sigs = positiveInt('maxSignatures', opts.maxSignatures, live ? 300 : 2000, 100000);
    const clients = positiveInt('maxClients', opts.maxClients, live ? 5000 : 100000, 10_000_000);
    this.recentCap = positiveInt('recentMismatches', opts.recentMismatches, 50, 10000);
    this.sliceS = live ? w / slices : Infinity;
    this.ring = Array.from({ length: slices }, () => new Slice(this.maxKeys, sigs, clients));
    this.cur = this.ring[0]!;
    this.cur.reset(0);
    this.timeline = live ? null : new Timeline(positiveInt('timelineBuckets', opts.timelineBuckets, 120, 10000));
  }

  /** Adds one observation (bound: usable as an ObservationSink). */
  readonly add = (o: Observation): void => {
    const ts = o.tsSec + o.tsUsec / 1e6;
    if (ts < this.first) this.first = ts;
    if (ts > this.last) this.last = ts;
    const s = this.timeline === null ? this.sliceAt(ts) : this.cur;
    s.observations++;
    switch (o.mod) {
      case 'syn': {
        const m = this.tcpMemo(o, true);
        s.syn++;
        s.fam[m.fam]!++;
        s.hopsCli[m.dist]!++;
        sigEntry(s.sigSyn, m).count++;
        if (!s.clientsFull) {
          s.clients.add(o.cli);
          if (s.clients.size >= s.maxClients) s.clientsFull = true;
        }
        this.timeline?.add(ts, m.fam);
        return;
      }
      case 'syn+ack': {
        const m = this.tcpMemo(o, false);
        s.synAck++;
        s.hopsSrv[m.dist]!++;
        s.stacks.add(m.stack);
        sigEntry(s.sigSynAck, m).count++;
        return;
      }
      case 'mtu': {
        const d = o.detail;
        const mtu = d !== undefined && d.kind === 'mtu' ? d.mtu : Number(field(o.fields, 'raw_mtu'));
        if (!Number.isInteger(mtu)) return;
        if (!this.linkOf.has(mtu) && this.linkOf.size < this.maxKeys * 4) {
          this.linkOf.set(mtu, d !== undefined && d.kind === 'mtu' ? d.link : field(o.fields, 'link'));
        }
        (o.subj === 'cli' ? s.mtuCli : s.mtuSrv).add(mtuKey(mtu));
        return;
      }
      case 'http request':
        s.http++;
        return;
      default:
        break;
    }
    // Layers that come later (TLS, verdicts) are read by their field names.
    const mod: string = o.mod;
    if (mod === 'tls') this.onTls(s, o);
    else if (mod === 'verdict') this.onVerdict(s, o, ts);
  };

  private sliceAt(ts: number): Slice {
    const idx = Math.floor(ts / this.sliceS);
    const cur = this.cur;
    if (idx <= cur.idx) return cur; // the current slice, or a late packet: counted in it
    const s = this.ring[idx % this.ring.length]!;
    s.reset(idx);
    this.cur = s;
    return s;
  }

  private famId(name: string): number {
    let id = this.famIds.get(name);
    if (id === undefined) {
      if (this.famNames.length >= MAX_FAMILIES - 1) return MAX_FAMILIES - 1;
      id = this.famNames.length;
      this.famNames.push(name);
      this.famIds.set(name, id);
    }
    return id;
  }

  private tcpMemo(o: Observation, syn: boolean): TcpMemo {
    const shared = o.sharedFields === true;
    if (shared) {
      const m = this.memo.get(o.fields);
      if (m !== undefined) return m;
    }
    const d = o.detail;
    const match: TcpMatchInfo | null = d !== undefined && d.kind === 'tcp' ? d.match : null;
    const label = field(o.fields, 'os') ?? field(o.fields, 'app');
    // Without typed details only the label text is known: it names the bucket.
    const bucket = d !== undefined && d.kind === 'tcp' ? osBucket(match) : (label ?? UNKNOWN);
    let dist = d !== undefined && d.kind === 'tcp' ? d.dist : parseInt((field(o.fields, 'dist') ?? '').replace('<= ', ''), 10);
    if (!(dist >= 0 && dist < HOPS)) dist = HOPS - 1;
    const m: TcpMemo = {
      fam: syn ? this.famId(bucket) : 0,
      stack: label ?? UNKNOWN,
      label,
      rawSig: field(o.fields, 'raw_sig') ?? '???',
      dist: Math.floor(dist),
    };
    if (shared) this.memo.set(o.fields, m);
    return m;
  }

  private onTls(s: Slice, o: Observation): void {
    s.tlsN++;
    const f = o.fields;
    const ja4 = field(f, 'ja4');
    if (ja4 !== null) s.ja4.add(ja4);
    // Unlabelled hellos count as Unknown; a snapshot with no label at all shows JA4s instead.
    s.tlsClients.add(tlsLabel(o) ?? UNKNOWN);
  }

  private onVerdict(s: Slice, o: Observation, ts: number): void {
    s.verdictN++;
    const f = o.fields;
    const v = field(f, 'verdict') ?? 'unknown';
    s.verdicts.add(v);
    if (v !== 'mismatch') return;
    const reasons = field(f, 'reasons');
    const uaOs = field(f, 'ua_os');
    const os = field(f, 'os');
    const tls = field(f, 'tls');
    s.mismatches.add(JSON.stringify([reasons, uaOs, os, tls]));
    const row: RecentMismatch = { ts, cli: o.cli, srv: o.srv, srvPort: o.srvPort, reasons, uaOs, os, tls, app: field(f, 'app') };
    if (this.recent.length < this.recentCap) this.recent.push(row);
    else this.recent[this.recentNext] = row;
    this.recentNext = (this.recentNext + 1) % this.recentCap;
  }

  /** The slices inside the window ending at `nowS` (packet time; default the last one seen). */
  private live(nowS: number): Slice[] {
    if (this.timeline !== null) return [this.cur];
    const hi = Math.max(Math.floor(nowS / this.sliceS), this.cur.idx);
    const lo = hi - this.ring.length;
    return this.ring.filter((s) => s.idx > lo && s.idx <= hi && s.idx >= 0).sort((a, b) => a.idx - b.idx);
  }

  /** The summary as JSON data (see data.ts); `nowS` ends the live window. */
  snapshot(nowS?: number): ReportData {
    const now = nowS ?? (Number.isFinite(this.last) ? this.last : 0);
    const slices = this.live(now);
    const sum = (k: 'observations' | 'syn' | 'synAck' | 'http' | 'tlsN' | 'verdictN'): number => slices.reduce((a, s) => a + s[k], 0);
    const merged = (pick: (s: Slice) => Tally): Map<string, number> => {
      const m = new Map<string, number>();
      for (const s of slices) {
        const t = pick(s);
        mergeInto(m, t.counts);
        if (t.pruned) this.anyPruned = true;
      }
      return m;
    };
    const fam = new Float64Array(MAX_FAMILIES);
    const hopsCli = new Float64Array(HOPS);
    const hopsSrv = new Float64Array(HOPS);
    const clients = new Set<string>();
    let clientsCapped = false;
    for (const s of slices) {
      for (let i = 0; i < MAX_FAMILIES; i++) fam[i]! += s.fam[i]!;
      for (let i = 0; i < HOPS; i++) {
        hopsCli[i]! += s.hopsCli[i]!;
        hopsSrv[i]! += s.hopsSrv[i]!;
      }
      for (const c of s.clients) clients.add(c);
      if (s.clientsFull) clientsCapped = true;
    }
    const famList: NamedCount[] = [];
    fam.forEach((n, i) => {
      if (n > 0) famList.push({ name: this.famName(i), count: n });
    });
    famList.sort((a, b) => b.count - a.count || cmp(a.name, b.name));

    const mtuCli = merged((s) => s.mtuCli);
    const mtuSrv = merged((s) => s.mtuSrv);
    const mtus = new Set([...mtuCli.keys(), ...mtuSrv.keys()]);
    const links = [...mtus]
      .map((k) => {
        const mtu = Number(k);
        return { mtu, link: this.linkOf.get(mtu) ?? null, clients: mtuCli.get(k) ?? 0, servers: mtuSrv.get(k) ?? 0 };
      })
      .sort((a, b) => b.clients + b.servers - (a.clients + a.servers) || a.mtu - b.mtu)
      .slice(0, TOP_ROWS);

    const mismatches: MismatchRow[] = top(merged((s) => s.mismatches), TOP_ROWS).map(([k, count]) => {
      const [reasons, uaOs, os, tls] = JSON.parse(k) as Array<string | null>;
      return { reasons: reasons ?? null, uaOs: uaOs ?? null, os: os ?? null, tls: tls ?? null, count };
    });
    const since = this.timeline === null ? now - this.windowS : -Infinity;
    const recent = [...this.recent.slice(this.recentNext), ...this.recent.slice(0, this.recentNext)].filter((r) => r.ts >= since).reverse();
    const serverStacks = named(top(merged((s) => s.stacks), TOP_ROWS));
    const tlsClients = merged((s) => s.tlsClients);
    const labelled = tlsClients.size > 1 || (tlsClients.size === 1 && !tlsClients.has(UNKNOWN));
    const tls = { clients: labelled ? named(top(tlsClients, TOP_ROWS)) : [], ja4: named(top(merged((s) => s.ja4), TOP_ROWS)) };
    const verdicts = named(top(merged((s) => s.verdicts), 16)).sort((a, b) => verdictRank(a.name) - verdictRank(b.name));
    const approximate = this.anyPruned || slices.some((s) => s.sigSyn.pruned || s.sigSynAck.pruned);

    return {
      version: 1,
      live: this.timeline === null,
      windowS: this.windowS,
      first: Number.isFinite(this.first) ? this.first : null,
      last: Number.isFinite(this.last) ? this.last : null,
      totals: {
        observations: sum('observations'),
        syn: sum('syn'),
        synAck: sum('synAck'),
        clients: clients.size,
        clientsCapped,
        http: sum('http'),
        tls: sum('tlsN'),
        verdicts: sum('verdictN'),
      },
      approximate,
      osFamilies: famList,
      timeline: this.timelineOf(slices, famList, now),
      hops: { clients: trim(hopsCli), servers: trim(hopsSrv) },
      links,
      serverStacks,
      signatures: this.signatures(slices),
      tls,
      verdicts,
      mismatches,
      recentMismatches: recent,
    };
  }

  private famName(i: number): string {
    return this.famNames[i] ?? 'Other';
  }

  private signatures(slices: Slice[]): SignatureRow[] {
    const rows = new Map<string, SignatureRow>();
    for (const s of slices) {
      for (const [mod, t] of [['syn', s.sigSyn], ['syn+ack', s.sigSynAck]] as const) {
        for (const [raw, e] of t.entries) {
          const k = mod + ' ' + raw;
          const r = rows.get(k);
          if (r) r.count += e.count;
          else rows.set(k, { mod, raw, label: e.label, count: e.count });
        }
      }
    }
    const all = [...rows.values()].sort((a, b) => b.count - a.count || cmp(a.raw, b.raw));
    const unknown = all.filter((r) => r.label === null);
    const known = all.filter((r) => r.label !== null);
    return [...unknown, ...known].slice(0, TOP_SIGNATURES);
  }

  private timelineOf(slices: Slice[], fams: NamedCount[], now: number): ReportData['timeline'] {
    const shown = fams.slice(0, TIMELINE_SERIES).map((f) => this.famIds.get(f.name) ?? MAX_FAMILIES - 1);
    let start: number;
    let bucketS: number;
    let buckets: Float64Array[];
    if (this.timeline !== null) {
      const t = this.timeline;
      bucketS = t.bucketS;
      start = Number.isNaN(t.base) ? 0 : t.base * t.bucketS;
      buckets = t.buckets;
    } else {
      bucketS = this.sliceS;
      const hi = Math.max(Math.floor(now / bucketS), this.cur.idx);
      const lo = hi - this.ring.length + 1;
      start = lo * bucketS;
      buckets = Array.from({ length: this.ring.length }, () => new Float64Array(MAX_FAMILIES));
      for (const s of slices) if (s.idx >= lo) buckets[s.idx - lo] = s.fam;
    }
    const series = shown.map((id) => ({ name: this.famName(id), counts: buckets.map((b) => b[id]!) }));
    if (fams.length > TIMELINE_SERIES) {
      const rest = new Set(shown);
      series.push({
        name: 'Other',
        counts: buckets.map((b) => b.reduce((a, n, i) => (rest.has(i) ? a : a + n), 0)),
      });
    }
    return { start, bucketS, series };
  }
}

function field(fields: readonly ObservationField[], key: string): string | null {
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    if (f[0] === key) return f[1];
  }
  return null;
}

/**
 * The TLS client label of a hello, where the TLS layer gives one: a
 * `client`, `label` or `tls` field, or the same in detail (a string, or an
 * object with a `name`, as db/tls-types.ts's TlsLabel). Null otherwise.
 */
function tlsLabel(o: Observation): string | null {
  for (const k of TLS_LABEL_KEYS) {
    const v = field(o.fields, k);
    if (v !== null) return v;
  }
  const d = o.detail as unknown as Record<string, unknown> | undefined;
  if (d === undefined) return null;
  for (const k of TLS_LABEL_KEYS) {
    const c = d[k];
    if (typeof c === 'string') return c;
    if (c !== null && typeof c === 'object' && typeof (c as { name?: unknown }).name === 'string') return (c as { name: string }).name;
  }
  return null;
}
const TLS_LABEL_KEYS = ['client', 'label', 'tls'] as const;

function sigEntry(t: EntryTable<SigEntry>, m: TcpMemo): SigEntry {
  return t.get(m.rawSig, () => ({ label: m.label, count: 0 }));
}

/** MTU keys as strings, made once per MTU. */
const mtuKeys: string[] = [];
function mtuKey(mtu: number): string {
  if (mtu < 0 || mtu > 65535) return String(mtu);
  return (mtuKeys[mtu] ??= String(mtu));
}

/** consistent, mismatch, unknown, then anything else (in count order: the sort is stable). */
function verdictRank(v: string): number {
  const i = VERDICT_ORDER.indexOf(v);
  return i === -1 ? VERDICT_ORDER.length : i;
}
const VERDICT_ORDER = ['consistent', 'mismatch', 'unknown'];

function named(rows: Array<[string, number]>): NamedCount[] {
  return rows.map(([name, count]) => ({ name, count }));
}

function trim(a: Float64Array): number[] {
  let n = a.length;
  while (n > 0 && a[n - 1] === 0) n--;
  return Array.from(a.subarray(0, n));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
