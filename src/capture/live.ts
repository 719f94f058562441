/**
 * Live capture through libpcap, via pof's own N-API addon (native/, built
 * by `npm run build:native`). Packets arrive from a capture thread in
 * batches, written into a few buffers that the addon reuses (each is lent
 * to JS once) and walked here with a single reused PacketRecord, so the
 * packet path allocates nothing per packet or per batch. Packets are walked
 * LIVE_TURN_MS at a time: what is left waits for the next turn of the event
 * loop, so that sockets and timers (the daemon's queries) are served while
 * a flood pours in.
 */

import { SNAPLEN } from '../config.js';
import { PofError } from '../errors.js';
import { loadNativeAddon } from './native.js';
import type { PacketHandler, PacketRecord } from './types.js';

/** p0f's filter when none is given: TCP, plain or VLAN-tagged. */
export const DEFAULT_LIVE_FILTER = 'tcp or (vlan and tcp)';

/**
 * UDP datagrams that may be QUIC Initials: a long header with the fixed bit
 * (first payload byte 11xxxxxx). libpcap indexes UDP payloads over IPv4
 * only, so over IPv6 the byte is read at its place behind a 40-byte header
 * (an Initial behind IPv6 extension headers is not let through).
 */
export const QUIC_FILTER = '(udp and (udp[8] & 0xc0 = 0xc0 or (ip6 and ip6[48] & 0xc0 = 0xc0)))';

/**
 * The filter expressions to try, in order, for a live capture: p0f's
 * construction (TCP, plain and in VLAN tags, the user's expression applied
 * to both) and, with `quic`, the same over TCP or QUIC-looking UDP; a link
 * type that refuses one (no VLANs, no IPv6) takes the next.
 */
export function liveFilterForms(expr: string, quic: boolean): string[] {
  const p0f = expr ? [`(tcp and (${expr})) or (vlan and tcp and (${expr}))`, `tcp and (${expr})`] : ['tcp or (vlan and tcp)', 'tcp'];
  if (!quic) return p0f;
  const t = `(tcp or ${QUIC_FILTER})`;
  // 'vlan' moves the offsets of what follows it: it comes last.
  const withQuic = expr ? [`(${t} and (${expr})) or (vlan and ${t} and (${expr}))`, `${t} and (${expr})`] : [`tcp or ${QUIC_FILTER} or (vlan and ${t})`, `tcp or ${QUIC_FILTER}`];
  return [...withQuic, ...p0f];
}
/** Packet buffer timeout (ms): how long libpcap may hold packets to fill a block (p0f uses a few ms). */
export const DEFAULT_LIVE_TIMEOUT_MS = 5;
/**
 * The same for a sensor that requests wait for (a daemon answering queries,
 * `pof proxy -i`): the least libpcap allows. Packets reach pof within about
 * a millisecond instead of five, for at most a thousand wake-ups a second
 * when traffic is light (under load, full blocks wake it sooner anyway).
 */
export const WAITED_LIVE_TIMEOUT_MS = 1;
/** Largest packet buffer timeout the options accept (ms). */
export const MAX_LIVE_TIMEOUT_MS = 10_000;
/** Kernel capture buffer (bytes); libpcap's own default is 2 MiB. */
export const DEFAULT_LIVE_BUFFER = 8 * 1024 * 1024;
/** Largest snaplen libpcap accepts. */
export const MAX_LIVE_SNAPLEN = 262144;

