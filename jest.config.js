/** Jest 30 in native ESM mode (run with NODE_OPTIONS=--experimental-vm-modules, as `npm test` does). */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    // The workspace's packages run from their sources, as the typecheck sees them (tsconfig.json's paths).
    '^nest-p2p-gateway-protocol$': '<rootDir>/packages/protocol/src/index.ts',
    '^nest-p2p-gateway-client$': '<rootDir>/packages/client/src/index.ts',
    '^nest-p2p-gateway$': '<rootDir>/packages/server/src/index.ts',
    '^nest-p2p-gateway/(client|protocol)$': '<rootDir>/packages/server/src/$1.ts',
    '^nest-p2p-gateway/redis$': '<rootDir>/packages/server/src/redis.ts',
    '^nest-p2p-gateway/health$': '<rootDir>/packages/server/src/health/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
  testMatch: ['<rootDir>/test/**/*.spec.ts'],
  modulePathIgnorePatterns: ['<rootDir>/packages/.*/dist/'],
  testTimeout: 20000,
};
