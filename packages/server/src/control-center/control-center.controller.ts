import {
  BadRequestException,
  Body,
  Controller,
  Get,
  Header,
  HttpCode,
  Inject,
  type MessageEvent,
  NotFoundException,
  Param,
  Post,
  Query,
  Sse,
  type Type,
  UseGuards,
} from '@nestjs/common';
import { type Observable, interval, map, merge, of } from 'rxjs';
import { setControllerPath } from '../transport/nest-metadata.helper.js';
import { P2P_RESOLVED_OPTIONS } from '../tokens/p2p.constants.js';
import type { ResolvedP2pOptions } from '../options/p2p-options.resolve.js';
import { clientIdProblem } from '../options/client-id.rule.js';
import { decodeCursor } from '../discovery/client-list.cursor.js';
import { type P2pClientInfo, type P2pClientPage, type P2pPairingInfo, PairingService } from '../pairing/pairing.service.js';
import type { StoreCounts } from '../stores/pairing-store.interface.js';
import { AllowQueryToken, ControlCenterAccessGuard } from './control-center-access.guard.js';
import { DEFAULT_CONTROL_CENTER_PATH } from '../options/control-center.options.js';
import { CONTROL_CENTER_PAGE, CONTROL_CENTER_PAGE_CSP } from './control-center.page.js';
import { type P2pTrafficStats, P2pMetricsService } from '../metrics/p2p-metrics.service.js';

const MAX_REASON_LENGTH = 200;
/** Keeps idle proxies from closing the event stream. */
const KEEP_ALIVE_MS = 15_000;

/**
 * The control center's HTTP API and page. Everything goes through PairingService, so on a cluster node the lists and
 * actions cover the whole cluster (shared store) while the event stream carries this node's lifecycle events.
 */
export class ControlCenterControllerBase {
  constructor(
    @Inject(P2P_RESOLVED_OPTIONS) private readonly options: ResolvedP2pOptions,
    @Inject(PairingService) private readonly service: PairingService,
    @Inject(P2pMetricsService) private readonly metrics: P2pMetricsService,
  ) {
    // Routes are read when the app initialises, after providers are built (as the gateway's options are): the
    // resolved options, static or from forRootAsync, decide the path. Off, it keeps the default path and its guard
    // answers 404.
    setControllerPath(this.constructor, options.controlCenter?.path ?? DEFAULT_CONTROL_CENTER_PATH);
  }

  @Get()
  @AllowQueryToken()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Content-Security-Policy', CONTROL_CENTER_PAGE_CSP)
  @Header('Cache-Control', 'no-store')
  @Header('Referrer-Policy', 'no-referrer')
  @Header('X-Content-Type-Options', 'nosniff')
  page(): string {
    return CONTROL_CENTER_PAGE;
  }

  @Get('clients')
  @Header('Cache-Control', 'no-store')
  async clients(
    @Query('available') available?: unknown,
    @Query('cursor') cursor?: unknown,
    @Query('limit') limit?: unknown,
  ): Promise<P2pClientInfo[] | P2pClientPage> {
    if (available !== undefined && available !== 'true' && available !== 'false') {
      throw new BadRequestException("available must be 'true' or 'false'");
    }
    if (cursor !== undefined && (typeof cursor !== 'string' || (cursor !== '' && !decodeCursor(cursor)))) {
      throw new BadRequestException('cursor must be the next of a previous page');
    }
    if (limit !== undefined && (typeof limit !== 'string' || !/^[1-9][0-9]{0,8}$/.test(limit))) {
      throw new BadRequestException('limit must be a whole number of at least 1');
    }
    const page = await this.service.listClientPage({
      available: available === 'true',
      ...(cursor ? { cursor } : {}),
      ...(limit === undefined ? {} : { limit: Number(limit) }),
    });
    // Without cursor or limit: the original answer, an array, of the first page (at most listPageSize clients).
    return cursor === undefined && limit === undefined ? page.clients : page;
  }

  /** One client, to find it by id among more than a page. */
  @Get('clients/:clientId')
  @Header('Cache-Control', 'no-store')
  client(@Param('clientId') clientId: string): Promise<P2pClientInfo> {
    return this.findClient(clientId);
  }

  /**
   * The same, the id in the query string: every valid id works there, `.` and `..` included, which a path segment
   * cannot carry (URLs collapse dot segments before they are sent). The page uses these `?clientId=` routes.
   */
  @Get('client')
  @Header('Cache-Control', 'no-store')
  clientByQuery(@Query('clientId') clientId?: unknown): Promise<P2pClientInfo> {
    return this.findClient(clientId);
  }

