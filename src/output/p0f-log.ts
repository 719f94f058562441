/**
 * p0f's grep-friendly log format (-o): one line per observation,
 * `[YYYY/MM/DD HH:MM:SS] mod=...|cli=IP/PORT|srv=IP/PORT|subj=cli|k=v...`,
 * time in local time (TZ applies), unknown values as "???".
 */
import type { Observation } from '../observation.js';
import type { FdWriter } from './writer.js';

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

/*
 * The -o log in bulk: a busy capture writes hundreds of thousands of lines
 * built from a few hundred distinct values (labels, raw signatures, params),
 * so each value is encoded once and its bytes are copied after that. Only
 * the connection text, new for every flow, is encoded each time.
 */
const BYTE_CACHE_MAX = 4096;
const valueBytes = new Map<string, Uint8Array>();
const keyBytes = new Map<string, Uint8Array>();
const UNKNOWN = Buffer.from('???');
const SUBJ = { cli: Buffer.from('|subj=cli'), srv: Buffer.from('|subj=srv') } as const;
const BAR = Buffer.from('|');
const NL = Buffer.from('\n');
let stampSec = NaN;
let stamp: Uint8Array = Buffer.alloc(0);

function bytesOf(s: string): Uint8Array {
  let b = valueBytes.get(s);
  if (b === undefined) {
    if (valueBytes.size >= BYTE_CACHE_MAX) valueBytes.clear();
    b = Buffer.from(s);
    valueBytes.set(s, b);
  }
  return b;
}

function keyOf(k: string): Uint8Array {
  let b = keyBytes.get(k);
  if (b === undefined) {
    if (keyBytes.size >= BYTE_CACHE_MAX) keyBytes.clear();
    b = Buffer.from(`|${k}=`);
    keyBytes.set(k, b);
  }
  return b;
}

/** Writes formatLogLine(o) to w, byte for byte, without building the line. */
export function writeLogLine(w: FdWriter, o: Observation): void {
  if (o.tsSec !== stampSec) {
    stamp = Buffer.from(`[${logTime(o.tsSec)}] mod=`);
    stampSec = o.tsSec;
  }
  w.bytes(stamp);
  w.bytes(bytesOf(o.mod));
  w.bytes(BAR);
  w.short(o.conn ?? `cli=${o.cli}/${o.cliPort}|srv=${o.srv}/${o.srvPort}`);
  w.bytes(SUBJ[o.subj]);
  const fields = o.fields;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    w.bytes(keyOf(f[0]));
    const v = f[1];
    w.bytes(v === null ? UNKNOWN : bytesOf(v));
  }
  w.bytes(NL);
}
