import { describe, expect, it } from '@jest/globals';
import { ChannelBufferGate } from '../../packages/client/src/webrtc/channel-buffer.gate.js';

/**
 * The gate's decisions on a channel's buffer figures. A real data channel raises `bufferedamountlow` on its own thread
 * and hands it to JavaScript later, so an event queued while the buffer was low can arrive once frames filled it again
 * (seen with node-datachannel in test/webrtc/direct-path.spec.ts); here the figures are set by hand, so that case is
 * certain.
 */
function channelWith(bufferedAmount: number) {
  return { bufferedAmount, bufferedAmountLowThreshold: 0, onbufferedamountlow: null as (() => unknown) | null };
}

describe('ChannelBufferGate', () => {
  const limit = 64 * 1024;

  it('refuses numbered frames while the buffer holds the bound, never acknowledgements', () => {
    const channel = channelWith(limit);
    const gate = new ChannelBufferGate(limit, () => true);
    gate.attach(channel as never);
    expect(channel.bufferedAmountLowThreshold).toBe(limit / 4);
    expect(gate.refuses({ s: 1 })).toBe(true);
    expect(gate.refuses({ c: 0 })).toBe(false);
    channel.bufferedAmount = limit - 1;
    expect(gate.refuses({ s: 1 })).toBe(false);
  });

  it('a bufferedamountlow that arrives while the buffer is still full wakes nobody; the buffer drained, it does', async () => {
    const channel = channelWith(limit + 300);
    const gate = new ChannelBufferGate(limit, () => true);
    gate.attach(channel as never);
    expect(gate.refuses({ s: 1 })).toBe(true);
    let woken = 0;
    gate.onceWritable(() => woken++);
    channel.onbufferedamountlow!(); // stale: queued before the frames that filled the buffer
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(woken).toBe(0);
    channel.bufferedAmount = 1000; // the channel sent what it held
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(woken).toBe(1);
    gate.detach();
  });

  it('calls nobody back once the path ended', async () => {
    const channel = channelWith(limit);
    let open = true;
    const gate = new ChannelBufferGate(limit, () => open);
    gate.attach(channel as never);
    gate.refuses({ s: 1 });
    let woken = 0;
    gate.onceWritable(() => woken++);
    open = false;
    channel.bufferedAmount = 0;
    channel.onbufferedamountlow!();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(woken).toBe(0);
  });
});
