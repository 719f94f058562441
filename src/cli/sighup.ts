/**
 * What SIGHUP says when the signature file cannot be swapped in: one line
 * (a file with errors gives its first and a count), and, when the file
 * could not be read after the privilege drop, who pof runs as now.
 */
import { isPofError } from '../errors.js';

/** The one line for a reload that failed with `e`; `user` is the -u user pof dropped to, if any. */
export function notReloadedLine(e: unknown, user?: string): string {
  const text = e instanceof Error ? e.message : String(e);
  const lines = text.split('\n').filter(Boolean);
  let why = lines[0] ?? 'unknown error';
  if (isPofError(e) && e.code === 'E_SIGNATURES' && lines.length > 1) why += ` (and ${lines.length - 1} more; pof check lists them all)`;
  else if (lines.length > 1) why = lines.join('; ');
  const code = (e as { cause?: NodeJS.ErrnoException } | undefined)?.cause?.code;
  if (user !== undefined && (code === 'EACCES' || code === 'EPERM')) why += ` (pof runs as ${user} since start-up: the file must be readable to ${user})`;
  return `[!] SIGHUP: signatures not reloaded, the old ones stay: ${why}`;
}