export interface LiveOptions {
  /** Interface name, as `pof -L` or listInterfaces() gives it ('any' on Linux takes all). */
  iface: string;
  /** Bytes kept per packet; default SNAPLEN (65535, as p0f). */
  snaplen?: number;
  /** Promiscuous mode; off unless asked (as p0f). */
  promisc?: boolean;
  /** Kernel buffer size in bytes; default DEFAULT_LIVE_BUFFER. */
  bufferSize?: number;
  /** Packet buffer timeout in ms (1..MAX_LIVE_TIMEOUT_MS); default DEFAULT_LIVE_TIMEOUT_MS. */
  timeoutMs?: number;
  /** BPF filter expression; default DEFAULT_LIVE_FILTER. '' captures everything. */
  filter?: string;
  /**
   * Leave out a second sight of a packet: the same bytes again within a few
   * milliseconds, as a bridge and its veth (a bond and its slave...) show
   * each frame. Default: on for 'any', where that happens; off for one
   * interface. (On lo, libpcap itself leaves out the sent copy of each
   * packet, through 'any' too.)
   */
  dedup?: boolean;
}

export interface LiveStats {
  /** Packets the kernel passed the filter (pcap_stats ps_recv). */
  received: number;
  /** Dropped for lack of buffer space (ps_drop): JS or the thread fell behind. */
  droppedKernel: number;
  /** Dropped by the interface or its driver (ps_ifdrop). */
  droppedInterface: number;
  /** Packets handed to the onPackets handlers so far. */
  delivered: number;
  /** Second sights of a packet left out (see LiveOptions.dedup); counted in received too. */
  duplicates: number;
}

export interface LiveCapture {
  readonly iface: string;
  /** LINKTYPE_* of the interface; set on every PacketRecord. */
  readonly linkType: number;
  /** libpcap's name for the link type (e.g. 'EN10MB'), or null. */
  readonly linkName: string | null;
  /** Warning libpcap gave on activation (e.g. promiscuous mode unsupported), or null. */
  readonly warning: string | null;
  /**
   * The kernel leaves out the sent copy of each packet (the loopback, where
   * every packet is also received: Linux 4.20+), rather than libpcap
   * dropping it after the copy.
   */
  readonly skipsSentCopies: boolean;
  /** Copies of a packet are left out (LiveOptions.dedup). */
  readonly dedup: boolean;
  readonly closed: boolean;
  /** Adds a handler, called once per packet with the reused PacketRecord. */
  onPackets(handler: PacketHandler): void;
  /** Capture failures after opening (interface gone...). Without a handler they are thrown. */
  onError(handler: (err: PofError) => void): void;
  /** Replaces the BPF filter. */
  setFilter(expr: string): void;
  stats(): LiveStats;
  /** Releases the handle and its descriptors now; packets not yet delivered are dropped. Idempotent. */
  close(): void;
  /** An open capture keeps the process alive (like a listening socket) unless unref()'d. */
  ref(): void;
  unref(): void;
}

export type ConnectionStatus = 'unknown' | 'connected' | 'disconnected' | 'not-applicable';

export interface InterfaceAddress {
  family: 'IPv4' | 'IPv6';
  address: string;
  netmask: string | null;
  broadcast: string | null;
  destination: string | null;
}

export interface InterfaceInfo {
  name: string;
  description: string | null;
  addresses: InterfaceAddress[];
  /** Raw PCAP_IF_* flags; decoded below. */
  flags: number;
  loopback: boolean;
  up: boolean;
  running: boolean;
  wireless: boolean;
  connection: ConnectionStatus;
}

// ---- the addon ----

interface NativeStats {
  received: number;
  droppedKernel: number;
  droppedInterface: number;
  duplicates: number;
}

interface NativeLive {
  setFilter(expr: string): void;
  stats(): NativeStats;
  datalink(): { linkType: number; dlt: number; name: string | null };
  warning(): string | null;
  skipsSentCopies(): boolean;
  /** Bytes of packet headers at the start of each slot; packet bytes follow. */
  slotHeaderBytes(): number;
  /** Delivers queued batches now (the next turn after one that ran out of time). */
  pump(): void;
  close(): void;
  ref(): void;
  unref(): void;
}

