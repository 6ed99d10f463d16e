import { afterEach, describe, expect, it } from '@jest/globals';
import { P2pError, type P2pClientOptions } from '../../packages/client/src/index.js';
import { type GatewayHarness, connectClient, startGateway, waitFor } from '../support/gateway-harness.js';

/**
 * Every request P2pClient makes gets the gateway's refusal with its code. The client's own timeouts are a minute,
 * three times the test's: only the refusal itself can settle these requests in time.
 */
const PATIENT: P2pClientOptions = { requestTimeoutMs: 60_000, pairTimeoutMs: 60_000, ackTimeoutMs: 60_000 };

async function refusal(attempt: Promise<unknown>): Promise<P2pError> {
  const error = await attempt.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(P2pError);
  return error as P2pError;
}

describe('P2pClient: refusals settle each request at once, with their code', () => {
  let gw: GatewayHarness;
  afterEach(() => gw.close());

  it("listClients(), clients() and getClientList(cb) with discovery 'none': LIST_FORBIDDEN", async () => {
    gw = await startGateway({ discovery: 'none' });
    const viewer = await connectClient(gw, 'viewer', PATIENT);
    expect(await refusal(viewer.listClients())).toMatchObject({ code: 'LIST_FORBIDDEN', event: 'LIST_CLIENTS' });
    expect(await refusal(viewer.listClients({ available: true }))).toMatchObject({ code: 'LIST_FORBIDDEN' });
    expect(await refusal(viewer.clients().next())).toMatchObject({ code: 'LIST_FORBIDDEN' });
    expect(await refusal(viewer.getClientList() as Promise<string[]>)).toMatchObject({ code: 'LIST_FORBIDDEN' });

    const calledBack: string[][] = [];
    const reported = waitFor<[P2pError]>(viewer, 'error', 15_000);
    viewer.getClientList((clients) => calledBack.push(clients));
    expect((await reported)[0]).toMatchObject({ code: 'LIST_FORBIDDEN' });
    expect(calledBack).toEqual([]);
  });

  it('listClients() past the list rate: RATE_LIMITED; a malformed page: INVALID_PAYLOAD', async () => {
    gw = await startGateway({ limits: { listRequests: { perSecond: 0.001, burst: 1 } } });
    const viewer = await connectClient(gw, 'viewer', PATIENT);
    expect(await viewer.listClients()).toEqual(['viewer']);
    expect(await refusal(viewer.listClients())).toMatchObject({ code: 'RATE_LIMITED', event: 'LIST_CLIENTS' });
    const other = await connectClient(gw, 'other', PATIENT);
    expect(await refusal(other.listClients({ limit: 0 }))).toMatchObject({ code: 'INVALID_PAYLOAD' });
  });

  it('pair() past the pairing rate, to an absent target, or while busy: the code of each', async () => {
    gw = await startGateway({ limits: { pairRequests: { perSecond: 0.001, burst: 2 } } });
    const a = await connectClient(gw, 'A', PATIENT);
    await connectClient(gw, 'B', PATIENT);
    expect(await refusal(a.pair('ghost'))).toMatchObject({ code: 'TARGET_OFFLINE' });
    await a.pair('B');
    const c = await connectClient(gw, 'C', PATIENT);
    expect(await refusal(c.pair('B'))).toMatchObject({ code: 'TARGET_BUSY' });
    expect(await refusal(a.pair('C'))).toMatchObject({ code: 'RATE_LIMITED', event: 'P2P_REGISTER' });

    const failed = new Promise<P2pError>((resolve) => a.registerP2pTarget('C', {}, undefined, resolve));
    expect(await failed).toMatchObject({ code: 'RATE_LIMITED' });
  });

  it('unpair() while not paired: NOT_PAIRED', async () => {
    gw = await startGateway();
    const a = await connectClient(gw, 'A', PATIENT);
    expect(await refusal(a.unpair())).toMatchObject({ code: 'NOT_PAIRED', event: 'P2P_UNREGISTER' });
  });

  it('emitWithAck() without a pairing (plain relays, protocol 2): NOT_PAIRED', async () => {
    gw = await startGateway();
    const a = await connectClient(gw, 'A', { ...PATIENT, reliable: false });
    expect(await refusal(a.emitWithAck('question'))).toMatchObject({ code: 'NOT_PAIRED' });
  });
});
