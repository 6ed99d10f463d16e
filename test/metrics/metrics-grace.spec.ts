import { afterEach, describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { type GraceGateway, connectWithToken, dropAndHold, lifecycle, startGraceGateway } from '../grace/grace-support.js';
import { parsePrometheusText, valueOf } from '../support/prometheus-text.js';
import { emitWithAck, pairRaw } from '../support/wire.js';

describe('metrics: reconnect grace', () => {
  let gw: GraceGateway;
  afterEach(() => gw.close());

  it('counts the relays held for an away peer, then the resume; and a client that never came back as lost', async () => {
    const registry = new Registry();
    gw = await startGraceGateway({ reconnectGraceMs: 800, metrics: { registry, path: false } });
    const scrape = async () => parsePrometheusText(await registry.metrics());
    const a = await connectWithToken(gw, 'A', 'token-a');
    const b = await connectWithToken(gw, 'B', 'token-b');
    await pairRaw(a, b, 'B');

    const away = dropAndHold(a);
    await lifecycle(gw, { type: 'away', clientId: 'A' });
    expect(await emitWithAck(b, 'P2P_EMIT', { event: 'note', args: [1] })).toEqual([null]);
    expect(await emitWithAck(b, 'P2P_EMIT', { event: 'note', args: [2] })).toEqual([null]);
    let m = await scrape();
    expect(valueOf(m, 'p2p_held_relays')).toBe(2);
    expect(valueOf(m, 'p2p_resumes_total', { outcome: 'resumed' })).toBe(0);

    await away.comeBack();
    await lifecycle(gw, { type: 'resumed', clientId: 'A' });
    m = await scrape();
    expect(valueOf(m, 'p2p_held_relays')).toBe(0);
    expect(valueOf(m, 'p2p_resumes_total', { outcome: 'resumed' })).toBe(1);
    expect(valueOf(m, 'p2p_relayed_messages_total', { kind: 'emit' })).toBe(2);

    // B drops and stays away past its grace: lost.
    dropAndHold(b);
    await lifecycle(gw, { type: 'away', clientId: 'B' });
    await lifecycle(gw, { type: 'disconnected', clientId: 'B' });
    m = await scrape();
    expect(valueOf(m, 'p2p_resumes_total', { outcome: 'lost' })).toBe(1);
    expect(valueOf(m, 'p2p_resumes_total', { outcome: 'resumed' })).toBe(1);
  });
});
