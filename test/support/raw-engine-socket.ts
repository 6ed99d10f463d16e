import { WebSocket } from 'ws';

/** A Socket.IO packet as the raw socket received it: its type, ack id, and JSON data (placeholders left as they are). */
export interface RawPacket {
  type: number;
  id: number | undefined;
  data: unknown[];
  /** The binary frames that followed it (a BINARY_EVENT or BINARY_ACK). */
  attachments: Buffer[];
}

/** `{"_placeholder": true, "num": n}`: what Socket.IO's decoder replaces with attachment `n`. */
export function placeholder(num: number): { _placeholder: true; num: number } {
  return { _placeholder: true, num };
}

/**
 * An attacker's Socket.IO client written by hand: an engine.io 4 WebSocket on which every packet is composed raw
 * (`451-7[...]` and then the binary frames), so the gateway sees exactly what a hostile client can send, placeholders
 * naming one attachment several times included. Answers the server's pings; records every packet it receives.
 */
export class RawEngineSocket {
  readonly received: RawPacket[] = [];
  private readonly ws: WebSocket;
  private nextAckId = 0;
  private partial: RawPacket | undefined;
  private missing = 0;
  private readonly waiters = new Set<() => void>();
  closed = false;

  private constructor(url: string) {
    this.ws = new WebSocket(url);
    this.ws.on('message', (data: Buffer, isBinary: boolean) => this.onFrame(isBinary ? data : data.toString()));
    this.ws.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  /**
   * Opens the WebSocket to `baseUrl`'s engine.io endpoint and joins the main namespace with `auth` (the CONNECT
   * packet's data); resolves once the server has answered the CONNECT.
   */
  static async connect(baseUrl: string, auth: Record<string, unknown>, timeoutMs = 5000): Promise<RawEngineSocket> {
    const socket = new RawEngineSocket(`${baseUrl.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`);
    await new Promise<void>((resolve, reject) => {
      socket.ws.once('open', () => resolve());
      socket.ws.once('error', reject);
    });
    socket.ws.send(`40${JSON.stringify(auth)}`);
    const answer = await socket.next((packet) => packet.type === 0 || packet.type === 4, timeoutMs);
    if (answer.type === 4) throw new Error(`connect refused: ${JSON.stringify(answer.data)}`);
    return socket;
  }

  /**
   * Sends one event packet: `event(...args)`, with `attachments` as its binary frames (the args name them by
   * placeholder) and an ack id when `withAck`; returns the ack id.
   */
  emit(event: string, args: unknown[], attachments: Buffer[] = [], withAck = true): number | undefined {
    const id = withAck ? this.nextAckId++ : undefined;
    this.send(attachments.length > 0 ? 5 : 2, id, [event, ...args], attachments);
    return id;
  }

  /** Answers the server's ack `id` with `values`, `attachments` as its binary frames. */
  ack(id: number, values: unknown[], attachments: Buffer[] = []): void {
    this.send(attachments.length > 0 ? 6 : 3, id, values, attachments);
  }

  /** Writes a packet's text frame exactly as given (`2[...]`, `51-[...]`...), after the engine.io message type. */
  sendRaw(text: string, attachments: Buffer[] = []): void {
    this.ws.send(`4${text}`);
    for (const attachment of attachments) this.ws.send(attachment);
  }

  /** Resolves with the values of the server's answer to ack `id`. */
  async answer(id: number | undefined, timeoutMs = 5000): Promise<unknown[]> {
    const packet = await this.next((p) => (p.type === 3 || p.type === 6) && p.id === id, timeoutMs);
    return packet.data;
  }

  /** The first received packet (past or future) that `matches`; rejects after `timeoutMs` or when the socket closes. */
  async next(matches: (packet: RawPacket) => boolean, timeoutMs = 5000): Promise<RawPacket> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.received.find(matches);
      if (found) return found;
      if (this.closed) throw new Error('the raw socket closed');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('no matching packet in time');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        function done(): void {
          clearTimeout(timer);
          resolve();
        }
        this.waiters.add(done);
      });
    }
  }

  /** The received events named `event` (their arguments). */
  events(event: string): unknown[][] {
    return this.received.filter((p) => (p.type === 2 || p.type === 5) && p.data[0] === event).map((p) => p.data.slice(1));
  }

  close(): void {
    this.ws.close();
  }

  private send(type: number, id: number | undefined, data: unknown[], attachments: Buffer[]): void {
    const count = attachments.length > 0 ? `${attachments.length}-` : '';
    this.sendRaw(`${type}${count}${id ?? ''}${JSON.stringify(data)}`, attachments);
  }

  private onFrame(frame: string | Buffer): void {
    if (typeof frame !== 'string') {
      if (this.partial && this.missing > 0) {
        this.partial.attachments.push(frame);
        if (--this.missing === 0) this.keep(this.partial);
      }
      return;
    }
    if (frame === '2') return void this.ws.send('3'); // engine.io ping
    if (!frame.startsWith('4')) return;
    const match = /^4(\d)(?:(\d+)-)?(\d*)([[{].*)?$/su.exec(frame);
    if (!match) return;
    const parsed: unknown = match[4] === undefined ? [] : JSON.parse(match[4]);
    const packet: RawPacket = {
      type: Number(match[1]),
      id: match[3] === '' ? undefined : Number(match[3]),
      data: Array.isArray(parsed) ? parsed : [parsed],
      attachments: [],
    };
    const attachments = match[2] === undefined ? 0 : Number(match[2]);
    if (attachments === 0) return this.keep(packet);
    this.partial = packet;
    this.missing = attachments;
  }

  private keep(packet: RawPacket): void {
    this.partial = undefined;
    this.received.push(packet);
    this.wake();
  }

  private wake(): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const wake of waiters) wake();
  }
}
