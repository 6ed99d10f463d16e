import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { P2pModule, type P2pModuleOptions } from '../../packages/server/src/index.js';
import { ADMIN_TOKEN, type HttpAppHarness, startHttpApp } from '../support/control-center-app.js';
import { connectClient, rawSocket, waitFor } from '../support/gateway-harness.js';
import { eventually } from '../support/eventually.js';
import { type PromSample, parsePrometheusText, valueOf } from '../support/prometheus-text.js';

/** The names and label sets documented in docs/operations.md: a public contract. */
const DOCUMENTED = {
  p2p_clients: 'gauge',
  p2p_pairings: 'gauge',
  p2p_pending_requests: 'gauge',
  p2p_connections_total: 'counter',
  p2p_pair_requests_total: 'counter',
  p2p_relayed_messages_total: 'counter',
  p2p_relayed_bytes_total: 'counter',
  p2p_refusals_total: 'counter',
  p2p_ack_round_trip_seconds: 'histogram',
  p2p_resumes_total: 'counter',
  p2p_held_relays: 'gauge',
  p2p_cluster_messages_total: 'counter',
} as const;

describe('metrics: the Prometheus contract', () => {
  let app: HttpAppHarness;
  let registry: Registry;

  async function start(options: P2pModuleOptions): Promise<void> {
    app = await startHttpApp([P2pModule.forRoot({ pairTimeoutMs: 2_000, ...options })]);
  }
  afterEach(() => app?.close());

  async function scrape(): Promise<PromSample[]> {
    const response = await app.request('/metrics', { token: ADMIN_TOKEN });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return parsePrometheusText(await response.text());
  }

  describe('served with the control center', () => {
    beforeEach(() => {
      registry = new Registry();
      return start({ controlCenter: { token: ADMIN_TOKEN }, metrics: { registry }, limits: { maxMessageBytes: 2048 } });
    });

    it('declares every documented metric with its type, and no clientId anywhere', async () => {
      const response = await app.request('/metrics', { token: ADMIN_TOKEN });
      const text = await response.text();
      for (const [name, type] of Object.entries(DOCUMENTED)) expect(text).toContain(`# TYPE ${name} ${type}`);
      await connectClient(app, 'secret-client-id');
      expect(await (await app.request('/metrics', { token: ADMIN_TOKEN })).text()).not.toContain('secret-client-id');
    });

    it('moves as clients connect, pair, relay and are refused', async () => {
      let m = await scrape();
      expect(valueOf(m, 'p2p_clients')).toBe(0);
      expect(valueOf(m, 'p2p_connections_total', { outcome: 'accepted' })).toBe(0);

      // Plain relays (protocol 2): P2P_EMIT and P2P_EMIT_ACKNOWLEDGE, one message each.
      const a = await connectClient(app, 'mc-a', { reliable: false });
      const b = await connectClient(app, 'mc-b', { reliable: false });
      m = await scrape();
      expect(valueOf(m, 'p2p_clients')).toBe(2);
      expect(valueOf(m, 'p2p_connections_total', { outcome: 'accepted' })).toBe(2);

      // Refused at the handshake: the id is taken.
      const duplicate = rawSocket(app, { clientId: 'mc-a' });
      const [refusal] = await waitFor<[{ data?: { code?: string } }]>(duplicate, 'connect_error');
      expect(refusal.data?.code).toBe('CLIENT_ID_TAKEN');
      m = await scrape();
      expect(valueOf(m, 'p2p_connections_total', { outcome: 'CLIENT_ID_TAKEN' })).toBe(1);
      expect(valueOf(m, 'p2p_refusals_total', { code: 'CLIENT_ID_TAKEN' })).toBe(1);

      // A pairing request refused, then one that succeeds.
      await expect(a.pair('mc-nobody')).rejects.toMatchObject({ code: 'TARGET_OFFLINE' });
      await a.pair('mc-b');
      m = await scrape();
      expect(valueOf(m, 'p2p_pair_requests_total', { outcome: 'TARGET_OFFLINE' })).toBe(1);
      expect(valueOf(m, 'p2p_pair_requests_total', { outcome: 'paired' })).toBe(1);
      expect(valueOf(m, 'p2p_refusals_total', { code: 'TARGET_OFFLINE' })).toBe(1);
      expect(valueOf(m, 'p2p_pairings')).toBe(1);

      // Relays: three fire-and-forget, one with ack.
      const received: string[] = [];
      b.socket.on('chat', (text: string) => received.push(text));
      b.socket.on('question', (_text: string, answer: (reply: string) => void) => answer('yes'));
      for (const text of ['one', 'two', 'three']) a.emit('chat', text);
      expect(await a.emitWithAck('question', 'ready?')).toBe('yes');
      await eventually(() => expect(received).toHaveLength(3));
      m = await scrape();
      expect(valueOf(m, 'p2p_relayed_messages_total', { kind: 'emit' })).toBe(3);
      expect(valueOf(m, 'p2p_relayed_messages_total', { kind: 'ack' })).toBe(1);
      expect(valueOf(m, 'p2p_relayed_bytes_total')).toBeGreaterThan(4 * 20);
      expect(valueOf(m, 'p2p_ack_round_trip_seconds_count', { outcome: 'ok' })).toBe(1);
      expect(valueOf(m, 'p2p_ack_round_trip_seconds_sum', { outcome: 'ok' })).toBeGreaterThan(0);

      // A relay refused: too large.
      await expect(a.emitWithAck('question', 'x'.repeat(4096))).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
      m = await scrape();
      expect(valueOf(m, 'p2p_refusals_total', { code: 'PAYLOAD_TOO_LARGE' })).toBe(1);
      expect(valueOf(m, 'p2p_relayed_messages_total', { kind: 'ack' })).toBe(1);

      // Per pairing, on the control center: what each side sent, gone once the pairing ends.
      const stats = (await (await app.request('/p2p-admin/stats', { token: ADMIN_TOKEN })).json()) as any;
      expect(stats.traffic).toEqual([expect.objectContaining({ from: 'mc-a', to: 'mc-b', messages: 4 })]);
      expect(stats.traffic[0].bytes).toBe(valueOf(m, 'p2p_relayed_bytes_total'));
      expect(stats.refusals).toMatchObject({ CLIENT_ID_TAKEN: 1, TARGET_OFFLINE: 1, PAYLOAD_TOO_LARGE: 1 });
      await a.unpair();
      await eventually(async () => {
        const after = (await (await app.request('/p2p-admin/stats', { token: ADMIN_TOKEN })).json()) as any;
        expect(after.traffic).toEqual([]);
      });
      m = await scrape();
      expect(valueOf(m, 'p2p_pairings')).toBe(0);
      expect(valueOf(m, 'p2p_clients')).toBe(2);

      // The reliable channel (protocol 3) relays P2P_FRAMEs: data and acknowledgements.
      const c = await connectClient(app, 'mc-c');
      const d = await connectClient(app, 'mc-d');
      d.socket.on('question', (_text: string, answer: (reply: string) => void) => answer('framed'));
      await c.pair('mc-d');
      expect(await c.emitWithAck('question', 'reliable?')).toBe('framed');
      m = await scrape();
      expect(valueOf(m, 'p2p_relayed_messages_total', { kind: 'frame' })).toBeGreaterThanOrEqual(2);
      expect(valueOf(m, 'p2p_relayed_messages_total', { kind: 'emit' })).toBe(3);
    });

    it('answers under the control center access rules only', async () => {
      expect((await app.request('/metrics')).status).toBe(401);
      expect((await app.request('/metrics', { token: 'not-the-token-at-all' })).status).toBe(401);
      expect((await app.request(`/metrics?token=${ADMIN_TOKEN}`)).status).toBe(401);
      expect((await app.request('/metrics', { token: ADMIN_TOKEN })).status).toBe(200);
    });

    it('lands in the registry given', async () => {
      await connectClient(app, 'reg-a');
      const text = await registry.metrics();
      expect(valueOf(parsePrometheusText(text), 'p2p_connections_total', { outcome: 'accepted' })).toBe(1);
    });
  });

  it('is off by default: no route, nothing registered in the default registry', async () => {
    const { register } = await import('prom-client');
    await start({ controlCenter: { token: ADMIN_TOKEN } });
    expect((await app.request('/metrics', { token: ADMIN_TOKEN })).status).toBe(404);
    expect(register.getSingleMetric('p2p_clients')).toBeUndefined();
  });

  it('registers in the default registry when none is given, and unregisters on shutdown', async () => {
    const { register } = await import('prom-client');
    await start({ metrics: { path: false } });
    expect(register.getSingleMetric('p2p_clients')).toBeDefined();
    await app.close();
    expect(register.getSingleMetric('p2p_clients')).toBeUndefined();
    app = undefined as unknown as HttpAppHarness;
  });

  it('refuses to serve the metrics without the control center credentials', () => {
    expect(() => P2pModule.forRoot({ metrics: { path: '/metrics' } })).not.toThrow();
    return expect(startHttpApp([P2pModule.forRoot({ metrics: { path: '/metrics' } })])).rejects.toThrow(/controlCenter/);
  });
});
