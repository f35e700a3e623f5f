import { defineConfig } from 'vitest/config';

/**
 * The tests that run the pure and verdict-deciding modules in-process, for
 * mutation testing (npm run mutate): the CLI tests run the compiled dist/,
 * which a mutant of the TypeScript never reaches, and only cost time there.
 * fuzz-core.test.ts is left to npm test: its inputs are random (a mutant would
 * be killed by luck) and it times each analysis, which instrumented code fails.
 * So is compiler-frametables.test.ts, which analyses its cores in beforeAll:
 * code run outside a test makes Stryker run every test for each mutant in it
 * (test/frametable, fiber-crossing and compiler-version cover those layouts).
 * The files here run the code under test inside their tests for that reason.
 */
export default defineConfig({
  test: {
    include: [
      'test/address-space.test.ts',
      'test/analysis-text.test.ts',
      'test/analyze-core.test.ts',
      'test/analyze-crashes.test.ts',
      'test/backtrace-cycle.test.ts',
      'test/compiler-version.test.ts',
      'test/core-dump.test.ts',
      'test/cycle.test.ts',
      'test/demangle.test.ts',
      'test/elf-file.test.ts',
      'test/elf-header.test.ts',
      'test/exit-code.test.ts',
      'test/fiber-crossing.test.ts',
      'test/first-bad.test.ts',
      'test/frametable.test.ts',
      'test/gate.test.ts',
      'test/manifest.test.ts',
      'test/process-image.test.ts',
      'test/report-escape.test.ts',
      'test/return-address.test.ts',
      'test/stack-walk.test.ts',
      'test/symbols.test.ts',
      'test/to-answer.test.ts',
      'test/verdict.test.ts',
      'test/version-list.test.ts',
    ],
    globalSetup: ['test/support/mutate-global-setup.ts'],
    setupFiles: ['test/support/mutate-setup.ts'],
    // Instrumented code runs many times slower than the plain one, the most in the first run that measures coverage.
    testTimeout: 900_000,
    hookTimeout: 300_000,
  },
});
