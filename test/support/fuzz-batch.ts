import { expect } from '@jest/globals';
import fc from 'fast-check';
import type { Socket } from 'socket.io-client';
import { type P2pErrorCode, isP2pErrorCode } from '../../packages/protocol/src/index.js';
import { abbreviate, overTheWire, wireBytes, wireForm } from './fuzz-wire.js';

/** One inbound message as the attacker sends it: `socket.emit(event, ...args[, ack])`. */
export interface FuzzInput {
  event: string;
  args: unknown[];
  /** A function ack is passed last. */
  withAck: boolean;
}

/** A message to the attacker's counterpart that an input must cause. */
export interface Delivery {
  event: string;
  /** The arguments as the server holds them (already one hop over the wire). */
  args: unknown[];
  /** Delivered with an ack callback (a `P2P_EMIT_ACKNOWLEDGE` relay); the counterpart answers with its arguments. */
  withCallback: boolean;
}

/** What the gateway must do with one input. */
export type Expected =
  /** Not part of the protocol: no answer, no effect. */
  | { kind: 'ignored' }
  /**
   * Refused with one of `codes` (several when the input is wrong in several ways): on the input's own ack, shaped
   * `(false, error)` for control events or `(error)` for error-first relay acks, or as one P2P_ERROR event.
   */
  | { kind: 'refused'; via: 'control-ack' | 'error-first-ack' | 'p2p-error'; codes: P2pErrorCode[] }
  /** Valid: answered on its ack if it has one, and what it must deliver. */
  | { kind: 'accepted'; ack?: AckAnswer; delivery?: Delivery };

export type AckAnswer =
  | { exactly: unknown[] }
  /** LIST_CLIENTS: `(clientIds)`, compared as sets. */
  | { clientList: string[] }
  /** A relay acknowledged by the counterpart: its answer travels back, after `null` for error-first senders. */
  | { echo: 'error-first' | 'plain' };

/** Inputs that the server's Socket.IO parser accepts (others close the transport before the gateway sees them). */
export function crossesTheWire(input: FuzzInput): boolean {
  try {
    overTheWire(input.args);
    return wireBytes(input.args) < 900_000;
  } catch {
    return false;
  }
}

/** What one received event looked like: its name, its arguments, and whether it came with an ack callback. */
export interface Received {
  event: string;
  args: unknown[];
  withCallback: boolean;
}

/**
 * Records everything `socket` receives; events with an ack callback are answered with their own arguments (so the
 * answer path carries the same hostile values back).
 */
export function recordAndEcho(socket: Socket): Received[] {
  const seen: Received[] = [];
  socket.onAny((event: string, ...args: unknown[]) => {
    const last = args[args.length - 1];
    const callback = typeof last === 'function' ? (last as (...answer: unknown[]) => void) : undefined;
    const plain = callback ? args.slice(0, -1) : args;
    seen.push({ event, args: plain, withCallback: callback !== undefined });
    callback?.(...plain);
  });
  return seen;
}

export interface BatchSides {
  attacker: Socket;
  /** Everything the attacker received during the batch. */
  attackerLog: Received[];
  /** The attacker's peer or the other side of its request, if any, recording with `recordAndEcho`. */
  counterpart?: Socket;
  counterpartLog?: Received[];
  /** A request answered on `socket` (see FuzzArena.roundTrip), failing early if the gateway crashes meanwhile. */
  roundTrip(socket: Socket): Promise<void>;
}

const show = (value: unknown) => abbreviate(JSON.stringify(wireForm(value)) ?? 'undefined');

/**
 * Sends a batch, waits (by round trips) until every answer and delivery has arrived, expected or not, then checks
 * property (3): each input got exactly its answer, with a known code when refused; and that the counterpart received
 * exactly the expected deliveries, with the exact arguments.
 */
