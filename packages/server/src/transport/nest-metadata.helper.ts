/**
 * The one place that writes Nest's internal decorator metadata. The gateway's namespace, port and server options and
 * the control center's path come from options resolved at run time (forRootAsync included), too late for
 * `@WebSocketGateway(...)` or `@Controller(...)` arguments: the classes set the metadata those decorators would have
 * set, in their constructors, before Nest reads it when the app initialises. The keys are Nest internals, not public
 * API; test/service/nest-metadata.helper.spec.ts compares what these functions write with what the decorators write,
 * so an upgrade of Nest that changes them fails there, loudly.
 */
import { PATH_METADATA } from '@nestjs/common/constants.js';
import { GATEWAY_OPTIONS, PORT_METADATA } from '@nestjs/websockets/constants.js';

/** As `@WebSocketGateway(port, options)` on `gatewayClass`. */
export function setGatewayMetadata(gatewayClass: object, port: number, options: Record<string, unknown>): void {
  Reflect.defineMetadata(GATEWAY_OPTIONS, options, gatewayClass);
  Reflect.defineMetadata(PORT_METADATA, port, gatewayClass);
}

/** As `@Controller(path)` on `controllerClass`. */
export function setControllerPath(controllerClass: object, path: string): void {
  Reflect.defineMetadata(PATH_METADATA, path, controllerClass);
}
