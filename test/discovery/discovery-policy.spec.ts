import { afterEach, describe, expect, it } from '@jest/globals';
import { type Socket, io } from 'socket.io-client';
import { P2pClient } from '../../packages/client/src/index.js';
import type { P2pAuthenticateHook, P2pCanPairHook, P2pModuleOptions } from '../../packages/server/src/index.js';
import { type GatewayHarness, startGateway, waitFor } from '../support/gateway-harness.js';
import { emitWithAck, nextP2pError } from '../support/wire.js';
import { connectWithAuth, wireError } from '../security/security-support.js';

/** Identities come from `authenticate`: the token is `t-<clientId>`. */
const byToken: P2pAuthenticateHook = (handshake) => {
  const token = (handshake.auth as { token?: unknown }).token;
  return typeof token === 'string' && token.startsWith('t-') ? token.slice(2) : null;
};

/** Nobody deals with `enemy`, in either direction. */
const notEnemies: P2pCanPairHook = (a, b) => a.clientId !== 'enemy' && b.clientId !== 'enemy';

const PEOPLE = ['alice', 'bob', 'carol', 'enemy'];

describe('discovery policy (with authenticate identities)', () => {
  let gw: GatewayHarness;
  afterEach(() => gw.close());

  async function start(options: P2pModuleOptions) {
    gw = await startGateway({ authenticate: byToken, ...options });
    const sockets = await Promise.all(PEOPLE.map((id) => connectWithAuth(gw, { token: `t-${id}` })));
    return Object.fromEntries(PEOPLE.map((id, i) => [id, sockets[i]!])) as Record<'alice' | 'bob' | 'carol' | 'enemy', Socket>;
  }

  const list = async (socket: Parameters<typeof emitWithAck>[0], filter?: object) => {
    const [ids] = filter ? await emitWithAck(socket, 'LIST_CLIENTS', filter) : await emitWithAck(socket, 'LIST_CLIENTS');
    return ids;
  };

  /** A P2pClient on a socket that authenticates with `token`. */
  async function p2pClient(token: string): Promise<P2pClient> {
    const socket = io(gw.url, { transports: ['websocket'], reconnection: false, forceNew: true, autoConnect: false, auth: { token } });
    gw.sockets.push(socket);
    const client = new P2pClient(socket, {});
    socket.connect();
    await waitFor(socket, 'connect');
    return client;
  }

  it("'all' (the default) lists every connected client to everyone", async () => {
    const { alice, enemy } = await start({});
    expect([...((await list(alice)) as string[])].sort()).toEqual(PEOPLE);
    expect([...((await list(enemy, { available: true })) as string[])].sort()).toEqual(PEOPLE);
  });

  it("'none' refuses LIST_CLIENTS with LIST_FORBIDDEN, for both answer shapes; pairing by a known id still works", async () => {
    const { alice } = await start({ discovery: 'none' });
    const refused = nextP2pError(alice);
    alice.emit('LIST_CLIENTS', () => undefined);
    expect(await refused).toEqual(wireError('LIST_FORBIDDEN', 'LIST_CLIENTS'));
    expect(await emitWithAck(alice, 'LIST_CLIENTS', { cursor: null })).toEqual([{ error: wireError('LIST_FORBIDDEN', 'LIST_CLIENTS') }]);
    const dave = await p2pClient('t-dave');
    await expect(dave.clients().next()).rejects.toMatchObject({ code: 'LIST_FORBIDDEN' });
    const erin = await p2pClient('t-erin');
    const erinPaired = new Promise((resolve) => erin.on('paired', resolve));
    await dave.pair('erin');
    expect(await erinPaired).toBe('dave');
    await expect(gw.service.listClients()).resolves.toHaveLength(6);
  });

  it('a hook hides the clients it says no to, in every list, and a hidden target answers as if offline', async () => {
    const { alice, enemy } = await start({ discovery: notEnemies });
    expect([...((await list(alice)) as string[])].sort()).toEqual(['alice', 'bob', 'carol']);
    expect([...((await list(alice, { available: true })) as string[])].sort()).toEqual(['alice', 'bob', 'carol']);
    // The viewer always sees itself; enemy sees no one else.
    expect(await list(enemy)).toEqual(['enemy']);
    expect(await list(alice, { cursor: null })).toEqual({ clients: expect.arrayContaining(['alice', 'bob', 'carol']), next: null });
    // P2P_REGISTER to a hidden client and to an id nobody holds answer alike.
    const hidden = await emitWithAck(alice, 'P2P_REGISTER', 'enemy');
    const nobody = await emitWithAck(alice, 'P2P_REGISTER', 'nobody');
    expect(hidden).toEqual([false, wireError('TARGET_OFFLINE', 'P2P_REGISTER')]);
    expect(hidden).toEqual(nobody);
    // The host's and the operator's views are not filtered.
    expect((await gw.service.listClients()).map((client) => client.clientId).sort()).toEqual(PEOPLE);
    expect((await gw.service.listClientPage()).clients.map((client) => client.clientId).sort()).toEqual(PEOPLE);
  });

  it('discovery: canPair makes a pairing policy hide the presence of those a client may not pair with', async () => {
    const client = await start({ discovery: notEnemies, canPair: notEnemies }).then(() => p2pClient('t-frank'));
    expect(await client.listClients()).not.toContain('enemy');
    const walked: string[] = [];
    for await (const id of client.clients({ pageSize: 2 })) walked.push(id);
    expect(walked.sort()).toEqual(['alice', 'bob', 'carol', 'frank']);
    await expect(client.pair('enemy')).rejects.toMatchObject({ code: 'PAIR_FORBIDDEN' });
  });

  it('asks forViewer once per request and applies its predicate to every client of the page', async () => {
    const viewers: string[] = [];
    const { bob } = await start({
      discovery: {
        forViewer: async (viewer) => {
          viewers.push(viewer.clientId);
          const friends = new Set(viewer.clientId === 'bob' ? ['carol'] : []);
          return (client) => friends.has(client.clientId);
        },
      },
    });
    expect([...((await list(bob)) as string[])].sort()).toEqual(['bob', 'carol']);
    expect(viewers).toEqual(['bob']);
    expect(await emitWithAck(bob, 'P2P_REGISTER', 'alice')).toEqual([false, wireError('TARGET_OFFLINE', 'P2P_REGISTER')]);
    expect(viewers).toEqual(['bob', 'bob']);
  });

  it('a hook or a predicate that throws or rejects for a client hides that client only', async () => {
    const { alice } = await start({
      discovery: (_viewer, client) => {
        if (client.clientId === 'bob') throw new Error('no data for bob');
        if (client.clientId === 'carol') return Promise.reject(new Error('lookup failed'));
        return client.clientId === 'enemy' ? Promise.resolve(true) : true;
      },
    });
    expect([...((await list(alice)) as string[])].sort()).toEqual(['alice', 'enemy']);
    await gw.close();
    const second = await start({
      discovery: {
        forViewer: () => (client) => {
          if (client.clientId === 'bob') throw new Error('no data for bob');
          return true;
        },
      },
    });
    expect([...((await list(second.alice)) as string[])].sort()).toEqual(['alice', 'carol', 'enemy']);
  });

  it('a hook that does not answer within discoveryTimeoutMs refuses the listing (LIST_FORBIDDEN) and the pairing request', async () => {
    const never = new Promise<boolean>(() => undefined);
    const { alice, enemy } = await start({
      discovery: (_viewer, client) => (client.clientId === 'carol' ? never : true),
      discoveryTimeoutMs: 300,
    });
    const refused = nextP2pError(alice);
    alice.emit('LIST_CLIENTS', () => undefined);
    expect(await refused).toEqual(wireError('LIST_FORBIDDEN', 'LIST_CLIENTS'));
    expect(await emitWithAck(alice, 'LIST_CLIENTS', { limit: 10 })).toEqual([{ error: wireError('LIST_FORBIDDEN', 'LIST_CLIENTS') }]);
    expect(await emitWithAck(alice, 'P2P_REGISTER', 'carol')).toEqual([false, wireError('TARGET_OFFLINE', 'P2P_REGISTER')]);
    // A target the hook answers for in time is asked as usual.
    const asked = waitFor(enemy, 'P2P_REGISTER');
    alice.emit('P2P_REGISTER', 'enemy', () => undefined);
    expect(await asked).toEqual(['alice']);
  }, 15_000);

  it('forViewer that throws, rejects, times out or returns no function refuses the listing', async () => {
    const cases: Array<[string, () => unknown]> = [
      [
        'throws',
        () => {
          throw new Error('directory down');
        },
      ],
      ['rejects', () => Promise.reject(new Error('directory down'))],
      ['times out', () => new Promise(() => undefined)],
      ['returns no function', () => true],
    ];
    for (const [what, forViewer] of cases) {
      const { alice } = await start({ discovery: { forViewer: forViewer as never }, discoveryTimeoutMs: 300 });
      const answer = await emitWithAck(alice, 'LIST_CLIENTS', { cursor: null });
      expect([what, answer]).toEqual([what, [{ error: wireError('LIST_FORBIDDEN', 'LIST_CLIENTS') }]]);
      await gw.close();
    }
    gw = await startGateway({});
  }, 20_000);

  it('refuses an invalid discovery option at start-up', async () => {
    await expect(startGateway({ discovery: 'some' as never })).rejects.toThrow(/discovery must be/);
    await expect(startGateway({ listPageSize: 0 })).rejects.toThrow(/listPageSize/);
    await expect(startGateway({ discoveryTimeoutMs: -1 })).rejects.toThrow(/discoveryTimeoutMs/);
    gw = await startGateway({});
  });
});
