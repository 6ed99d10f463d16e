export * from 'nest-p2p-gateway-protocol';
export { P2pClient, type P2pClientEvents, type P2pClientState, type UndeliveredMessage } from './p2p.client.js';
export type { MessageBound, ReliableChannelOptions } from './reliable-channel.options.js';
export type { FramePath } from './frame-path.interface.js';
export type { P2pClientOptions } from './p2p-client.options.js';
export type { P2pClientManager, P2pClientSocket } from './client-socket.interface.js';
export { randomSessionToken } from './session.token.js';
export type { ClientWalkOptions } from './client-list.pager.js';
export * from './webrtc/index.js';
