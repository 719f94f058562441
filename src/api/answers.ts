/**
 * A connection's answers, leaving in the order of its queries. p0f 3
 * answers (fixed size) are encoded side by side into one buffer per batch:
 * one stream write and one allocation rather than one each (the server's
 * cork already makes a whole read's answers one system call). Any other
 * answer flushes the batch first.
 */
import type net from 'node:net';
import { V3_RESP_SIZE } from './v3.js';

/** Most p0f 3 answers encoded into one buffer before it is written. */
export const V3_BATCH_MAX = 256;

export class AnswerWriter {
  private batch: Buffer | null = null;
  private inBatch = 0;

  constructor(private readonly sock: net.Socket) {}

  /** Answer bytes not yet taken by the peer, the batch included. */
  get unread(): number {
    return this.sock.writableLength + this.inBatch * V3_RESP_SIZE;
  }

  /**
   * The buffer the next p0f 3 answer goes into, at v3At (zero bytes). A new
   * batch is sized for `upTo` answers (the queries that have come), at most
   * V3_BATCH_MAX.
   */
  v3Batch(upTo: number): Buffer {
    return (this.batch ??= Buffer.alloc(Math.min(V3_BATCH_MAX, upTo) * V3_RESP_SIZE));
  }

  /** Where in v3Batch() the next p0f 3 answer goes. */
  get v3At(): number {
    return this.inBatch * V3_RESP_SIZE;
  }

  /** A p0f 3 answer was written at v3At; a full batch leaves. */
  v3Written(): void {
    if (++this.inBatch * V3_RESP_SIZE === this.batch!.length) this.flush();
  }

  /** Writes an answer after those before it. */
  write(answer: Buffer | string): void {
    this.flush();
    this.sock.write(answer);
  }

  /** Writes the p0f 3 answers batched so far. */
  flush(): void {
    const b = this.batch;
    if (b && this.inBatch) this.sock.write(this.inBatch * V3_RESP_SIZE === b.length ? b : b.subarray(0, this.inBatch * V3_RESP_SIZE));
    this.batch = null;
    this.inBatch = 0;
  }
}
