/** Writes p2p-client.js and socket.io-client.js (with source maps) into `outdir` (default packages/client/dist/browser). */
export declare function buildBrowserBundles(outdir?: string): Promise<string>;
/** The gzipped size in bytes of the client bundle in `outdir`. */
export declare function gzippedClientBundleBytes(outdir: string): Promise<number>;
