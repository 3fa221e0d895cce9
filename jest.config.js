// Four tiers: unit specs beside the code; repository specs in test/repositories/, each repository against
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
};

module.exports = {
  testTimeout: 60000,
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  projects: [
    { ...common, displayName: 'unit', rootDir: __dirname, roots: ['<rootDir>/src', '<rootDir>/libs'], testRegex: '\\.spec\\.ts$' },
    {
      ...common,
      displayName: 'repositories',
      rootDir: __dirname,
      roots: ['<rootDir>/test/repositories'],
      testRegex: '\\.repo-spec\\.ts$',
    },
    {
      ...common,
      displayName: 'e2e',
      rootDir: __dirname,
      roots: ['<rootDir>/test'],
      testRegex: '\\.e2e-spec\\.ts$',
    },
    { ...common, displayName: 'chaos', rootDir: __dirname, roots: ['<rootDir>/test/chaos'], testRegex: '\\.chaos-spec\\.ts$' },
  ],
};
