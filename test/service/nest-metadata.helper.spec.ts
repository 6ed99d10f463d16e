import 'reflect-metadata';
import { Controller } from '@nestjs/common';
import { WebSocketGateway } from '@nestjs/websockets';
import { describe, expect, it } from '@jest/globals';
import { setControllerPath, setGatewayMetadata } from '../../packages/server/src/transport/nest-metadata.helper.js';

/** Every metadata entry Reflect holds on `target` itself, by key. */
function metadataOf(target: object): Map<unknown, unknown> {
  return new Map(Reflect.getOwnMetadataKeys(target).map((key) => [key, Reflect.getOwnMetadata(key, target)]));
}

/**
 * The gateway and the control center set Nest's internal decorator metadata at run time (packages/server/src/nest-metadata.helper.ts).
 * If a Nest upgrade renames those keys or changes what its decorators store, these comparisons fail, before the
 * gateway quietly listens on the wrong namespace or port, or the control center on the wrong path.
 */
describe("Nest's internal metadata, as set by nest-metadata.helper", () => {
  // As createP2pGatewayClass does: a class marked with a bare @WebSocketGateway(), its options set by the helper.
  it('makes a bare @WebSocketGateway() class carry what @WebSocketGateway(port, options) stores, key for key', () => {
    const options = { namespace: '/p2p', cors: { origin: true }, allowEIO3: true, maxHttpBufferSize: 1234 };
    @WebSocketGateway(4321, options)
    class Decorated {}
    @WebSocketGateway()
    class Helped {}
    setGatewayMetadata(Helped, 4321, options);
    expect(metadataOf(Helped)).toEqual(metadataOf(Decorated));
    expect(metadataOf(Helped).size).toBeGreaterThan(1);
  });

  it('does the same for a gateway sharing the app server (port 0)', () => {
    @WebSocketGateway(0, { namespace: '/' })
    class Decorated {}
    @WebSocketGateway()
    class Helped {}
    setGatewayMetadata(Helped, 0, { namespace: '/' });
    expect(metadataOf(Helped)).toEqual(metadataOf(Decorated));
  });

  it('sets every key @WebSocketGateway sets but its marker, with the same values', () => {
    const options = { namespace: '/x' };
    @WebSocketGateway(99, options)
    class Decorated {}
    class Helped {}
    setGatewayMetadata(Helped, 99, options);
    const decorated = metadataOf(Decorated);
    const helped = metadataOf(Helped);
    expect(helped.size).toBe(decorated.size - 1);
    for (const [key, value] of helped) expect(decorated.get(key)).toEqual(value);
  });

  it('sets the path @Controller(path) stores, and the decorator stores nothing else the helper would miss', () => {
    @Controller('p2p-admin')
    class Decorated {}
    class Helped {}
    // The control center class carries @Controller() itself (with no path); the helper only sets the path.
    @Controller()
    class HelpedController {}
    setControllerPath(HelpedController, 'p2p-admin');
    setControllerPath(Helped, 'p2p-admin');
    expect(metadataOf(HelpedController)).toEqual(metadataOf(Decorated));
    const decorated = metadataOf(Decorated);
    expect([...metadataOf(Helped)].every(([key, value]) => decorated.get(key) === value)).toBe(true);
  });
});
