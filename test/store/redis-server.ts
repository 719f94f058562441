/**
 * A real redis-server (Debian's) for the store tests: on a free port in a
 * temporary directory, no persistence, optionally with a password and TLS
 * (a self-signed certificate made by openssl). kill() and start() again
 * keep the port, for outage tests.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const haveRedis = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
const haveOpenssl = spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;
/** In CI a missing tool fails the run instead of skipping. */
export const skipRedis: string | false = haveRedis || process.env.CI === 'true' ? false : 'redis-server not installed';
export const skipRedisTls: string | false = (haveRedis && haveOpenssl) || process.env.CI === 'true' ? false : 'redis-server or openssl not installed';

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

export interface RedisOptions {
  password?: string;
  tls?: boolean;
  /** Extra redis-server arguments, e.g. ['--maxmemory', '1mb']. */
  args?: string[];
}

export class RedisServer {
  readonly dir = mkdtempSync(join(tmpdir(), 'pof-redis-'));
  port = 0;
  private child: ChildProcess | null = null;
  private log = '';
  /** For TLS: the CA (the self-signed certificate itself). */
  ca: Buffer | null = null;

  constructor(private readonly opts: RedisOptions = {}) {}

  get url(): string {
    const auth = this.opts.password ? `:${encodeURIComponent(this.opts.password)}@` : '';
    return `${this.opts.tls ? 'rediss' : 'redis'}://${auth}127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    if (!this.port) this.port = await freePort();
    const args = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir, '--loglevel', 'notice'];
    if (this.opts.tls) {
      const key = join(this.dir, 'key.pem');
      const cert = join(this.dir, 'cert.pem');
      if (!this.ca) {
        execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
        this.ca = readFileSync(cert);
      }
      args.push('--port', '0', '--tls-port', String(this.port), '--tls-cert-file', cert, '--tls-key-file', key, '--tls-ca-cert-file', cert, '--tls-auth-clients', 'no');
    } else args.push('--port', String(this.port));
    if (this.opts.password) args.push('--requirepass', this.opts.password);
    args.push(...(this.opts.args ?? []));
    this.log = '';
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout!.on('data', (d) => (this.log += d));
    child.stderr!.on('data', (d) => (this.log += d));
    const end = Date.now() + 10_000;
    while (!/Ready to accept connections/.test(this.log)) {
      if (child.exitCode !== null) throw new Error(`redis-server exited: ${this.log}`);
      if (Date.now() > end) throw new Error(`redis-server did not start: ${this.log}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return this;
  }

  /** SIGKILL: an outage, no goodbye to clients. */
  async kill(): Promise<void> {
    const c = this.child;
    this.child = null;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((r) => {
      c.once('exit', () => r());
      c.kill('SIGKILL');
    });
  }

  /** SIGSTOP / SIGCONT: a hung server (the connection stays up, nothing answers). */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  /** redis-cli against this server. */
  cli(...args: string[]): string {
    const base = ['-h', '127.0.0.1', '-p', String(this.port)];
    if (this.opts.tls) base.push('--tls', '--cacert', join(this.dir, 'cert.pem'));
    if (this.opts.password) base.push('--no-auth-warning', '-a', this.opts.password);
    return execFileSync('redis-cli', [...base, ...args], { encoding: 'utf8' }).trim();
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
