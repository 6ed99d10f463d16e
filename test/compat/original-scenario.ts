import { expect } from '@jest/globals';
import { waitFor } from '../support/gateway-harness.js';

/** What the original clients use of a socket; socket.io-client 4 and 2 sockets both fit. */
export interface WireSocket {
  on(event: string, listener: (...args: any[]) => void): unknown;
  once(event: string, listener: (...args: any[]) => void): unknown;
  emit(event: string, ...args: any[]): unknown;
}

export function emitWithAck(socket: WireSocket, event: string, ...args: unknown[]): Promise<unknown[]> {
  return new Promise((resolve) => socket.emit(event, ...args, (...results: unknown[]) => resolve(results)));
}

/**
 * The original README's scenario, spoken on the wire by two connected sockets of original clients: B waits and
 * consents bare, A registers B, relays with an ack (the README's args), B replies with P2P_EMIT, A unregisters.
 */
export async function replayOriginalScenario(a: WireSocket, b: WireSocket): Promise<void> {
  const serverErrors: unknown[] = [];
  a.on('P2P_ERROR', (e: unknown) => serverErrors.push(e));
  b.on('P2P_ERROR', (e: unknown) => serverErrors.push(e));

  const askedBy: unknown[] = [];
  b.on('P2P_REGISTER', (sourceId: unknown) => {
    askedBy.push(sourceId);
    b.emit('P2P_REGISTER_SUCCESS');
  });
  let received: unknown[] | undefined;
  b.on('testAck', (...args: unknown[]) => {
    const callback = args.pop() as (...results: unknown[]) => void;
    received = args;
    callback('done', { from: 'B' }, 3);
    b.emit('P2P_EMIT', { targetClientId: 'A', event: 'testAckFromTarget', args: [{ abc: 'test' }] });
  });

  await expect(emitWithAck(a, 'P2P_REGISTER', 'B')).resolves.toEqual([true]);
  expect(askedBy).toEqual(['A']);

  const reply = waitFor(a, 'testAckFromTarget');
  const acked = await emitWithAck(a, 'P2P_EMIT_ACKNOWLEDGE', { targetClientId: 'B', event: 'testAck', args: [{ a: 1 }, 'b', 2, { c: 3 }] });
  expect(received).toEqual([{ a: 1 }, 'b', 2, { c: 3 }]);
  expect(acked).toEqual(['done', { from: 'B' }, 3]);
  await expect(reply).resolves.toEqual([{ abc: 'test' }]);

  const told = waitFor(b, 'P2P_DISCONNECT');
  a.emit('P2P_UNREGISTER');
  await expect(told).resolves.toEqual(['A', 'UNREGISTERED']);
  expect(serverErrors).toEqual([]);
}
