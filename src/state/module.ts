/**
 * What the engine's modules are given and must provide. Two kinds:
 *
 * - An AppModule (HTTP) reads a p0f flow's first payload bytes, which the
 *   engine gathers in order in p0f's flow table, and reports through the
 *   flow (p0f's records: host, connection, NAT).
 * - A PacketModule (TLS, QUIC) sees every decoded TCP segment and UDP
 *   datagram after p0f's own processing, keeps its own bounded tables
 *   (never p0f's, whose behaviour p0f compatibility fixes) and reports
 *   observations it builds itself.
 *
 * Neither may throw on packet data. The engine implements EngineContext.
 */
import type { PacketRecord } from '../capture/types.js';
import type { SignatureDb } from '../db/types.js';
import type { TcpPacket, UdpPacket } from '../decode/types.js';
import type { Observation, ObservationDetail, ObservationField, ObservationMod } from '../observation.js';
import type { Flow, TupleKey } from './flows.js';
import type { NatEvent } from './nat.js';

/** What modules may use from the engine. */
export interface EngineContext {
  /** Packet time, seconds. */
  readonly now: number;
  emit(mod: ObservationMod, toSrv: boolean, f: Flow, fields: ObservationField[], detail?: ObservationDetail): void;
  emitNat(ev: NatEvent | null, toSrv: boolean, f: Flow): void;
  /** Hands on an observation a PacketModule built (counted as the engine's own). */
  emitObservation(o: Observation): void;
  /** Whether observations carry typed details (EngineOptions.details). */
  readonly details: boolean;
  /** The TCP packet's 4-tuple as words, sender as the `a` side: filled for each TCP packet before a PacketModule sees it. */
  readonly key: TupleKey;
}

/**
 * An application-layer module (HTTP). Called with the flow after new
 * payload bytes were appended; returns true while it wants more data.
 */
export interface AppModule {
  onPayload(ctx: EngineContext, toSrv: boolean, f: Flow): boolean;
  /** A signature database was (re)loaded. */
  setDb(db: SignatureDb): void;
}

/**
 * A module over raw segments and datagrams with state of its own. The
 * views are valid only during the call; `rec` gives the packet's time.
 */
export interface PacketModule {
  onTcp(ctx: EngineContext, pk: TcpPacket, rec: PacketRecord): void;
  onUdp(ctx: EngineContext, pk: UdpPacket, rec: PacketRecord): void;
}
