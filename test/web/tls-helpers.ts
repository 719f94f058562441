/**
 * For the tests of the decrypting web side: certificates, running real
 * clients (curl, openssl s_client), capturing loopback with dumpcap, and
 * tshark as the independent reference:
 *   - JA3 is tshark's own (tls.handshake.ja3);
 *   - JA4 is computed here from tshark's dissection of the hello (its
 *     cipher, extension, signature algorithm, version and ALPN fields),
 *     written from FoxIO's JA4 specification, sharing no code with pof
 *     (tshark 4.0 has no JA4 field; FoxIO's tool cannot run here);
 *   - the HTTP/2 fingerprint is built from tshark's decryption of the
 *     connection (the server's key log) and its HTTP/2 dissector, HPACK
 *     included.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const haveTshark = spawnSync('tshark', ['-v'], { stdio: 'ignore' }).status === 0 && spawnSync('dumpcap', ['-v'], { stdio: 'ignore' }).status === 0;
export const haveCurl = spawnSync('curl', ['--version'], { stdio: 'ignore' }).status === 0;
export const haveOpenssl = spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;
export const isRoot = process.getuid?.() === 0;
/** In CI a missing tool fails the test instead of skipping it. */
export const ci = process.env.CI === 'true';

/** false, or why a test needing these tools is skipped (never in CI: there a missing tool fails). */
export function needs(tools: Record<string, boolean>): false | string {
  const missing = Object.entries(tools)
    .filter(([, ok]) => !ok)
    .map(([n]) => n);
  if (!missing.length || ci) return false;
  return `needs ${missing.join(', ')}`;
}

export function tmpDir(prefix: string): { dir: string; path(name: string): string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, path: (n) => path.join(dir, n), remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** A throwaway self-signed certificate for localhost and 127.0.0.1 (openssl req), as PEM files and bytes. */
export function certificate(dir: string): { key: Buffer; cert: Buffer; keyFile: string; certFile: string } {
  const keyFile = path.join(dir, 'key.pem');
  const certFile = path.join(dir, 'cert.pem');
  const r = spawnSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-days', '1', '-keyout', keyFile, '-out', certFile],
    { stdio: 'ignore' },
  );
  if (r.status !== 0) throw new Error('openssl req failed');
  return { key: fs.readFileSync(keyFile), cert: fs.readFileSync(certFile), keyFile, certFile };
}

/** Runs a command to its end; its stdout, stderr and status. */
export function run(cmd: string, args: string[], opts: { input?: string | Buffer; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<{ out: string; err: string; code: number | null }> {
  return new Promise((resolve) => {
    const c = spawn(cmd, args, { env: opts.env ?? process.env });
    let out = '';
    let err = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString('latin1')));
    c.stderr.on('data', (d: Buffer) => (err += d.toString('latin1')));
    const t = setTimeout(() => c.kill('SIGKILL'), opts.timeoutMs ?? 20_000);
    c.on('close', (code) => {
      clearTimeout(t);
      resolve({ out, err, code });
    });
    c.stdin.end(opts.input ?? '');
  });
}

/** curl against a loopback URL, certificate unchecked; extra args as given. */
export function curl(url: string, ...args: string[]): Promise<{ out: string; err: string; code: number | null }> {
  return run('curl', ['-sS', '-k', '--max-time', '15', ...args, url]);
}

/** A dumpcap capture of loopback traffic to one port, running until stop(). */
export interface Capture {
  file: string;
  stop(): Promise<void>;
}

