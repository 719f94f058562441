/**
 * Uptime from TCP timestamps seen twice from one host (p0f semantics):
 * the timestamp clock's frequency from the tick and time differences,
 * rounded to a plausible value, then uptime = ticks / frequency.
 */
import { MAX_TSCALE, MAX_TWAIT, MIN_TSCALE, MIN_TWAIT, TSTAMP_GRACE } from '../config.js';

export type UptimeResult =
  | { kind: 'skip' } // not enough time or ticks yet: try again later
  | { kind: 'bad-frequency'; ffreq: number } // implausible clock: give up on this flow
  | { kind: 'ok'; freq: number; ffreq: number; upMin: number; upModDays: number };

const SKIP: UptimeResult = { kind: 'skip' };

/** Round a measured frequency the way p0f does. */
export function roundFrequency(f: number): number {
  if (f === 0) return 1;
  if (f <= 10) return f;
  if (f <= 50) return Math.floor((f + 3) / 5) * 5;
  if (f <= 100) return Math.floor((f + 7) / 10) * 10;
  if (f <= 500) return Math.floor((f + 33) / 50) * 50;
  return Math.floor((f + 67) / 100) * 100;
}

/**
 * @param ts1 current timestamp value (u32)
 * @param refTs1 earlier timestamp value from the same host (u32)
 * @param msDiff milliseconds between the two packets (may be negative for out-of-order captures)
 */
export function computeUptime(ts1: number, refTs1: number, msDiff: number): UptimeResult {
  if (msDiff < MIN_TWAIT || msDiff > MAX_TWAIT) return SKIP;
  const tsDiff = (ts1 - refTs1) >>> 0;
  const negDiff = ~tsDiff >>> 0;
  if (tsDiff < 5 || (msDiff < TSTAMP_GRACE && Math.floor(negDiff / 1000) < Math.floor(MAX_TSCALE / TSTAMP_GRACE))) return SKIP;
  const ffreq = tsDiff > negDiff ? (negDiff * -1000.0) / msDiff : (tsDiff * 1000.0) / msDiff;
  if (ffreq < MIN_TSCALE || ffreq > MAX_TSCALE) return { kind: 'bad-frequency', ffreq };
  const freq = roundFrequency(Math.trunc(ffreq));
  const upMin = Math.floor(Math.floor(ts1 / freq) / 60);
  const upModDays = Math.floor(0xffffffff / (freq * 60 * 60 * 24));
  return { kind: 'ok', freq, ffreq, upMin, upModDays };
}

export function uptimeText(upMin: number, upModDays: number): string {
  return `${Math.floor(upMin / 60 / 24)} days ${Math.floor(upMin / 60) % 24} hrs ${upMin % 60} min (modulo ${upModDays} days)`;
}

/** p0f prints the measured frequency with two decimals. */
export function freqText(ffreq: number): string {
  return `${ffreq.toFixed(2)} Hz`;
}