export async function runBatch(sides: BatchSides, inputs: FuzzInput[], expected: Expected[]): Promise<void> {
  const { attacker, attackerLog } = sides;
  const counterpartLog = sides.counterpartLog ?? [];
  attackerLog.length = 0;
  counterpartLog.length = 0;
  const acks: unknown[][][] = inputs.map(() => []);
  inputs.forEach((input, i) => {
    if (input.withAck) attacker.emit(input.event, ...input.args, (...answer: unknown[]) => void acks[i]!.push(answer));
    else attacker.emit(input.event, ...input.args);
  });

  // Round trips, in this order, by which every answer has arrived (the store is in memory, so a handler's work ends
  // within the tick it runs in): the attacker's second one is handled after all its inputs were handled and answered;
  // the counterpart's after it received the deliveries and sent its echoes; the attacker's last after those echoes
  // were forwarded to it.
  await sides.roundTrip(attacker);
  await sides.roundTrip(attacker);
  if (sides.counterpart) {
    await sides.roundTrip(sides.counterpart);
    await sides.roundTrip(attacker);
  }
  // Then a short grace for anything slower than that (there should be nothing).
  const ackAnswers = expected.filter((e, i) => inputs[i]!.withAck && answersOnAck(e)).length;
  const p2pErrors = expected.filter((e) => e.kind === 'refused' && e.via === 'p2p-error').length;
  const deliveries = expected.flatMap((e) => (e.kind === 'accepted' && e.delivery ? [e.delivery] : []));
  const deadline = Date.now() + 500;
  while (Date.now() < deadline) {
    const answered = acks.filter((calls, i) => calls.length > 0 && answersOnAck(expected[i]!)).length;
    const errors = attackerLog.filter((entry) => entry.event === 'P2P_ERROR').length;
    if (answered >= ackAnswers && errors >= p2pErrors && counterpartLog.length >= deliveries.length) break;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }

  const pendingErrors: Array<{ index: number; event: string; codes: P2pErrorCode[] }> = [];
  inputs.forEach((input, i) => {
    const e = expected[i]!;
    const calls = acks[i]!;
    const label = () =>
      `input #${i} ${show([input.event, ...input.args])} (ack: ${input.withAck}), expected ${abbreviate(JSON.stringify(e))}`;
    if (e.kind === 'refused' && e.via === 'p2p-error') pendingErrors.push({ index: i, event: input.event, codes: e.codes });
    if (!answersOnAck(e) || !input.withAck) {
      if (calls.length > 0) throw new Error(`${label()}: its ack must not be called, got ${show(calls)}`);
      return;
    }
    if (calls.length !== 1) throw new Error(`${label()}: its ack must be called exactly once, got ${show(calls)}`);
    checkAckAnswer(label, input, e, calls[0]!, counterpartLog, deliveries);
  });

  const unexpected = attackerLog.filter((entry) => entry.event !== 'P2P_ERROR');
  if (unexpected.length > 0) throw new Error(`the attacker received events that are not answers: ${show(unexpected)}`);
  matchP2pErrors(
    attackerLog.map((entry) => entry.args),
    pendingErrors,
    inputs,
  );

  expect(counterpartLog.map((r) => ({ event: r.event, args: wireForm(r.args), withCallback: r.withCallback }))).toEqual(
    deliveries.map((d) => ({ event: d.event, args: wireForm(overTheWire(d.args)), withCallback: d.withCallback })),
  );
}

function answersOnAck(e: Expected): boolean {
  return (e.kind === 'refused' && e.via !== 'p2p-error') || (e.kind === 'accepted' && e.ack !== undefined);
}

function errorPayload(event: string) {
  return { code: expect.any(String), message: expect.any(String), event };
}

