/**
 * A real HTTPS server on loopback that keeps each connection's raw
 * ClientHello: the socket's first bytes are read until the hello is whole
 * (pof's record framer), parsed and fingerprinted with pof's code, put
 * back, and the socket is handed to node's https server, which completes
 * the handshake and answers the request. Each request is reported with its
 * User-Agent and its connection's JA4.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseClientHello } from '../../src/fingerprint/tls/hello.js';
import { ja4 } from '../../src/fingerprint/tls/ja4.js';
import { frameHandshake } from '../../src/fingerprint/tls/records.js';

export interface Seen {
  ja4: string;
  ua: string | null;
}

export interface Tap {
  port: number;
  /** JA4 of every hello, in arrival order. */
  hellos: string[];
  requests: Seen[];
  close(): Promise<void>;
}

/** A throwaway self-signed certificate for localhost (openssl req). */
export function selfSigned(): { key: Buffer; cert: Buffer } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pof-tap-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=localhost', '-days', '1', '-keyout', path.join(dir, 'k.pem'), '-out', path.join(dir, 'c.pem')], { stdio: 'ignore' });
    return { key: fs.readFileSync(path.join(dir, 'k.pem')), cert: fs.readFileSync(path.join(dir, 'c.pem')) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function startTap(): Promise<Tap> {
  const { key, cert } = selfSigned();
  const byPort = new Map<number, string>();
  const hellos: string[] = [];
  const requests: Seen[] = [];
  const web = https.createServer({ key, cert }, (req, res) => {
    requests.push({ ja4: byPort.get(req.socket.remotePort ?? -1) ?? '', ua: req.headers['user-agent'] ?? null });
    res.end('ok\n');
  });
  web.on('tlsClientError', () => {});
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
  const webPort = (web.address() as net.AddressInfo).port;
  const raw = net.createServer((sock) => {
    let buf = Buffer.alloc(0);
    sock.on('error', () => {});
    const onData = (d: Buffer): void => {
      buf = Buffer.concat([buf, d]);
      const f = frameHandshake(buf, 0, buf.length, { expect: 1 });
      if (f.kind === 'need-more' && buf.length < 65536) return;
      sock.off('data', onData);
      sock.pause();
      let j = '';
      if (f.kind === 'complete') {
        const p = parseClientHello(f.body);
        if (p.ok) {
          j = ja4(p.hello, 'tcp').ja4;
          hellos.push(j);
        }
      }
      // Relay to the HTTPS server, which completes the handshake.
      const up = net.connect(webPort, '127.0.0.1', () => {
        byPort.set(up.localPort ?? -1, j);
        up.write(buf);
        sock.pipe(up);
        up.pipe(sock);
        sock.resume();
      });
      up.on('error', () => sock.destroy());
      sock.on('close', () => up.destroy());
    };
    sock.on('data', onData);
  });
  await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
  return {
    port: (raw.address() as net.AddressInfo).port,
    hellos,
    requests,
    close: () =>
      new Promise<void>((r) => {
        web.close();
        raw.close(() => r());
        web.closeAllConnections?.();
      }),
  };
}
