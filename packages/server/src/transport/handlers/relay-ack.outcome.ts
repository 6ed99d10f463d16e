import { P2pError, P2pEvent } from 'nest-p2p-gateway-protocol';
import type { AckOutcome, P2pSocket } from '../../connection/p2p-connection.state.js';
import { type AnyFunction, sendError, unencodable } from './handler.replies.js';

/**
 * Reports a relay with ack's failure to its sender: through the ack for protocol 2 (error-first), as P2P_ERROR for
 * protocol 1 (whose ack carries only the peer's results) or when there is no ack.
 */
export function failRelayWithAck(sender: P2pSocket, answer: AnyFunction | undefined, errorFirst: boolean, error: P2pError): void {
  if (answer && errorFirst) answer(error.toPayload());
  else sendError(sender, error);
}

/**
 * The sender's side of one `P2P_EMIT_ACKNOWLEDGE`: who sent it, the ack to answer, and how (protocol 1 senders get
 * `ack(...results)`, protocol 2 senders `ack(null, ...results)`; failures as by `failRelayWithAck`). One record per
 * relay, handed to the router, the cluster link or the outbox as it is.
 */
export class RelayAckOutcome implements AckOutcome {
  constructor(
    private readonly sender: P2pSocket,
    private readonly answer: AnyFunction,
    private readonly errorFirst: boolean,
    /** When the relay passed its checks, for the metrics' ack latency; undefined while metrics are off. */
    private readonly startedAt: number | undefined,
  ) {}

  /** `results` is the outcome's own array (never shared when there is no error): the `null` goes in front in place. */
  settle(error: P2pError | undefined, results: unknown[]): void {
    if (this.startedAt !== undefined) this.sender.data.p2p.gateway.metrics?.acked(this.startedAt, error);
    if (error) return failRelayWithAck(this.sender, this.answer, this.errorFirst, error);
    try {
      if (this.errorFirst) results.unshift(null);
      Reflect.apply(this.answer, undefined, results);
    } catch {
      failRelayWithAck(this.sender, this.answer, this.errorFirst, unencodable(P2pEvent.EMIT_ACKNOWLEDGE));
    }
  }
}
