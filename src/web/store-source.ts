/**
 * The shared store (Redis) as a source of the web side: a web node with no
 * daemon socket asks the store what the sensor published about its
 * connection (by 4-tuple, with the client's host record), as it would ask
 * a daemon. The middleware polls it within timeoutMs like any source; the
 * reader answers known connections from its short cache, refuses at once
 * while Redis is down (its reason becomes pof_err), and reconnects by
 * itself.
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
  if (setup instanceof StoreReader) {
    reader = setup;
    own = false;
  } else if (typeof setup === 'string') reader = new StoreReader({ url: setup });
  else if (setup !== null && typeof setup === 'object') reader = new StoreReader(setup);
  else throw new PofError('E_CONFIG', 'pof middleware: store must be a redis:// URL, store options or a StoreReader');
  return {
    reader,
    via: 'store',
    kind: 'remote',
    ask: (t, timeoutMs) => reader.connection(t, Math.max(1, Math.ceil(timeoutMs))),
    askHost: async (addr, timeoutMs) => {
      const h = await reader.host(addr, Math.max(1, Math.ceil(timeoutMs)));
      return h ? { host: h, conn: null } : null;
    },
    unavailable: () => reader.unavailable(),
    close: async () => {
      if (own) await reader.close();
    },
  };
}
