export * from '../protocol/index.js';
export { P2pClient, type P2pClientEvents, type P2pClientState } from './p2p-client.js';
export type { P2pClientOptions } from './p2p-client.options.js';
export type { FramePath } from './frame-path.interface.js';
export * from './webrtc/index.js';
