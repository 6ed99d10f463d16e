import {
  type CanActivate,
  type ExecutionContext,
  ForbiddenException,
  Inject,
  Injectable,
  NotFoundException,
  SetMetadata,
  type Type,
  UnauthorizedException,
} from '@nestjs/common';
import { ModuleRef, Reflector } from '@nestjs/core';
import { type Observable, lastValueFrom, isObservable } from 'rxjs';
import { P2P_RESOLVED_OPTIONS } from '../tokens/p2p.constants.js';
import type { ResolvedP2pOptions } from '../options/p2p-options.resolve.js';
import { bearerToken, tokenMatches } from './control-center.token.js';

const QUERY_TOKEN_ALLOWED = 'p2p:control-center:query-token';

/** Lets a route take the token as `?token=`: for the page and the event stream, which a browser opens by URL. */
export const AllowQueryToken = () => SetMetadata(QUERY_TOKEN_ALLOWED, true);

interface HttpRequestLike {
  method?: string;
  url?: string;
  headers: Record<string, string | string[] | undefined>;
  query?: Record<string, unknown>;
}

/**
 * Whether a browser sent this request on another site's behalf: its fetch metadata says so, or (browsers without it)
 * its Origin names neither the Host nor, behind a proxy, the X-Forwarded-Host. Scripts send neither header.
 */
function isCrossSite({ headers }: HttpRequestLike): boolean {
  const site = headers['sec-fetch-site'];
  if (site !== undefined) return site !== 'same-origin' && site !== 'none';
  const origin = headers.origin;
  if (typeof origin !== 'string') return false;
  try {
    const { host } = new URL(origin);
    return host !== headers.host && host !== headers['x-forwarded-host'];
  } catch {
    return true;
  }
}

/**
 * Guards every route of the control center: 404 while it is off; actions a browser was made to send from another site
 * are refused (so a cookie-based host guard cannot be ridden); then the token, then the host app's guard; else 401.
 */
@Injectable()
export class ControlCenterAccessGuard implements CanActivate {
  private hostGuard?: Promise<CanActivate>;

  constructor(
    @Inject(P2P_RESOLVED_OPTIONS) private readonly options: ResolvedP2pOptions,
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(ModuleRef) private readonly moduleRef: ModuleRef,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<HttpRequestLike>();
    const settings = this.options.controlCenter;
    // Answered as an unknown route would be: a disabled control center is not there.
    if (!settings) throw new NotFoundException(`Cannot ${request.method} ${request.url}`);
    if (request.method !== 'GET' && request.method !== 'HEAD' && isCrossSite(request)) {
      throw new ForbiddenException('cross-site requests are refused');
    }
    if (settings.token !== undefined) {
      const fromQuery = this.reflector.get<boolean>(QUERY_TOKEN_ALLOWED, context.getHandler()) === true;
      const query = request.query?.token;
      const given = bearerToken(request.headers.authorization) ?? (fromQuery && typeof query === 'string' ? query : undefined);
      if (tokenMatches(given, settings.token)) return true;
    }
    if (settings.guard !== undefined) return this.askHostGuard(settings.guard, context);
    this.challenge(context);
    throw new UnauthorizedException('a valid token is required');
  }

  private async askHostGuard(guard: Type<CanActivate> | CanActivate, context: ExecutionContext): Promise<boolean> {
    this.hostGuard ??= this.instantiate(guard).catch((error: unknown) => {
      this.hostGuard = undefined;
      throw error;
    });
    const verdict = await (await this.hostGuard).canActivate(context);
    return (isObservable(verdict) ? await lastValueFrom(verdict as Observable<boolean>) : verdict) === true;
  }

  /** A guard class: the host app's provider if it registered one, else built by Nest's injector here. */
  private async instantiate(guard: Type<CanActivate> | CanActivate): Promise<CanActivate> {
    if (typeof guard !== 'function') return guard;
    try {
      return this.moduleRef.get(guard, { strict: false });
    } catch {
      return this.moduleRef.create(guard);
    }
  }

  private challenge(context: ExecutionContext): void {
    const response = context.switchToHttp().getResponse<{ header?: unknown; setHeader?: unknown }>();
    const value = 'Bearer realm="p2p-control-center"';
    if (typeof response.setHeader === 'function') response.setHeader('WWW-Authenticate', value);
    else if (typeof response.header === 'function') response.header('WWW-Authenticate', value);
  }
}
