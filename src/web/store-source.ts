/**
 * The shared store (Redis) as a source of the web side: a web node with no
 * daemon socket asks the store what the sensor published about its
 * connection (by 4-tuple, with the client's host record), as it would ask
 * a daemon. The middleware polls it within timeoutMs like any source; the
 * reader answers known connections from its short cache, refuses at once
 * while Redis is down (its reason becomes pof_err), and reconnects by
 * itself. Until its first connection attempt has succeeded or failed, a
 * question waits for it, within its timeout: a web node's first requests,
 * as it starts, are not refused for a connection still being made. (A
 * StoreReader of one's own is used as it is: `await reader.ready()`
 * before serving, if that matters.)
 *
 *   withPof(handler, { store: 'redis://10.0.0.5:6379' })
 *   withPof(handler, { store: { url: 'rediss://...', tls: { ca }, keyPrefix: 'site1:' } })
 */
import { StoreReader, type StoreReaderOptions } from '../api/store/reader.js';
import { PofError } from '../errors.js';
import type { RemotePofSource } from './sources.js';

/** What the `store` option takes: a URL, reader options, or a reader of one's own (not closed by close()). */
export type StoreSetup = string | StoreReaderOptions | StoreReader;

export function storeSource(setup: StoreSetup): RemotePofSource & { readonly reader: StoreReader } {
  let reader: StoreReader;
  let own = true;
  // Settles when the first connection attempt has succeeded or failed.
  let firstState: (() => void) | null = null;
  let opening: Promise<void> | null = null;
  if (setup instanceof StoreReader) {
    reader = setup;
    own = false;
  } else if (typeof setup === 'string' || (setup !== null && typeof setup === 'object')) {
    const o: StoreReaderOptions = typeof setup === 'string' ? { url: setup } : setup;
    opening = new Promise<void>((r) => (firstState = r));
    const onState = o.onState;
    try {
      reader = new StoreReader({
        ...o,
        onState: (down) => {
          if (firstState) {
            firstState();
            firstState = null;
            opening = null;
          }
          onState?.(down);
        },
      });
    } catch (e) {
      // One line naming the option: "pof middleware: store: ...".
      throw e instanceof PofError ? new PofError('E_CONFIG', `pof middleware: ${e.message}`) : e;
    }
  } else throw new PofError('E_CONFIG', 'pof middleware: store must be a redis:// URL, store options or a StoreReader');
  /** `ask` once the first connection attempt is over, within `ms` in all. */
  const whenOpen = async <T>(ms: number, ask: (left: number) => Promise<T>): Promise<T> => {
    if (opening) {
      const t0 = performance.now();
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), ms)));
      const got = await Promise.race([opening, late]);
      clearTimeout(timer);
      if (got === 'late') throw new PofError('E_STORE_TIMEOUT', reader.unavailable() ?? `redis did not answer within ${ms} ms`);
      ms -= performance.now() - t0;
    }
    return ask(Math.max(1, Math.ceil(ms)));
  };
  return {
    reader,
    via: 'store',
    kind: 'remote',
    ask: (t, timeoutMs) => (opening ? whenOpen(timeoutMs, (ms) => reader.connection(t, ms)) : reader.connection(t, Math.max(1, Math.ceil(timeoutMs)))),
    askHost: async (addr, timeoutMs) => {
      const h = await whenOpen(timeoutMs, (ms) => reader.host(addr, ms));
      return h ? { host: h, conn: null } : null;
    },
    unavailable: () => (opening ? null : reader.unavailable()),
    close: async () => {
      // Questions still waiting for the first connection wait no more.
      firstState?.();
      firstState = null;
      opening = null;
      if (own) await reader.close();
    },
  };
}