  @Get('pairings')
  @Header('Cache-Control', 'no-store')
  pairings(): Promise<P2pPairingInfo[]> {
    return this.service.listPairings();
  }

  @Get('counts')
  @Header('Cache-Control', 'no-store')
  counts(): Promise<StoreCounts> {
    return this.service.counts();
  }

  /** The charts' data: this node's counters over the last 15 minutes, refusals by code, traffic per pairing. */
  @Get('stats')
  @Header('Cache-Control', 'no-store')
  async stats(): Promise<P2pTrafficStats> {
    const stats = await this.metrics.stats();
    if (!stats) throw new NotFoundException('the node keeps no counters');
    return stats;
  }

  @Post('pairings/:clientId/unpair')
  @HttpCode(200)
  unpair(@Param('clientId') clientId: string, @Body() body?: unknown): Promise<{ unpaired: true }> {
    return this.unpairClient(clientId, body);
  }

  /** `POST /pairings/:clientId/unpair`, the id in the query string (see `GET /client`). */
  @Post('unpair')
  @HttpCode(200)
  unpairByQuery(@Query('clientId') clientId?: unknown, @Body() body?: unknown): Promise<{ unpaired: true }> {
    return this.unpairClient(clientId, body);
  }

  @Post('clients/:clientId/disconnect')
  @HttpCode(200)
  disconnect(@Param('clientId') clientId: string, @Body() body?: unknown): Promise<{ disconnected: true }> {
    return this.disconnectClient(clientId, body);
  }

  /** `POST /clients/:clientId/disconnect`, the id in the query string (see `GET /client`). */
  @Post('disconnect')
  @HttpCode(200)
  disconnectByQuery(@Query('clientId') clientId?: unknown, @Body() body?: unknown): Promise<{ disconnected: true }> {
    return this.disconnectClient(clientId, body);
  }

  private async findClient(clientId: unknown): Promise<P2pClientInfo> {
    const id = this.checkedId(clientId);
    const client = await this.service.getClient(id);
    if (!client) throw new NotFoundException(`${id} is not connected`);
    return client;
  }

  private async unpairClient(clientId: unknown, body: unknown): Promise<{ unpaired: true }> {
    const id = this.checkedId(clientId);
    if (!(await this.service.unpair(id, this.reasonOf(body)))) throw new NotFoundException(`${id} is not paired`);
    return { unpaired: true };
  }

  private async disconnectClient(clientId: unknown, body: unknown): Promise<{ disconnected: true }> {
    const id = this.checkedId(clientId);
    if (!(await this.service.disconnect(id, this.reasonOf(body)))) throw new NotFoundException(`${id} is not connected`);
    return { disconnected: true };
  }

  /** A `ready` event naming this node, then each lifecycle event as a JSON `message`, and a comment now and then. */
  @Sse('events')
  @AllowQueryToken()
  events(): Observable<MessageEvent> {
    return merge(
      of<MessageEvent>({ type: 'ready', data: { nodeId: this.options.nodeId } }),
      this.service.events$.pipe(map((event): MessageEvent => ({ data: event }))),
      interval(KEEP_ALIVE_MS).pipe(map((): MessageEvent => ({ comment: 'keep-alive' }))),
    );
  }

  private checkedId(clientId: unknown): string {
    if (typeof clientId !== 'string' || clientIdProblem(clientId, this.options)) throw new BadRequestException('not a valid clientId');
    return clientId;
  }

  /** The optional `{reason}` of a JSON body; undefined lets PairingService use its default reason. */
  private reasonOf(body: unknown): string | undefined {
    const reason = typeof body === 'object' && body !== null ? (body as { reason?: unknown }).reason : undefined;
    if (reason === undefined) return undefined;
    if (typeof reason !== 'string' || reason.length === 0 || reason.length > MAX_REASON_LENGTH) {
      throw new BadRequestException(`reason must be a string of 1 to ${MAX_REASON_LENGTH} characters`);
    }
    return reason;
  }
}

/** A controller class per module instance, so each sets its own path (see the constructor). */
export function createControlCenterControllerClass(): Type<ControlCenterControllerBase> {
  @Controller()
  @UseGuards(ControlCenterAccessGuard)
  class P2pControlCenterController extends ControlCenterControllerBase {}
  return P2pControlCenterController;
}
