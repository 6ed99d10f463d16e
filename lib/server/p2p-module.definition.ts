import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { P2pModuleOptions } from './p2p-options.interface.js';

export const {
  ConfigurableModuleClass: P2pConfigurableModule,
  MODULE_OPTIONS_TOKEN: P2P_MODULE_OPTIONS,
  OPTIONS_TYPE: P2P_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: P2P_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<P2pModuleOptions>().setClassMethodName('forRoot').build();
