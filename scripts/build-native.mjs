#!/usr/bin/env node
// Builds pof's native addons from source, each on its own (node-gyp, one
// folder per addon under native/), so that one failing leaves the other:
//
//   saved-syn  native/saved-syn -> pof_saved_syn.node   (a C++ compiler)
//   pcap       native/pcap      -> pof_pcap.node        (also libpcap's headers,
//                                                        Debian: libpcap-dev)
//
//   npm run build:native [-- saved-syn|pcap ...]
//       builds them (all, or those named), showing the compiler's output;
//       exits 1 if one failed.
//   node scripts/build-native.mjs --if-needed
//       (the clone's `prepare`) builds only an addon that does not load
//       already (prebuilt for this platform, or built before); says in one
//       line why one could not be built and exits 0, unless
//       POF_REQUIRE_NATIVE=1 (CI) makes that fatal.
//
// The package itself runs no install script: a prebuilt addon ships in
// prebuilds/ (see scripts/prebuild.mjs); this is the fallback.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export const ADDONS = [
  { dir: 'saved-syn', name: 'pof_saved_syn', what: 'saved-SYN addon' },
  { dir: 'pcap', name: 'pof_pcap', what: 'live capture addon' },
];

const root = fileURLToPath(new URL('../', import.meta.url));
const inApp = /[\\/]node_modules[\\/]/.test(root);

/** True when the addon loads from a build or a prebuild (what src/capture/native.ts tries). */
function loads(a) {
  const req = createRequire(import.meta.url);
  for (const f of [`${root}native/${a.dir}/build/Release/${a.name}.node`, `${root}prebuilds/${process.platform}-${process.arch}/${a.name}.node`]) {
    if (!existsSync(f)) continue;
    try {
      req(f);
      return true;
    } catch {
      // try the next one
    }
  }
  return false;
}

/** node-gyp: npm's own (npm sets npm_config_node_gyp for scripts), else one on PATH. */
function nodeGyp() {
  const js = process.env.npm_config_node_gyp;
  return js && existsSync(js) ? [process.execPath, [js]] : ['node-gyp', []];
}

/** Builds one addon; null when it worked, else one line saying why not. */
export function buildAddon(a, { quiet, env = process.env } = {}) {
  const [cmd, pre] = nodeGyp();
  const r = spawnSync(cmd, [...pre, 'rebuild', '--directory', `${root}native/${a.dir}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    env,
    maxBuffer: 64 << 20,
  });
  // Shown once it is done (and read here for why it failed).
  if (!quiet) {
    process.stdout.write(r.stdout ?? '');
    process.stderr.write(r.stderr ?? '');
  }
  if (r.status === 0) return null;
  const out = `${r.stdout ?? ''}\n${r.stderr ?? ''}`;
  if (r.error && r.error.code === 'ENOENT') return 'node-gyp not found (run this through npm: `npm run build:native`)';
  if (/pcap\.h: No such file/.test(out)) return "libpcap's headers are missing (Debian: apt-get install libpcap-dev)";
  if (/find Python|python3?: not found/i.test(out)) return 'python3 is missing';
  if (/make: not found|not found: make|g\+\+: not found|c\+\+: not found/.test(out)) return 'make or g++ is missing';
  return quiet ? `node-gyp failed (run \`${inApp ? `npm explore pof -- npm run build:native -- ${a.dir}` : `npm run build:native -- ${a.dir}`}\` to see why)` : 'node-gyp failed (above)';
}

function main(argv) {
  const ifNeeded = argv.includes('--if-needed');
  const named = argv.filter((x) => !x.startsWith('--'));
  const unknown = named.filter((n) => !ADDONS.some((a) => a.dir === n));
  if (unknown.length) {
    console.error(`pof: build-native: no addon ${unknown.join(', ')} (there are: ${ADDONS.map((a) => a.dir).join(', ')})`);
    return 2;
  }
  const strict = process.env.POF_REQUIRE_NATIVE === '1';
  let failed = 0;
  for (const a of ADDONS) {
    if (named.length && !named.includes(a.dir)) continue;
    if (ifNeeded && loads(a)) continue;
    const why = buildAddon(a, { quiet: ifNeeded && !strict });
    if (why === null) continue;
    failed++;
    const then = a.dir === 'pcap' ? 'reading capture files still works' : 'saved SYNs are unavailable';
    console.warn(`pof: the ${a.what} was not built: ${why}; ${then}`);
  }
  return failed && (strict || !ifNeeded) ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = main(process.argv.slice(2));
