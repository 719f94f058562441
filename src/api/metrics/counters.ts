/**
 * Counting on the packet path without paying for it: plain integer fields
 * and small maps, bumped per observation or per query, and turned into
 * Prometheus metrics only when /metrics is read (registry.ts).
 *
 *   ObservationCounters  records by module; SYN and SYN+ACK verdicts by OS
 *                        family and match quality; HTTP bad_sw; truth
 *                        verdicts (when the verdict stage is wired)
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

export class ObservationCounters {
  /** Observations by module. */
  readonly records = new Map<ObservationMod, number>();
  /** `mod|family|quality` -> count, for syn and syn+ack. */
  readonly verdicts = new Map<string, number>();
  /** HTTP requests and responses by bad_sw (0 fine, 1 OS mismatch, 2 fake). */
  readonly badSw = [0, 0, 0];
  /** Truth verdicts by kind. */
  readonly truth = new Map<string, number>();
  /** The family text of each label name+flavor seen (labels are few). */
  private readonly familyOf = new Map<string, string>();

  /** An ObservationSink: counts one observation. Never throws. */
  readonly observe = (o: Observation): void => {
    this.records.set(o.mod, (this.records.get(o.mod) ?? 0) + 1);
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
    this.truth.set(kind, (this.truth.get(kind) ?? 0) + 1);
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
