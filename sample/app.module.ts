import { Module } from '@nestjs/common';
import { P2pModule } from '../lib/server/index.js';

/** The sample app: the pairing gateway on the root namespace, in memory, accepting socket.io-client 4 and 2 clients. */
@Module({
  imports: [
    P2pModule.forRoot({
      serverOptions: { cors: { origin: true }, allowEIO3: true },
    }),
  ],
})
export class AppModule {}