/**
 * A batch in slot `slot` (the addon's reusable buffers; `ab` is given the
 * first time a slot is used, and its memory is reused once the batch is
 * taken), to be walked from packet `start`; `fresh` for the first batch of
 * a turn. Returns how far it got: `count` when the whole batch was taken,
 * less when the turn's time ran out (the addon keeps the rest for pump()).
 * With `slot` undefined: the capture's end, with `error`.
 */
type NativeBatch = (
  slot: number | undefined,
  count: number,
  ab: ArrayBuffer | undefined,
  start: number,
  fresh: boolean,
  error?: string,
) => number | undefined;

interface NativeOfflineFilter {
  matches(data: Buffer, offset: number, caplen: number, wirelen: number): boolean;
}

export interface PofPcapAddon {
  libVersion(): string;
  LiveCapture: new (
    iface: string,
    snaplen: number,
    promisc: boolean,
    bufferSize: number,
    timeoutMs: number,
    filter: string | null,
    onBatch: NativeBatch,
    dedup: boolean,
  ) => NativeLive;
  OfflineFilter: new (linkType: number, snaplen: number, expr: string) => NativeOfflineFilter;
  listInterfaces(): Array<Omit<InterfaceInfo, 'loopback' | 'up' | 'running' | 'wireless' | 'connection'>>;
}

let addon: PofPcapAddon | undefined;

/** True when the addon is built and loads. */
export function addonAvailable(): boolean {
  try {
    loadAddon();
    return true;
  } catch {
    return false;
  }
}

/** The addon, loaded on first use; a PofError with one line saying how to build it otherwise. */
export function loadAddon(): PofPcapAddon {
  if (addon !== undefined) return addon;
  const r = loadNativeAddon<PofPcapAddon>('pof_pcap');
  if ('error' in r) {
    const how = r.cause === undefined ? 'install libpcap-dev, python3, make and g++, then run `npm run build:native`' : 'rebuild it with `npm run build:native`';
    throw new PofError('E_LIVE', `live capture: ${r.error} (${how})`, { cause: r.cause });
  }
  addon = r.addon;
  return addon;
}

/** libpcap's version string, e.g. 'libpcap version 1.10.3 (with TPACKET_V3)'. */
export function pcapVersion(): string {
  return loadAddon().libVersion();
}

/** Turns an Error thrown by the addon (it carries `pcapCode`) into a PofError. */
export function nativeError(e: unknown, iface: string | undefined, code: 'E_LIVE' | 'E_USAGE' = 'E_LIVE'): PofError {
  if (!(e instanceof Error)) return new PofError(code, String(e));
  const pcapCode = (e as Error & { pcapCode?: string }).pcapCode;
  const where = iface === undefined ? '' : `'${iface}'`;
  let msg: string;
  switch (pcapCode) {
    case 'NO_SUCH_DEVICE':
      msg = `no such capture device ${where} (\`pof -L\` lists the interfaces)`;
      break;
    case 'PERM_DENIED':
      msg = `permission denied capturing on ${where}: live capture needs root or CAP_NET_RAW (${e.message})`;
      break;
    case 'PROMISC_PERM_DENIED':
      msg = `permission denied for promiscuous mode on ${where}: needs root or CAP_NET_ADMIN (${e.message})`;
      break;
    case 'IFACE_NOT_UP':
      msg = `interface ${where} is not up`;
      break;
    case 'BAD_FILTER':
      msg = e.message;
      break;
    case 'CLOSED':
      msg = `capture on ${where} is closed`;
      break;
    default:
      msg = iface === undefined ? e.message : `cannot capture on ${where}: ${e.message}`;
  }
  return new PofError(code, msg, { cause: e });
}

// ---- options ----

function checkInt(name: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new PofError('E_LIVE', `live capture option ${name} must be an integer from ${min} to ${max}, not ${String(v)}`);
  }
  return v;
}

interface ResolvedOptions {
  iface: string;
  snaplen: number;
  promisc: boolean;
  bufferSize: number;
  timeoutMs: number;
  filter: string;
  dedup: boolean;
}

