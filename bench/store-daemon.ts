/**
 * The daemon side of bench/store.ts, in its own process: N synthetic
 * connections and their hosts, served on a Unix socket by pof's query
 * server and published to Redis by the store publisher; prints "ready".
 *
 *   node --import tsx bench/store-daemon.ts SOCKET N SOURCES REDIS_URL PREFIX
 */
import type { HostView, PofLookup } from '../src/api/types.js';
import { PofApiServer } from '../src/api/server.js';
import { StorePublisher } from '../src/api/store/publisher.js';
import type { ConnVerdict } from '../src/state/conn-verdicts.js';
import { clientAddr, makeHost, makeVerdict } from './store-data.js';

const [sock, nText, srcText, url, prefix] = process.argv.slice(2) as [string, string, string, string, string];
const n = Number(nText);
const sources = Number(srcText);
const conns = new Map<string, ConnVerdict>();
const hosts = new Map<string, HostView>();
for (let i = 0; i < n; i++) {
  const v = makeVerdict(i, sources);
  conns.set(`${v.cli}/${v.cliPort}>${v.srv}/${v.srvPort}`, v);
}
for (let s = 0; s < Math.min(n, sources); s++) hosts.set(clientAddr(s, sources), makeHost(clientAddr(s, sources)));
const lookup: PofLookup = {
  host: (a) => hosts.get(a),
  connection: (c, cp, s, sp) => conns.get(`${c}/${cp}>${s}/${sp}`),
};
const server = await PofApiServer.listen({ path: sock, lookup, maxClients: 20 });
const pub = new StorePublisher({ url, keyPrefix: prefix, maxQueue: 4_000_000 });
for (let t = Date.now(); pub.unavailable() !== null; ) {
  if (Date.now() - t > 10_000) throw new Error(`no redis: ${pub.unavailable()}`);
  await new Promise((r) => setTimeout(r, 10));
}
for (const v of conns.values()) pub.conn(v);
for (const h of hosts.values()) pub.host(h);
await pub.flush(60_000);
const st = pub.stats;
process.stdout.write(`ready ${st.published} published, ${st.dropped.full + st.dropped.down} dropped\n`);
process.on('SIGTERM', () => {
  void Promise.all([server.close(), pub.close()]).then(() => process.exit(0));
});
