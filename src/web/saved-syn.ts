/**
 * Saved SYNs on the web side: when a server's listening socket gets
 * TCP_SAVE_SYN (at once, or right after its listen(2): listen-hook.ts),
 * and what went wrong. The kernel keeps each connection's SYN headers;
 * SynFingerprinter (fingerprint/syn-verdict.ts: the engine's decoder and
 * verdict, one SynVerdict) turns them into the exact TCP verdict, distance
 * and MTU of that connection: no capture, no daemon, no root. What only
 * watching the traffic gives (HTTP, uptime, NAT, host history) still comes
 * from a daemon or an engine.
 *
 * The socket options themselves are capture/saved-syn.ts (the binding of
 * pof's small addon). Both are re-exported here, as `pof/web` has always
 * offered them.
 */
import type net from 'node:net';

import { hasDescriptor, savedSynAddonError, setSaveSyn } from '../capture/saved-syn.js';
import { PofError } from '../errors.js';
import { whenListening } from './listen-hook.js';

export {
  kernelTuple,
  readSavedSyn,
  readSavedSynView,
  savedSynAvailable,
  savedSynUnavailableReason,
  synTuple,
} from '../capture/saved-syn.js';
export { SynFingerprinter, type MtuVerdict, type SynOutcome, type SynVerdict, type TcpVerdict } from '../fingerprint/syn-verdict.js';

const enabled = new WeakSet<object>();
/** Why TCP_SAVE_SYN could not be set on a server that was not yet listening. */
const refused = new WeakMap<object, string>();

/**
 * Turns TCP_SAVE_SYN on for a listening server (now, or when it starts
 * listening): now as soon as it has a socket, which is before Node emits
 * 'listening'. Connections accepted before have no saved SYN. Throws a
 * PofError when saved SYNs are unavailable or the option is refused now;
 * a refusal when the server starts listening later is kept for
 * savedSynProblem() (an event handler must not throw).
 */
export function enableSavedSyn(server: net.Server): void {
  const missing = savedSynAddonError();
  if (missing !== null) throw new PofError('E_CONFIG', missing);
  if (enabled.has(server)) return;
  enabled.add(server);
  if (server.listening || hasDescriptor(server)) {
    try {
      setSaveSyn(server);
    } catch (e) {
      refused.set(server, (e as Error).message);
      throw e;
    }
  } else {
    // Right after its listen(2), before a SYN can come in (listen-hook.ts).
    whenListening(server, () => {
      try {
        setSaveSyn(server);
      } catch (e) {
        refused.set(server, (e as Error).message);
      }
    });
  }
}

/** Why a server enabled before it listened has no saved SYNs (null: none known). */
export function savedSynProblem(server: net.Server): string | null {
  return refused.get(server) ?? null;
}

/** True when enableSavedSyn() was called for this server. */
export function savedSynEnabled(server: net.Server): boolean {
  return enabled.has(server);
}
