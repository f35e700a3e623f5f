import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // LWT_REGRESS_TEST_DIR: another directory of test files, for the tests of npm test itself.
    ...(process.env.LWT_REGRESS_TEST_DIR ? { dir: process.env.LWT_REGRESS_TEST_DIR } : {}),
    include: process.env.LWT_REGRESS_TEST_DIR ? ['*.test.ts'] : ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
