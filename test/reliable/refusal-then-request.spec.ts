import { afterEach, describe, expect, it } from '@jest/globals';
import { filter, firstValueFrom } from 'rxjs';
import { type GatewayHarness, connectClient, startGateway } from '../support/gateway-harness.js';
import { eventually, outcomes } from '../support/eventually.js';
import { resetStalled, resumeReading, stopReading } from '../support/network-cut.js';

const PAIRS = 200;
const AT_ONCE = 10;

function codeOf(error: unknown): string {
  return (error as { code?: string } | null)?.code ?? String(error);
}

describe('P2pClient: a request right after a refusal is answered', () => {
  let gw: GatewayHarness;
  afterEach(async () => {
    resetStalled();
    await gw.close();
  });

  /**
   * B refuses A's first request and accepts the next. A asks again as soon as it is refused; B reads nothing from the
   * moment it refuses until the server has sent it A's second request, so the ack of its refusal and that request reach
   * it in one socket read, as they do now and then on a busy machine.
   */
  async function refusedThenAsked(i: number): Promise<string> {
    let answers = 0;
    const b = await connectClient(gw, `B${i}`, {
      consent: () => {
        if (answers++ > 0) return true;
        stopReading(b.socket);
        return false;
      },
    });
    const a = await connectClient(gw, `A${i}`, { pairTimeoutMs: 8000 });
    const first = await a.pair(`B${i}`).then(() => 'paired', codeOf);
    const asked = firstValueFrom(gw.service.events$.pipe(filter((e) => e.type === 'pair-requested' && e.sourceId === `A${i}`)));
    const second = a.pair(`B${i}`).then(() => 'paired', codeOf);
    await asked;
    resumeReading(b.socket);
    const outcome = `${first} then ${await second}`;
    // Both sides agree: B took the second request and is paired with A (not left 'asked', or idle).
    await eventually(() => expect([b.state, b.peerId]).toEqual(outcome.endsWith('paired') ? ['paired', `A${i}`] : ['idle', undefined]));
    a.socket.disconnect();
    b.socket.disconnect();
    return outcome;
  }

  it(`${PAIRS} pairs (${AT_ONCE} at a time): B refuses A, A asks again at once, B accepts: every second request pairs`, async () => {
    gw = await startGateway({ limits: { pairRequests: false } });
    const results: string[] = [];
    for (let start = 0; start < PAIRS; start += AT_ONCE) {
      const { fulfilled, rejected } = await outcomes(Array.from({ length: AT_ONCE }, (_, k) => refusedThenAsked(start + k)));
      expect(rejected).toEqual([]);
      results.push(...fulfilled);
    }
    expect(results).toHaveLength(PAIRS);
    expect(results.filter((r) => r !== 'PAIR_REFUSED then paired')).toEqual([]);
  }, 240_000);
});
