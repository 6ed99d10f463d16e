import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Observable } from 'rxjs';
import { P2pDisconnectReason, type P2pTransport } from 'nest-p2p-gateway-protocol';
import type { RelayStatsSnapshot } from './relay.stats.js';
import type { P2pLifecycleEvent } from './p2p-lifecycle.event.js';
import { decodeCursor, encodeCursor } from '../discovery/client-list.cursor.js';
import { PairingEngine } from './pairing.engine.js';
import type { ClientRecord, StoreCounts } from '../stores/pairing-store.interface.js';

/** A connected client as the host app sees it. */
export interface P2pClientInfo {
  clientId: string;
  /** Its peer's clientId while paired. */
  peerId?: string;
  state: ClientRecord['state']['kind'];
  connectedAt: Date;
  protocolVersion: number;
  /** While paired: the path this client reported for its traffic (`'relay'` until it reports otherwise). */
  transport?: P2pTransport;
}

/** One page of `PairingService.listClientPage`. */
export interface P2pClientPage {
  clients: P2pClientInfo[];
  /** The cursor of the next page; null once every page was read. */
  next: string | null;
}

/** Which page `PairingService.listClientPage` reads. */
export interface P2pClientPageOptions {
  /** Only clients neither paired nor in a pairing request. */
  available?: boolean;
  /** null or absent for the first page, then the previous page's `next`. */
  cursor?: string | null;
  /** Clients per page, from 1 to the `listPageSize` option (its default). */
  limit?: number;
}

export interface P2pPairingInfo {
  clientIds: [string, string];
  since: Date;
  /** `'direct'` once both sides reported a direct data channel; `'relay'` otherwise. */
  transport: P2pTransport;
}

function toClientInfo(record: ClientRecord): P2pClientInfo {
  const { state } = record;
  return {
    clientId: record.clientId,
    ...(state.kind === 'paired' ? { peerId: state.peerId } : {}),
    state: state.kind,
    connectedAt: new Date(record.connectedAt),
    protocolVersion: record.protocolVersion,
    ...(state.kind === 'paired' ? { transport: transportOf(record) } : {}),
  };
}

function transportOf(record: ClientRecord): P2pTransport {
  return record.state.kind === 'paired' && record.state.transport === 'direct' ? 'direct' : 'relay';
}

/** The host app's view of the gateway: inspect clients and pairings, act on them, and follow their lifecycle. */
@Injectable()
export class PairingService implements OnModuleDestroy {
  constructor(@Inject(PairingEngine) private readonly engine: PairingEngine) {}

  /** Lifecycle events of this node's gateway: connections, requests, pairings, refusals, unpairings. */
  get events$(): Observable<P2pLifecycleEvent> {
    return this.engine.events$.asObservable();
  }

  /** Connected clients; with `available`, only those neither paired nor in a pairing request. */
  async listClients(filter?: { available?: boolean }): Promise<P2pClientInfo[]> {
    return (await this.engine.store.listClients(filter)).map(toClientInfo);
  }

  /**
   * One page of the connected clients in connection order; its cost follows the page, not the number of clients.
   * Walking every page with each `next` lists each client connected for the whole walk once and no client twice
   * (clients that connect meanwhile may be left out). Not subject to the `discovery` policy: this is the host's view.
   * Throws a RangeError for a cursor no page gave, or a limit that is not a whole number of at least 1.
   */
  async listClientPage(options: P2pClientPageOptions = {}): Promise<P2pClientPage> {
    const { available, cursor, limit } = options;
    const from = cursor === undefined || cursor === null ? undefined : decodeCursor(cursor);
    if (cursor !== undefined && cursor !== null && !from) throw new RangeError('PairingService: not a listClientPage cursor');
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1))
      throw new RangeError('PairingService: limit must be a whole number >= 1');
    const { listPageSize } = this.engine.options;
    const page = await this.engine.store.listClientRecords({
      available: available === true,
      limit: Math.min(limit ?? listPageSize, listPageSize),
      ...(from ? { from } : {}),
    });
    return { clients: page.items.map(toClientInfo), next: page.next ? encodeCursor(page.next) : null };
  }

  async getClient(clientId: string): Promise<P2pClientInfo | undefined> {
    const record = await this.engine.store.getClient(clientId);
    return record && toClientInfo(record);
  }

  /** The clientId `clientId` is paired with, if any. */
  async peerOf(clientId: string): Promise<string | undefined> {
    const state = (await this.engine.store.getClient(clientId))?.state;
    return state?.kind === 'paired' ? state.peerId : undefined;
  }

  async listPairings(): Promise<P2pPairingInfo[]> {
    return (await this.engine.store.listPairings()).map(({ a, b, since }) => ({
      clientIds: [a.clientId, b.clientId],
      since: new Date(since),
      transport: transportOf(a) === 'direct' && transportOf(b) === 'direct' ? 'direct' : 'relay',
    }));
  }

  /** What this node relayed between peers since it started: application messages and WebRTC signals. */
  relayStats(): RelayStatsSnapshot {
    const { relayedMessages, signals } = this.engine.relayStats;
    return { relayedMessages, signals };
  }

  /** Ends the pairing of `clientId`; both sides get `P2P_DISCONNECT(otherId, reason)`. False if it was not paired. */
  unpair(clientId: string, reason: string = P2pDisconnectReason.SERVER_UNPAIRED): Promise<boolean> {
    return this.engine.unpair(clientId, reason, true);
  }

  /** Disconnects `clientId`; its peer (or the other side of its open request) gets `P2P_DISCONNECT(clientId, reason)`. */
  disconnect(clientId: string, reason: string = P2pDisconnectReason.DISCONNECTED): Promise<boolean> {
    return this.engine.disconnect(clientId, reason);
  }

  counts(): Promise<StoreCounts> {
    return this.engine.store.counts();
  }

  onModuleDestroy(): void {
    this.engine.close();
  }
}
