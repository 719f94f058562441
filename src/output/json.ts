/**
 * JSON lines: one object per observation. Fields (documented in README):
 * time (ISO 8601, UTC, from the packet), ts (seconds, with microseconds),
 * mod, cli {addr, port}, srv {addr, port}, subj, encap, fields (p0f's
 * key=value pairs with null for "???"), and detail (typed, per module).
 */
import type { Observation } from '../observation.js';

export function formatJsonLine(o: Observation): string {
  const fields: Record<string, string | null> = {};
  for (const [k, v] of o.fields) fields[k] = v;
  return (
    JSON.stringify({
      time: new Date(o.tsSec * 1000 + Math.floor(o.tsUsec / 1000)).toISOString(),
      ts: o.tsSec + o.tsUsec / 1e6,
      mod: o.mod,
      cli: { addr: o.cli, port: o.cliPort },
      srv: { addr: o.srv, port: o.srvPort },
      subj: o.subj,
      encap: o.encap,
      fields,
      detail: o.detail ?? null,
    }) + '\n'
  );
}
