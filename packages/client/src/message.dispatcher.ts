import { isReservedEventName } from 'nest-p2p-gateway-protocol';
import type { P2pClientSocket } from './client-socket.interface.js';

/** The peer's callback for a message it sent with `emitWithAck`: this side's reply. */
export type MessageReply = (...results: unknown[]) => void;

/**
 * A part's handler for the peer's messages over the reliable channel: returns true when the message is the part's
 * (then nobody else sees it), false to pass it on.
 */
export type MessageHandler = (event: string, args: unknown[], reply: MessageReply | undefined) => boolean;

/**
 * Where the reliable channel hands each of the peer's messages, once and in order: first to the handlers parts
 * registered (streams, say, claim their own reserved event names), then, as socket.io-client would dispatch an event,
 * to the app's listeners on the socket. Names that Socket.IO or this protocol reserve never reach the app's listeners.
 */
export class MessageDispatcher {
  private readonly handlers: MessageHandler[] = [];

  constructor(private readonly socket: Pick<P2pClientSocket, 'listeners' | 'listenersAny'>) {}

  /** Lets `handler` look at each message before the app's listeners, after the handlers registered before it. */
  register(handler: MessageHandler): () => void {
    this.handlers.push(handler);
    return () => {
      const at = this.handlers.indexOf(handler);
      if (at >= 0) this.handlers.splice(at, 1);
    };
  }

  dispatch(event: string, args: unknown[], reply: MessageReply | undefined): void {
    for (const handler of this.handlers) if (handler(event, args, reply)) return;
    // Names Socket.IO or this protocol use are never handed to the app's listeners (the sender refuses them too).
    if (isReservedEventName(event)) return;
    // As socket.io-client dispatches an event: catch-all listeners first, on copies (once-listeners remove themselves).
    const socket = this.socket;
    const callArgs = reply ? [...args, reply] : args;
    for (const listener of [...socket.listenersAny()]) listener.call(socket, event, ...callArgs);
    for (const listener of [...socket.listeners(event)]) listener.apply(socket, callArgs);
  }
}
