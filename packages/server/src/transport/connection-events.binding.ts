import type { Namespace, Socket } from 'socket.io';

/** The gateway's side of a connection's life, as Nest would call it (`OnGatewayConnection`, `OnGatewayDisconnect`). */
export interface ConnectionEventHandlers {
  handleConnection(socket: Socket): void;
  handleDisconnect(socket: Socket, reason?: string): void;
}

type Listener = (...args: any[]) => void;
type Registration = (this: Namespace, event: string | symbol, listener: Listener) => Namespace;

/**
 * Nest's handler for a new connection, as `WebSocketsController.getConnectionHandler` (@nestjs/websockets) makes it:
 * it feeds Nest's connection stream, binds the gateway's message handlers, and hooks the disconnect. Recognised by its
 * source, so that an adapter that wraps it in a listener of its own is left alone.
 */
function isNestConnectionHandler(listener: Listener): boolean {
  const source = Function.prototype.toString.call(listener);
  return source.includes('subscribeMessages') && source.includes('bindClientDisconnect');
}

/**
 * Lets the gateway handle its connections itself while Nest still creates, configures and closes the Socket.IO server
 * it runs on (and calls `afterInit`). Call from `afterInit(server)` with the namespace Nest passed.
 *
 * Why: for every connection, Nest's handler asks the adapter to bind the gateway's `@SubscribeMessage` handlers, and
 * `IoAdapter.bindMessageHandlers` builds `fromEvent(socket, 'disconnect').pipe(share(), first())` and keeps it per
 * socket even when there is none; with its disconnect hook that is about 1.8 KB of heap per connection, and work on
 * every handshake. The gateway has no message handler (its events are plain Socket.IO listeners), so none of that is
 * needed: the gateway's own listener calls `handleConnection`, and one listener shared by all sockets calls
 * `handleDisconnect`, as Nest would.
 *
 * How: Nest calls `afterInit` and then, in the same synchronous step, `adapter.bindClientConnect(namespace, handler)`,
 * which for `IoAdapter` and every adapter that keeps `AbstractWsAdapter`'s registers `handler` with `on('connection')`.
 * The namespace catches that one registration (an own `on` / `addListener`, withdrawn at once) and registers the
 * gateway's listener in its place. Anything else registered meanwhile goes through. An adapter that binds another way,
 * or wraps Nest's handler, is left as it is: the catch is withdrawn at the end of the step, and Nest's handler then
 * calls `handleConnection` / `handleDisconnect` as before. Either way each is called once per connection.
 */
export function takeOverConnectionEvents(server: Namespace | { of: unknown }, gateway: ConnectionEventHandlers): void {
  if ('of' in server) return;
  const namespace = server;
  const own = namespace as unknown as Record<'on' | 'addListener', Registration | undefined>;
  const inherited = Object.getPrototypeOf(namespace) as Record<'on' | 'addListener', Registration>;
  const withdraw = (): void => {
    delete own.on;
    delete own.addListener;
  };
  const catchWith = (method: 'on' | 'addListener'): Registration =>
    function (event, listener) {
      if ((event === 'connection' || event === 'connect') && isNestConnectionHandler(listener)) {
        withdraw();
        listenToConnections(namespace, gateway);
        return namespace;
      }
      return inherited[method].call(this, event, listener);
    };
  own.on = catchWith('on');
  own.addListener = catchWith('addListener');
  queueMicrotask(withdraw);
}

function listenToConnections(namespace: Namespace, gateway: ConnectionEventHandlers): void {
  // One function for every socket's disconnect (Socket.IO calls it with the socket as `this`), not a closure each.
  const onDisconnect = function (this: Socket, reason: string): void {
    gateway.handleDisconnect(this, reason);
  };
  namespace.on('connection', (socket: Socket) => {
    gateway.handleConnection(socket);
    socket.on('disconnect', onDisconnect);
  });
}
