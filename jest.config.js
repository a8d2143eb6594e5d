// Two projects: `unit` (pure logic, no servers) and `integration` (real Redis, Postgres, Kafka, FerretDB,
// started by infra/ scripts). ESM TypeScript is transformed by swc; types are checked by `tsc --noEmit`.
const swc = ['@swc/jest', {
  jsc: { parser: { syntax: 'typescript' }, target: 'es2024' },
  module: { type: 'es6' },
}];
const common = {
  transform: { '^.+\\.ts$': swc },
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^@sunsu/([a-z-]+)$': '<rootDir>/packages/$1/src/index.ts' },
  testPathIgnorePatterns: ['/node_modules/', '/e2e/'],
  // .run/ holds server data (etcd writes *.snap files jest would report as obsolete snapshots, failing the run).
  modulePathIgnorePatterns: ['<rootDir>/.run/'],
  testEnvironment: 'node',
};
export default {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/**/*.test.ts'], testPathIgnorePatterns: [...common.testPathIgnorePatterns, '\\.(integration|cluster)\\.test\\.ts$'] },
    // Hooks start and stop real processes: they get the same generous default as tests.
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/**/*.integration.test.ts'], slowTestThreshold: 30, testTimeout: 60_000, setupFilesAfterEnv: ['<rootDir>/tests/integration-setup.ts'] },
    // The platform on the real Kubernetes node, reached through the ingress (infra/cluster-e2e.sh runs them).
    { ...common, displayName: 'cluster', testMatch: ['<rootDir>/tests/cluster/**/*.cluster.test.ts'], slowTestThreshold: 60, testTimeout: 300_000, setupFilesAfterEnv: ['<rootDir>/tests/integration-setup.ts'] },
  ],
};
