/**
 * The WebRTC library's own ceiling for `npm run bench:stream`: two node-datachannel peer connections in this process,
 * bound to 127.0.0.1, signalled by hand (no gateway, nothing of this project), one ordered reliable data channel,
 * `total` bytes in messages of `messageBytes`, the sender gated on `bufferedamountlow` (it sends while the channel
 * buffers under `maxBufferedBytes` and waits for the buffer to fall to a quarter of it), the receiver hashing what
 * arrives as the stream receiver's app does. The same channel settings as the project's direct path.
 */
import { RTCPeerConnection } from 'node-datachannel/polyfill';
import { Sha256 } from '../../packages/client/src/index.js';

export interface RawChannelFigures {
  mibPerSec: number;
  /** CPU time of this process (the library's threads included) per MiB moved. */
  cpuMsPerMiB: number;
  messageBytes: number;
  maxMessageSize: number;
}

const MiB = 1024 * 1024;
const OPEN_TIMEOUT_MS = 30_000;

export async function rawDataChannelTransfer(total: number, messageBytes: number, maxBufferedBytes = MiB): Promise<RawChannelFigures> {
  const config = { bindAddress: '127.0.0.1' } as unknown as RTCConfiguration;
  const a = new RTCPeerConnection(config);
  const b = new RTCPeerConnection(config);
  a.onicecandidate = (e) => e.candidate && void b.addIceCandidate(e.candidate);
  b.onicecandidate = (e) => e.candidate && void a.addIceCandidate(e.candidate);
  const channel = a.createDataChannel('raw', { ordered: true });
  channel.binaryType = 'arraybuffer';
  const incoming = new Promise<RTCDataChannel>((resolve) => (b.ondatachannel = (e) => resolve(e.channel)));
  await a.setLocalDescription(await a.createOffer());
  await b.setRemoteDescription(a.localDescription!);
  await b.setLocalDescription(await b.createAnswer());
  await a.setRemoteDescription(b.localDescription!);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const opened = new Promise<void>((resolve, reject) => {
    timer = setTimeout(() => reject(new Error('the raw data channel did not open')), OPEN_TIMEOUT_MS);
    channel.onopen = () => resolve();
  });
  try {
    await opened;
  } finally {
    clearTimeout(timer);
  }
  const receiving = await incoming;
  receiving.binaryType = 'arraybuffer';
  const maxMessageSize = (a as unknown as { sctp?: { maxMessageSize?: number } }).sctp?.maxMessageSize ?? 0;
  // The same source as the streams' (a pattern varied per message), made as it is sent.
  const base = new Uint8Array(messageBytes).map((_, i) => (i * 31 + 7) & 0xff);
  const hash = new Sha256();
  let got = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const done = new Promise<void>((resolve) => {
    receiving.onmessage = (e: MessageEvent) => {
      const bytes = new Uint8Array(e.data as ArrayBuffer);
      hash.update(bytes);
      got += bytes.byteLength;
      if (got >= total) resolve();
    };
  });
  channel.bufferedAmountLowThreshold = Math.floor(maxBufferedBytes / 4);
  let sent = 0;
  let n = 0;
  const pump = () => {
    while (sent < total && channel.bufferedAmount < maxBufferedBytes) {
      const message = base.slice(0, Math.min(messageBytes, total - sent));
      new DataView(message.buffer).setUint32(0, n++);
      channel.send(message);
      sent += message.byteLength;
    }
  };
  channel.onbufferedamountlow = pump;
  pump();
  await done;
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  if (hash.hex().length !== 64) throw new Error('no digest');
  channel.close();
  a.close();
  b.close();
  return { mibPerSec: total / MiB / seconds, cpuMsPerMiB: (cpu.user + cpu.system) / 1000 / (total / MiB), messageBytes, maxMessageSize };
}
