import 'reflect-metadata';
import type { DynamicModule, Type } from '@nestjs/common';
import type { Socket } from 'socket.io-client';
import { PairingService } from '../../packages/server/src/index.js';
import type { GatewayHarness } from './gateway-harness.js';
import { startApp } from './nest-app.js';

export const ADMIN_TOKEN = 'e2e-admin-token-0123456789';

/** A real app (the gateway and whatever else `imports` brings) usable with the gateway harness's client helpers. */
export interface HttpAppHarness extends GatewayHarness {
  /** An HTTP request to the app; `token` goes in as `Authorization: Bearer`. */
  request(path: string, init?: { method?: string; token?: string; headers?: Record<string, string>; body?: unknown }): Promise<Response>;
}

export async function startHttpApp(imports: Array<Type | DynamicModule>): Promise<HttpAppHarness> {
  const running = await startApp(imports);
  const sockets: Socket[] = [];
  return {
    app: running.app,
    url: running.url,
    service: running.app.get(PairingService),
    sockets,
    request(path, { method = 'GET', token, headers = {}, body } = {}) {
      return fetch(`${running.url}${path}`, {
        method,
        headers: {
          ...(token === undefined ? {} : { Authorization: `Bearer ${token}` }),
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    },
    async close() {
      for (const socket of sockets) socket.disconnect();
      await running.close();
    },
  };
}

export interface SseEvent {
  event: string;
  data: string;
}

/** An open Server-Sent Events response, read event by event. */
export interface EventStream {
  response: Response;
  /** Reads on until an event satisfies `match`; resolves with it. */
  next(match: (event: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent>;
  close(): void;
}

export async function openEventStream(url: string, headers: Record<string, string> = {}): Promise<EventStream> {
  const abort = new AbortController();
  const response = await fetch(url, { headers, signal: abort.signal });
  const reader = response.body ? response.body.pipeThrough(new TextDecoderStream()).getReader() : undefined;
  const parsed: SseEvent[] = [];
  let buffered = '';
  /** A read still in flight when a wait timed out: the next wait takes it over, so no chunk is lost. */
  let pending: Promise<ReadableStreamReadResult<string>> | undefined;

  const parse = (block: string): SseEvent | undefined => {
    const lines = block.split('\n');
    const field = (name: string) => lines.filter((l) => l.startsWith(`${name}:`)).map((l) => l.slice(name.length + 1).trim());
    const data = field('data');
    return data.length === 0 ? undefined : { event: field('event')[0] ?? 'message', data: data.join('\n') };
  };

  async function next(match: (event: SseEvent) => boolean, timeoutMs = 5000): Promise<SseEvent> {
    if (!reader) throw new Error(`no event stream: ${response.status}`);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = parsed.findIndex(match);
      if (found >= 0) return parsed.splice(0, found + 1).pop()!;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching event; read ${JSON.stringify(parsed)}`);
      let timer: ReturnType<typeof setTimeout> | undefined;
      pending ??= reader.read();
      const chunk = await Promise.race([
        pending,
        new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), left))),
      ]);
      clearTimeout(timer);
      if (chunk === 'timeout') continue;
      pending = undefined;
      if (chunk.done) throw new Error('the event stream ended');
      buffered += chunk.value;
      let end: number;
      while ((end = buffered.indexOf('\n\n')) >= 0) {
        const event = parse(buffered.slice(0, end));
        buffered = buffered.slice(end + 2);
        if (event) parsed.push(event); // blocks without data are comments (keep-alive)
      }
    }
  }

  return { response, next, close: () => abort.abort() };
}