function checkAckAnswer(
  label: () => string,
  input: FuzzInput,
  e: Expected,
  answer: unknown[],
  counterpartLog: Received[],
  deliveries: Delivery[],
): void {
  if (e.kind === 'refused') {
    const error = e.via === 'control-ack' ? answer[1] : answer[0];
    const shape = e.via === 'control-ack' ? [false, errorPayload(input.event)] : [errorPayload(input.event)];
    try {
      expect(answer).toEqual(shape);
      const code = (error as { code: unknown }).code;
      expect(isP2pErrorCode(code)).toBe(true);
      expect(e.codes).toContain(code);
    } catch (cause) {
      throw new Error(`${label()}: refused with ${show(answer)}\n${String(cause)}`);
    }
    return;
  }
  if (e.kind !== 'accepted' || !e.ack) return;
  const ack = e.ack;
  if ('exactly' in ack) {
    if (JSON.stringify(wireForm(answer)) !== JSON.stringify(wireForm(ack.exactly))) {
      throw new Error(`${label()}: answered ${show(answer)}`);
    }
  } else if ('clientList' in ack) {
    const [ids] = answer;
    if (!Array.isArray(ids) || answer.length !== 1) throw new Error(`${label()}: answered ${show(answer)}`);
    expect([...ids].sort()).toEqual([...ack.clientList].sort());
  } else {
    // The counterpart echoed what it received for this input's delivery; that echo crosses two more hops back.
    const delivery = e.delivery!;
    const index = deliveries.indexOf(delivery);
    const received = counterpartLog[index];
    if (!received) throw new Error(`${label()}: answered ${show(answer)} but its delivery never arrived`);
    const echoed = overTheWire(overTheWire(received.args));
    const wanted = ack.echo === 'error-first' ? [null, ...echoed] : echoed;
    if (JSON.stringify(wireForm(answer)) !== JSON.stringify(wireForm(wanted))) {
      throw new Error(`${label()}: answered ${show(answer)}, expected the echo ${show(wanted)}`);
    }
  }
}

/** Pairs each P2P_ERROR received with one input that had to be refused that way (same event, an allowed code). */
function matchP2pErrors(
  received: unknown[][],
  pending: Array<{ index: number; event: string; codes: P2pErrorCode[] }>,
  inputs: FuzzInput[],
): void {
  const describeAll = () =>
    `received P2P_ERROR ${show(received)} for inputs ${pending
      .map((p) => `#${p.index} ${abbreviate(p.event)} ${show(inputs[p.index]!.args)} (codes ${p.codes.join('|')})`)
      .join('; ')}`;
  for (const args of received) {
    expect(args).toEqual([{ code: expect.any(String), message: expect.any(String), event: expect.any(String) }]);
    const { code } = args[0] as { code: unknown };
    if (!isP2pErrorCode(code)) throw new Error(`unknown code in ${describeAll()}`);
  }
  if (received.length !== pending.length || !assign(received, pending, 0, new Set())) {
    throw new Error(`each malformed input must get exactly one P2P_ERROR with an allowed code: ${describeAll()}`);
  }
}

function assign(received: unknown[][], pending: Array<{ event: string; codes: P2pErrorCode[] }>, from: number, used: Set<number>): boolean {
  if (from === received.length) return true;
  const { code, event } = received[from]![0] as { code: P2pErrorCode; event: string };
  for (let i = 0; i < pending.length; i++) {
    if (used.has(i) || pending[i]!.event !== event || !pending[i]!.codes.includes(code)) continue;
    used.add(i);
    if (assign(received, pending, from + 1, used)) return true;
    used.delete(i);
  }
  return false;
}

/** A clientId placeholder in generated inputs, resolved per run (each run has fresh ids). */
export class IdRef {
  constructor(readonly role: string) {}
  [fc.toStringMethod](): string {
    return `<${this.role}>`;
  }
}

/** Replaces IdRefs in the arguments and one level into objects (where targets and claimed ids sit). */
export function resolveIds(input: FuzzInput, idOf: (role: string) => string): FuzzInput {
  const resolve = (value: unknown, depth: number): unknown => {
    if (value instanceof IdRef) return idOf(value.role);
    if (depth === 0 || typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) return value;
    if (Array.isArray(value)) return value.map((item) => resolve(item, depth - 1));
    const copy: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      const item = resolve((value as Record<string, unknown>)[key], depth - 1);
      Object.defineProperty(copy, key, { value: item, enumerable: true, writable: true, configurable: true });
    }
    return copy;
  };
  return { ...input, args: input.args.map((arg) => resolve(arg, 1)) };
}
