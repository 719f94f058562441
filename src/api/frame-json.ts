/**
 * JSON lines framing: a query is one line beginning with '{' and ending in
 * '\n', at most maxJsonLine bytes; its answer is one line. A longer line is
 * answered "bad query" and the connection ended (no line end to resync on).
 */
import { ENDED, NEED_MORE, type QueryClient, type QueryContext } from './framing.js';
import { answerJsonLine, jsonError } from './json.js';

/** The first byte of a JSON query: '{'. */
export const JSON_FIRST = 0x7b;
const LF = 0x0a;

/** Answers the JSON query line at buf[off]; see framing.ts. */
export function answerJsonQuery<C extends QueryClient>(c: C, buf: Buffer, off: number, ctx: QueryContext<C>): number {
  const nl = buf.indexOf(LF, off);
  if (nl === -1 || nl >= Math.min(buf.length, off + ctx.maxJsonLine + 1)) {
    if (buf.length - off <= ctx.maxJsonLine) return NEED_MORE;
    ctx.stats.badQueries++;
    ctx.stats.longLines++;
    c.answers.flush();
    ctx.finish(c, jsonError(`query longer than ${ctx.maxJsonLine} bytes`));
    return ENDED;
  }
  const line = buf.toString('utf8', off, nl);
  ctx.stats.queries.json++;
  const out = answerJsonLine(line, ctx.lookup, ctx.status);
  let text = out.text;
  if (out.watch !== undefined) text = ctx.watch(c, out.watch, out.until) ?? text;
  if (out.status === 'bad query' || text !== out.text) ctx.stats.badQueries++;
  c.answers.write(text);
  return nl + 1;
}

/** The line a JSON query that did not complete in time gets before the connection is closed. */
export const JSON_TOO_SLOW = jsonError('query not completed in time');
