/** The little of socket.io-client 2.x (installed as the npm alias `socket.io-client-v2`) that the tests use. */
declare module 'socket.io-client-v2' {
  type Listener = (...args: any[]) => void;

  export interface V2Socket {
    readonly id: string;
    readonly connected: boolean;
    on(event: string, listener: Listener): V2Socket;
    once(event: string, listener: Listener): V2Socket;
    off(event?: string, listener?: Listener): V2Socket;
    emit(event: string, ...args: any[]): V2Socket;
    open(): V2Socket;
    close(): V2Socket;
  }

  export interface V2Options {
    query?: Record<string, string> | string;
    transports?: string[];
    forceNew?: boolean;
    reconnection?: boolean;
    autoConnect?: boolean;
    timeout?: number;
  }

  function io(uri: string, options?: V2Options): V2Socket;
  export default io;
}
