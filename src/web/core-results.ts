/** How the web core makes results: from a source's answer, with the connection's saved SYN verdict when it has one. */
import { tcpToJson } from '../api/json.js';
import type { JsonConn, JsonSide } from '../api/json-types.js';
import type { ConnEntry } from './conn-entry.js';
import type { WaitFor } from './core-options.js';
import { buildResult, type ConnTuple, type PofAnswer, type PofResult, type PofVia } from './result.js';
import type { SynVerdict, TcpVerdict } from './saved-syn.js';

/** Whether an answer is what a request waits for (a saved SYN verdict is the SYN's). */
export function satisfied(a: PofAnswer | null, waitFor: WaitFor, syn: SynVerdict | null): boolean {
  if (waitFor === 'none') return true;
  const side = a?.conn?.client;
  if (waitFor === 'syn') return syn !== null || !!side?.tcp;
  return !!side?.http;
}

function emptySide(): JsonConn['client'] {
  return { tcp: null, mtu: null, uptime: null, http: null, nat: null };
}

/**
 * A saved SYN's TCP verdict in the answers' shape, made once per verdict:
 * SYNs alike share one verdict, and their requests one answer part.
 */
const tcpJson = new WeakMap<TcpVerdict, NonNullable<JsonSide['tcp']>>();
function synTcpJson(v: TcpVerdict): NonNullable<JsonSide['tcp']> {
  let j = tcpJson.get(v);
  if (j === undefined) {
    j = tcpToJson(v);
    tcpJson.set(v, j);
  }
  return j;
}

/** The source's answer with the saved SYN's verdict in place of (or as) the connection's TCP facts. */
export function withSyn(t: ConnTuple, a: PofAnswer | null, syn: SynVerdict): PofAnswer {
  const conn: JsonConn = a?.conn
    ? { ...a.conn, client: { ...a.conn.client } }
    : {
        ip_version: t.ipVer,
        cli: { addr: t.cli, port: t.cliPort },
        srv: { addr: t.srv, port: t.srvPort },
        first_seen: Math.floor(Date.now() / 1000),
        last_seen: Math.floor(Date.now() / 1000),
        encap: false,
        sendsyn: false,
        client: emptySide(),
        server: emptySide(),
      };
  conn.client.tcp = synTcpJson(syn.tcp);
  if (syn.mtu) conn.client.mtu = syn.mtu;
  return { host: a?.host ?? null, conn };
}

/** The result of an answer that satisfied waitFor at once (with the saved SYN's verdict, if any). */
export function answeredBy(via: PofVia, t: ConnTuple, e: ConnEntry, a: PofAnswer | null): PofResult {
  return buildResult(t, e.syn ? withSyn(t, a, e.syn) : a, e.syn ? ['saved-syn', via] : [via]);
}

/** The connection's saved SYN verdict alone (no source answered). */
export function synResult(t: ConnTuple, syn: SynVerdict, err: string | null = null): PofResult {
  return buildResult(t, withSyn(t, null, syn), ['saved-syn'], err);
}
