import { afterEach, describe, expect, it } from '@jest/globals';
import type { Socket } from 'socket.io-client';
import {
  P2P_FRAME_CAPABILITY_E2E,
  P2P_FRAME_CAPABILITY_E2E_BATCH,
  P2P_FRAME_CAPABILITY_STREAMS,
  P2pE2eEvent,
} from '../../packages/protocol/src/index.js';
import { fromBase64, toBase64 } from '../../packages/client/src/e2e/base64.codec.js';
import { type EphemeralKey, commitmentOf, deriveSession, ephemeralKey, transcriptOf } from '../../packages/client/src/e2e/key.agreement.js';
import { MessageSealer, wireForm } from '../../packages/client/src/e2e/message.sealer.js';
import { type GatewayHarness, connectClient, rawSocket, startGateway, waitFor } from '../support/gateway-harness.js';
import { eventually } from '../support/eventually.js';
import { emitWithAck, whenConnected } from '../support/wire.js';

/** What an e2e client of the previous version announces in its frames' `k`. */
const K = P2P_FRAME_CAPABILITY_STREAMS | P2P_FRAME_CAPABILITY_E2E | P2P_FRAME_CAPABILITY_E2E_BATCH;

/**
 * A client of the previous version, played by hand on a raw socket: it declares the pre-commitment as an e2e P2pClient
 * does, and its frames are those that version sent on the pre-committed path (docs/e2e.md, "Pre-committed with the
 * pairing"): as requester COMMIT, REVEAL, then its sealed messages; as target HELLO and KEY at once, CONFIRM after
 * REVEAL. The client of this version sends fewer (REVEAL alone as requester; KEY and CONFIRM as target) and must still
 * complete the exchange with it.
 */
async function previousVersion(gw: GatewayHarness, clientId: string): Promise<{ socket: Socket; frames: Record<string, unknown>[] }> {
  const socket = rawSocket(gw, {}, { auth: { clientId, p2pProtocol: 3, p2pE2eCommit: true } });
  const session = waitFor<[Record<string, unknown>]>(socket, 'P2P_SESSION');
  await whenConnected(socket);
  expect((await session)[0]).toMatchObject({ e2eCommit: true });
  const frames: Record<string, unknown>[] = [];
  socket.on('P2P_FRAME', (frame: Record<string, unknown>) => frames.push(frame));
  return { socket, frames };
}

/** The exchange's messages in `frames`, in order (numbered frames in the clear). */
function exchangeOf(frames: Record<string, unknown>[]): unknown[] {
  return frames.filter((frame) => typeof frame['e'] === 'string').map((frame) => frame['e']);
}

function send(socket: Socket, frame: Record<string, unknown>): void {
  socket.emit('P2P_FRAME', { c: 0, ...frame, k: K });
}

const side = (id: string, key: EphemeralKey) => ({ id, publicKey: key.publicKey, nonce: key.nonce });

