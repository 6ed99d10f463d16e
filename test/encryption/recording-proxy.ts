import { type AddressInfo, type Server, type Socket, createServer, connect } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 that records every byte both ways (what a network observer between one client and the
 * gateway sees), and reads the WebSocket frames in it: the client's frames are masked (RFC 6455), so a marker in them
 * shows only once unmasked.
 */
export class RecordingProxy {
  readonly toServer: Buffer[] = [];
  readonly toClient: Buffer[] = [];
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number): Promise<RecordingProxy> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const proxy = new RecordingProxy(server, (server.address() as AddressInfo).port);
    server.on('connection', (client) => {
      const upstream = connect(targetPort, '127.0.0.1');
      for (const socket of [client, upstream]) {
        proxy.sockets.add(socket);
        socket.on('close', () => proxy.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.on('data', (chunk: Buffer) => proxy.toServer.push(Buffer.from(chunk)));
      upstream.on('data', (chunk: Buffer) => proxy.toClient.push(Buffer.from(chunk)));
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Bytes recorded, both ways. */
  bytes(): number {
    return [...this.toServer, ...this.toClient].reduce((sum, chunk) => sum + chunk.byteLength, 0);
  }

  /** How many times `marker` occurs in the recorded bytes as they are, and in the WebSocket payloads unmasked. */
  count(marker: string): number {
    const needle = Buffer.from(marker);
    const streams = [Buffer.concat(this.toServer), Buffer.concat(this.toClient)];
    const texts = [...streams, ...streams.map(webSocketPayloads)];
    return texts.reduce((sum, text) => sum + occurrences(text, needle), 0);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function occurrences(haystack: Buffer, needle: Buffer): number {
  let count = 0;
  for (let at = haystack.indexOf(needle); at >= 0; at = haystack.indexOf(needle, at + 1)) count++;
  return count;
}

/** The payloads of the WebSocket frames of one direction of a connection (after its HTTP upgrade), unmasked. */
function webSocketPayloads(stream: Buffer): Buffer {
  const headersEnd = stream.indexOf('\r\n\r\n');
  if (headersEnd < 0) return Buffer.alloc(0);
  const payloads: Buffer[] = [];
  let at = headersEnd + 4;
  while (at + 2 <= stream.length) {
    const masked = (stream[at + 1]! & 0x80) !== 0;
    let length = stream[at + 1]! & 0x7f;
    let offset = at + 2;
    if (length === 126) {
      length = stream.readUInt16BE(offset);
      offset += 2;
    } else if (length === 127) {
      length = Number(stream.readBigUInt64BE(offset));
      offset += 8;
    }
    const mask = masked ? stream.subarray(offset, offset + 4) : undefined;
    if (mask) offset += 4;
    if (offset + length > stream.length) break;
    const payload = Buffer.from(stream.subarray(offset, offset + length));
    if (mask) for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i % 4]!;
    payloads.push(payload);
    at = offset + length;
  }
  return Buffer.concat(payloads);
}
