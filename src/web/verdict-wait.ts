/**
 * The web core's wait for a connection's verdict: up to timeoutMs, until it
 * is what the request waits for (waitFor). A source that tells about
 * connections (an engine; a daemon for the ports it watches) is waited on
 * for most of that time, rather than asked again and again; then, or for
 * a source that is only asked, questions every retryMs until the deadline.
 * Never rejects: what goes wrong ends in the result's err.
 */
import { isPofError } from '../errors.js';
import type { ConnEntry } from './conn-entry.js';
import type { ResolvedOptions } from './core-options.js';
import { satisfied, withSyn } from './core-results.js';
import type { PofCoreStats } from './core-stats.js';
import { buildResult, type ConnTuple, type PofAnswer, type PofResult, type PofVia } from './result.js';
import type { AskedSource, PofSource } from './sources.js';

/** Share of timeoutMs spent waiting to be told about a connection of a watched port before asking. */
const PUSH_SHARE = 0.75;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The source, when it tells about this connection's port: an engine (every port) or a daemon watching it. */
function teller(source: PofSource, port: number): Extract<PofSource, { awaitPush: unknown }> | null {
  if (source.kind === 'engine') return source;
  if (source.kind === 'daemon' && source.watching(port)) return source;
  return null;
}

/** Why asking `source` failed, for pof_err. */
export function askError(source: AskedSource, x: unknown, timeoutMs: number): string {
  return (
    source.unavailable() ?? (isPofError(x) && x.code === 'E_API_TIMEOUT' ? `pof did not answer within ${timeoutMs} ms` : x instanceof Error ? x.message : String(x))
  );
}

/**
 * Waits for the connection's verdict and makes its result. `told` is what
 * the source told already (it did not satisfy waitFor), or null.
 */
export async function waitForVerdict(source: PofSource, t: ConnTuple, e: ConnEntry, told: PofAnswer | null, o: ResolvedOptions, stats: PofCoreStats): Promise<PofResult> {
  const via: PofVia[] = e.syn ? ['saved-syn'] : [];
  const deadline = performance.now() + o.timeoutMs;
  let last: PofAnswer | null = told;
  let err: string | null = null;
  let answered = told !== null;
  // What was told already, if anything, did not satisfy waitFor.
  let done = false;
  // A source that tells of each connection it sees: wait for that (most of
  // the time allowed) rather than ask and ask again.
  const tells = o.waitFor !== 'none' ? teller(source, t.srvPort) : null;
  if (tells) {
    const until = performance.now() + o.timeoutMs * PUSH_SHARE;
    for (let left = until - performance.now(); left > 0 && !done; left = until - performance.now()) {
      const a = await tells.awaitPush(t, left);
      if (!a) break;
      if (!answered) stats.toldLate++;
      last = a;
      answered = true;
      done = satisfied(a, o.waitFor, e.syn);
    }
  }
  while (!done) {
    const down = source.unavailable();
    if (down) {
      err = down;
      break;
    }
    const left = deadline - performance.now();
    if (left <= 0) {
      err = last ? null : `no verdict within ${o.timeoutMs} ms`;
      break;
    }
    try {
      stats.asked++;
      last = await source.ask(t, left);
      answered = true;
    } catch (x) {
      err = answered && isPofError(x) && x.code === 'E_API_TIMEOUT' ? (source.unavailable() ?? `no verdict within ${o.timeoutMs} ms`) : askError(source, x, o.timeoutMs);
      break;
    }
    if (satisfied(last, o.waitFor, e.syn)) break;
    const pause = Math.min(o.retryMs, deadline - performance.now());
    if (pause <= 0) {
      if (!last) err = `no verdict within ${o.timeoutMs} ms`;
      break;
    }
    await sleep(pause);
  }
  if (answered) via.push(source.via);
  const answer = e.syn ? withSyn(t, last, e.syn) : last;
  // With a saved SYN the request has its TCP verdict: a daemon problem
  // is still reported, but the result is found.
  const r = buildResult(t, answer, via, err);
  if (!r.found && answered) r.vars.pof_type = '2';
  return r;
}
