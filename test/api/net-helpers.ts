/** Raw socket helpers for server tests. */
import net from 'node:net';

/** Sends `data` and collects `want` bytes (or everything until the server closes). */
export function talk(path: string, data: Buffer | string, want = Infinity, timeoutMs = 5000): Promise<{ buf: Buffer; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const s = net.connect(path);
    const parts: Buffer[] = [];
    let n = 0;
    let done = false;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(t);
      s.destroy();
      resolve({ buf: Buffer.concat(parts), closed });
    };
    const t = setTimeout(() => {
      done = true;
      s.destroy();
      reject(new Error(`timeout: got ${n} of ${want} bytes`));
    }, timeoutMs);
    s.on('connect', () => s.write(data));
    s.on('data', (d) => {
      parts.push(d);
      n += d.length;
      if (n >= want) finish(false);
    });
    s.on('close', () => finish(true));
    s.on('error', (e) => {
      if (!done) {
        done = true;
        clearTimeout(t);
        reject(e);
      }
    });
  });
}

export function connect(path: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(path);
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/** Reads exactly n bytes from a socket (rejects if it closes first). */
export function readN(s: net.Socket, n: number, timeoutMs = 5000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let got = 0;
    const t = setTimeout(() => {
      cleanup();
      reject(new Error(`readN timeout: ${got}/${n}`));
    }, timeoutMs);
    const onData = (d: Buffer): void => {
      parts.push(d);
      got += d.length;
      if (got >= n) {
        cleanup();
        const all = Buffer.concat(parts);
        if (all.length > n) s.unshift(all.subarray(n));
        resolve(all.subarray(0, n));
      }
    };
    const onClose = (): void => {
      cleanup();
      reject(new Error(`closed after ${got}/${n} bytes`));
    };
    const cleanup = (): void => {
      clearTimeout(t);
      s.off('data', onData);
      s.off('close', onClose);
      s.pause();
    };
    s.on('data', onData);
    s.on('close', onClose);
    s.resume();
  });
}

export function closedWithin(s: net.Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (s.destroyed || s.readableEnded) return resolve(true);
    const t = setTimeout(() => resolve(false), ms);
    s.on('close', () => {
      clearTimeout(t);
      resolve(true);
    });
    s.resume();
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
