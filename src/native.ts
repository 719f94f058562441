/**
 * The project's native addons (`npm run build:native` puts them in
 * build/Release/NAME.node), loaded on first use.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** The addon, or a one-line reason it cannot be had (file missing, load error). */
export function loadNativeAddon<T>(name: string): { addon: T } | { error: string; cause?: unknown } {
  const file = fileURLToPath(new URL(`../build/Release/${name}.node`, import.meta.url));
  if (!existsSync(file)) return { error: `the native addon is not built (${file} is missing)` };
  try {
    return { addon: createRequire(import.meta.url)(file) as T };
  } catch (e) {
    const why = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    return { error: `cannot load the native addon ${file}: ${why}`, cause: e };
  }
}
