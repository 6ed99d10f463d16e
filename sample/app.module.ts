import { Module } from '@nestjs/common';
import { P2pModule } from '../lib/server/index.js';

/**
 * The sample app: the pairing gateway on the root namespace, accepting socket.io-client 4 and 2 clients. In memory by
 * default; with REDIS_URL set it runs as one node of a cluster (start several with different PORTs).
 */
@Module({
  imports: [
    P2pModule.forRoot({
      serverOptions: { cors: { origin: true }, allowEIO3: true },
      ...(process.env.REDIS_URL ? { redis: { url: process.env.REDIS_URL } } : {}),
    }),
  ],
})
export class AppModule {}
