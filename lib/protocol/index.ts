export * from './p2p-event.js';
export * from './p2p-error-code.js';
export * from './p2p-error.js';
export * from './p2p-payloads.js';
export * from './p2p-protocol.js';
