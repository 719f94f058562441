/**
 * Helpers for tests and scripts that use ../shared (the real-capture corpus
 * with p0f 3.09b's logs). Everything here skips cleanly when it is absent.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** ../shared next to the repository (or POF_SHARED). */
export const SHARED_DIR = process.env.POF_SHARED ?? path.resolve(here, '../../shared');
export const DEV_DIR = path.join(SHARED_DIR, 'corpus', 'dev');
export const P0F_DB = '/etc/p0f/p0f.fp';

export function corpusAvailable(): boolean {
  return fs.existsSync(DEV_DIR);
}

/** Capture files of the dev corpus (those with a p0f log beside them). */
export function devCaptures(): string[] {
  if (!corpusAvailable()) return [];
  return fs
    .readdirSync(DEV_DIR)
    .filter((f) => /\.(pcap|pcapng|cap|dmp|pcap\d*)$/i.test(f) || fs.existsSync(path.join(DEV_DIR, f + '.p0f.log')))
    .filter((f) => !f.endsWith('.p0f.log') && !f.endsWith('.p0f.stdout') && !f.endsWith('.tsv') && !f.endsWith('.md'))
    .filter((f) => fs.existsSync(path.join(DEV_DIR, f + '.p0f.log')))
    .sort()
    .map((f) => path.join(DEV_DIR, f));
}
