/**
 * The project's native addons, loaded on first use. Each is found, in this
 * order, as
 *
 *   native/DIR/build/Release/NAME.node   built from source here
 *                                        (`npm run build:native`)
 *   prebuilds/PLATFORM-ARCH/NAME.node    prebuilt, shipped in the package
 *                                        (`npm run build:prebuilds`)
 *
 * so that `npm install pof` needs no install script where a prebuilt addon
 * ships (linux-x64, glibc), and a build from source, when there is one,
 * wins. Both are N-API (version 8): one file serves every Node version.
 * The two addons are built and loaded apart: the saved-SYN one needs
 * nothing but the C library, the libpcap one needs libpcap. Their JS
 * bindings sit beside this file: live.ts (libpcap) and saved-syn.ts
 * (TCP_SAVE_SYN).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** The addons pof has, each with the folder under native/ that builds it. */
const ADDON_DIRS: Readonly<Record<string, string>> = { pof_pcap: 'pcap', pof_saved_syn: 'saved-syn' };

/** The package's own folder (this file is src/capture/native.ts or dist/capture/native.js). */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Where this copy of pof lives: a dependency of an app, or a clone. */
const IN_APP = /[\\/]node_modules[\\/]/.test(ROOT);

/** How to build an addon from source, in words that work where pof is. */
export function buildHint(name: string): string {
  const dir = ADDON_DIRS[name] ?? name;
  const cmd = IN_APP ? `npm explore pof -- npm run build:native -- ${dir}` : `npm run build:native -- ${dir}`;
  const needs = name === 'pof_pcap' ? "python3, make, g++ and libpcap's headers, e.g. apt-get install libpcap-dev" : 'python3, make and g++';
  return `build it from source with \`${cmd}\` (needs ${needs})`;
}

/** The files an addon may be loaded from, most preferred first. */
export function addonCandidates(name: string): string[] {
  const dir = ADDON_DIRS[name] ?? name;
  return [`${ROOT}native/${dir}/build/Release/${name}.node`, `${ROOT}prebuilds/${process.platform}-${process.arch}/${name}.node`];
}

/**
 * The addon, or one line saying why it cannot be had and what to do
 * (`cause`: the load error, when a file was there but did not load).
 */
export function loadNativeAddon<T>(name: string): { addon: T } | { error: string; cause?: unknown } {
  const req = createRequire(import.meta.url);
  let failed: { file: string; cause: unknown } | null = null;
  for (const file of addonCandidates(name)) {
    if (!existsSync(file)) continue;
    try {
      return { addon: req(file) as T };
    } catch (e) {
      failed ??= { file, cause: e };
    }
  }
  if (!failed) return { error: `the native addon ${name} is neither prebuilt for ${process.platform}-${process.arch} nor built: ${buildHint(name)}` };
  return { error: loadProblem(name, failed.file, failed.cause), cause: failed.cause };
}

/** One line for an addon file that is there but does not load. */
function loadProblem(name: string, file: string, e: unknown): string {
  const why = (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
  // A shared library the addon links to is missing (libpcap, for pof_pcap).
  const lib = /(lib[\w.+-]+\.so[\w.]*): cannot open shared object file/.exec(why)?.[1];
  if (lib && /^libpcap/.test(lib)) {
    return `the native addon ${name} needs libpcap at run time, and ${lib} is not installed (Debian/Ubuntu: apt-get install libpcap0.8; elsewhere ${buildHint(name).replace('build it', 'build the addon')})`;
  }
  if (lib) return `the native addon ${name} needs ${lib}, which is not installed`;
  // A prebuilt addon needs the C and C++ libraries it was built against, or newer (musl will not do).
  if (file.startsWith(`${ROOT}prebuilds`) && /GLIBC|ld-linux|symbol not found|Error relocating/i.test(why)) {
    return `the prebuilt ${name} does not load here (${why}); it needs ${prebuiltNeeds(name)}: ${buildHint(name)}`;
  }
  return `cannot load the native addon ${file}: ${why}`;
}

/** What a prebuilt addon needs of the system, from the built-from.json beside it. */
function prebuiltNeeds(name: string): string {
  try {
    const m = JSON.parse(readFileSync(`${ROOT}prebuilds/${process.platform}-${process.arch}/built-from.json`, 'utf8')) as {
      addons?: Record<string, { glibc?: string; glibcxx?: string }>;
    };
    const a = m.addons?.[name];
    const parts = [a?.glibc?.replace('GLIBC_', 'glibc '), a?.glibcxx && `libstdc++ with ${a.glibcxx}`].filter(Boolean);
    if (parts.length) return `${parts.join(' and ')} or later`;
  } catch {
    // no manifest: say it in general
  }
  return 'the glibc and libstdc++ it was built against, or later';
}
