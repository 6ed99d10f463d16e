export type { IncomingStream } from './incoming-stream.interface.js';
export type { SendStreamOptions, StreamReceipt } from './outgoing.stream.js';
export type { StreamOptions } from './stream.options.js';
export type { SeekableOpener, StreamSource } from './stream-source.reader.js';
export { P2pStreamError } from './stream.error.js';
export { Sha256 } from './sha256.hash.js';
