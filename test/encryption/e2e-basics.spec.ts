import { afterEach, describe, expect, it } from '@jest/globals';
import type { Socket } from 'socket.io-client';
import type { P2pClient } from '../../packages/client/src/index.js';
import { type GatewayHarness, connectClient, startGateway, waitFor } from '../support/gateway-harness.js';
import { eventually } from '../support/eventually.js';

describe('end-to-end encryption: the basics', () => {
  let gw: GatewayHarness;
  afterEach(async () => gw?.close());

  async function pairedE2e(): Promise<[P2pClient<Socket>, P2pClient<Socket>, string, string]> {
    const a = await connectClient(gw, 'A', { e2e: true });
    const b = await connectClient(gw, 'B', { e2e: true });
    const codes = Promise.all([waitFor<[string]>(a, 'secured'), waitFor<[string]>(b, 'secured')]);
    await a.pair('B');
    const [[codeA], [codeB]] = await codes;
    return [a, b, codeA, codeB];
  }

  it('agrees keys, shows equal codes, and carries messages and replies', async () => {
    gw = await startGateway();
    const [a, b, codeA, codeB] = await pairedE2e();
    expect(codeA).toMatch(/^\d{6}$/);
    expect(codeA).toBe(codeB);
    expect([a.secure, b.secure, a.verificationCode, b.verificationCode]).toEqual([true, true, codeA, codeA]);
    const got: unknown[] = [];
    b.socket.on('note', (...args: unknown[]) => got.push(args));
    b.socket.on('ask', (x: number, reply: (y: unknown) => void) => reply({ twice: x * 2, bin: Buffer.from([1, 2, 3]) }));
    a.emit('note', 'hello', { n: 1 }, Buffer.from('bytes'));
    await expect(a.emitWithAck('ask', 21)).resolves.toEqual({ twice: 42, bin: Buffer.from([1, 2, 3]) });
    await eventually(() => expect(got).toEqual([['hello', { n: 1 }, Buffer.from('bytes')]]));
  });

  it('holds messages sent before the keys are agreed, then delivers them in order', async () => {
    gw = await startGateway();
    const a = await connectClient(gw, 'A', { e2e: true });
    const b = await connectClient(gw, 'B', { e2e: true });
    const got: number[] = [];
    a.socket.on('n', (n: number) => got.push(n));
    // The peer's first sealed messages may arrive while this side still derives the keys: they wait, none is dropped.
    const errors: string[] = [];
    for (const client of [a, b]) client.on('error', (error) => errors.push(error.code));
    b.on('paired', () => {
      for (let i = 0; i < 20; i++) b.emit('n', i);
    });
    await a.pair('B');
    for (let i = 20; i < 40; i++) a.emit('x', i);
    expect(a.secure).toBe(false);
    await eventually(() => expect(got).toEqual([...Array(20).keys()]));
    expect(a.secure && b.secure).toBe(true);
    expect(errors).toEqual([]);
  });
});
