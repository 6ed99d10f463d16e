/**
 * Writes p2p-client.js and socket.io-client.js (with source maps) into `outdir` (default packages/server/dist/browser);
 * with `clientOnly`, p2p-client.js alone and no map (the client package's).
 */
export declare function buildBrowserBundles(outdir?: string, options?: { clientOnly?: boolean }): Promise<string>;
/** The gzipped size in bytes of the client bundle in `outdir`. */
export declare function gzippedClientBundleBytes(outdir: string): Promise<number>;
