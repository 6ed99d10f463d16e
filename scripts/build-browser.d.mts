/** Writes p2p-client.js and socket.io-client.js (with source maps) into `outdir` (default dist/browser). */
export declare function buildBrowserBundles(outdir?: string): Promise<string>;