describe('end-to-end encryption: the pre-committed exchange with a client of the previous version', () => {
  let gw: GatewayHarness;
  afterEach(async () => gw?.close());

  it('a previous-version requester (COMMIT, REVEAL, sealed): this target delivers, then sends KEY and CONFIRM; equal codes', async () => {
    gw = await startGateway();
    const old = await previousVersion(gw, 'A');
    const target = await connectClient(gw, 'B', { e2e: true });
    const secured = waitFor<[string]>(target, 'secured');
    const got: unknown[] = [];
    target.socket.on('first', (...args: unknown[]) => got.push(args));
    const own = await ephemeralKey();
    const commitment = toBase64(await commitmentOf(own.publicKey, own.nonce));
    const [ok, , info] = (await emitWithAck(old.socket, 'P2P_REGISTER', 'B', { e2eCommitment: commitment })) as [
      boolean,
      unknown,
      { e2eKey: string; e2eNonce: string },
    ];
    expect(ok).toBe(true);
    const peer = { id: 'B', publicKey: fromBase64(info.e2eKey, 32)!, nonce: fromBase64(info.e2eNonce, 16)! };
    const keys = await deriveSession(own, peer.publicKey, transcriptOf(side('A', own), peer));
    const sealer = new MessageSealer(keys.firstToSecond, 0, keys.secondToFirst);
    const sealed = await sealer.seal({ seq: 3, event: 'first', args: ['hello'], wantsReply: false, bytes: 0 });
    send(old.socket, { s: 1, e: P2pE2eEvent.COMMIT, a: [commitment] });
    send(old.socket, { s: 2, e: P2pE2eEvent.REVEAL, a: [toBase64(own.publicKey), toBase64(own.nonce), toBase64(keys.firstConfirmation)] });
    send(old.socket, { s: 3, z: wireForm(sealed) });
    await eventually(() => expect(got).toEqual([['hello']]));
    // Its KEY repeats the key its consent carried (the previous version checks that), CONFIRM confirms the keys.
    await eventually(() => expect(exchangeOf(old.frames)).toEqual([P2pE2eEvent.KEY, P2pE2eEvent.CONFIRM]));
    const [key, confirm] = old.frames.filter((frame) => typeof frame['e'] === 'string');
    expect(key!['a']).toEqual([info.e2eKey, info.e2eNonce]);
    expect(confirm!['a']).toEqual([toBase64(keys.secondConfirmation)]);
    const [code] = await secured;
    expect(code).toBe(keys.verificationCode);
  });

  it('a previous-version target (HELLO, KEY, CONFIRM after REVEAL): this requester completes, its first message opens', async () => {
    gw = await startGateway();
    const old = await previousVersion(gw, 'B');
    const requester = await connectClient(gw, 'A', { e2e: true });
    const secured = waitFor<[string]>(requester, 'secured');
    const asked = waitFor<[string, { e2eCommitment: string }]>(old.socket, 'P2P_REGISTER');
    const pairing = requester.pair('B');
    const [, request] = await asked;
    const own = await ephemeralKey();
    const consent = { e2eKey: toBase64(own.publicKey), e2eNonce: toBase64(own.nonce) };
    expect(await emitWithAck(old.socket, 'P2P_REGISTER_SUCCESS', 'A', consent)).toEqual([true, null, { e2eCommitted: true }]);
    await pairing;
    // As the previous version did on pairing: HELLO and KEY at once.
    send(old.socket, { s: 1, e: P2pE2eEvent.HELLO, a: [] });
    send(old.socket, { s: 2, e: P2pE2eEvent.KEY, a: [consent.e2eKey, consent.e2eNonce] });
    requester.emit('first', 'hello');
    // This requester sends REVEAL (the key it committed to), then its sealed message: no COMMIT in the channel.
    await eventually(() => expect(old.frames.filter((frame) => frame['s'] !== undefined)).toHaveLength(2));
    const [reveal, message] = old.frames.filter((frame) => frame['s'] !== undefined);
    expect(reveal).toMatchObject({ s: 1, e: P2pE2eEvent.REVEAL });
    const [key, nonce, confirmation] = reveal!['a'] as string[];
    const peer = { id: 'A', publicKey: fromBase64(key, 32)!, nonce: fromBase64(nonce, 16)! };
    // What the previous version checks: the key against the request's commitment, then the confirmation.
    expect(toBase64(await commitmentOf(peer.publicKey, peer.nonce))).toBe(request.e2eCommitment);
    const keys = await deriveSession(own, peer.publicKey, transcriptOf(peer, side('B', own)));
    expect(confirmation).toBe(toBase64(keys.firstConfirmation));
    const opener = new MessageSealer(keys.secondToFirst, 1, keys.firstToSecond);
    expect(await opener.open(message as { s: number; z: string })).toEqual({ s: 2, e: 'first', a: ['hello'] });
    send(old.socket, { s: 3, e: P2pE2eEvent.CONFIRM, a: [toBase64(keys.secondConfirmation)] });
    const [code] = await secured;
    expect(code).toBe(keys.verificationCode);
  });
});
