/**
 * Flood: 1,000,000 SYNs from distinct random sources (plus ten regular
 * clients talking every 100 packets) through the engine with the default
 * limits; then the same million sources each sending a SYN and the first
 * part of a ClientHello it never completes (the TLS gatherer's worst case).
 * Reports packets/s, peak RSS against the documented cap, table sizes,
 * the TLS gatherer's bytes, and whether the regular clients survived.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
// The compiled engine (npm run build) is measured, as users run it.
import { DEFAULT_MAX_CONN, DEFAULT_MAX_HOSTS, MAX_TLS_CONNS, TLS_GATHER_BUDGET } from '../dist/config.js';
import { parseSignatures } from '../dist/db/parse.js';
import { Engine } from '../dist/engine.js';
import { HttpModule } from '../dist/state/http-module.js';
import { floodRecords } from '../test/helpers/flood.js';

/** The memory cap documented in README for default limits. */
export const FLOOD_RSS_CAP_MB = 200;

/** Each run in a process of its own, so that one's heap does not weigh on the other's peak RSS. */
export function flood(): void {
  for (const kind of ['syn', 'half-hellos']) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), kind], { stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0) throw new Error(`flood ${kind} failed (status ${r.status})`);
  }
}

/** One run: 1,000,000 sources, each a SYN (and with `halfHellos` the first part of a ClientHello that never completes). */
function run(halfHellos: boolean): void {
  const parsed = parseSignatures('classes = unix\n[tcp:request]\nlabel = s:unix:Linux:test\nsig = *:64:0:*:mss*44,7:mss,sok,ts,nop,ws:df,id+:0\n', 'inline');
  if (!parsed.ok) throw new Error('inline signatures');
  const engine = new Engine({ db: parsed.db }, () => {});
  engine.addModule(new HttpModule());
  let peak = process.memoryUsage().rss;
  let maxHosts = 0;
  let maxTls = 0;
  let maxHeld = 0;
  const n = 1_000_000;
  const t0 = performance.now();
  let i = 0;
  const regulars = floodRecords(
    n,
    7,
    (rec) => {
      engine.handle(rec);
      if (++i % 10_000 === 0) {
        peak = Math.max(peak, process.memoryUsage().rss);
        maxHosts = Math.max(maxHosts, engine.hosts.size);
        maxTls = Math.max(maxTls, engine.tls?.tcp.size ?? 0);
        maxHeld = Math.max(maxHeld, engine.tls?.tcp.held ?? 0);
      }
    },
    { halfHellos },
  );
  const s = (performance.now() - t0) / 1000;
  const kept = regulars.filter((r) => engine.hosts.get(r)).length;
  const mb = peak / 1024 / 1024;
  const pkts = halfHellos ? 2 * n : n;
  const what = halfHellos ? `${n} sources, each a SYN and half a ClientHello (${pkts} packets)` : `${n} SYNs`;
  const drops = Object.entries(engine.stats.tls.drops)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  console.log(
    `flood: ${what} in ${s.toFixed(2)} s (${Math.round(pkts / s)} pkt/s), peak RSS ${mb.toFixed(0)} MB (cap ${FLOOD_RSS_CAP_MB} MB: ${mb <= FLOOD_RSS_CAP_MB ? 'ok' : 'OVER'}), ` +
      `hosts <= ${maxHosts} (limit ${DEFAULT_MAX_HOSTS}), flows ${engine.flows.size} (limit ${DEFAULT_MAX_CONN}), evicted ${engine.hosts.evicted} hosts, regular clients kept ${kept}/${regulars.length}; ` +
      `TLS table <= ${maxTls} (limit ${MAX_TLS_CONNS}), bytes held <= ${(maxHeld / 1048576).toFixed(1)} MiB (budget ${(TLS_GATHER_BUDGET / 1048576).toFixed(0)} MiB)${drops ? `, hellos dropped: ${drops}` : ''}`,
  );
}

if (process.argv[1]?.endsWith('flood.ts')) {
  const kind = process.argv[2];
  if (kind === 'syn' || kind === 'half-hellos') run(kind === 'half-hellos');
  else flood();
}
