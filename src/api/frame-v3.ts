/**
 * p0f 3 framing: a query is 21 bytes (magic, address type, address), its
 * answer 232, batched with the answers around it (answers.ts). Any first
 * byte that is not another protocol's starts one: garbage is answered,
 * 21 bytes at a time, "bad query" (as p0f 3.09b does).
 */
import { NEED_MORE, type QueryClient, type QueryContext } from './framing.js';
import { answerV3At, V3_QUERY_SIZE, V3Status } from './v3.js';

/** Answers the p0f 3 query at buf[off]; see framing.ts. */
export function answerV3Query<C extends QueryClient>(c: C, buf: Buffer, off: number, ctx: QueryContext<C>): number {
  const left = buf.length - off;
  if (left < V3_QUERY_SIZE) return NEED_MORE;
  ctx.stats.queries.v3++;
  const out = c.answers;
  const batch = out.v3Batch(Math.floor(left / V3_QUERY_SIZE));
  const status = answerV3At(buf, off, batch, out.v3At, ctx.hostByText, ctx.hostByBytes);
  if (status === V3Status.BAD_QUERY) ctx.stats.badQueries++;
  out.v3Written();
  return off + V3_QUERY_SIZE;
}
