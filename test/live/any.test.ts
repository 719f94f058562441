// Capturing on every interface ('any', Linux): what pof does without -i.
// Each test runs in network namespaces made here (so that no other traffic
// is seen and nothing leaves the machine), through a child process inside:
//
//   - lo through 'any' gives the engine what `-i lo` gives it;
//   - a SYN crossing a bridge and its veth is seen by 'any' twice and
//     delivered once;
//   - the old PHP article's command line, unchanged (no -i), answers its PHP
//     p0f 2 query about a loopback connection with genre Linux, on a host
//     that also has an ordinary interface (the one p0f would have picked).
//
// Needs root, `ip`, `unshare`, curl and php; skips cleanly otherwise.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';

import { e2eSkip, haveCommand, ROOT } from '../e2e/helpers.js';

const skip = e2eSkip || (!haveCommand('ip') && 'needs iproute2 (ip)');
const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

const made: string[] = [];
function netns(tag: string): string {
  const name = `pofany${tag}${process.pid}`;
  execFileSync('ip', ['netns', 'add', name]);
  made.push(name);
  ip('-n', name, 'link', 'set', 'lo', 'up');
  return name;
}
function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}
/** Runs `node --import tsx FIXTURE ARGS` inside `ns` (through `prefix`, e.g. unshare), parsing its JSON line. */
function inNs<T>(ns: string, prefix: string[], file: string, args: string[] = []): T {
  const r = spawnSync('ip', ['netns', 'exec', ns, ...prefix, process.execPath, '--import', 'tsx', fixture(file), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(r.status, 0, `${file} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as T;
}

interface Obs {
  mod: string;
  tsSec: number;
  tsUsec: number;
  [k: string]: unknown;
}

describe("capture on 'any'", { skip, timeout: 120_000 }, () => {
  after(() => {
    for (const ns of made) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  });

  it("gives the engine on lo what '-i lo' gives it", () => {
    const ns = netns('l');
    const r = inNs<{
      linkTypes: { any: number; lo: number };
      packets: { any: number; lo: number };
      stats: { any: { received: number; delivered: number; duplicates: number }; lo: { delivered: number } };
      obs: { any: Obs[]; lo: Obs[] };
    }>(ns, [], 'any-vs-lo.ts');
    assert.equal(r.linkTypes.any, 113, "'any' gives Linux cooked frames");
    assert.equal(r.linkTypes.lo, 1);
    assert.ok(r.obs.lo.length >= 12 * 4, `observations on lo: ${r.obs.lo.length}`);
    assert.equal(r.packets.any, r.packets.lo, 'as many packets');
    // Packet times come from two sockets, microseconds apart; everything else is the same.
    const untimed = (o: Obs): Obs => ({ ...o, tsSec: 0, tsUsec: 0 });
    assert.deepEqual(r.obs.any.map(untimed), r.obs.lo.map(untimed));
    r.obs.any.forEach((o, i) => {
      const dt = Math.abs(o.tsSec * 1e6 + o.tsUsec - (r.obs.lo[i]!.tsSec * 1e6 + r.obs.lo[i]!.tsUsec));
      assert.ok(dt < 1000, `${o.mod} ${dt} us apart`);
    });
    const mods = new Set(r.obs.any.map((o) => o.mod));
    for (const m of ['syn', 'syn+ack', 'mtu', 'http request', 'http response']) assert.ok(mods.has(m), `a ${m} observation`);
  });

  it('delivers a SYN that crosses a bridge and its veth once', () => {
    const host = netns('h');
    const client = netns('c');
    ip('-n', host, 'link', 'add', 'pofbr0', 'type', 'bridge');
    ip('-n', host, 'link', 'add', 'pofvh', 'type', 'veth', 'peer', 'name', 'pofvc', 'netns', client);
    ip('-n', host, 'link', 'set', 'pofvh', 'master', 'pofbr0');
    ip('-n', host, 'addr', 'add', '10.98.0.1/24', 'dev', 'pofbr0');
    ip('-n', client, 'addr', 'add', '10.98.0.2/24', 'dev', 'pofvc');
    for (const [n, dev] of [[host, 'pofbr0'], [host, 'pofvh'], [client, 'pofvc']] as const) ip('-n', n, 'link', 'set', dev, 'up');
    type Seen = { syns: number; clientConns: number; stats: { received: number; delivered: number; duplicates: number } };
    const r = inNs<{ curl: { status: number; body: string }; dedup: Seen; raw: Seen }>(host, [], 'bridge-syn.ts', [client, '10.98.0.1', '10.98.0.2']);
    assert.equal(r.curl.status, 0);
    assert.equal(r.curl.body, 'hi\n');
    // Without the dedup the copy is there: every packet twice (veth, then bridge).
    assert.equal(r.raw.syns, 2, 'the bridge and the veth both show the SYN');
    assert.equal(r.raw.stats.delivered, r.raw.stats.received);
    assert.equal(r.dedup.syns, 1, 'delivered once');
    assert.equal(r.dedup.clientConns, 1, 'one connection from the client');
    assert.equal(r.dedup.stats.received, r.raw.stats.received);
    assert.equal(r.dedup.stats.duplicates * 2, r.dedup.stats.received, 'each packet left out once');
    assert.equal(r.dedup.stats.delivered, r.dedup.stats.received - r.dedup.stats.duplicates);
  });

  it("runs the PHP article's command line unchanged and answers its query about a loopback connection: genre Linux", (t) => {
    if (!haveCommand('php')) return t.skip('php-cli not installed');
    if (!haveCommand('unshare')) return t.skip('needs unshare (util-linux)');
    const ns = netns('p');
    // An ordinary interface beside lo, as on a server: the one p0f would pick
    // (a veth whose other end is in a namespace of its own).
    const peer = netns('q');
    ip('-n', ns, 'link', 'add', 'pofe0', 'type', 'veth', 'peer', 'name', 'pofe1', 'netns', peer);
    ip('-n', ns, 'addr', 'add', '10.97.0.1/24', 'dev', 'pofe0');
    ip('-n', ns, 'link', 'set', 'pofe0', 'up');
    ip('-n', peer, 'link', 'set', 'pofe1', 'up');
    // A private /run, so that /var/run/p0f/p0f.sock is this test's.
    const r = inNs<{ body: string; startupErr: string; ifindexes: number[] }>(ns, [
      'unshare',
      '--mount',
      '--propagation',
      'private',
      'sh',
      '-c',
      'mount -t tmpfs tmpfs /run && exec "$@"',
      'sh',
    ], 'article-php.ts');
    assert.match(r.body, /^type=0\|genre=Linux\|distance=0$/, r.body);
    assert.equal(r.startupErr, '', '-q: nothing on stderr at start-up');
    assert.deepEqual(r.ifindexes, [0], 'one packet socket, on every interface');
  });
});
