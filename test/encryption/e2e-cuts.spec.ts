import { afterEach, describe, expect, it } from '@jest/globals';
import type { P2pError } from '../../packages/client/src/index.js';
import { type GatewayHarness, startGateway, waitFor } from '../support/gateway-harness.js';
import { eventually } from '../support/eventually.js';
import { cutConnection } from '../support/network-cut.js';
import { reconnectingClient } from '../grace/grace-support.js';

describe('end-to-end encryption across connection cuts', () => {
  let gw: GatewayHarness;
  afterEach(async () => gw?.close());

  it('a cut in the middle of the key exchange: it completes after the resume, the messages sent meanwhile arrive once, in order', async () => {
    gw = await startGateway({ reconnectGraceMs: 10_000 });
    const a = await reconnectingClient(gw, 'A', { e2e: true });
    const b = await reconnectingClient(gw, 'B', { e2e: true });
    const errors: string[] = [];
    for (const client of [a, b]) client.on('error', (error: P2pError) => errors.push(error.code));
    const got: number[] = [];
    b.socket.on('n', (n: number) => got.push(n));
    const secured = Promise.all([waitFor<[string]>(a, 'secured', 15_000), waitFor<[string]>(b, 'secured', 15_000)]);
    let resumes = 0;
    a.on('resumed', () => resumes++);
    await a.pair('B');
    for (let i = 0; i < 50; i++) a.emit('n', i);
    // B's key is on its way or not sent yet: A's connection dies with the exchange unfinished.
    expect(a.secure).toBe(false);
    await cutConnection(a.socket);
    for (let i = 50; i < 100; i++) a.emit('n', i);
    const [[codeA], [codeB]] = await secured;
    expect(codeA).toBe(codeB);
    await eventually(() => expect(got).toEqual([...Array(100).keys()]), 15_000);
    expect(resumes).toBe(1);
    expect(errors).toEqual([]);
  });

  it('a resume keeps the keys: same code, messages sent across the cut arrive once, in order', async () => {
    gw = await startGateway({ reconnectGraceMs: 10_000 });
    const a = await reconnectingClient(gw, 'A', { e2e: true });
    const b = await reconnectingClient(gw, 'B', { e2e: true });
    const secured = Promise.all([waitFor<[string]>(a, 'secured'), waitFor<[string]>(b, 'secured')]);
    await a.pair('B');
    const [[code]] = await secured;
    const got: number[] = [];
    a.socket.on('n', (n: number) => got.push(n));
    let securedAgain = 0;
    a.on('secured', () => securedAgain++);
    for (let i = 0; i < 200; i++) b.emit('n', i);
    await cutConnection(b.socket);
    for (let i = 200; i < 400; i++) b.emit('n', i);
    await eventually(() => expect(got).toEqual([...Array(400).keys()]), 15_000);
    expect([a.verificationCode, b.verificationCode]).toEqual([code, code]);
    expect(a.secure && b.secure).toBe(true);
    expect(securedAgain).toBe(0);
  });
});
