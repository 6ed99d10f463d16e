import { afterEach, describe, expect, it } from '@jest/globals';
import { type GatewayHarness, rawSocket, startGateway } from '../support/gateway-harness.js';
import { connectRaw, listClients, refusalOf, whenConnected } from '../support/wire.js';

describe('gateway: connection admission', () => {
  let gw: GatewayHarness;
  afterEach(() => gw.close());

  describe('with default clientId rules', () => {
    it('admits a clientId given in the query, as the original client sends it', async () => {
      gw = await startGateway();
      const a = await connectRaw(gw, 'client-A');
      expect(await listClients(a)).toEqual(['client-A']);
      expect((await gw.service.getClient('client-A'))?.protocolVersion).toBe(1);
    });

    it('admits a clientId given in handshake auth, which wins over the query', async () => {
      gw = await startGateway();
      const a = await whenConnected(rawSocket(gw, { clientId: 'from-query' }, { auth: { clientId: 'from-auth', p2pProtocol: 2 } }));
      expect(await listClients(a)).toEqual(['from-auth']);
      expect((await gw.service.getClient('from-auth'))?.protocolVersion).toBe(2);
    });

    const refused: Array<[string, Parameters<typeof rawSocket>[2]]> = [
      ['no clientId at all', {}],
      ['an empty query clientId', { query: { clientId: '' } }],
      ['an empty auth clientId', { auth: { clientId: '' } }],
      ['a clientId of 129 characters', { query: { clientId: 'x'.repeat(129) } }],
      ['spaces in the clientId', { query: { clientId: 'a b' } }],
      ['a slash in the clientId', { query: { clientId: 'a/b' } }],
      ['non-ASCII characters in the clientId', { query: { clientId: 'héllo' } }],
      // socket.io-client serialises an array as "a,b": the comma is not an allowed character.
      ['an array in the query', { query: { clientId: ['a', 'b'] as unknown as string } }],
      ['an array in auth', { auth: { clientId: ['a', 'b'] } }],
      ['a number in auth', { auth: { clientId: 42 } }],
      ['an object in auth', { auth: { clientId: { id: 'a' } } }],
      ['a non-string session token', { auth: { clientId: 'ok', sessionToken: 123 } }],
      ['an empty session token', { auth: { clientId: 'ok', sessionToken: '' } }],
    ];

    it.each(refused)('refuses %s with INVALID_CLIENT_ID and a message', async (_label, extra) => {
      gw = await startGateway();
      const error = await refusalOf(rawSocket(gw, {}, extra));
      expect(error.data).toEqual({ code: 'INVALID_CLIENT_ID', message: expect.any(String) });
      expect(error.data?.message?.length).toBeGreaterThan(0);
      expect(await gw.service.counts()).toEqual({ clients: 0, pairings: 0, pendingRequests: 0 });
    });

    it('admits a clientId of exactly 128 characters using every allowed character class', async () => {
      gw = await startGateway();
      const id = `Az09_.:@-${'x'.repeat(119)}`;
      expect(id).toHaveLength(128);
      const socket = await connectRaw(gw, id);
      expect(await listClients(socket)).toEqual([id]);
    });

    it('keeps serving admitted clients after refusing bad ones', async () => {
      gw = await startGateway();
      const a = await connectRaw(gw, 'A');
      await refusalOf(rawSocket(gw, { clientId: 'bad id' }));
      await refusalOf(rawSocket(gw, {}));
      expect(await listClients(a)).toEqual(['A']);
    });
  });

  describe('with custom clientId options', () => {
    it('respects clientId.maxLength', async () => {
      gw = await startGateway({ clientId: { maxLength: 5 } });
      const error = await refusalOf(rawSocket(gw, { clientId: 'abcdef' }));
      expect(error.data?.code).toBe('INVALID_CLIENT_ID');
      expect(error.data?.message).toMatch(/5/);
      const ok = await connectRaw(gw, 'abcde');
      expect(await listClients(ok)).toEqual(['abcde']);
    });

    it('respects clientId.pattern, refusing ids the default would allow and admitting ones it would not', async () => {
      gw = await startGateway({ clientId: { pattern: /^user-[0-9]+$/ } });
      const error = await refusalOf(rawSocket(gw, { clientId: 'admin' }));
      expect(error.data?.code).toBe('INVALID_CLIENT_ID');
      const ok = await connectRaw(gw, 'user-42');
      expect(await listClients(ok)).toEqual(['user-42']);
    });

    it('lets a custom pattern admit characters the default refuses', async () => {
      gw = await startGateway({ clientId: { pattern: /^[a-z ]+$/ } });
      const ok = await connectRaw(gw, 'with space');
      expect(await listClients(ok)).toEqual(['with space']);
    });
  });
});
