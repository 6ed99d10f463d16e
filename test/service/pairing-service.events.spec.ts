import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { type Subscription, filter, firstValueFrom } from 'rxjs';
import type { P2pLifecycleEvent } from '../../packages/server/src/index.js';
import { type GatewayHarness, connectClient, startGateway } from '../support/gateway-harness.js';

describe('PairingService.events$', () => {
  let gw: GatewayHarness;
  let subscription: Subscription | undefined;
  beforeEach(async () => {
    gw = await startGateway({ pairTimeoutMs: 5000 });
  });
  afterEach(async () => {
    subscription?.unsubscribe();
    await gw.close();
  });

  it('streams typed lifecycle events in order through a whole scenario', async () => {
    const seen: P2pLifecycleEvent[] = [];
    subscription = gw.service.events$.subscribe((event) => seen.push(event));

    const b = await connectClient(gw, 'B', { consent: (sourceId) => sourceId !== 'C' });
    const a = await connectClient(gw, 'A');
    await a.pair('B');
    await a.unpair();
    const c = await connectClient(gw, 'C');
    await expect(c.pair('B')).rejects.toMatchObject({ code: 'PAIR_REFUSED' });
    await expect(a.pair('ghost')).rejects.toMatchObject({ code: 'TARGET_OFFLINE' });
    await a.pair('B');
    const bLeft = firstValueFrom(gw.service.events$.pipe(filter((e) => e.type === 'disconnected' && e.clientId === 'B')));
    b.socket.disconnect();
    await bLeft;

    expect(seen.map(({ at, ...rest }) => rest)).toEqual([
      { type: 'connected', clientId: 'B' },
      { type: 'connected', clientId: 'A' },
      { type: 'pair-requested', sourceId: 'A', targetId: 'B' },
      { type: 'paired', sourceId: 'A', targetId: 'B' },
      { type: 'unpaired', clientId: 'A', peerId: 'B', reason: 'UNREGISTERED' },
      { type: 'connected', clientId: 'C' },
      { type: 'pair-requested', sourceId: 'C', targetId: 'B' },
      { type: 'pair-refused', sourceId: 'C', targetId: 'B', code: 'PAIR_REFUSED' },
      { type: 'pair-refused', sourceId: 'A', targetId: 'ghost', code: 'TARGET_OFFLINE' },
      { type: 'pair-requested', sourceId: 'A', targetId: 'B' },
      { type: 'paired', sourceId: 'A', targetId: 'B' },
      { type: 'disconnected', clientId: 'B', reason: 'DISCONNECTED' },
      { type: 'unpaired', clientId: 'B', peerId: 'A', reason: 'DISCONNECTED' },
    ]);
    const times = seen.map((e) => e.at);
    expect(times).toEqual([...times].sort((x, y) => x - y));
  });
});
