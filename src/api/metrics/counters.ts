/**
 * Counting on the packet path without paying for it: plain integer fields
 * and small maps, bumped per observation or per query, and turned into
 * Prometheus metrics only when /metrics is read (registry.ts).
 *
 *   ObservationCounters  records by module (any module, as it appears);
 *                        SYN and SYN+ACK verdicts by OS family and match
 *                        quality; HTTP bad_sw; truth verdicts (mod
 *                        'verdict', by its `verdict` field) and TLS
 *                        ClientHellos (mod 'tls', by detail.transport),
 *                        read by name so that they count once those
 *                        layers emit
 *   LatencyHistogram     fixed buckets, observe() is a short scan and two
 *                        additions; renders as a Prometheus histogram
 */
import { labelFamilies } from '../../db/families.js';
import type { Observation, ObservationMod } from '../../observation.js';

/** p0f's os_match_q as a word. */
export type MatchQuality = 'exact' | 'fuzzy' | 'generic' | 'generic_fuzzy' | 'none';

const QUALITY: readonly MatchQuality[] = ['exact', 'fuzzy', 'generic', 'generic_fuzzy'];

/** Distinct (family, quality) pairs kept per module; more fold into family "other". */
export const MAX_VERDICT_SERIES = 256;
/** Distinct modules, truth verdicts and TLS transports counted; more fold into "other". */
export const MAX_NAMED_SERIES = 32;

/** Adds one to `m[k]`, or to `m.other` once `m` holds MAX_NAMED_SERIES keys. */
function bump<K extends string>(m: Map<K | 'other', number>, k: K): void {
  const key = m.has(k) || m.size < MAX_NAMED_SERIES ? k : 'other';
  m.set(key, (m.get(key) ?? 0) + 1);
}

function fieldOf(o: Observation, key: string): string | null {
  for (const [k, v] of o.fields) if (k === key) return v;
  return null;
}

export class ObservationCounters {
  /** Observations by module (modules are read as names: 'tls' and 'verdict' count as they appear). */
  readonly records = new Map<ObservationMod | string, number>();
  /** `mod|family|quality` -> count, for syn and syn+ack. */
  readonly verdicts = new Map<string, number>();
  /** HTTP requests and responses by bad_sw (0 fine, 1 OS mismatch, 2 fake). */
  readonly badSw = [0, 0, 0];
  /** Truth verdicts by kind ('consistent', 'mismatch', 'unknown'). */
  readonly truth = new Map<string, number>();
  /** TLS ClientHellos fingerprinted, by transport ('tcp', 'quic'). */
  readonly tlsHellos = new Map<string, number>();
  /** The family text of each label name+flavor seen (labels are few). */
  private readonly familyOf = new Map<string, string>();

  /** An ObservationSink: counts one observation. Never throws. */
  readonly observe = (o: Observation): void => {
    const mod: string = o.mod;
    bump(this.records, mod);
    if (mod === 'verdict') return void this.countTruth(fieldOf(o, 'verdict') ?? 'unknown');
    if (mod === 'tls') {
      const t = (o.detail as unknown as { transport?: unknown } | undefined)?.transport;
      return void bump(this.tlsHellos, t === 'quic' ? 'quic' : 'tcp');
    }
    const d = o.detail;
    if (!d) return;
    if (d.kind === 'tcp' && (o.mod === 'syn' || o.mod === 'syn+ack')) {
      const m = d.match;
      let family = 'unknown';
      let quality: MatchQuality = 'none';
      if (m) {
        quality = QUALITY[d.quality & 3]!;
        if (m.userland) family = 'userland';
        else {
          const k = m.flavor === null ? m.name : `${m.name}\0${m.flavor}`;
          let f = this.familyOf.get(k);
          if (f === undefined) {
            const fams = labelFamilies(m.name, m.flavor);
            f = fams.length ? [...fams].sort().join('+') : 'other';
            if (this.familyOf.size < 4096) this.familyOf.set(k, f);
          }
          family = f;
        }
      }
      let key = `${o.mod}|${family}|${quality}`;
      if (!this.verdicts.has(key) && this.verdicts.size >= MAX_VERDICT_SERIES) key = `${o.mod}|other|${quality}`;
      this.verdicts.set(key, (this.verdicts.get(key) ?? 0) + 1);
    } else if (d.kind === 'http') {
      const b = d.badSw === 1 || d.badSw === 2 ? d.badSw : 0;
      this.badSw[b]!++;
    }
  };

  /** Counts one truth verdict ('consistent', 'mismatch', 'unknown'). */
  countTruth(kind: string): void {
    bump(this.truth, kind);
  }
}

/** Prometheus's histogram, cheaply observed. */
export class LatencyHistogram {
  readonly bounds: readonly number[];
  /** Per bucket (not cumulative); the last is +Inf. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(bounds: readonly number[]) {
    for (let i = 1; i < bounds.length; i++) if (!(bounds[i]! > bounds[i - 1]!)) throw new RangeError('histogram bounds must increase');
    this.bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(v: number): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && v > b[i]!) i++;
    this.counts[i]!++;
    this.sum += v;
    this.count++;
  }
}

/** Seconds: 25 us .. 1 s, for query and store round trips. */
export const LATENCY_BUCKETS: readonly number[] = [0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];
