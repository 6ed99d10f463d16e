/**
 * Whether `value` is a promise (a thenable): WebCrypto's promises may come from another realm than this code's (a
 * Node `vm` context, a frame), where `instanceof Promise` says no.
 */
export function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}
