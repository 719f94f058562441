/** The web core's saved SYNs: each connection's read once (Linux TCP_SAVE_SYN) and matched. */
import type net from 'node:net';
import { loadSignatures } from '../db/load.js';
import type { ConnEntry } from './conn-entry.js';
import type { PofOptions } from './core-options.js';
import type { PofCoreStats } from './core-stats.js';
import { enableSavedSyn, readSavedSynView, savedSynEnabled, savedSynProblem, SynFingerprinter, synTuple } from './saved-syn.js';

/** The matcher for the savedSyn option: its db, or the signatures file it names (or pof's own). */
export function synFingerprinter(savedSyn: NonNullable<PofOptions['savedSyn']>): SynFingerprinter {
  if (typeof savedSyn === 'object' && savedSyn.db) return new SynFingerprinter(savedSyn.db);
  return new SynFingerprinter(loadSignatures(typeof savedSyn === 'object' && savedSyn.signatures ? savedSyn.signatures : undefined));
}

/**
 * Reads the connection's saved SYN into its entry, once: its verdict (or
 * why there is none) and the 4-tuple it gives.
 */
export function readSavedSyn(fp: SynFingerprinter, socket: net.Socket, e: ConnEntry, stats: PofCoreStats): void {
  if (e.synRead) return;
  e.synRead = true;
  const server = (socket as net.Socket & { server?: net.Server }).server;
  let why: string | null = server ? savedSynProblem(server) : null;
  if (server && !savedSynEnabled(server)) {
    // First connection of a server nobody attached: enable it for the next ones.
    try {
      enableSavedSyn(server);
    } catch (x) {
      why = (x as Error).message;
    }
  }
  const bytes = readSavedSynView(socket);
  if (!bytes) {
    e.synErr = why ?? 'no saved SYN (accepted before TCP_SAVE_SYN was on: attach(server) on the middleware turns it on before the first connection)';
    return;
  }
  stats.savedSyns++;
  e.synTuple = synTuple(bytes);
  const r = fp.fingerprint(bytes);
  if (r.ok) e.syn = r.verdict;
  else e.synErr = r.reason;
}
