/**
 * The HTTP module: reads each connection's first request and response
 * headers as their bytes arrive, and when a header block is complete
 * reports it ("http request" / "http response"), updates the host record
 * and scores it for NAT, as p0f 3.09b's process_http() does.
 *
 * Per connection it keeps one HttpFlowState in flow.app (a position and at
 * most HTTP_MAX_HDRS parsed headers); the bytes themselves are the
 * engine's flow buffers, capped at MAX_FLOW_DATA.
 */
import { MAX_FLOW_DATA } from '../config.js';
import type { SignatureDb } from '../db/types.js';
import type { AppModule, EngineContext } from './module.js';
import { describeHttp } from '../fingerprint/http-describe.js';
import { feedRequest, feedResponse, HttpFlowState, type HttpMessage } from '../fingerprint/http-headers.js';
import { buildHttpIndex, matchHttp, type HttpSigIndex } from '../fingerprint/http-sig.js';
import type { ObservationField } from '../observation.js';
import type { Flow } from './flows.js';
import { rememberHttp, scoreHttpNat } from './http-nat.js';

export interface HttpModuleOptions {
  /** Signature database to start with; the engine's replaces it when the module is added. */
  db?: SignatureDb;
}

export class HttpModule implements AppModule {
  private idx: HttpSigIndex | null = null;

  constructor(opts: HttpModuleOptions = {}) {
    if (opts.db) this.setDb(opts.db);
  }

  setDb(db: SignatureDb): void {
    this.idx = buildHttpIndex(db);
  }

  /** The compiled signatures in use (null before a database is set). */
  get index(): HttpSigIndex | null {
    return this.idx;
  }

  onPayload(ctx: EngineContext, toSrv: boolean, f: Flow): boolean {
    let st = f.app;
    if (!(st instanceof HttpFlowState)) {
      st = new HttpFlowState();
      f.app = st;
    }
    const s = st as HttpFlowState;
    const r = toSrv
      ? feedRequest(s, f.request, f.reqLen, f.reqLen < MAX_FLOW_DATA)
      : feedResponse(s, f.response, f.respLen, f.respLen < MAX_FLOW_DATA);
    if (r.complete) this.report(ctx, toSrv, f, r.complete);
    return r.needMore;
  }

  private report(ctx: EngineContext, toSrv: boolean, f: Flow, msg: HttpMessage): void {
    const idx = this.idx;
    if (!idx) return;
    msg.recvDate = ctx.now;
    const m = matchHttp(toSrv ? idx.request : idx.response, msg);
    const rec = describeHttp(toSrv, msg, m, idx.known);
    const events = scoreHttpNat(toSrv, f, msg, m, idx, ctx.now);
    rememberHttp(toSrv, f, msg, m, rec.language, rec.rawSig);
    const hd = toSrv ? f.client : f.server;
    const fields: ObservationField[] = [
      [rec.key, rec.app],
      ['lang', rec.lang],
      ['params', rec.params],
      ['raw_sig', rec.rawSig],
    ];
    ctx.emit(toSrv ? 'http request' : 'http response', toSrv, f, fields, {
      kind: 'http',
      app: m ? { name: m.rec.label.name, flavor: m.rec.label.flavor, generic: m.rec.label.generic } : null,
      language: rec.language,
      badSw: hd.badSw,
    });
    for (const ev of events) ctx.emitNat(ev, toSrv, f);
  }
}
