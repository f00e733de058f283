// force timezone to UTC to allow tests to work regardless of local timezone
// generally used by snapshots, but can affect specific tests
process.env.TZ = 'UTC';

const base = require('./.config/jest.config');
const { grafanaESModules, nodeModulesToTransform } = require('./.config/jest/utils');

// ESM-only packages that Grafana 13 and Scenes 9 pull in, beyond the scaffold's list.
const moreESModules = ['@react-hookz', '@ver0/deep-equal'];

// The scaffold transforms `.js/.ts(x)` only. Grafana 13's packages pull d3
// modules that ship `.mjs` ESM; compile those with the same swc options.
const [swcJest, swcOptions] = base.transform['^.+\\.(t|j)sx?$'];

module.exports = {
  // Jest configuration provided by Grafana scaffolding
  ...base,
  transform: {
    ...base.transform,
    '^.+\\.mjs$': [swcJest, swcOptions],
  },
  transformIgnorePatterns: [nodeModulesToTransform([...grafanaESModules, ...moreESModules])],
  // Build-time code (the generators of the docs and the e2e query table) lives in scripts/, outside the bundle; its tests too.
  testMatch: [...base.testMatch, '<rootDir>/scripts/**/*.test.ts'],
  // jsdom resolves yaml's browser build (ESM); the tests that read files want its Node build.
  moduleNameMapper: { ...base.moduleNameMapper, '^yaml$': require.resolve('yaml') },
};
