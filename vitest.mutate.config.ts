import { defineConfig } from 'vitest/config';

/**
 * The tests that run the pure and verdict-deciding modules in-process, for
 * mutation testing (npm run mutate): the CLI tests run the compiled dist/,
 * which a mutant of the TypeScript never reaches, and only cost time there.
 */
export default defineConfig({
  test: {
    include: [
      'test/analyze-crashes.test.ts',
      'test/backtrace-cycle.test.ts',
      'test/bisect-search.test.ts',
      'test/cycle.test.ts',
      'test/demangle.test.ts',
      'test/exit-code.test.ts',
      'test/fuzz-core.test.ts',
      'test/manifest.test.ts',
      'test/report-escape.test.ts',
      'test/run-semantics.test.ts',
      'test/shard-merge.test.ts',
      'test/to-answer.test.ts',
      'test/verdict.test.ts',
      'test/version-list.test.ts',
    ],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
