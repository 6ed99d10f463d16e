/**
 * The WebRTC library's own ceiling for `npm run bench:stream`: two node-datachannel peer connections in this process,
 * bound to 127.0.0.1, signalled by hand (no gateway, nothing of this project), one ordered reliable data channel,
 * `total` bytes in messages of `messageBytes`, the sender gated on `bufferedamountlow` (it sends while the channel
 * buffers under `maxBufferedBytes` and waits for the buffer to fall to a quarter of it), the receiver hashing what
 * arrives as the stream receiver's app does. The same channel settings as the project's direct path.
 * With `peers`, the same with another WebRTC implementation (`wrtcPeers`: @roamhq/wrtc, a ceiling only).
 */
import { RTCPeerConnection as NodeDataChannelPeer } from 'node-datachannel/polyfill';
import { Sha256 } from '../../packages/client/src/index.js';

/** How to make the two peer connections of a raw transfer, and which of their ICE candidates to pass on. */
export interface RawPeers {
  create(): RTCPeerConnection;
  /** Only the candidates this keeps reach the other side. */
  keep(candidate: RTCIceCandidate): boolean;
  /** The description the other side gets. */
  describe(description: RTCSessionDescription): RTCSessionDescriptionInit;
  /** Also pump this often while the sender waits: for a library whose `bufferedamountlow` may not come. */
  pollMs?: number;
}

/** node-datachannel, bound to 127.0.0.1 as the project's direct path is. */
const nodeDataChannelPeers: RawPeers = {
  create: () => new NodeDataChannelPeer({ bindAddress: '127.0.0.1' } as unknown as RTCConfiguration) as unknown as RTCPeerConnection,
  keep: () => true,
  describe: (description) => description,
};

/**
 * @roamhq/wrtc (libwebrtc), when installed (`npm install --no-save @roamhq/wrtc`: not a dependency of the project),
 * else undefined. It gathers host candidates on every interface and binds no single address: only its UDP candidate
 * on 127.0.0.1 is passed on, so the pair connects over loopback alone; no STUN or TURN server. Its `bufferedAmount`
 * grows only after `send` returns and its `bufferedamountlow` did not always come (the sender then waited for good),
 * so the sender counts what each call sends itself and polls every millisecond as well.
 */
export async function wrtcPeers(): Promise<RawPeers | undefined> {
  const name = '@roamhq/wrtc';
  let wrtc: { RTCPeerConnection: new (config: RTCConfiguration) => RTCPeerConnection };
  try {
    wrtc = ((await import(name)) as { default: typeof wrtc }).default;
  } catch {
    return undefined;
  }
  return {
    create: () => new wrtc.RTCPeerConnection({ iceServers: [] }),
    keep: (candidate) => / udp .* 127\.0\.0\.1 \d+ typ host/.test(candidate.candidate),
    describe: withoutCandidates,
    pollMs: 1,
  };
}

/** A description without the candidates gathered so far: they go one by one, through `RawPeers.keep`. */
function withoutCandidates(description: RTCSessionDescription): RTCSessionDescriptionInit {
  const sdp = description.sdp
    .split('\r\n')
    .filter((line) => !line.startsWith('a=candidate:'))
    .join('\r\n');
  return { type: description.type, sdp };
}

/** Passes `from`'s candidates that `peers` keeps to `to`, once `to` has a remote description (held until then). */
function trickle(from: RTCPeerConnection, to: RTCPeerConnection, peers: RawPeers): () => void {
  let held: RTCIceCandidate[] | undefined = [];
  const add = (candidate: RTCIceCandidate) => void to.addIceCandidate(candidate).catch(() => undefined);
  from.onicecandidate = (e) => {
    if (!e.candidate || !peers.keep(e.candidate)) return;
    if (held) held.push(e.candidate);
    else add(e.candidate);
  };
  return () => {
    for (const candidate of held ?? []) add(candidate);
    held = undefined;
  };
}

export interface RawChannelFigures {
  mibPerSec: number;
  /** CPU time of this process (the library's threads included) per MiB moved. */
  cpuMsPerMiB: number;
  messageBytes: number;
  maxMessageSize: number;
}

const MiB = 1024 * 1024;
const OPEN_TIMEOUT_MS = 30_000;

export async function rawDataChannelTransfer(
  total: number,
  messageBytes: number,
  maxBufferedBytes = MiB,
  peers: RawPeers = nodeDataChannelPeers,
): Promise<RawChannelFigures> {
  const a = peers.create();
  const b = peers.create();
  const toB = trickle(a, b, peers);
  const toA = trickle(b, a, peers);
  const channel = a.createDataChannel('raw', { ordered: true });
  channel.binaryType = 'arraybuffer';
  const incoming = new Promise<RTCDataChannel>((resolve) => (b.ondatachannel = (e) => resolve(e.channel)));
  // Listened for before the signalling: a channel may open while it is still awaited.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const opened = new Promise<void>((resolve, reject) => {
    timer = setTimeout(() => reject(new Error('the raw data channel did not open')), OPEN_TIMEOUT_MS);
    channel.onopen = () => resolve();
  });
  await a.setLocalDescription(await a.createOffer());
  await b.setRemoteDescription(peers.describe(a.localDescription!));
  toB();
  await b.setLocalDescription(await b.createAnswer());
  await a.setRemoteDescription(peers.describe(b.localDescription!));
  toA();
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
  let poll: ReturnType<typeof setTimeout> | undefined;
  const polled = peers.pollMs !== undefined;
  const pump = () => {
    clearTimeout(poll);
    // Polled: what `bufferedAmount` says before sending, less what this call sends (libwebrtc updates it only later).
    let room = maxBufferedBytes - channel.bufferedAmount;
    while (sent < total && (polled ? room > 0 : channel.bufferedAmount < maxBufferedBytes)) {
      const message = base.slice(0, Math.min(messageBytes, total - sent));
      new DataView(message.buffer).setUint32(0, n++);
      channel.send(message);
      sent += message.byteLength;
      room -= message.byteLength;
    }
    if (polled && sent < total) poll = setTimeout(pump, peers.pollMs);
  };
  channel.onbufferedamountlow = pump;
  pump();
  await done;
  clearTimeout(poll);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  if (hash.hex().length !== 64) throw new Error('no digest');
  channel.close();
  a.close();
  b.close();
  return { mibPerSec: total / MiB / seconds, cpuMsPerMiB: (cpu.user + cpu.system) / 1000 / (total / MiB), messageBytes, maxMessageSize };
}
