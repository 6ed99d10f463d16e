import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { Test } from '@nestjs/testing';
import type { Socket } from 'socket.io-client';
import { P2pModule, PairingService } from '../../packages/server/src/index.js';
import { type GatewayHarness, waitFor } from '../support/gateway-harness.js';
import { connectRaw, eventually, expectHealthyPair, pairRaw, recordEvents, roundTrip } from '../support/wire.js';

/** The default adapter, counting the per-socket bindings Nest asks of it. */
class CountingAdapter extends IoAdapter {
  messageBindings = 0;
  disconnectBindings = 0;
  override bindMessageHandlers(...args: Parameters<IoAdapter['bindMessageHandlers']>): void {
    this.messageBindings++;
    super.bindMessageHandlers(...args);
  }
  override bindClientDisconnect(...args: Parameters<IoAdapter['bindClientDisconnect']>): void {
    this.disconnectBindings++;
    super.bindClientDisconnect(...args);
  }
}

/** An adapter that wraps Nest's connection handler in a listener of its own (its own per-connection work). */
class WrappingAdapter extends CountingAdapter {
  wrapped = 0;
  override bindClientConnect(
    server: { on(event: string, listener: (...args: unknown[]) => void): void },
    callback: (...args: unknown[]) => void,
  ): void {
    server.on('connection', (...args: unknown[]) => {
      this.wrapped++;
      callback(...args);
    });
  }
}

async function startWith(adapter: (app: INestApplication) => CountingAdapter): Promise<GatewayHarness & { adapter: CountingAdapter }> {
  const moduleRef = await Test.createTestingModule({ imports: [P2pModule.forRoot({})] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  const installed = adapter(app);
  app.useWebSocketAdapter(installed);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  const sockets: Socket[] = [];
  return {
    app,
    adapter: installed,
    url: `http://127.0.0.1:${port}`,
    service: app.get(PairingService),
    sockets,
    async close() {
      for (const socket of sockets) socket.disconnect();
      await app.close();
    },
  };
}

/** A and B connect and pair; B relays to A, A's peer leaves; every step once. */
async function exercise(gw: GatewayHarness): Promise<void> {
  const [a, b] = await Promise.all([connectRaw(gw, 'A'), connectRaw(gw, 'B')]);
  await pairRaw(a, b, 'B');
  await expectHealthyPair(a, b, 'B');
  // Handlers bound twice would deliver twice: exactly one 'once' arrives.
  const atA = recordEvents(a);
  b.emit('P2P_EMIT', { event: 'once', args: [1] });
  await waitFor(a, 'once');
  await roundTrip(a);
  expect(atA.filter(([event]) => event === 'once')).toEqual([['once', 1]]);
  // The disconnect handling runs: A hears of B's departure, once, and B's record is gone.
  const notice = waitFor(a, 'P2P_DISCONNECT');
  b.disconnect();
  expect(await notice).toEqual(['B', 'DISCONNECTED']);
  await eventually(async () => (await gw.service.getClient('B')) === undefined);
  await roundTrip(a);
  expect(atA.filter(([event]) => event === 'P2P_DISCONNECT')).toHaveLength(1);
}

describe('gateway: connection handling under Nest', () => {
  let gw: (GatewayHarness & { adapter: CountingAdapter }) | undefined;
  afterEach(async () => {
    await gw?.close();
    gw = undefined;
  });

  it("with Nest's IoAdapter, the gateway handles its connections: Nest binds nothing per socket", async () => {
    gw = await startWith((app) => new CountingAdapter(app));
    await exercise(gw);
    expect(gw.adapter.messageBindings).toBe(0);
    expect(gw.adapter.disconnectBindings).toBe(0);
  });

  it("with an adapter that wraps Nest's connection handler, that handler runs and the gateway works the same", async () => {
    gw = await startWith((app) => new WrappingAdapter(app));
    await exercise(gw);
    expect((gw.adapter as WrappingAdapter).wrapped).toBe(2);
    expect(gw.adapter.messageBindings).toBe(2);
    expect(gw.adapter.disconnectBindings).toBe(2);
  });
});
