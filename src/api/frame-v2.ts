/**
 * p0f 2 framing: a query is 24 bytes, beginning with the low byte of its
 * magic (0x0defaced, little-endian); its answer is 144 bytes (56 for
 * status). As p0f 2 did, the connection is closed after the answer (its
 * clients read until EOF), unless v2KeepAlive.
 */
import { ENDED, NEED_MORE, type QueryClient, type QueryContext } from './framing.js';
import type { ServerStatus } from './json-types.js';
import type { ApiServerStats } from './server-stats.js';
import type { PofLookup } from './types.js';
import { answerV2, V2_QUERY_SIZE, V2Off, V2Resp, type V2Context } from './v2.js';

/** The first byte of a p0f 2 query: the low byte of 0x0defaced. */
export const V2_FIRST = 0xed;

/** Answers the p0f 2 query at buf[off]; see framing.ts. */
export function answerV2Query<C extends QueryClient>(c: C, buf: Buffer, off: number, ctx: QueryContext<C>): number {
  if (buf.length - off < V2_QUERY_SIZE) return NEED_MORE;
  ctx.stats.queries.v2++;
  const out = answerV2(buf, off, ctx.v2);
  if (out[V2Off.type] === V2Resp.BAD_QUERY) ctx.stats.badQueries++;
  c.answers.flush();
  if (!ctx.v2KeepAlive) {
    ctx.finish(c, out);
    return ENDED;
  }
  c.answers.write(out);
  return off + V2_QUERY_SIZE;
}

/** What p0f 2 queries are answered from: the lookup's connections, the server's status and counters. */
export function v2Context(lookup: PofLookup, stats: ApiServerStats, status: () => ServerStatus): V2Context {
  return {
    connection: (a, ap, b, bp) => lookup.connection(a, ap, b, bp),
    status: () => {
      const st = status();
      return {
        version: st.version,
        mode: 'S',
        fpCksum: st.fp_checksum,
        cache: st.conns,
        packets: st.packets,
        matched: st.matched,
        queries: stats.queries.v2,
        cmisses: stats.v2Misses,
        uptime: st.uptime_s,
      };
    },
    counted: (found) => {
      if (!found) stats.v2Misses++;
    },
  };
}
