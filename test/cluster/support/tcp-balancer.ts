import { type Server, type Socket, connect, createServer } from 'node:net';

/**
 * A tiny TCP load balancer on 127.0.0.1, for clients that must reach "the cluster" rather than one node: each new
 * client connection goes to the next backend port in rotation; a backend that refuses the TCP connection is skipped
 * for the next. `setBackends` stands for the balancer's health checks taking a node out (readiness failed) or putting
 * it back. Connections already forwarded stay where they are until either side closes.
 */
export class TcpBalancer {
  private server?: Server;
  private backends: number[] = [];
  private next = 0;
  private readonly open = new Set<Socket>();
  /** Which backend port each forwarded connection went to, in order (for tests that check the spread). */
  readonly forwarded: number[] = [];
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(backends: number[]): Promise<this> {
    this.backends = [...backends];
    const server = createServer((client) => this.forward(client));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.port = (server.address() as { port: number }).port;
    return this;
  }

  setBackends(backends: number[]): void {
    this.backends = [...backends];
  }

  async stop(): Promise<void> {
    for (const socket of this.open) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private forward(client: Socket, attempt = 0): void {
    this.open.add(client);
    client.once('close', () => this.open.delete(client));
    client.on('error', () => undefined);
    if (attempt >= this.backends.length) {
      client.destroy();
      return;
    }
    const port = this.backends[this.next++ % this.backends.length]!;
    const backend = connect(port, '127.0.0.1');
    this.open.add(backend);
    backend.once('close', () => this.open.delete(backend));
    client.pause();
    backend.once('connect', () => {
      this.forwarded.push(port);
      backend.on('error', () => client.destroy());
      client.on('error', () => backend.destroy());
      client.pipe(backend);
      backend.pipe(client);
      backend.once('close', () => client.destroy());
      client.once('close', () => backend.destroy());
      client.resume();
    });
    backend.once('error', () => {
      if (backend.readyState === 'open') return;
      // Refused: the node is down; try the next one.
      this.open.delete(backend);
      this.forward(client, attempt + 1);
    });
  }
}
