import { describe, expect, it } from '@jest/globals';
import { Inject, Injectable, Module } from '@nestjs/common';
import { NodeDrainService, P2pModule } from '../../packages/server/src/index.js';
import { eventually } from '../support/eventually.js';
import { startApp } from '../support/nest-app.js';

/** What a readiness check of the host app looks like: it injects the exported NodeDrainService. */
@Injectable()
class Readiness {
  constructor(@Inject(NodeDrainService) private readonly drain: NodeDrainService) {}

  ready(): boolean {
    return !this.drain.isDraining;
  }
}

@Module({ imports: [P2pModule.forRoot()], providers: [Readiness] })
class HostModule {}

describe('NodeDrainService', () => {
  it('is exported to the importing module and turns draining as soon as the app shuts down', async () => {
    const { app, close } = await startApp([HostModule]);
    const readiness = app.get(Readiness);
    const drain = app.get(NodeDrainService);
    expect(readiness.ready()).toBe(true);
    expect(drain.drainingSince).toBeUndefined();

    const before = Date.now();
    const closing = close();
    await eventually(() => expect(readiness.ready()).toBe(false), 5000, 5);
    expect(drain.drainingSince).toBeGreaterThanOrEqual(before);
    expect(drain.begin()).toBe(false);
    await closing;
    expect(drain.isDraining).toBe(true);
  });
});
