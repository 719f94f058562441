/** Checks of option objects, made once when a component starts. */
import { PofError } from './errors.js';

/**
 * An integer option: `v` when given, else `dflt`; anything else than an
 * integer in lo..hi is a PofError E_CONFIG naming `what` (e.g.
 * 'pof middleware: timeoutMs').
 */
export function intOption(what: string, v: unknown, dflt: number, lo: number, hi: number): number {
  const n = v ?? dflt;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < lo || n > hi) {
    throw new PofError('E_CONFIG', `${what} must be an integer in ${lo}..${hi} (got ${String(v)})`);
  }
  return n;
}
