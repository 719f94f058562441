/**
 * pof's public API: the engine (packets in, observations out), the
 * signature database, capture readers, the query API (server, lookup and
 * client) and the types they share.
 *
 *   import { Engine, HttpModule, loadSignatures, PofClient } from 'pof';
 */
export { Engine, type AppModule, type EngineContext, type EngineOptions, type EngineStats } from './engine.js';
export { HttpModule, type HttpModuleOptions } from './state/http-module.js';
export * from './db/index.js';
export type * from './observation.js';
export type { Host } from './state/hosts.js';
export type { PacketRecord, PacketHandler, CaptureSummary, CaptureProblem, CaptureFormat } from './capture/types.js';
export { readCaptureFile, readCaptureBuffer } from './capture/file.js';
export {
  openLive,
  listInterfaces,
  addonAvailable,
  DEFAULT_LIVE_FILTER,
  DEFAULT_LIVE_TIMEOUT_MS,
  WAITED_LIVE_TIMEOUT_MS,
  type LiveCapture,
  type LiveOptions,
  type LiveStats,
  type InterfaceInfo,
} from './capture/live.js';
export * from './api/index.js';
export { PofError, isPofError, type PofErrorCode } from './errors.js';
