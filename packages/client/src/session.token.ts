/** The part of the Web Crypto API the session token needs; `globalThis.crypto` in browsers and Node 19+. */
interface TokenCrypto {
  randomUUID?(): string;
  /** Fills `array` in place. */
  getRandomValues?(array: any): unknown;
}

/**
 * A random session token: `crypto.randomUUID()`, or 128 bits from `crypto.getRandomValues()` where `randomUUID` is
 * missing (it only exists in secure contexts: pages served over plain http lack it, `getRandomValues` is there). The
 * token lets a client take its id and pairing back after a drop, so it must not be guessable: with no Web Crypto at
 * all this throws rather than fall back to `Math.random`. Pass `sessionToken` to P2pClient to choose it yourself.
 */
export function randomSessionToken(cryptoApi: TokenCrypto | undefined = (globalThis as { crypto?: TokenCrypto }).crypto): string {
  if (typeof cryptoApi?.randomUUID === 'function') return cryptoApi.randomUUID();
  if (typeof cryptoApi?.getRandomValues === 'function') {
    const bytes = new Uint8Array(16);
    cryptoApi.getRandomValues(bytes);
    return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  }
  throw new TypeError('P2pClient: no Web Crypto API (crypto.getRandomValues) to make a session token: pass options.sessionToken');
}