export async function startCapture(file: string, port: number): Promise<Capture> {
  const c: ChildProcess = spawn('dumpcap', ['-i', 'lo', '-f', `tcp port ${port}`, '-w', file, '-q'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`dumpcap did not start: ${err}`)), 10_000);
    c.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('Capturing on')) {
        clearTimeout(t);
        resolve();
      }
    });
    c.once('exit', () => reject(new Error(`dumpcap exited: ${err}`)));
  });
  // dumpcap says so as it opens the interface; a moment more for the filter to be on.
  await new Promise((r) => setTimeout(r, 300));
  return {
    file,
    stop: () =>
      new Promise<void>((resolve) => {
        // Let the last packets reach the file first.
        setTimeout(() => {
          c.once('exit', () => resolve());
          c.kill('SIGINT');
        }, 300);
      }),
  };
}

function tshark(args: string[]): string {
  const r = spawnSync('tshark', args, { encoding: 'latin1', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`tshark ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const isGrease = (v: number): boolean => (v & 0x0f0f) === 0x0a0a && v >> 8 === (v & 0xff);
const nums = (s: string | undefined): number[] => (s ? s.split(',').filter(Boolean).map((x) => Number(x)) : []);
const hex4 = (v: number): string => v.toString(16).padStart(4, '0');
const sha12 = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 12);
const alnum = (c: string): boolean => /^[0-9A-Za-z]$/.test(c);

/** One ClientHello as tshark reads it, with the JA4 and JA3 the reference gives. */
export interface RefHello {
  srcPort: number;
  ja3: string;
  ja4: string;
  sni: string | null;
  alpn: string[];
}

/** The ClientHellos of a capture, in order, as tshark dissects them. */
export function tsharkHellos(file: string): RefHello[] {
  const fields = [
    'tcp.srcport',
    'tls.handshake.ja3',
    'tls.handshake.version',
    'tls.handshake.ciphersuite',
    'tls.handshake.extension.type',
    'tls.handshake.sig_hash_alg',
    'tls.handshake.extensions.supported_version',
    'tls.handshake.extensions_alpn_str',
    'tls.handshake.extensions_server_name',
  ];
  const out = tshark(['-r', file, '-Y', 'tls.handshake.type == 1', '-T', 'fields', '-E', 'separator=|', '-E', 'occurrence=a', '-E', 'aggregator=,', ...fields.flatMap((f) => ['-e', f])]);
  const hellos: RefHello[] = [];
  for (const line of out.split('\n')) {
    if (!line.trim()) continue;
    const [port, ja3, ver, ciphersS, extsS, sigsS, versS, alpnS, sniS] = line.split('|');
    const ciphers = nums(ciphersS).filter((c) => !isGrease(c));
    const exts = nums(extsS).filter((e) => !isGrease(e));
    const sigs = nums(sigsS).filter((s) => !isGrease(s));
    const vers = nums(versS).filter((v) => !isGrease(v));
    const alpn = alpnS ? alpnS.split(',') : [];
    const v = vers.length ? Math.max(...vers) : Number(ver);
    const code = ({ 0x0304: '13', 0x0303: '12', 0x0302: '11', 0x0301: '10', 0x0300: 's3' } as Record<number, string>)[v] ?? '00';
    const two = (n: number): string => String(Math.min(n, 99)).padStart(2, '0');
    const first = alpn[0] ?? '';
    const a = first === '' ? '00' : alnum(first[0]!) && alnum(first[first.length - 1]!) ? first[0]! + first[first.length - 1]! : '??';
    const head = `t${code}${exts.includes(0) ? 'd' : 'i'}${two(ciphers.length)}${two(exts.length)}${a}`;
    const b = ciphers.length ? sha12([...ciphers].sort((x, y) => x - y).map(hex4).join(',')) : '000000000000';
    const sorted = exts.filter((e) => e !== 0 && e !== 0x10).sort((x, y) => x - y).map(hex4).join(',');
    const c = sorted ? sha12(sigs.length ? `${sorted}_${sigs.map(hex4).join(',')}` : sorted) : '000000000000';
    hellos.push({ srcPort: Number(port), ja3: ja3 ?? '', ja4: `${head}_${b}_${c}`, sni: sniS || null, alpn });
  }
  return hellos;
}

const SETTING_FIELD: Record<number, string> = {
  1: 'http2.settings.header_table_size',
  2: 'http2.settings.enable_push',
  3: 'http2.settings.max_concurrent_streams',
  4: 'http2.settings.initial_window_size',
  5: 'http2.settings.max_frame_size',
  6: 'http2.settings.max_header_list_size',
};

/**
 * The client's HTTP/2 fingerprint in Akamai's form, from tshark's
 * decryption (keylog: the server's NSS key log) of the first HTTP/2
 * connection from `srcPort`.
 */
export function tsharkH2(file: string, keylog: string, srcPort: number): string {
  const fields = [
    'http2.type',
    'http2.streamid',
    'http2.flags.ack.settings',
    'http2.settings.id',
    ...Object.values(SETTING_FIELD),
    'http2.window_update.window_size_increment',
    'http2.exclusive',
    'http2.stream_dependency',
    'http2.headers.weight',
    'http2.header.name',
  ];
  const out = tshark([
    '-r',
    file,
    '-o',
    `tls.keylog_file:${keylog}`,
    '-Y',
    `http2 && tcp.srcport == ${srcPort}`,
    '-T',
    'fields',
    '-E',
    'separator=|',
    '-E',
    'occurrence=a',
    '-E',
    'aggregator=;',
    ...fields.flatMap((f) => ['-e', f]),
  ]);
  let settings: string | null = null;
  let window = '00';
  const prios: string[] = [];
  let pseudo = '';
  const letter: Record<string, string> = { ':method': 'm', ':authority': 'a', ':scheme': 's', ':path': 'p' };
  // One line per packet: each field's values for every HTTP/2 frame in it, ';'-joined.
  done: for (const line of out.split('\n')) {
    if (!line.trim()) continue;
    const cols = line.split('|');
    const get = (name: string): string[] => {
      const v = cols[fields.indexOf(name)];
      return v ? v.split(';') : [];
    };
    const types = get('http2.type').map(Number);
    const streams = get('http2.streamid').map(Number);
    const ids = get('http2.settings.id').map(Number);
    const valueOf: Record<number, string[]> = {};
    for (const [id, f] of Object.entries(SETTING_FIELD)) valueOf[Number(id)] = get(f);
    const incs = get('http2.window_update.window_size_increment');
    const excl = get('http2.exclusive');
    const deps = get('http2.stream_dependency');
    const weights = get('http2.headers.weight');
    const names = get('http2.header.name');
    let wi = 0;
    let pi = 0;
    for (let i = 0; i < types.length; i++) {
      const t = types[i];
      if (t === 4 && settings === null) {
        const parts: string[] = [];
        const taken: Record<number, number> = {};
        for (const id of ids) {
          const k = taken[id] ?? 0;
          taken[id] = k + 1;
          parts.push(`${id}:${valueOf[id]?.[k] ?? '?'}`);
        }
        settings = parts.join(';');
      } else if (t === 8) {
        if (streams[i] === 0 && window === '00') window = incs[wi] ?? '?';
        wi++;
      } else if (t === 2) {
        prios.push(`${streams[i]}:${excl[pi] === 'True' || excl[pi] === '1' ? 1 : 0}:${deps[pi]}:${Number(weights[pi]) + 1}`);
        pi++;
      } else if (t === 1) {
        const first: string[] = [];
        for (const n of names) {
          if (!n.startsWith(':')) break;
          if (letter[n]) first.push(letter[n]!);
        }
        pseudo = first.join(',');
        break done;
      }
    }
  }
  return `${settings ?? ''}|${window}|${prios.length ? prios.join(',') : '0'}|${pseudo}`;
}

/** An HTTP/2 or TLS server's key log, for tshark. */
export function keylogTo(server: { on(e: 'keylog', l: (line: Buffer) => void): unknown }, file: string): void {
  server.on('keylog', (line: Buffer) => fs.appendFileSync(file, line));
}
