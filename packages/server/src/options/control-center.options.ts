import type { CanActivate, Type } from '@nestjs/common';

/** Option `controlCenter` of P2pModule: an operator's page and JSON API of clients and pairings. Off unless given. */
export interface P2pControlCenterOptions {
  /**
   * Where the page and the API are served (under the app's global prefix, if any).
   * @default '/p2p-admin'
   */
  path?: string | undefined;
  /**
   * A shared secret of at least 16 characters, accepted as `Authorization: Bearer <token>` (and as `?token=` by the
   * page and the event stream only, since `EventSource` cannot send headers).
   */
  token?: string | undefined;
  /**
   * A Nest guard of the host app (a class, resolved by Nest's injector, or an instance). With a token too, a request
   * bearing the right token is let in without asking the guard; any other request is the guard's to decide.
   */
  guard?: Type<CanActivate> | CanActivate | undefined;
}

/** The control center as the module runs it; absent from the resolved options when it is off. */
export interface ResolvedControlCenterOptions {
  path: string;
  token?: string;
  guard?: Type<CanActivate> | CanActivate;
}

export const DEFAULT_CONTROL_CENTER_PATH = '/p2p-admin';
export const MIN_CONTROL_CENTER_TOKEN_LENGTH = 16;

const PATH_PATTERN = /^(\/[A-Za-z0-9._~-]+)+$/;

function isGuard(value: unknown): value is Type<CanActivate> | CanActivate {
  if (typeof value === 'function') return true;
  return typeof value === 'object' && value !== null && typeof (value as CanActivate).canActivate === 'function';
}

/** Validates the option. Enabled with neither a token nor a guard is refused: the control center is never open. */
export function resolveControlCenter(options: P2pControlCenterOptions | undefined): ResolvedControlCenterOptions | undefined {
  if (options === undefined) return undefined;
  const fail = (why: string): never => {
    throw new TypeError(`P2pModule: controlCenter ${why}`);
  };
  if (typeof options !== 'object' || options === null) fail('must be an object');
  const { token, guard } = options;
  if (token === undefined && guard === undefined) {
    fail('needs a `token` or a `guard`: it is never served without credentials (leave the option out to turn it off)');
  }
  if (token !== undefined && (typeof token !== 'string' || token.length < MIN_CONTROL_CENTER_TOKEN_LENGTH)) {
    fail(`.token must be a string of at least ${MIN_CONTROL_CENTER_TOKEN_LENGTH} characters`);
  }
  if (guard !== undefined && !isGuard(guard)) fail('.guard must be a guard class or an object with canActivate()');
  const path = (options.path ?? DEFAULT_CONTROL_CENTER_PATH).replace(/\/+$/, '');
  if (!PATH_PATTERN.test(path)) fail(`.path must look like '/p2p-admin' (got ${JSON.stringify(options.path)})`);
  return { path, ...(token === undefined ? {} : { token }), ...(guard === undefined ? {} : { guard }) };
}
