import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable, Module } from '@nestjs/common';
import { type Socket, io } from 'socket.io-client';
import { P2pModule, type P2pHandshake, PairingService } from '../../packages/server/src/index.js';
import { type RunningApp, startApp } from '../support/nest-app.js';
import { emitWithAck, refusalOf, whenConnected } from '../support/wire.js';

/** Stands for a JwtService: verifies a signed token and returns its subject. */
@Injectable()
class TokenVerifier {
  readonly verified: string[] = [];

  async verify(token: unknown): Promise<{ sub: string }> {
    if (typeof token !== 'string' || !token.startsWith('signed:')) throw new Error('invalid token');
    const sub = token.slice('signed:'.length);
    this.verified.push(sub);
    return { sub };
  }
}

@Module({ providers: [TokenVerifier], exports: [TokenVerifier] })
class AuthModule {}

describe('security: authenticate through forRootAsync', () => {
  let app: RunningApp;
  const sockets: Socket[] = [];

  function open(auth: Record<string, unknown>): Socket {
    const socket = io(app.url, { auth, transports: ['websocket'], reconnection: false, forceNew: true });
    sockets.push(socket);
    return socket;
  }

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.disconnect();
    await app.close();
  });

  it('uses an injected service to decide the clientId, and refuses what it rejects', async () => {
    app = await startApp([
      P2pModule.forRootAsync({
        imports: [AuthModule],
        inject: [TokenVerifier],
        useFactory: (verifier: TokenVerifier) => ({
          authenticate: async (handshake: P2pHandshake) => ({
            clientId: (await verifier.verify((handshake.auth as { token?: unknown }).token)).sub,
          }),
        }),
      }),
    ]);
    const refused = await refusalOf(open({ token: 'forged:carol' }));
    expect(refused.data?.code).toBe('UNAUTHORIZED');

    const dave = await whenConnected(open({ token: 'signed:dave' }));
    const [ids] = await emitWithAck(dave, 'LIST_CLIENTS');
    expect(ids).toEqual(['dave']);
    expect(app.app.get(TokenVerifier).verified).toEqual(['dave']);
    expect((await app.app.get(PairingService).listClients()).map((c) => c.clientId)).toEqual(['dave']);
  });
});
