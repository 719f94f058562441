/** p0f's human-readable console blocks. */
import type { Observation } from '../observation.js';

function pad8(k: string): string {
  return k.length >= 8 ? k : k + ' '.repeat(8 - k.length);
}

export function formatConsoleBlock(o: Observation): string {
  const who = o.subj === 'cli' ? `client   = ${o.cli}/${o.cliPort}` : `server   = ${o.srv}/${o.srvPort}`;
  let s = `.-[ ${o.cli}/${o.cliPort} -> ${o.srv}/${o.srvPort} (${o.mod}) ]-\n|\n| ${who}\n`;
  for (const [k, v] of o.fields) s += `| ${pad8(k)} = ${v ?? '???'}\n`;
  return s + '|\n`----\n\n';
}
