/// <reference path="../support/socket.io-client-v2.d.ts" />
import { afterEach, describe, expect, it } from '@jest/globals';
import type { Socket } from 'socket.io-client';
import ioV2, { type V2Socket } from 'socket.io-client-v2';
import type { P2pClient } from '../../packages/client/src/index.js';
import type { P2pModuleOptions, PairingStore } from '../../packages/server/src/index.js';
import type { RedisPairingStore } from '../../packages/server/src/redis.js';
import { type GatewayHarness, connectClient, startGateway, waitFor } from '../support/gateway-harness.js';
import { useRedisStores } from '../support/redis-store-suite.js';
import { connectRaw, connectRawV2, emitWithAck } from '../support/wire.js';
import { wireError } from '../security/security-support.js';

const ids = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(2, '0')}`);

describe('LIST_CLIENTS pages', () => {
  const redis = useRedisStores();
  let gw: GatewayHarness | undefined;
  let redisStore: RedisPairingStore | undefined;
  const v2Sockets: V2Socket[] = [];

  afterEach(async () => {
    for (const socket of v2Sockets.splice(0)) socket.close();
    await gw?.close();
    gw = undefined;
    if (redisStore) await redis.cleanup(redisStore);
    redisStore = undefined;
  });

  const stores: Array<[string, () => PairingStore | undefined]> = [
    ['in memory', () => undefined],
    ['on Redis', () => (redisStore = redis.store())],
  ];

  describe.each(stores)('%s', (_name, makeStore) => {
    async function start(options: P2pModuleOptions = {}): Promise<GatewayHarness> {
      const store = makeStore();
      gw = await startGateway({ ...(store ? { store } : {}), limits: false, ...options });
      return gw;
    }

    async function connectAll(harness: GatewayHarness, clientIds: string[]): Promise<Map<string, P2pClient>> {
      const clients = new Map<string, P2pClient>();
      for (const id of clientIds) clients.set(id, await connectClient(harness, id));
      return clients;
    }

    it('gives original clients (socket.io-client 4 and 2.x) and unchanged protocol 2 clients the first page as string[]', async () => {
      const harness = await start({ listPageSize: 5 });
      const first = ids('c', 8);
      await connectAll(harness, first);
      const v1 = await connectRaw(harness, 'v1');
      const v2 = await connectRawV2(harness, 'v2');
      const old = ioV2(`${harness.url}?clientId=old`, { transports: ['websocket'], forceNew: true, reconnection: false });
      v2Sockets.push(old);
      await waitFor(old, 'connect');
      const firstPage = first.slice(0, 5);
      expect(await emitWithAck(v1, 'LIST_CLIENTS')).toEqual([firstPage]);
      // Protocol 1 clients get the original answer whatever their filter holds.
      expect(await emitWithAck(v1, 'LIST_CLIENTS', { cursor: null, limit: 2 })).toEqual([firstPage]);
      const [oldList] = await new Promise<unknown[]>((resolve) => old.emit('LIST_CLIENTS', (...args: unknown[]) => resolve(args)));
      expect(oldList).toEqual(firstPage);
      // A protocol 2 client that does not ask for a page gets what it got before: the string[] of the first page.
      expect(await emitWithAck(v2, 'LIST_CLIENTS')).toEqual([firstPage]);
      expect(await emitWithAck(v2, 'LIST_CLIENTS', { available: true })).toEqual([firstPage]);
    });

    it('pages with a cursor for protocol 2 clients that ask, and P2pClient.clients() walks every page', async () => {
      const harness = await start({ listPageSize: 4 });
      const all = ids('p', 10);
      const clients = await connectAll(harness, all);
      const v2 = await connectRawV2(harness, 'raw');
      const [first] = (await emitWithAck(v2, 'LIST_CLIENTS', { cursor: null, limit: 3 })) as [{ clients: string[]; next: string }];
      expect(first.clients).toEqual(all.slice(0, 3));
      expect(typeof first.next).toBe('string');
      // The cursor names no client.
      for (const id of [...all, 'raw']) expect(first.next).not.toContain(id);
      const [second] = await emitWithAck(v2, 'LIST_CLIENTS', { cursor: first.next, limit: 3 });
      expect(second).toEqual({ clients: all.slice(3, 6), next: expect.any(String) });
      // A limit above listPageSize is cut to it.
      const [big] = await emitWithAck(v2, 'LIST_CLIENTS', { limit: 50 });
      expect(big).toEqual({ clients: all.slice(0, 4), next: expect.any(String) });
      const viewer = clients.get('p00')!;
      await expect(viewer.listClients()).resolves.toEqual(all.slice(0, 4));
      const walked: string[] = [];
      for await (const id of viewer.clients()) walked.push(id);
      expect(walked).toEqual([...all, 'raw']);
      await clients.get('p01')!.pair('p02');
      const free: string[] = [];
      for await (const id of viewer.clients({ available: true, pageSize: 3 })) free.push(id);
      expect(free).toEqual([...all.filter((id) => id !== 'p01' && id !== 'p02'), 'raw']);
    });

    it('walks a list that changes between pages: no client twice, every client there throughout listed once', async () => {
      const harness = await start({ listPageSize: 3 });
      const all = ids('w', 24);
      const clients = await connectAll(harness, all);
      const steady = all.filter((_, i) => i % 2 === 0);
      const churned = all.filter((_, i) => i % 2 === 1);
      const viewer = await connectClient(harness, 'viewer');
      const listed: string[] = [];
      let pages = 0;
      let arrivals = 0;
      for await (const id of viewer.clients()) {
        listed.push(id);
        if (listed.length % 3 !== 0) continue;
        // At each page boundary: a churned client leaves, another comes back under an id that left, one is new.
        pages++;
        const leaving = churned[pages % churned.length]!;
        const client = clients.get(leaving);
        if (client) {
          client.socket.disconnect();
          clients.delete(leaving);
          await eventuallyGone(harness, leaving);
        }
        const back = churned[(pages + churned.length - 3) % churned.length]!;
        if (!clients.has(back)) clients.set(back, await connectClient(harness, back));
        clients.set(`new${arrivals}`, await connectClient(harness, `new${arrivals++}`));
      }
      expect(pages).toBeGreaterThan(4);
      expect(new Set(listed).size).toBe(listed.length);
      for (const id of steady) expect(listed.filter((other) => other === id)).toEqual([id]);
      expect(listed.filter((id) => id === 'viewer')).toEqual(['viewer']);
    });

    it('refuses a malformed cursor or limit with INVALID_PAYLOAD, in the page answer', async () => {
      const harness = await start();
      const v2 = await connectRawV2(harness, 'bad');
      for (const filter of [
        { cursor: 'nope' },
        { cursor: 42 },
        { cursor: 'z.1' },
        { limit: 0 },
        { limit: 1.5 },
        { limit: '3' },
        { cursor: null, limit: -1 },
      ]) {
        // In the ack its client waits on, not as a P2P_ERROR that would leave the ack to time out.
        let stray: unknown;
        v2.once('P2P_ERROR', (payload: unknown) => (stray = payload));
        expect([filter, await emitWithAck(v2, 'LIST_CLIENTS', filter)]).toEqual([
          filter,
          [{ error: wireError('INVALID_PAYLOAD', 'LIST_CLIENTS') }],
        ]);
        expect(stray).toBeUndefined();
      }
    });
  });

  it('answers a rate-limited page request in its ack', async () => {
    gw = await startGateway({ limits: { listRequests: { perSecond: 0.001, burst: 1 } } });
    const v2: Socket = await connectRawV2(gw, 'limited');
    await emitWithAck(v2, 'LIST_CLIENTS', { cursor: null });
    expect(await emitWithAck(v2, 'LIST_CLIENTS', { cursor: null })).toEqual([{ error: wireError('RATE_LIMITED', 'LIST_CLIENTS') }]);
  });

  it('walks a policy-filtered list whose pages may be short or empty, listing exactly the visible clients', async () => {
    gw = await startGateway({ listPageSize: 2, discovery: (viewer, client) => client.clientId.startsWith('v') });
    const all = ['h1', 'h2', 'h3', 'h4', 'v1', 'h5', 'v2', 'v3', 'h6'];
    for (const id of all) await connectClient(gw, id);
    const viewer = await connectClient(gw, 'viewer');
    const raw = await connectRawV2(gw, 'raw');
    const [first] = await emitWithAck(raw, 'LIST_CLIENTS', { cursor: null });
    expect(first).toEqual({ clients: [], next: expect.any(String) });
    const walked: string[] = [];
    for await (const id of viewer.clients()) walked.push(id);
    expect(walked).toEqual(['v1', 'v2', 'v3', 'viewer']);
  });
});

async function eventuallyGone(harness: GatewayHarness, clientId: string): Promise<void> {
  for (let i = 0; i < 200 && (await harness.service.getClient(clientId)); i++) await new Promise((resolve) => setTimeout(resolve, 25));
  expect(await harness.service.getClient(clientId)).toBeUndefined();
}
