/** p0f's human-readable console blocks. */
import type { Observation } from '../observation.js';

function pad8(k: string): string {
  return k.length >= 8 ? k : k + ' '.repeat(8 - k.length);
}

export function formatConsoleBlock(o: Observation): string {
  const who = o.subj === 'cli' ? `client   = ${o.cli}/${o.cliPort}` : `server   = ${o.srv}/${o.srvPort}`;
  let s = `.-[ ${o.cli}/${o.cliPort} -> ${o.srv}/${o.srvPort} (${o.mod}) ]-\n|\n| ${who}\n`;
  const fields = o.fields;
  const n = o.textFields ?? fields.length;
  for (let i = 0; i < n && i < fields.length; i++) s += `| ${pad8(fields[i]![0])} = ${fields[i]![1] ?? '???'}\n`;
  // A hello's TLS client label (signatures/tls.fp), as p0f shows an HTTP request's app.
  const d = o.detail;
  if (d !== undefined && d.kind === 'tls') s += `| app      = ${d.client ? d.client.name : '???'}\n`;
  return s + '|\n`----\n\n';
}