function resolveOptions(opts: LiveOptions): ResolvedOptions {
  if (opts === null || typeof opts !== 'object') throw new PofError('E_LIVE', 'openLive needs an options object');
  const { iface } = opts;
  if (typeof iface !== 'string' || iface === '' || iface.includes('\0')) {
    throw new PofError('E_LIVE', 'live capture needs an interface name (option iface)');
  }
  if (opts.filter !== undefined && typeof opts.filter !== 'string') {
    throw new PofError('E_LIVE', 'live capture option filter must be a string');
  }
  if (opts.promisc !== undefined && typeof opts.promisc !== 'boolean') {
    throw new PofError('E_LIVE', 'live capture option promisc must be true or false');
  }
  if (opts.dedup !== undefined && typeof opts.dedup !== 'boolean') {
    throw new PofError('E_LIVE', 'live capture option dedup must be true or false');
  }
  return {
    iface,
    snaplen: checkInt('snaplen', opts.snaplen ?? SNAPLEN, 1, MAX_LIVE_SNAPLEN),
    promisc: opts.promisc ?? false,
    bufferSize: checkInt('bufferSize', opts.bufferSize ?? DEFAULT_LIVE_BUFFER, 65536, 2 ** 31 - 1),
    timeoutMs: checkInt('timeoutMs', opts.timeoutMs ?? DEFAULT_LIVE_TIMEOUT_MS, 1, MAX_LIVE_TIMEOUT_MS),
    filter: opts.filter ?? DEFAULT_LIVE_FILTER,
    dedup: opts.dedup ?? iface === 'any',
  };
}

// ---- capture ----

const FIELDS = 5; // float64s per packet: tsSec, tsUsec, caplen, wirelen, offset

/**
 * Most time (ms) packets may take in one turn of the event loop. A flood
 * fills batches faster than they are walked; past this, the rest waits for
 * the next turn (setImmediate), after the loop has served sockets and
 * timers, so that a query is not held behind seconds of packets.
 */
export const LIVE_TURN_MS = 4;
/** Packets walked between two looks at the clock. */
const CLOCK_EVERY = 64;

/** One reusable batch buffer of the addon, as JS reads it. */
interface SlotView {
  hdr: Float64Array;
  data: Buffer;
}

