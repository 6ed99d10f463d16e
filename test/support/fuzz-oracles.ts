import type { P2pErrorCode } from '../../packages/protocol/src/index.js';
import { DEFAULT_CLIENT_ID_PATTERN } from '../../packages/server/src/index.js';
import type { Delivery, Expected, FuzzInput } from './fuzz-batch.js';
import { HANDLED_EVENTS, isReservedName } from './fuzz-inputs.js';
import { overTheWire } from './fuzz-wire.js';

/**
 * The oracles say, from the wire contract, what the gateway must do with one input, judged on the arguments as the
 * server receives them. Where an input is wrong in several ways, every applicable code is accepted: which check comes
 * first is the gateway's business.
 */

const MAX_EVENT_NAME_LENGTH = 256;
/** The default `clientId.maxLength` (the fuzzed gateways keep the default clientId rules). */
const DEFAULT_CLIENT_ID_MAX_LENGTH = 128;
/** The gateway's bound on a relay's positional arguments (relay.handler.ts MAX_RELAY_ARGS; not yet in the README). */
const MAX_RELAY_ARGS = 256;

const refused = (via: 'control-ack' | 'error-first-ack' | 'p2p-error', codes: P2pErrorCode[]): Expected => ({
  kind: 'refused',
  via,
  codes,
});

/** Everything wrong with a relay payload from a sender whose peer is `peerId` (undefined when unpaired). */
function relayProblems(payload: unknown, peerId: string | undefined): P2pErrorCode[] {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return ['INVALID_PAYLOAD'];
  const { targetClientId, event, args } = payload as Record<string, unknown>;
  const codes = new Set<P2pErrorCode>();
  if (typeof event !== 'string' || event.length === 0 || event.length > MAX_EVENT_NAME_LENGTH) codes.add('INVALID_PAYLOAD');
  if (args !== undefined && (!Array.isArray(args) || args.length > MAX_RELAY_ARGS)) codes.add('INVALID_PAYLOAD');
  if (targetClientId !== undefined && typeof targetClientId !== 'string') codes.add('INVALID_PAYLOAD');
  if (typeof event === 'string' && isReservedName(event)) codes.add('RESERVED_EVENT');
  if (peerId === undefined) codes.add('NOT_PAIRED');
  else if (typeof targetClientId === 'string' && targetClientId !== peerId) codes.add('TARGET_NOT_PEER');
  return [...codes];
}

export interface RelayContext {
  /** The attacker's peer, when paired. */
  peerId?: string;
  protocol: 1 | 2;
}

/** P2P_EMIT(payload, [ack]) and P2P_EMIT_ACKNOWLEDGE(payload, ack); anything else outside the protocol is ignored. */
export function expectRelay(input: FuzzInput, { peerId, protocol }: RelayContext): Expected {
  if (input.event !== 'P2P_EMIT' && input.event !== 'P2P_EMIT_ACKNOWLEDGE') return expectOther(input);
  const [payload] = overTheWire(input.args);
  const codes = relayProblems(payload, peerId);
  const deliver = (withCallback: boolean): Delivery => {
    const { event, args } = payload as { event: string; args?: unknown[] };
    return { event, args: args ?? [], withCallback };
  };
  if (input.event === 'P2P_EMIT') {
    if (codes.length > 0) return refused(input.withAck ? 'error-first-ack' : 'p2p-error', codes);
    return { kind: 'accepted', ...(input.withAck ? { ack: { exactly: [null] } } : {}), delivery: deliver(false) };
  }
  // Protocol 1 senders have no error slot in their ack: their failures come as P2P_ERROR.
  if (!input.withAck) return refused('p2p-error', ['INVALID_PAYLOAD']);
  if (codes.length > 0) return refused(protocol >= 2 ? 'error-first-ack' : 'p2p-error', codes);
  return { kind: 'accepted', ack: { echo: protocol >= 2 ? 'error-first' : 'plain' }, delivery: deliver(true) };
}

/** Events the protocol does not define are ignored: no answer, no effect (as the original plugin did). */
function expectOther(input: FuzzInput): Expected {
  if (HANDLED_EVENTS.includes(input.event)) throw new Error(`no oracle for ${input.event} here`);
  return { kind: 'ignored' };
}

/** Where the attacker stands, and what the store held before the batch. */
export interface ControlState {
  selfId: string;
  kind: 'free' | 'asked' | 'paired';
  /** The client that asked the attacker, or its peer. */
  otherId?: string;
  /** Every connected client's state ('free', 'asking', 'asked', 'paired'), by clientId. */
  clients: ReadonlyMap<string, string>;
}

