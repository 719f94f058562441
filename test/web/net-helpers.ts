/** Backends and child processes for the proxy and logpipe tests. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

async function waitPort(port: number, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const ok = await new Promise<boolean>((r) => {
      const c = net.connect(port, '127.0.0.1');
      c.once('connect', () => {
        c.destroy();
        r(true);
      });
      c.once('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`nothing listens on port ${port}`);
}

export const havePhp = spawnSync('php', ['--version']).status === 0;

/** The PHP page of the tests: what the backend sees, as JSON. */
export const PHP_PAGE = `<?php
header('Content-Type: application/json');
$body = file_get_contents('php://input');
echo json_encode([
  'genre' => $_SERVER['HTTP_X_POF_GENRE'] ?? null,
  'details' => $_SERVER['HTTP_X_POF_DETAILS'] ?? null,
  'distance' => $_SERVER['HTTP_X_POF_DISTANCE'] ?? null,
  'type' => $_SERVER['HTTP_X_POF_TYPE'] ?? null,
  'err' => $_SERVER['HTTP_X_POF_ERR'] ?? null,
  'os' => $_SERVER['HTTP_X_POF_OS'] ?? null,
  'via' => $_SERVER['HTTP_X_POF_VIA'] ?? null,
  'nat' => $_SERVER['HTTP_X_POF_NAT'] ?? null,
  'xff' => $_SERVER['HTTP_X_FORWARDED_FOR'] ?? null,
  'proto' => $_SERVER['HTTP_X_FORWARDED_PROTO'] ?? null,
  'host' => $_SERVER['HTTP_HOST'] ?? null,
  'method' => $_SERVER['REQUEST_METHOD'],
  'uri' => $_SERVER['REQUEST_URI'],
  'len' => strlen($body),
  'md5' => md5($body),
]);
`;

/** \`php -S\` serving PHP_PAGE as index.php from dir. */
export async function startPhp(dir: string): Promise<{ port: number; url: string; stop(): Promise<void> }> {
  writeFileSync(`${dir}/index.php`, PHP_PAGE);
  const port = await freePort();
  const child = spawn('php', ['-S', `127.0.0.1:${port}`, '-t', dir], { stdio: 'ignore' });
  await waitPort(port);
  return { port, url: `http://127.0.0.1:${port}`, stop: () => stopChild(child) };
}

export function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

/**
 * A Node backend: /echo streams the request body back as it arrives,
 * /big sends n bytes, /cookies sets two cookies; upgrades are accepted
 * (echoing bytes) unless the path is /no-upgrade.
 */
export async function startNodeBackend(): Promise<{ url: string; port: number; seen: http.IncomingHttpHeaders[]; stop(): Promise<void> }> {
  const seen: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.headers);
    if (req.url === '/echo') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.flushHeaders();
      req.pipe(res);
      return;
    }
    if (req.url?.startsWith('/big')) {
      const n = Number(new URL(req.url, 'http://x').searchParams.get('n') ?? '0');
      res.writeHead(200, { 'content-length': n });
      const chunk = Buffer.alloc(65536, 0x61);
      let left = n;
      const pump = (): void => {
        while (left > 0) {
          const c = left >= chunk.length ? chunk : chunk.subarray(0, left);
          left -= c.length;
          if (!res.write(c)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
      return;
    }
    if (req.url === '/cookies') {
      res.setHeader('set-cookie', ['a=1; Path=/', 'b=2; Path=/']);
      res.setHeader('keep-alive', 'timeout=77');
      // A header the backend names as hop-by-hop: not for the client.
      res.setHeader('connection', 'keep-alive, x-hop');
      res.setHeader('x-hop', 'backend only');
      res.end(JSON.stringify(req.headers));
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(req.headers));
  });
  server.on('upgrade', (req, socket) => {
    seen.push(req.headers);
    if (req.url === '/no-upgrade') {
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 4\r\nConnection: close\r\n\r\nnope');
      return;
    }
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `X-Seen-Genre: ${String(req.headers['x-pof-genre'] ?? '')}\r\n\r\n`,
    );
    socket.pipe(socket);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    seen,
    stop: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

/** Starts a CLI fixture (run-proxy.ts / run-logpipe.ts) with tsx. */
export function spawnFixture(name: string, args: string[], opts: { stdin?: 'pipe' | 'ignore' } = {}): ChildProcess {
  const file = fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
  return spawn(process.execPath, ['--import', 'tsx', file, ...args], { cwd: ROOT, stdio: [opts.stdin ?? 'ignore', 'pipe', 'pipe'] });
}

/** Resolves with the proxy's URL from its "listening on" line. */
export function proxyUrl(child: ChildProcess, ms = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const t = setTimeout(() => reject(new Error(`no "listening on" line: ${out} ${err}`)), ms);
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`proxy exited with ${code}: ${err}`));
    });
  });
}
