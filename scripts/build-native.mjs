#!/usr/bin/env node
// Builds the libpcap addon (live capture, filter expressions) through
// `npm run build:native` (node-gyp). It needs libpcap's headers (Debian:
// apt-get install libpcap-dev). Without them pof still reads capture files;
// this script then warns in one line and exits 0, unless POF_REQUIRE_NATIVE=1
// (CI) makes a failed build fatal.
import { spawnSync } from 'node:child_process';

const strict = process.env.POF_REQUIRE_NATIVE === '1';
const r = spawnSync('npm', ['run', '--silent', 'build:native'], {
  stdio: strict ? 'inherit' : ['ignore', 'ignore', 'pipe'],
  encoding: 'utf8',
});
if (r.status !== 0) {
  if (strict) process.exit(r.status ?? 1);
  const hint = /pcap\.h/.test(r.stderr ?? '') ? 'libpcap headers missing (apt-get install libpcap-dev)' : 'run `npm run build:native` for details';
  console.warn(`pof: live capture addon not built: ${hint}; reading capture files still works`);
}
