/** `pof -r FILE`: fingerprint a capture file and print what was found. */
import { readCaptureFile } from '../capture/file.js';
import type { PacketRecord } from '../capture/types.js';
import { Engine } from '../engine.js';
import { HttpModule } from '../state/http-module.js';
import type { SignatureDb } from '../db/types.js';
import type { Observation } from '../observation.js';
import { FdWriter, isDevNull, openLogFile } from '../output/writer.js';
import { printObservation } from '../output/print.js';

export interface ReadOptions {
  file: string;
  db: SignatureDb;
  logFile?: string;
  json: boolean;
  quiet: boolean;
  maxConn?: number;
  maxHosts?: number;
  connMaxAgeS?: number;
  hostIdleMin?: number;
  /** Packet filter compiled from the trailing expression, if any. */
  filter?: (rec: PacketRecord) => boolean;
  /** Extra modules (HTTP). */
  setup?: (engine: Engine) => void;
  /** Also hands every observation here (`pof report`); turns typed details on. */
  onObservation?: (o: Observation) => void;
  /** TLS and QUIC ClientHellos (default true; false: --no-tls). */
  tls?: boolean;
}

export function runRead(o: ReadOptions, stderr: (s: string) => void): number {
  // Nothing is formatted for a stdout that goes to /dev/null (as GNU tar
  // skips work whose output would be discarded).
  const out = o.quiet || isDevNull(1) ? null : new FdWriter(1);
  const log = o.logFile ? openLogFile(o.logFile) : null;
  const tap = o.onObservation;
  const sink = (ob: Observation): void => {
    printObservation(ob, out, log, o.json);
    tap?.(ob);
  };
  const engine = new Engine(
    {
      db: o.db,
      maxConn: o.maxConn,
      maxHosts: o.maxHosts,
      connMaxAgeS: o.connMaxAgeS,
      hostIdleMin: o.hostIdleMin,
      // The console shows a hello's TLS client label, which is in its detail.
      details: o.json || tap !== undefined || (out !== null && o.tls !== false),
      tls: o.tls,
    },
    sink,
  );
  engine.addModule(new HttpModule());
  o.setup?.(engine);
  const filter = o.filter;
  let summary;
  try {
    summary = readCaptureFile(o.file, filter ? (rec) => void (filter(rec) && engine.handle(rec)) : (rec) => engine.handle(rec));
  } finally {
    out?.flush();
    log?.close();
  }
  const s = engine.stats;
  const dropped = Object.entries(s.drops)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const t = s.tls;
  const tlsDrops = Object.entries(t.drops)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const tls =
    engine.tls === null
      ? ''
      : ` ${t.hellos.tcp + t.hellos.quic} TLS hellos (${t.hellos.quic} over QUIC), ${t.serverHellos.tcp + t.serverHellos.quic} server hellos.` +
        (tlsDrops ? ` Hellos dropped: ${tlsDrops}.` : '');
  stderr(
    `[+] Processed ${summary.packets} packets (${s.tcp} TCP, ${s.encap} of them encapsulated), ` +
      `${s.observations} observations (${s.encapObservations} beyond p0f).` +
      (dropped ? ` Not fingerprinted: ${dropped}.` : '') +
      tls +
      '\n',
  );
  if (summary.problem) {
    const p = summary.problem;
    stderr(`pof: ${p.file}: at byte ${p.offset}: ${p.message}\n`);
    return 1;
  }
  return 0;
}
