#!/usr/bin/env node
// Makes the prebuilt addons the package ships, for the machine it runs on:
//
//   npm run build:prebuilds
//   node scripts/prebuild.mjs --check   (exit 1 when a source changed since)
//
// builds each addon from source (scripts/build-native.mjs; both must
// build), strips it, and puts it in prebuilds/PLATFORM-ARCH/NAME.node with
// built-from.json beside: the hash of every source file it was made from
// (a test fails when a source changes and the prebuilds are not remade),
// and the C library versions it needs. N-API addons: one file serves every
// Node version. The ones in the repository are made on Debian 12 (glibc
// 2.36, GCC 12) for linux-x64; run this on the oldest system the prebuilds
// should load on, since they need the C and C++ libraries they were built
// against, or newer.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { ADDONS, buildAddon } from './build-native.mjs';

const root = fileURLToPath(new URL('../', import.meta.url));

/** The files an addon is made from: its binding.gyp, the sources it names, the headers they include from native/. */
export function addonSources(a) {
  const gyp = `native/${a.dir}/binding.gyp`;
  const text = readFileSync(`${root}${gyp}`, 'utf8').replace(/^\s*#.*$/gm, '');
  const sources = JSON.parse(text).targets[0].sources.map((s) => `native/${s.replace(/^\.\.\//, '')}`);
  const files = new Set([gyp, ...sources]);
  // (A Set iterates over what is added while iterating: headers' own includes too.)
  for (const f of files) {
    if (f === gyp) continue;
    for (const m of readFileSync(`${root}${f}`, 'utf8').matchAll(/^#include "([^"]+)"/gm)) files.add(`native/${m[1]}`);
  }
  return [...files].sort();
}

/** sha256 of each source file, by path. */
export function sourceHashes(a) {
  const out = {};
  for (const f of addonSources(a)) out[f] = createHash('sha256').update(readFileSync(`${root}${f}`)).digest('hex');
  return out;
}

/** The highest GLIBC_ and GLIBCXX_ symbol versions a shared object needs (objdump). */
function needs(file) {
  const r = spawnSync('objdump', ['-T', file], { encoding: 'utf8' });
  if (r.status !== 0) return {};
  const top = (prefix) => {
    const vs = [...r.stdout.matchAll(new RegExp(`\\(${prefix}_([0-9.]+)\\)`, 'g'))].map((m) => m[1].split('.').map(Number));
    vs.sort((x, y) => {
      for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
      return 0;
    });
    return vs.length ? `${prefix}_${vs.at(-1).join('.')}` : undefined;
  };
  const libs = [...spawnSync('readelf', ['-d', file], { encoding: 'utf8' }).stdout.matchAll(/NEEDED.*\[(.+)\]/g)].map((m) => m[1]);
  return { glibc: top('GLIBC'), glibcxx: top('GLIBCXX'), libs };
}

/** Names the prebuilt addons whose sources changed since they were made, in one line each. */
function check() {
  let stale = 0;
  for (const plat of existsSync(`${root}prebuilds`) ? readdirSync(`${root}prebuilds`) : []) {
    const manifest = JSON.parse(readFileSync(`${root}prebuilds/${plat}/built-from.json`, 'utf8'));
    for (const a of ADDONS) {
      const was = manifest.addons[a.name]?.sources ?? {};
      const now = sourceHashes(a);
      const changed = [...new Set([...Object.keys(was), ...Object.keys(now)])].filter((f) => was[f] !== now[f]).sort();
      if (!existsSync(`${root}prebuilds/${plat}/${a.name}.node`)) changed.unshift('(no prebuilt file)');
      if (!changed.length) continue;
      stale++;
      console.error(`pof: prebuilds/${plat}/${a.name}.node is not made from today's sources (${changed.join(', ')}): run \`npm run build:prebuilds\` on ${plat}`);
    }
  }
  return stale ? 1 : 0;
}

function main() {
  if (process.argv.includes('--check')) return check();
  if (process.platform === 'linux' && !process.report.getReport().header.glibcVersionRuntime) {
    console.error('pof: prebuild: this is not a glibc system; the linux prebuilds are for glibc');
    return 1;
  }
  const plat = `${process.platform}-${process.arch}`;
  const dir = `${root}prebuilds/${plat}`;
  mkdirSync(dir, { recursive: true });
  const manifest = { platform: plat, napi: 8, addons: {} };
  for (const a of ADDONS) {
    const why = buildAddon(a, { quiet: false });
    if (why !== null) {
      console.error(`pof: prebuild: ${a.name}: ${why}`);
      return 1;
    }
    const out = `${dir}/${a.name}.node`;
    copyFileSync(`${root}native/${a.dir}/build/Release/${a.name}.node`, out);
    if (process.platform === 'linux') spawnSync('strip', ['--strip-unneeded', out], { stdio: 'inherit' });
    manifest.addons[a.name] = { sources: sourceHashes(a), ...needs(out) };
    console.log(`pof: prebuild: ${plat}/${a.name}.node`);
  }
  writeFileSync(`${dir}/built-from.json`, `${JSON.stringify(manifest, null, 2)}\n`);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = main();
