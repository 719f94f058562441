/**
 * `pof check FILE...`: validates p0f.fp files with p0f 3.09b's rules.
 * Problems go to `err` as `FILE:LINE: field: message` (warnings with
 * `warning:` before the message), then one summary line per file on `out`.
 * Exit status: 0 all clean, 1 any problem, 2 usage error.
 */
import { isPofError } from '../errors.js';
import { formatDiagnostic, readSignatureText } from '../db/load.js';
import { parseSignatures } from '../db/parse.js';

const USAGE = 'usage: pof check FILE.fp...\n';

export function runCheck(argv: string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream): number {
  const files: string[] = [];
  let opts = true;
  for (const a of argv) {
    if (opts && a === '--') {
      opts = false;
    } else if (opts && (a === '-h' || a === '--help')) {
      out.write(USAGE + 'Checks signature files as p0f 3.09b reads them; prints every problem.\n');
      return 0;
    } else if (opts && a.startsWith('-') && a !== '-') {
      err.write(`pof check: unknown option '${a}'\n${USAGE}`);
      return 2;
    } else {
      files.push(a);
    }
  }
  if (files.length === 0) {
    err.write(`pof check: no file given\n${USAGE}`);
    return 2;
  }

  let failed = false;
  for (const file of files) {
    let text: string;
    try {
      text = readSignatureText(file);
    } catch (e) {
      err.write(`pof check: ${isPofError(e) ? e.message : String(e)}\n`);
      out.write(`${file}: 1 problem\n`);
      failed = true;
      continue;
    }
    const r = parseSignatures(text, file);
    if (r.ok) {
      for (const w of r.warnings) err.write(formatDiagnostic({ ...w, message: `warning: ${w.message}` }) + '\n');
      const n = r.db.sigCount;
      const l = r.db.labels.length;
      out.write(`${file}: ${n} signature${n === 1 ? '' : 's'}, ${l} label${l === 1 ? '' : 's'}, OK\n`);
    } else {
      for (const d of r.diagnostics) err.write(formatDiagnostic(d) + '\n');
      const k = r.diagnostics.length;
      out.write(`${file}: ${k} problem${k === 1 ? '' : 's'}\n`);
      failed = true;
    }
  }
  return failed ? 1 : 0;
}
