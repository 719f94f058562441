/**
 * Saved SYNs from a server's very first connection. The kernel saves a SYN
 * only if TCP_SAVE_SYN is on the listening socket when the SYN arrives, but
 * an Express app makes and starts its server itself (`app.listen()`), out
 * of a middleware's sight; turning the option on at the first request is
 * too late for that request.
 *
 * Node tells about every listen() on diagnostics_channel: the
 * `tracing:net.server.listen:asyncEnd` message comes synchronously right
 * after the listen(2) call, before the event loop can accept anything.
 * Here, a handler of pof's claims the servers that serve it: an HTTP
 * server whose request listener is the handler, or an Express (4 or 5) or
 * connect app or router whose stack holds it, however deep. Such a server
 * is attached to the handler's core there and then (PROXY headers read,
 * saved SYNs on; with a daemon, its port watched). Other servers are left
 * alone.
 *
 * What it cannot see (a sub-app mounted with app.use(subApp), a Koa app's
 * callback, a Node without the channel, before 20.16): the core turns saved
 * SYNs on (and PROXY header reading) at the first connection, which then
 * has no saved SYN (nor header: in required mode its pof_err says so);
 * `attach(server)` on the middleware does it by hand, and takes effect at
 * the same moment (whenListening). The claims are weak: a handler that is
 * dropped is forgotten.
 */
import dc from 'node:diagnostics_channel';
import net from 'node:net';

const LISTEN_CHANNEL = 'tracing:net.server.listen:asyncEnd';
/** How deep into nested routers, and how many functions and layers at most, a stack is searched. */
const MAX_DEPTH = 8;
const MAX_VISITS = 10_000;

/** What a claim attaches a server to (a PofCore). */
interface ServerUser {
  attachServer(server: net.Server): void;
}
type Handler = object & { readonly core: ServerUser };

const claims = new Set<WeakRef<Handler>>();
/** Work to do for one server as soon as it listens. */
const waiting = new WeakMap<net.Server, Array<() => void>>();
let subscribed = false;

function subscribe(): void {
  if (subscribed) return;
  dc.subscribe(LISTEN_CHANNEL, onListen);
  subscribed = true;
}

/** Attaches `core` to every server that starts listening from now on and serves `handler`. */
export function claimServers(handler: Handler, core: ServerUser): void {
  if (handler.core !== core) throw new TypeError('claimServers: the handler must carry its core');
  for (const c of claims) if (!c.deref()) claims.delete(c);
  claims.add(new WeakRef(handler));
  subscribe();
}

/**
 * Runs `fn` once when `server` starts listening: right after its listen(2)
 * call where Node publishes it, else (an older Node) on 'listening'.
 */
export function whenListening(server: net.Server, fn: () => void): void {
  subscribe();
  let done = false;
  const once = (): void => {
    if (done) return;
    done = true;
    fn();
  };
  const list = waiting.get(server);
  if (list) list.push(once);
  else waiting.set(server, [once]);
  server.once('listening', once);
}

function onListen(message: unknown): void {
  const server = (message as { server?: unknown } | null)?.server;
  if (!(server instanceof net.Server)) return;
  const todo = waiting.get(server);
  if (todo) {
    waiting.delete(server);
    for (const fn of todo) fn();
  }
  if (!claims.size) return;
  // TCP only: a Unix socket's address is its path.
  let addr: ReturnType<net.Server['address']>;
  try {
    addr = server.address();
  } catch {
    return;
  }
  if (!addr || typeof addr !== 'object') return;
  const listeners = server.listeners('request');
  if (!listeners.length) return;
  for (const c of claims) {
    const h = c.deref();
    if (!h) {
      claims.delete(c);
      continue;
    }
    const budget = { visits: MAX_VISITS };
    if (!listeners.some((l) => reaches(l, h, 0, budget))) continue;
    try {
      h.core.attachServer(server);
    } catch {
      // An event handler must not throw; the refusal is kept (savedSynProblem)
      // and the first request says why.
    }
  }
}

/** True when `fn` is `target`, or an app / router whose stack (or a route's) leads to it. */
function reaches(fn: unknown, target: object, depth: number, budget: { visits: number }): boolean {
  if (fn === target) return true;
  if (fn === null || (typeof fn !== 'function' && typeof fn !== 'object')) return false;
  if (depth >= MAX_DEPTH || --budget.visits < 0) return false;
  for (const stack of stacksOf(fn)) {
    for (const layer of stack) {
      if (layer === null || typeof layer !== 'object') continue;
      const l = layer as { handle?: unknown; route?: { stack?: unknown } };
      if (reaches(l.handle, target, depth + 1, budget)) return true;
      if (l.route && Array.isArray(l.route.stack) && reaches(l.route, target, depth + 1, budget)) return true;
    }
  }
  return false;
}

/** The layer stacks of an Express app (5: app.router, 4: app._router), a router, a route or a connect app. */
function stacksOf(x: object): unknown[][] {
  const out: unknown[][] = [];
  const take = (v: unknown): void => {
    const s = v && (typeof v === 'object' || typeof v === 'function') ? (v as { stack?: unknown }).stack : undefined;
    if (Array.isArray(s)) out.push(s);
  };
  try {
    take(x);
    // An Express app is a function with a router of its own (not a router's own stack).
    const app = x as { handle?: unknown; set?: unknown; router?: unknown; _router?: unknown };
    if (typeof x === 'function' && typeof app.handle === 'function' && typeof app.set === 'function') {
      take(app.router);
      take(app._router);
    }
  } catch {
    // a getter that throws: not an app of ours
  }
  return out;
}
