/**
 * One look at the pof daemon's socket when the web side starts, so that a
 * daemon that is not there is told once (every request carries pof_err
 * until it comes, but nobody reads those at start-up).
 */
import net from 'node:net';

/** How long the look may take (a live socket answers a connect at once). */
const PROBE_TIMEOUT_MS = 1000;

/** What the warning hook of the web side (onWarning) is given when none is set. */
export function defaultWarning(message: string): void {
  process.emitWarning(message, { code: 'POF_DAEMON_UNREACHABLE' });
}

/**
 * Connects to `path` once; when that fails (no such socket, nobody
 * listening, no permission), calls `warn` once with why. Says nothing of a
 * daemon that accepts, or of one too slow to tell. Holds no process open.
 * Returns a function that stops it (no warning after it is called).
 */
export function probeDaemon(path: string, warn: (message: string) => void): () => void {
  let done = false;
  const s = net.connect({ path });
  const timer = setTimeout(() => stop(), PROBE_TIMEOUT_MS);
  timer.unref();
  s.unref();
  const stop = (): void => {
    done = true;
    clearTimeout(timer);
    s.destroy();
  };
  s.once('connect', stop);
  s.once('error', (e: NodeJS.ErrnoException) => {
    if (done) return;
    stop();
    warn(`cannot reach the pof daemon at ${path} (${e.code ?? e.message}): requests carry pof_err (X-Pof-Err) saying so until it answers`);
  });
  return stop;
}
