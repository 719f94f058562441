/**
 * The engine's TLS module: TLS ClientHellos and ServerHellos over TCP
 * (tls-gather.ts) and QUIC (quic-gather.ts), each reported once as an
 * observation ('tls', 'tls server'), with the TLS client label from
 * signatures/tls.fp (or the database given). Keeps its own tables, never
 * p0f's: p0f's records are the same with it or without it.
 */
import type { PacketRecord } from '../capture/types.js';
import { MAX_QUIC_CONNS, MAX_TLS_CONNS, QUIC_GATHER_BUDGET, TLS_GATHER_BUDGET } from '../config.js';
import { loadTlsDb } from '../db/tls-load.js';
import type { TlsDb } from '../db/tls-types.js';
import type { TcpPacket, UdpPacket } from '../decode/types.js';
import { buildTlsIndex, type TlsIndex } from '../fingerprint/tls/label.js';
import { PofError } from '../errors.js';
import type { EngineContext, PacketModule } from './module.js';
import { QuicGatherer } from './quic-gather.js';
import { TlsGatherer } from './tls-gather.js';
import { newTlsStats, type TlsStats } from './tls-report.js';

export interface TlsModuleOptions {
  /** The TLS client database for labels: the one pof ships when not given; null for none. */
  db?: TlsDb | null;
  /** Seconds a connection is watched for its hellos (the engine's -t c). */
  maxAgeS: number;
  /** Connections watched at once: TCP (default MAX_TLS_CONNS) and QUIC (MAX_QUIC_CONNS). */
  maxConns?: number;
  maxQuicConns?: number;
  /** Bytes all gathering connections may hold: TCP and QUIC (TLS_GATHER_BUDGET, QUIC_GATHER_BUDGET). */
  budget?: number;
  quicBudget?: number;
  /** Read QUIC (default true). */
  quic?: boolean;
}

/** The shipped database's index, built once per process. */
let shipped: TlsIndex | null = null;

function positive(name: string, v: number | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v < 1) throw new PofError('E_CONFIG', `TLS option ${name} must be a positive integer (got ${String(v)})`);
  return v;
}

export class TlsModule implements PacketModule {
  readonly stats: TlsStats = newTlsStats();
  readonly tcp: TlsGatherer;
  readonly quic: QuicGatherer | null;
  readonly labels: TlsIndex | null;

  constructor(opts: TlsModuleOptions) {
    const db = opts.db;
    this.labels = db === null ? null : db !== undefined ? buildTlsIndex(db) : (shipped ??= buildTlsIndex(loadTlsDb()));
    const maxAgeS = opts.maxAgeS;
    this.tcp = new TlsGatherer({
      maxConns: positive('maxConns', opts.maxConns, MAX_TLS_CONNS),
      budget: positive('budget', opts.budget, TLS_GATHER_BUDGET),
      maxAgeS,
      labels: this.labels,
      stats: this.stats,
    });
    this.quic =
      opts.quic === false
        ? null
        : new QuicGatherer({
            maxConns: positive('maxQuicConns', opts.maxQuicConns, MAX_QUIC_CONNS),
            budget: positive('quicBudget', opts.quicBudget, QUIC_GATHER_BUDGET),
            maxAgeS,
            labels: this.labels,
            stats: this.stats,
          });
  }

  onTcp(ctx: EngineContext, pk: TcpPacket, rec: PacketRecord): void {
    this.tcp.onTcp(ctx, pk, rec);
  }

  onUdp(ctx: EngineContext, pk: UdpPacket, rec: PacketRecord): void {
    this.quic?.onUdp(ctx, pk, rec);
  }

  /** Bytes the gatherers hold now. */
  get held(): number {
    return this.tcp.held + (this.quic?.held ?? 0);
  }
}
