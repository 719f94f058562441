/**
 * p0f's grep-friendly log format (-o): one line per observation,
 * `[YYYY/MM/DD HH:MM:SS] mod=...|cli=IP/PORT|srv=IP/PORT|subj=cli|k=v...`,
 * time in local time (TZ applies), unknown values as "???".
 */
import type { Observation } from '../observation.js';

let cachedSec = NaN;
let cachedText = '';

function two(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

/** Local time of a packet as p0f prints it; cached per second. */
export function logTime(sec: number): string {
  if (sec === cachedSec) return cachedText;
  const d = new Date(sec * 1000);
  cachedSec = sec;
  cachedText = `${d.getFullYear()}/${two(d.getMonth() + 1)}/${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
  return cachedText;
}

export function formatLogLine(o: Observation): string {
  const conn = o.conn ?? `cli=${o.cli}/${o.cliPort}|srv=${o.srv}/${o.srvPort}`;
  let s = `[${logTime(o.tsSec)}] mod=${o.mod}|${conn}|subj=${o.subj}`;
  for (const [k, v] of o.fields) s += `|${k}=${v ?? '???'}`;
  return s + '\n';
}
