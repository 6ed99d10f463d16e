import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { P2pModuleOptions } from './options/p2p-options.interface.js';

/** Options of P2pModule that shape the module itself rather than the gateway. */
export interface P2pModuleExtras {
  /**
   * Registers the module globally: `PairingService` and `P2P_STORE` can be injected in every module of the app,
   * without importing P2pModule again. Otherwise only the module that imports `P2pModule.forRoot(...)` sees them.
   * @default false
   */
  isGlobal: boolean | undefined;
}

export const {
  ConfigurableModuleClass: P2pConfigurableModule,
  MODULE_OPTIONS_TOKEN: P2P_MODULE_OPTIONS,
  OPTIONS_TYPE: P2P_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: P2P_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<P2pModuleOptions>()
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createP2pOptions')
  .setExtras<P2pModuleExtras>({ isGlobal: false }, (definition, extras) => ({ ...definition, global: extras.isGlobal === true }))
  .build();

/**
 * A class given to `forRootAsync({ useClass })` or `useExisting`: Nest builds it and calls `createP2pOptions()`, as
 * with `ThrottlerOptionsFactory` and the other first-party modules.
 */
export interface P2pOptionsFactory {
  createP2pOptions(): P2pModuleOptions | Promise<P2pModuleOptions>;
}
