import { afterEach, describe, expect, it } from '@jest/globals';
import type { Socket } from 'socket.io-client';
import { type GatewayHarness, startGateway } from '../support/gateway-harness.js';
import { connectRawV2, emitWithAck, expectHealthyPair, pairRaw, roundTrip } from '../support/wire.js';
import { collect, relay, wireError } from './security-support.js';

const TOO_LARGE = wireError('PAYLOAD_TOO_LARGE', 'P2P_EMIT');

describe('security: largest relayed message', () => {
  let gw: GatewayHarness;
  let a: Socket;
  let b: Socket;
  afterEach(() => gw.close());

  async function paired(maxMessageBytes: number) {
    gw = await startGateway({ limits: { maxMessageBytes, disconnectAfterViolations: false } });
    b = await connectRawV2(gw, 'B');
    a = await connectRawV2(gw, 'A');
    await pairRaw(a, b, 'B');
  }

  it('refuses a text message over maxMessageBytes with PAYLOAD_TOO_LARGE, delivers one under it, and stays healthy', async () => {
    await paired(1024);
    const atB = collect(b, 'text');
    expect(await relay(a, 'text', ['x'.repeat(2000)])).toEqual(TOO_LARGE);
    expect(await relay(a, 'text', ['x'.repeat(500)])).toBeNull();
    await roundTrip(b); // whatever was delivered to B has arrived
    expect(atB).toEqual([['x'.repeat(500)]]);
    expect(a.connected).toBe(true);
    await expectHealthyPair(a, b, 'B');
  });

  it('counts bytes, not characters', async () => {
    await paired(1024);
    const atB = collect(b, 'text');
    // 400 characters, 1200 bytes in UTF-8.
    expect(await relay(a, 'text', ['€'.repeat(400)])).toEqual(TOO_LARGE);
    expect(await relay(a, 'text', ['€'.repeat(200)])).toBeNull();
    await roundTrip(b); // whatever was delivered to B has arrived
    expect(atB).toEqual([['€'.repeat(200)]]);
  });

  it('counts binary attachments', async () => {
    await paired(1024);
    const atB = collect(b, 'bytes');
    expect(await relay(a, 'bytes', [Buffer.alloc(2000, 1)])).toEqual(TOO_LARGE);
    expect(await relay(a, 'bytes', [Buffer.alloc(300, 2), Buffer.alloc(300, 3)])).toBeNull();
    await roundTrip(b); // whatever was delivered to B has arrived
    expect(atB).toHaveLength(1);
    expect(atB[0]!.map((part) => Buffer.from(part as Buffer).length)).toEqual([300, 300]);
  });

  it('refuses P2P_EMIT_ACKNOWLEDGE over the limit the same way, without asking the peer', async () => {
    await paired(1024);
    const asked = collect(b, 'ask');
    const [answer] = await emitWithAck(a, 'P2P_EMIT_ACKNOWLEDGE', { event: 'ask', args: ['x'.repeat(2000)] });
    expect(answer).toEqual(wireError('PAYLOAD_TOO_LARGE', 'P2P_EMIT_ACKNOWLEDGE'));
    await roundTrip(b); // whatever was delivered to B has arrived
    expect(asked).toEqual([]);
  });

  it('measures each message by itself when large and small ones arrive back to back', async () => {
    await paired(1024);
    const atB = collect(b, 'mixed');
    const big = 'x'.repeat(3000);
    for (let round = 0; round < 5; round++) {
      const answers = await Promise.all([
        relay(a, 'mixed', [`small-${round}-1`]),
        relay(a, 'mixed', [big]),
        relay(a, 'mixed', [`small-${round}-2`]),
        relay(a, 'mixed', [Buffer.alloc(3000)]),
        relay(a, 'mixed', [`small-${round}-3`]),
      ]);
      expect(answers).toEqual([null, TOO_LARGE, null, TOO_LARGE, null]);
    }
    await roundTrip(b); // whatever was delivered to B has arrived
    expect(atB.map(([text]) => text)).toEqual([0, 1, 2, 3, 4].flatMap((round) => [1, 2, 3].map((n) => `small-${round}-${n}`)));
  });

  it("answers a message larger than Socket.IO's default buffer with a code rather than a dropped connection", async () => {
    // The gateway raises maxHttpBufferSize (1 MB by default) to twice maxMessageBytes.
    await paired(800_000);
    expect(await relay(a, 'huge', ['x'.repeat(1_200_000)])).toEqual(TOO_LARGE);
    expect(a.connected).toBe(true);
    await expectHealthyPair(a, b, 'B');
  });
});
