/**
 * p0f's grep-friendly log format (-o): one line per observation,
 * `[YYYY/MM/DD HH:MM:SS] mod=...|cli=IP/PORT|srv=IP/PORT|subj=cli|k=v...`,
 * time in local time (TZ applies), unknown values as "???".
 */
import type { Observation, ObservationField } from '../observation.js';
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

/** `cli=IP/PORT|srv=IP/PORT`: the engine's text for the flow, or made here. */
function connText(o: Observation): string {
  return o.conn ?? `cli=${o.cli}/${o.cliPort}|srv=${o.srv}/${o.srvPort}`;
}

export function formatLogLine(o: Observation): string {
  let s = `[${logTime(o.tsSec)}] mod=${o.mod}|${connText(o)}|subj=${o.subj}`;
  const fields = o.fields;
  const n = o.textFields ?? fields.length;
  for (let i = 0; i < n && i < fields.length; i++) s += `|${fields[i]![0]}=${fields[i]![1] ?? '???'}`;
  return s + '\n';
}

/*
 * The -o log in bulk: a busy capture writes hundreds of thousands of lines
 * built from a few hundred distinct values (labels, raw signatures, params),
 * so each `|key=value` is encoded once and its bytes are copied after that,
 * as is each second's `[time] mod=NAME|`. Only the connection text, new for
 * every flow, is encoded each time. The caches are bounded: a full one
 * starts over.
 */
const BYTE_CACHE_MAX = 4096;
let fieldCount = 0;
const fieldBytes = new Map<string, Map<string | null, Uint8Array>>();
const heads = new Map<string, Uint8Array>();
let headSec = NaN;
const SUBJ = { cli: Buffer.from('|subj=cli'), srv: Buffer.from('|subj=srv') } as const;
const NL = Buffer.from('\n');

/**
 * Keys whose values are new for almost every line (an uptime, a clock
 * rate, a JA3 of a hello whose extension order is shuffled, a server
 * name): caching them would only crowd out the values that repeat.
 */
const UNCACHED_KEYS = new Set(['uptime', 'raw_freq', 'ja3', 'sni']);
const keyPrefixes = new Map<string, Uint8Array>();

function keyPrefix(k: string): Uint8Array {
  let b = keyPrefixes.get(k);
  if (b === undefined) {
    b = Buffer.from(`|${k}=`);
    keyPrefixes.set(k, b);
  }
  return b;
}

function fieldOf(k: string, v: string | null): Uint8Array {
  let byValue = fieldBytes.get(k);
  if (byValue === undefined) {
    byValue = new Map();
    fieldBytes.set(k, byValue);
  }
  let b = byValue.get(v);
  if (b === undefined) {
    if (++fieldCount > BYTE_CACHE_MAX) {
      fieldBytes.clear();
      fieldCount = 1;
      byValue = new Map();
      fieldBytes.set(k, byValue);
    }
    b = Buffer.from(`|${k}=${v ?? '???'}`);
    byValue.set(v, b);
  }
  return b;
}

function headOf(sec: number, mod: string): Uint8Array {
  if (sec !== headSec) {
    heads.clear();
    headSec = sec;
  }
  let b = heads.get(mod);
  if (b === undefined) {
    b = Buffer.from(`[${logTime(sec)}] mod=${mod}|`);
    heads.set(mod, b);
  }
  return b;
}

/**
 * Encoded `|subj=...|key=value...\n` of the field lists the producer
 * shares, by subject and list: one copy for the rest of the line.
 */
const tails = { cli: new Map<readonly ObservationField[], Uint8Array>(), srv: new Map<readonly ObservationField[], Uint8Array>() } as const;

function tailOf(subj: 'cli' | 'srv', fields: readonly ObservationField[]): Uint8Array {
  const m = tails[subj];
  let b = m.get(fields);
  if (b === undefined) {
    if (m.size >= BYTE_CACHE_MAX) m.clear();
    b = Buffer.from(`|subj=${subj}` + fields.map(([k, v]) => `|${k}=${v ?? '???'}`).join('') + '\n');
    m.set(fields, b);
  }
  return b;
}

/**
 * Writes formatLogLine(o) to w, byte for byte, without building the line.
 * Strings go through the native encoder: a JS loop over charCodeAt pays
 * V8's string-shape checks on every char of a concatenated string (about
 * 45 instructions a char under callgrind), the encoder flattens it once.
 */
export function writeLogLine(w: FdWriter, o: Observation): void {
  w.bytes(headOf(o.tsSec, o.mod));
  w.write(connText(o));
  const fields = o.fields;
  if (o.sharedFields === true) {
    w.bytes(tailOf(o.subj, fields));
    return;
  }
  w.bytes(SUBJ[o.subj]);
  const n = o.textFields ?? fields.length;
  for (let i = 0; i < n && i < fields.length; i++) {
    const f = fields[i]!;
    if (UNCACHED_KEYS.has(f[0])) {
      w.bytes(keyPrefix(f[0]));
      w.write(f[1] ?? '???');
    } else w.bytes(fieldOf(f[0], f[1]));
  }
  w.bytes(NL);
}
