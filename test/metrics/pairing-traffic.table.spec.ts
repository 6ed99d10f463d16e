import { describe, expect, it } from '@jest/globals';
import { PairingTrafficTable } from '../../packages/server/src/metrics/pairing-traffic.table.js';
import { TrafficHistory } from '../../packages/server/src/metrics/traffic.history.js';

describe('PairingTrafficTable: per-pairing counters stay bounded', () => {
  it('counts each direction, resets on a new peer, drops on unpair and on leaving', () => {
    const table = new PairingTrafficTable(10);
    table.count('a', 'b', 10);
    table.count('a', 'b', 5);
    table.count('b', 'a', 7);
    expect(table.get('a', 'b')).toMatchObject({ messages: 2, bytes: 15 });
    expect(table.get('b', 'a')).toMatchObject({ messages: 1, bytes: 7 });
    table.count('a', 'c', 1); // a paired with someone else: a -> b is forgotten
    expect(table.get('a', 'b')).toBeUndefined();
    expect(table.get('a', 'c')).toMatchObject({ messages: 1, bytes: 1 });
    table.pairingEnded('c', 'a');
    expect(table.get('a', 'c')).toBeUndefined();
    table.clientLeft('b');
    expect(table.size).toBe(0);
  });

  it('tracks at most maxEntries senders; the others are only in the totals', () => {
    const table = new PairingTrafficTable(3);
    for (let i = 0; i < 10; i++) table.count(`s${i}`, `p${i}`, 1);
    expect(table.size).toBe(3);
    expect(table.get('s5', 'p5')).toBeUndefined();
    table.clientLeft('s0');
    table.count('s9', 'p9', 1);
    expect(table.get('s9', 'p9')).toMatchObject({ messages: 1 });
  });
});

describe('TrafficHistory: a fixed ring of samples', () => {
  it('keeps the last `capacity` samples and turns totals into rates per second', () => {
    const totals = { relays: 0, relayBytes: 0, pairRequests: 0, refusals: 0 };
    const history = new TrafficHistory(3, totals, 0);
    for (let i = 1; i <= 5; i++) history.record({ ...totals, relays: i * 50 }, { clients: i, pairings: 0 }, i * 5000);
    const samples = history.list();
    expect(samples.map((s) => s.at)).toEqual([15_000, 20_000, 25_000]);
    expect(samples.every((s) => s.relaysPerSecond === 10)).toBe(true);
    expect(history.pointAt({ ...totals, relays: 250 }, undefined, 25_010)).toMatchObject({ relaysPerSecond: 0, clients: null });
  });
});
