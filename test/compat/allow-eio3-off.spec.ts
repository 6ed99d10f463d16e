/// <reference path="../support/socket.io-client-v2.d.ts" />
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import ioV2, { type V2Socket } from 'socket.io-client-v2';
import { type GatewayHarness, connected, rawSocket, startGateway, waitFor } from '../support/gateway-harness.js';

describe('serverOptions.allowEIO3: false', () => {
  let gw: GatewayHarness;
  let v2: V2Socket | undefined;
  beforeEach(async () => {
    gw = await startGateway({ serverOptions: { allowEIO3: false } });
  });
  afterEach(async () => {
    v2?.close();
    await gw.close();
  });

  it('turns socket.io-client 2.x away and still admits 4.x', async () => {
    v2 = ioV2(`${gw.url}?clientId=old`, { transports: ['websocket'], forceNew: true, reconnection: false });
    let v2Connected = false;
    v2.on('connect', () => (v2Connected = true));
    await waitFor(v2, 'connect_error');
    await connected(rawSocket(gw, { clientId: 'new' }));
    expect((await gw.service.listClients()).map((c) => c.clientId)).toEqual(['new']);
    expect(v2Connected).toBe(false); // checked after the 4.x client's whole handshake, not after a quiet spell
  });
});
