/**
 * Real PHP backends for the proxy's spoofing tests, each serving
 * fixtures/php/server-vars.php (every $_SERVER variable naming POF or
 * FORWARDED, as JSON) on a loopback port of its own:
 *
 *   - PHP's built-in server (`php -S`), which maps '-', '_' and '.' in a
 *     header name alike to '_' (X_Pof_Nat and X.Pof.Nat are HTTP_X_POF_NAT);
 *   - PHP-FPM behind nginx with `underscores_in_headers on` and
 *     `ignore_invalid_headers off` (PHP maps the '.' itself), the same;
 *   - Apache httpd with mod_php, which drops names with anything but
 *     letters, digits and '-' before PHP sees them.
 *
 * Each runs in a temporary directory with a minimal configuration of its own
 * (as root, workers run as nobody/nogroup).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { freePort, stopChild } from './net-helpers.js';

const PAGE = fileURLToPath(new URL('./fixtures/php/server-vars.php', import.meta.url));
const isRoot = process.getuid?.() === 0;
const ci = process.env.CI === 'true';

const runs = (cmd: string, args: string[]): boolean => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const MOD_PHP = ['/usr/lib/apache2/modules/libphp8.2.so', '/usr/lib/apache2/modules/libphp8.3.so', '/usr/lib/apache2/modules/libphp8.1.so'].find((f) => existsSync(f));
const FPM = ['php-fpm8.2', 'php-fpm8.3', 'php-fpm8.1', 'php-fpm'].find((c) => runs(c, ['-v']));

/** Why a backend cannot run here (false: it can). In CI a missing tool is not skipped: the test fails. */
const skipUnless = (ok: boolean, why: string): string | false => (ok || ci ? false : why);
export const skipPhp = skipUnless(runs('php', ['--version']), 'php-cli not installed');
export const skipApache = skipUnless(runs('apache2', ['-v']) && MOD_PHP !== undefined, 'apache2 with libapache2-mod-php not installed');
export const skipNginxFpm = skipUnless(runs('nginx', ['-v']) && FPM !== undefined, 'nginx and php-fpm not installed');

export interface PhpBackend {
  readonly name: string;
  readonly url: string;
  stop(): Promise<void>;
}

async function waitPort(port: number, child: ChildProcess, log: () => string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}: ${log()}`);
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
  throw new Error(`nothing listens on port ${port}: ${log()}`);
}

/** A temp directory readable by the workers (nobody), with the page as index.php in www/. */
function siteDir(): { dir: string; www: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'pof-php-'));
  const www = join(dir, 'www');
  spawnSync('mkdir', [www]);
  copyFileSync(PAGE, join(www, 'index.php'));
  chmodSync(dir, 0o755);
  chmodSync(www, 0o755);
  chmodSync(join(www, 'index.php'), 0o644);
  return { dir, www, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

function startChild(cmd: string, args: string[]): { child: ChildProcess; out: () => string } {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  // Never left behind, even by a test process that dies.
  const kill = (): void => void child.kill('SIGTERM');
  process.once('exit', kill);
  child.once('exit', () => process.off('exit', kill));
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { child, out: () => out };
}

export async function startPhpServer(): Promise<PhpBackend> {
  const site = siteDir();
  const port = await freePort();
  const { child, out } = startChild('php', ['-S', `127.0.0.1:${port}`, '-t', site.www]);
  await waitPort(port, child, out);
  return {
    name: 'php -S',
    url: `http://127.0.0.1:${port}`,
    async stop() {
      await stopChild(child);
      site.cleanup();
    },
  };
}

export async function startApache(): Promise<PhpBackend> {
  const site = siteDir();
  const port = await freePort();
  const conf = join(site.dir, 'httpd.conf');
  writeFileSync(
    conf,
    [
      `ServerRoot ${site.dir}`,
      `DefaultRuntimeDir ${site.dir}`,
      `PidFile ${site.dir}/httpd.pid`,
      `ErrorLog ${site.dir}/error.log`,
      `Listen 127.0.0.1:${port}`,
      'ServerName 127.0.0.1',
      'LoadModule mpm_prefork_module /usr/lib/apache2/modules/mod_mpm_prefork.so',
      'LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so',
      'LoadModule dir_module /usr/lib/apache2/modules/mod_dir.so',
      'LoadModule mime_module /usr/lib/apache2/modules/mod_mime.so',
      `LoadModule php_module ${MOD_PHP}`,
      'TypesConfig /etc/mime.types',
      ...(isRoot ? ['User nobody', 'Group nogroup'] : []),
      `DocumentRoot ${site.www}`,
      'DirectoryIndex index.php',
      '<FilesMatch "\\.php$">',
      '  SetHandler application/x-httpd-php',
      '</FilesMatch>',
      `<Directory ${site.www}>`,
      '  Require all granted',
      '</Directory>',
      '',
    ].join('\n'),
  );
  // -X: one process, in the foreground.
  const { child, out } = startChild('apache2', ['-f', conf, '-X']);
  const log = (): string => out() + (existsSync(`${site.dir}/error.log`) ? readFileSync(`${site.dir}/error.log`, 'utf8') : '');
  await waitPort(port, child, log);
  return {
    name: 'Apache mod_php',
    url: `http://127.0.0.1:${port}`,
    async stop() {
      await stopChild(child);
      site.cleanup();
    },
  };
}

export async function startNginxFpm(): Promise<PhpBackend> {
  const site = siteDir();
  const fpmPort = await freePort();
  const port = await freePort();
  writeFileSync(
    join(site.dir, 'fpm.conf'),
    [
      '[global]',
      `pid = ${site.dir}/fpm.pid`,
      `error_log = ${site.dir}/fpm.log`,
      'daemonize = no',
      '[www]',
      `listen = 127.0.0.1:${fpmPort}`,
      ...(isRoot ? ['user = nobody', 'group = nogroup'] : []),
      'pm = static',
      'pm.max_children = 2',
      '',
    ].join('\n'),
  );
  const d = site.dir;
  writeFileSync(
    join(d, 'nginx.conf'),
    `daemon off;
master_process off;
worker_processes 1;
pid ${d}/nginx.pid;
error_log ${d}/nginx-error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${d}/body;
  fastcgi_temp_path ${d}/fastcgi;
  proxy_temp_path ${d}/proxy;
  uwsgi_temp_path ${d}/uwsgi;
  scgi_temp_path ${d}/scgi;
  # Pass header names with '_' and '.' on (nginx drops them by default).
  underscores_in_headers on;
  ignore_invalid_headers off;
  server {
    listen 127.0.0.1:${port};
    location / {
      include /etc/nginx/fastcgi_params;
      fastcgi_param SCRIPT_FILENAME ${site.www}/index.php;
      fastcgi_pass 127.0.0.1:${fpmPort};
    }
  }
}
`,
  );
  const fpm = startChild(FPM ?? 'php-fpm', ['-y', join(d, 'fpm.conf'), '-F', ...(isRoot ? ['-R'] : [])]);
  await waitPort(fpmPort, fpm.child, fpm.out);
  const nginx = startChild('nginx', ['-c', join(d, 'nginx.conf'), '-p', d, '-e', join(d, 'nginx-error.log')]);
  await waitPort(port, nginx.child, nginx.out);
  return {
    name: 'nginx + PHP-FPM',
    url: `http://127.0.0.1:${port}`,
    async stop() {
      await stopChild(nginx.child);
      await stopChild(fpm.child);
      site.cleanup();
    },
  };
}
