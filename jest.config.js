// Five tiers: unit specs beside the code (no database, nothing started); Redis specs beside the code
// (`*.redis-spec.ts`, against a real Redis); repository specs in test/repositories/, each repository against
// MongoDB directly; e2e suites in test/ that boot the app in-process; and the chaos suite in test/chaos/
// that runs the built API and workers as processes and kills them.
const moduleNameMapper = {
  '^@app/common(|/.*)$': '<rootDir>/libs/common/src$1',
  '^@app/whatsapp(|/.*)$': '<rootDir>/libs/whatsapp/src$1',
};
const transform = {
  // Type checking is its own CI step (npm run typecheck); tests only transpile.
  '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
};
const common = {
  moduleFileExtensions: ['js', 'json', 'ts'],
  testEnvironment: 'node',
  transform,
  moduleNameMapper,
  setupFiles: ['reflect-metadata'],
  rootDir: __dirname,
};
// Set up per project: jest runs a project's global setup only when one of its tests runs, so
// `npm run test:unit` starts no Redis and no MongoDB.
const services = {
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
};

module.exports = {
  testTimeout: 60000,
  projects: [
    { ...common, displayName: 'unit', roots: ['<rootDir>/src', '<rootDir>/libs', '<rootDir>/scripts'], testRegex: '\\.spec\\.ts$' },
    { ...common, ...services, displayName: 'redis', roots: ['<rootDir>/src', '<rootDir>/libs'], testRegex: '\\.redis-spec\\.ts$' },
    { ...common, ...services, displayName: 'repositories', roots: ['<rootDir>/test/repositories'], testRegex: '\\.repo-spec\\.ts$' },
    { ...common, ...services, displayName: 'e2e', roots: ['<rootDir>/test'], testRegex: '\\.e2e-spec\\.ts$' },
    { ...common, ...services, displayName: 'chaos', roots: ['<rootDir>/test/chaos'], testRegex: '\\.chaos-spec\\.ts$' },
  ],
};
