/**
 * Two projects: `unit` (src/**\/*.spec.ts: no database, no global set-up, seconds) and `e2e`
 * (test/**\/*.e2e-spec.ts, against a real PostgreSQL the global set-up finds or starts). `npm test` runs both;
 * `npm run test:unit` runs `unit` alone and needs no PostgreSQL anywhere.
 */
const common = {
  rootDir: '.',
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
  // NestJS 12 packages are ESM-only: swc turns them (and the TypeScript) into CommonJS for Jest.
  transformIgnorePatterns: ['/node_modules/(?!(@nestjs|content-disposition)/)'],
  transform: {
    '^.+\\.(t|j)s$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: 'es2022',
        },
        module: { type: 'commonjs' },
      },
    ],
  },
  testTimeout: 30000,
};

module.exports = {
  projects: [
    { ...common, displayName: 'unit', testRegex: ['src/.*\\.spec\\.ts$'] },
    {
      ...common,
      displayName: 'e2e',
      // The browser spec (npm run test:browser) runs in this project too, with its own --testRegex.
      testRegex: ['test/.*\\.e2e-spec\\.ts$'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  maxWorkers: 2,
  testTimeout: 30000,
  workerGracefulExitTimeout: 10000,
};
