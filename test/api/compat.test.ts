/**
 * Third-party clients against the server: the PHP of the p0f 2 guide
 * (fsockopen/pack/fgets/unpack, as published) and haraka-plugin-p0f's
 * P0FClient (p0f 3). Each is skipped when its runtime is not installed.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { ConnVerdicts } from '../../src/state/conn-verdicts.js';
import { PofApiServer } from '../../src/api/server.js';
import { linuxSyn, makeHost, makeLookup, obs, tempSocketDir, windowsSyn } from './helpers.js';

const run = promisify(execFile);
const tmp = tempSocketDir();
const path = tmp.path('compat.sock');
const T = { cli: '192.0.2.10', cliPort: 51000, srv: '198.51.100.1', srvPort: 80 };
const conns = new ConnVerdicts(100);
conns.observe(linuxSyn(T));
conns.observe(obs(T, 'mtu', 'cli', { kind: 'mtu', mtu: 1500, link: 'Ethernet or modem' }));
conns.observe(windowsSyn({ ...T, cliPort: 51001 })); // another client behind the same address
const lookup = makeLookup([makeHost({ lastOs: { id: 1, line: 1, generic: false, sys: [], cls: 'unix', name: 'Linux', flavor: '3.11 and newer' }, distance: 8, linkType: 'Ethernet or modem', language: 'English' })], conns);
let server: PofApiServer;

before(async () => {
  server = await PofApiServer.listen({ path, lookup });
});
after(async () => {
  await server.close();
  tmp.cleanup();
});

const hasPhp = ((): boolean => {
  for (const d of (process.env.PATH ?? '').split(':')) if (d && existsSync(`${d}/php`)) return true;
  return false;
})();

// The guide's code, with the query line completed (the published page cut it short).
const PHP = `
$fd = fsockopen("unix://" . $argv[1]);
$query = pack("LLLNNSS", 0x0defaced, 1, 0x12345678, ip2long($argv[2]), ip2long($argv[4]), (int)$argv[3], (int)$argv[5]);
fwrite($fd, $query);
$r =  fgets($fd, 1024);
$resp = unpack("Lmagic_number/Lid/Ctype/a20genre/a40details/cdistance/a30link/a30tos/Cfw/Cnat/Creal/sscore/Smflags/Nuptime", $r);
foreach (array("genre", "details", "link", "tos") as $k) $resp[$k] = rtrim($resp[$k], "\\0");
echo json_encode($resp);
`;

test('PHP (p0f 2 guide) gets the genre of each connection', { skip: !hasPhp && 'php not installed' }, async () => {
  const ask = async (port: number) => JSON.parse((await run('php', ['-r', PHP, path, T.cli, String(port), T.srv, String(T.srvPort)], { timeout: 10000 })).stdout);
  const a = await ask(51000);
  assert.equal(a.magic_number, 0x0defaced);
  assert.equal(a.id, 0x12345678);
  assert.equal(a.type, 0);
  assert.equal(a.genre, 'Linux');
  assert.equal(a.details, '3.11 and newer');
  assert.equal(a.distance, 8);
  assert.equal(a.link, 'Ethernet or modem');
  assert.equal(a.real, 1);
  const b = await ask(51001);
  assert.equal(b.genre, 'Windows');
  assert.equal(b.details, '7 or 8');
  const c = await ask(40000);
  assert.equal(c.type, 2); // "Connection not found in cache"
});

interface HarakaClient {
  query(ip: string, cb: (err: Error | null, r: Record<string, unknown> | null) => void): void;
  shutdown(): void;
  sock: { destroy(): void };
}
const haraka = ((): { P0FClient: new (path: string) => HarakaClient } | null => {
  try {
    return createRequire(import.meta.url)('haraka-plugin-p0f');
  } catch {
    return null;
  }
})();

test('haraka-plugin-p0f P0FClient (p0f 3 protocol)', { skip: !haraka && 'haraka-plugin-p0f not installed' }, async () => {
  const c = new haraka!.P0FClient(path);
  const q = (ip: string) =>
    new Promise<Record<string, unknown> | null>((resolve, reject) => c.query(ip, (e, r) => (e ? reject(e) : resolve(r))));
  try {
    const [a, b, m] = await Promise.all([q('192.0.2.10'), q('10.0.0.1'), q('::ffff:192.0.2.10')]);
    assert.equal(a?.os_name, 'Linux');
    assert.equal(a?.os_flavor, '3.11 and newer');
    assert.equal(a?.distance, 8);
    assert.equal(a?.link_type, 'Ethernet or modem');
    assert.equal(a?.language, 'English');
    assert.equal(a?.uptime_min, 0);
    assert.equal(b, null);
    assert.equal(m?.os_name, 'Linux');
  } finally {
    c.shutdown();
    c.sock.destroy();
  }
});
