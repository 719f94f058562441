/**
 * Flood: 1,000,000 SYNs from distinct random sources (plus ten regular
 * clients talking every 100 packets) through the engine with the default
 * limits. Reports packets/s, peak RSS against the documented cap, table
 * sizes, and whether the regular clients survived.
 */
// The compiled engine (npm run build) is measured, as users run it.
import { DEFAULT_MAX_CONN, DEFAULT_MAX_HOSTS } from '../dist/config.js';
import { parseSignatures } from '../dist/db/parse.js';
import { Engine } from '../dist/engine.js';
import { HttpModule } from '../dist/state/http-module.js';
import { floodRecords } from '../test/helpers/flood.js';

/** The memory cap documented in README for default limits. */
export const FLOOD_RSS_CAP_MB = 200;

export function flood(): void {
  const parsed = parseSignatures('classes = unix\n[tcp:request]\nlabel = s:unix:Linux:test\nsig = *:64:0:*:mss*44,7:mss,sok,ts,nop,ws:df,id+:0\n', 'inline');
  if (!parsed.ok) throw new Error('inline signatures');
  const engine = new Engine({ db: parsed.db }, () => {});
  engine.addModule(new HttpModule());
  let peak = process.memoryUsage().rss;
  let maxHosts = 0;
  const n = 1_000_000;
  const t0 = performance.now();
  let i = 0;
  const regulars = floodRecords(n, 7, (rec) => {
    engine.handle(rec);
    if (++i % 10_000 === 0) {
      peak = Math.max(peak, process.memoryUsage().rss);
      maxHosts = Math.max(maxHosts, engine.hosts.size);
    }
  });
  const s = (performance.now() - t0) / 1000;
  const kept = regulars.filter((r) => engine.hosts.get(r)).length;
  const mb = peak / 1024 / 1024;
  console.log(
    `flood: ${n} SYNs in ${s.toFixed(2)} s (${Math.round(n / s)} pkt/s), peak RSS ${mb.toFixed(0)} MB (cap ${FLOOD_RSS_CAP_MB} MB: ${mb <= FLOOD_RSS_CAP_MB ? 'ok' : 'OVER'}), ` +
      `hosts <= ${maxHosts} (limit ${DEFAULT_MAX_HOSTS}), flows ${engine.flows.size} (limit ${DEFAULT_MAX_CONN}), evicted ${engine.hosts.evicted} hosts, regular clients kept ${kept}/${regulars.length}`,
  );
}

if (process.argv[1]?.endsWith('flood.ts')) flood();
