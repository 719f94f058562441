/**
 * The publishing thread of StorePublisher (publisher.ts): takes records off
 * the shared ring, makes the daemon's JSON of each (connToJson /
 * hostToJson) and sends them to Redis as SET key value EX ttl, pipelined
 * (node-redis writes the commands of one turn together).
 *
 * At most maxInFlight commands wait for Redis; beyond, the ring is left to
 * fill (the sensor then drops, and counts). While Redis is down, records
 * are taken off and dropped (counted): verdicts of connections from before
 * an outage are of no use after it. Reports to the sensor's thread:
 * connection state changes at once, counters and publish latencies every
 * REPORT_MS, and flush acknowledgements.
 */
import { parentPort, workerData } from 'node:worker_threads';

import { connToJson, hostToJson } from '../json.js';
import { readRecord } from './codec.js';
import { connStoreKey, hostStoreKey, type StoreUrl } from './keys.js';
import { RedisConn, type RedisConnOptions } from './redis.js';
import { RingReader, CTL_SEQ, type RingBuffers } from './ring.js';

export interface PublishWorkerData {
  ring: RingBuffers;
  url: StoreUrl;
  conn: Omit<RedisConnOptions, 'onState'>;
  keyPrefix: string;
  connTtlS: number;
  hostTtlS: number;
  maxInFlight: number;
  batch: number;
}

export type ToWorker = { type: 'flush'; id: number } | { type: 'close' };

export type FromWorker =
  | { type: 'state'; down: string | null }
  | { type: 'stats'; published: number; errors: number; droppedDown: number; inFlight: number; latencies: number[]; lastError: string | null }
  | { type: 'flushed'; id: number };

/** How often counters and latencies are reported (ms). */
const REPORT_MS = 250;
/** Latency samples kept between two reports. */
const MAX_SAMPLES = 2048;

const port = parentPort!;
const d = workerData as PublishWorkerData;
if (d.conn.tls?.ca && !(typeof d.conn.tls.ca === 'string' || Array.isArray(d.conn.tls.ca))) d.conn.tls.ca = Buffer.from(d.conn.tls.ca as Uint8Array);
const post = (m: FromWorker): void => port.postMessage(m);
const conn = new RedisConn(d.url, { ...d.conn, onState: (down) => post({ type: 'state', down }) });
conn.open().catch(() => {});
const ring = new RingReader(d.ring);
const connTtl = String(d.connTtlS);
const hostTtl = String(d.hostTtlS);

let published = 0;
let errors = 0;
let droppedDown = 0;
let inFlight = 0;
let lastError: string | null = null;
const latencies: number[] = [];
let closing = false;
/** Flushes waiting for the ring to be empty and every command sent to be answered. */
let flushes: number[] = [];

const stats = (): FromWorker => ({ type: 'stats', published, errors, droppedDown, inFlight, latencies: latencies.splice(0), lastError });

/** Acknowledges the flushes waiting, once all that was in the ring has been answered. */
function checkFlushes(): void {
  if (!flushes.length || inFlight > 0 || !ring.empty()) return;
  post(stats());
  for (const id of flushes) post({ type: 'flushed', id });
  flushes = [];
}

const settle = (): void => {
  inFlight--;
  if (flushes.length && inFlight === 0) checkFlushes();
};

/** Sends the records of one drain: one batch, one latency sample. */
function pump(): number {
  if (conn.down) {
    // Nothing can be sent: what waits in the ring is stale when Redis is back.
    return ring.drain(() => void droppedDown++);
  }
  const room = d.maxInFlight - inFlight;
  if (room <= 0) return 0;
  // One latency sample per batch: its last command's round trip.
  const batch = { t0: performance.now(), last: -1 };
  let seq = 0;
  const n = ring.drain(
    (buf, off) => {
      let key: string;
      let value: string;
      let ttl: string;
      try {
        const r = readRecord(buf, off);
        if (r.kind === 'conn') {
          const v = r.conn;
          key = connStoreKey(d.keyPrefix, v.cli, v.cliPort, v.srv, v.srvPort);
          value = JSON.stringify(connToJson(v));
          ttl = connTtl;
        } else if (r.kind === 'host') {
          key = hostStoreKey(d.keyPrefix, r.host.addr);
          value = JSON.stringify(hostToJson(r.host));
          ttl = hostTtl;
        } else {
          errors++;
          return;
        }
      } catch (e) {
        errors++;
        lastError = `bad record: ${(e as Error).message}`;
        return;
      }
      inFlight++;
      const mine = seq++;
      const done = (): void => {
        if (mine === batch.last && latencies.length < MAX_SAMPLES) latencies.push((performance.now() - batch.t0) / 1000);
        settle();
      };
      conn.client!.sendCommand(['SET', key, value, 'EX', ttl]).then(
        () => {
          published++;
          done();
        },
        (e: unknown) => {
          errors++;
          lastError = (e as Error)?.message?.split('\n')[0]?.slice(0, 200) ?? String(e);
          done();
        },
      );
    },
    Math.min(room, d.batch),
  );
  batch.last = seq - 1;
  return n;
}

/** Atomics.waitAsync (Node 16+; not in TypeScript's ES2022 library). */
const waitAsync = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number, ms: number): { async: boolean; value: unknown } }).waitAsync;

async function loop(): Promise<void> {
  while (!closing) {
    const seq = ring.seq();
    const n = pump();
    if (flushes.length) checkFlushes();
    if (n > 0) {
      // Let the replies of what was sent come in before the next batch.
      await new Promise((r) => setImmediate(r));
      continue;
    }
    if (inFlight >= d.maxInFlight) {
      await new Promise((r) => setTimeout(r, 1));
      continue;
    }
    const w = waitAsync(ring.ctl, CTL_SEQ, seq, 100);
    if (w.async) await w.value;
  }
}

const report = setInterval(() => post(stats()), REPORT_MS);

port.on('message', (m: ToWorker) => {
  if (m.type === 'flush') {
    flushes.push(m.id);
    pump();
    checkFlushes();
  } else if (m.type === 'close') {
    closing = true;
    clearInterval(report);
    post(stats());
    void conn.close().then(() => port.close());
  }
});

void loop();