/** Opens `opts.iface` for live capture; throws PofError('E_LIVE') with a clear reason. */
export function openLive(opts: LiveOptions): LiveCapture {
  const o = resolveOptions(opts);
  const native = loadAddon();

  const handlers: PacketHandler[] = [];
  const errorHandlers: Array<(err: PofError) => void> = [];
  const rec: PacketRecord = { linkType: 0, tsSec: 0, tsUsec: 0, data: Buffer.alloc(0), offset: 0, caplen: 0, wirelen: 0 };
  let delivered = 0;
  let closed = false;

  const slots: SlotView[] = [];
  let headerBytes = 0; // set once the handle exists, before any batch can arrive
  let deadline = 0;
  let resumeQueued = false;
  const resume = (): void => {
    resumeQueued = false;
    if (!closed) h.pump();
  };
  /** Ends the turn at packet `at` of the current batch; the rest comes on the next one. */
  const resumeLater = (at: number): number => {
    if (!resumeQueued) {
      resumeQueued = true;
      setImmediate(resume);
    }
    return at;
  };
  const onBatch: NativeBatch = (slot, count, ab, start, fresh, error) => {
    if (slot === undefined) {
      const err = new PofError('E_LIVE', `capture on '${o.iface}' stopped: ${error ?? 'unknown error'}`);
      if (errorHandlers.length === 0) {
        process.nextTick(() => {
          throw err;
        });
      }
      for (const eh of errorHandlers) eh(err);
      return undefined;
    }
    // A slot's buffer comes once: keep its views whatever is done with the batch now.
    if (ab !== undefined) slots[slot] = { hdr: new Float64Array(ab, 0, headerBytes / 8), data: Buffer.from(ab, headerBytes) };
    // The thread woke JS while a resume was queued: that turn does the work.
    if (resumeQueued) return start;
    if (fresh) deadline = performance.now() + LIVE_TURN_MS;
    else if (performance.now() >= deadline) return resumeLater(start);
    const { hdr, data } = slots[slot]!;
    rec.data = data;
    let failure: { error: unknown } | undefined;
    let i = start;
    while (i < count) {
      const stop = Math.min(count, i + CLOCK_EVERY);
      for (let j = i * FIELDS; i < stop; j += FIELDS) {
        rec.tsSec = hdr[j];
        rec.tsUsec = hdr[j + 1];
        rec.caplen = hdr[j + 2];
        rec.wirelen = hdr[j + 3];
        rec.offset = hdr[j + 4];
        for (let k = 0; k < handlers.length; k++) {
          try {
            handlers[k](rec);
          } catch (e) {
            failure ??= { error: e };
          }
        }
        i++;
        if (closed) break;
      }
      if (closed || performance.now() >= deadline) break;
    }
    delivered += i - start;
    // A throwing handler costs no other packet its delivery; the first error
    // is rethrown outside the batch, as an ordinary uncaught exception.
    if (failure !== undefined) {
      const { error: thrown } = failure;
      process.nextTick(() => {
        throw thrown;
      });
    }
    if (closed) return count;
    return i < count ? resumeLater(i) : i;
  };

  let h: NativeLive;
  try {
    h = new native.LiveCapture(o.iface, o.snaplen, o.promisc, o.bufferSize, o.timeoutMs, o.filter, onBatch, o.dedup);
  } catch (e) {
    throw nativeError(e, o.iface);
  }
  headerBytes = h.slotHeaderBytes();
  const link = h.datalink();
  rec.linkType = link.linkType;

  return {
    iface: o.iface,
    linkType: link.linkType,
    linkName: link.name,
    warning: h.warning(),
    skipsSentCopies: h.skipsSentCopies(),
    dedup: o.dedup,
    get closed() {
      return closed;
    },
    onPackets(handler) {
      if (typeof handler !== 'function') throw new PofError('E_LIVE', 'onPackets needs a function');
      handlers.push(handler);
    },
    onError(handler) {
      errorHandlers.push(handler);
    },
    setFilter(expr) {
      if (typeof expr !== 'string') throw new PofError('E_LIVE', 'setFilter needs a filter expression string');
      try {
        h.setFilter(expr);
      } catch (e) {
        throw nativeError(e, o.iface);
      }
    },
    stats() {
      return { ...h.stats(), delivered };
    },
    close() {
      closed = true;
      h.close();
    },
    ref() {
      h.ref();
    },
    unref() {
      h.unref();
    },
  };
}

/** Capture devices as libpcap sees them. */
export function listInterfaces(): InterfaceInfo[] {
  let raw: ReturnType<PofPcapAddon['listInterfaces']>;
  try {
    raw = loadAddon().listInterfaces();
  } catch (e) {
    if (e instanceof PofError) throw e;
    throw nativeError(e, undefined);
  }
  return raw.map((d) => ({
    ...d,
    loopback: (d.flags & IF_LOOPBACK) !== 0,
    up: (d.flags & IF_UP) !== 0,
    running: (d.flags & IF_RUNNING) !== 0,
    wireless: (d.flags & IF_WIRELESS) !== 0,
    connection: CONNECTION[(d.flags & IF_CONNECTION_STATUS) >> 4],
  }));
}

// PCAP_IF_* (pcap/pcap.h).
const IF_LOOPBACK = 0x1;
const IF_UP = 0x2;
const IF_RUNNING = 0x4;
const IF_WIRELESS = 0x8;
const IF_CONNECTION_STATUS = 0x30;
const CONNECTION: readonly ConnectionStatus[] = ['unknown', 'connected', 'disconnected', 'not-applicable'];
