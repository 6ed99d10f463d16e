export * from './p2p.events.js';
export * from './p2p-error.codes.js';
export * from './p2p.error.js';
export * from './p2p.payloads.js';
export * from './p2p.protocol.js';
export * from './p2p.streams.js';
export * from './p2p.e2e.js';