export type ControlOutcome =
  | { expected: Expected; change?: 'consented' | 'refused' | 'unpaired' }
  /** The input would open a real pairing request: outside what the control property models. */
  | { unsupported: true };

/** P2P_REGISTER, P2P_REGISTER_SUCCESS/FAILED, P2P_UNREGISTER, LIST_CLIENTS; anything else outside the protocol is ignored. */
export function expectControl(input: FuzzInput, state: ControlState): ControlOutcome {
  const args = overTheWire(input.args);
  const ackVia = input.withAck ? 'control-ack' : 'p2p-error';
  switch (input.event) {
    case 'P2P_REGISTER': {
      if (!input.withAck) return { expected: refused('p2p-error', ['INVALID_PAYLOAD']) };
      const [target] = args;
      if (typeof target !== 'string' || target.length === 0) return { expected: refused('control-ack', ['INVALID_PAYLOAD']) };
      // A target no connection could hold (outside the default clientId rules) is refused before anything else.
      if (target.length > DEFAULT_CLIENT_ID_MAX_LENGTH || !DEFAULT_CLIENT_ID_PATTERN.test(target)) {
        return { expected: refused('control-ack', ['INVALID_CLIENT_ID']) };
      }
      // Crossing requests: asking the client that asks it pairs the two at once (this request is the consent).
      if (state.kind === 'asked' && target === state.otherId) {
        return { expected: { kind: 'accepted', ack: { exactly: [true] } }, change: 'consented' };
      }
      // Asking its own peer: the pairing is there already, so the answer is yes and nothing changes.
      if (state.kind === 'paired' && target === state.otherId) return { expected: { kind: 'accepted', ack: { exactly: [true] } } };
      const codes: P2pErrorCode[] = [];
      const targetState = state.clients.get(target);
      if (target === state.selfId) codes.push('SELF_PAIRING');
      else if (targetState === undefined) codes.push('TARGET_OFFLINE');
      if (state.kind !== 'free') codes.push('SOURCE_BUSY');
      if (targetState !== undefined && targetState !== 'free' && target !== state.selfId) codes.push('TARGET_BUSY');
      return codes.length > 0 ? { expected: refused('control-ack', codes) } : { unsupported: true };
    }
    case 'P2P_REGISTER_SUCCESS':
    case 'P2P_REGISTER_FAILED': {
      const [claimed] = args;
      if (claimed !== undefined && claimed !== null && typeof claimed !== 'string') {
        return { expected: refused(ackVia, ['INVALID_PAYLOAD']) };
      }
      // A consent to the peer it is paired with already (the late answer to a request its own crossing request settled).
      const claimsPeer = claimed === undefined || claimed === null || claimed === state.otherId;
      if (input.event === 'P2P_REGISTER_SUCCESS' && state.kind === 'paired' && claimsPeer) {
        return { expected: { kind: 'accepted', ...(input.withAck ? { ack: { exactly: [true] } } : {}) } };
      }
      if (state.kind !== 'asked' || (typeof claimed === 'string' && claimed !== state.otherId)) {
        return { expected: refused(ackVia, ['NO_PENDING_REQUEST']) };
      }
      return {
        expected: { kind: 'accepted', ...(input.withAck ? { ack: { exactly: [true] } } : {}) },
        change: input.event === 'P2P_REGISTER_SUCCESS' ? 'consented' : 'refused',
      };
    }
    case 'P2P_UNREGISTER': {
      if (state.kind !== 'paired') return { expected: refused(ackVia, ['NOT_PAIRED']) };
      return {
        expected: {
          kind: 'accepted',
          ...(input.withAck ? { ack: { exactly: [true] } } : {}),
          delivery: { event: 'P2P_DISCONNECT', args: [state.selfId, 'UNREGISTERED'], withCallback: false },
        },
        change: 'unpaired',
      };
    }
    case 'LIST_CLIENTS': {
      // The answer has no error slot, so every refusal is a P2P_ERROR.
      if (!input.withAck) return { expected: refused('p2p-error', ['INVALID_PAYLOAD']) };
      const [filter] = args;
      if (filter !== undefined && filter !== null && (typeof filter !== 'object' || Array.isArray(filter))) {
        return { expected: refused('p2p-error', ['INVALID_PAYLOAD']) };
      }
      const available = (filter as { available?: unknown } | null | undefined)?.available === true;
      const clientList = [...state.clients].filter(([, kind]) => !available || kind === 'free').map(([id]) => id);
      return { expected: { kind: 'accepted', ack: { clientList } } };
    }
    default:
      return { expected: expectOther(input) };
  }
}
