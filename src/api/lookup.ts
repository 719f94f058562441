/**
 * Adapts the engine's tables to the server's lookup interface. The daemon
 * wiring is:
 *
 *   const conns = new ConnVerdicts();
 *   const engine = new Engine(opts, (o) => { output(o); conns.observe(o); });
 *   const server = await PofApiServer.listen({ path, lookup: engineLookup(engine, conns) });
 */
import type { ConnVerdicts } from '../state/conn-verdicts.js';
import { hostKeyOf, type HostKey } from '../state/hosts.js';
import type { HostView, PofLookup, StatusInfo } from './types.js';

/** What engineLookup reads from an engine (pof's Engine satisfies it). */
export interface LookupSource {
  readonly hosts: {
    get(addr: string): HostView | undefined;
    /** Lookup by table key (pof's HostTable), for the byte-address fast path. */
    getByKey?(key: HostKey): HostView | undefined;
    readonly size: number;
  };
  readonly stats?: { readonly packets: number };
}

export interface EngineLookupOptions {
  /** Reported by status queries, e.g. "pof 0.1.0". */
  version?: string;
  /** Signature file checksum for p0f 2 status answers. */
  fpChecksum?: number;
}

export function engineLookup(src: LookupSource, conns: ConnVerdicts, opts: EngineLookupOptions = {}): PofLookup {
  const version = opts.version ?? 'pof';
  return {
    host: (addr) => src.hosts.get(addr),
    hostAt: src.hosts.getByKey ? (buf, off, ver) => src.hosts.getByKey!(hostKeyOf(buf, off, ver)) : undefined,
    connection: (cli, cliPort, srv, srvPort) => conns.get(cli, cliPort, srv, srvPort),
    hostTls: (addr) => conns.hostTls(addr),
    status: (): StatusInfo => ({
      version,
      packets: src.stats?.packets ?? 0,
      matched: conns.matched,
      hosts: src.hosts.size,
      conns: conns.size,
      fpChecksum: opts.fpChecksum ?? 0,
    }),
  };
}
