import fc from 'fast-check';

/**
 * Under mutation testing (vitest.mutate.config.ts, loaded there only), a
 * property that fails has killed its mutant: its smallest counterexample is of
 * no use, and shrinking it through instrumented code costs minutes. Each
 * property also stops after 5 s of instrumented code (the runs done so far
 * counting as a pass): a mutant that breaks it fails within its first runs,
 * and the full run counts stay with npm test.
 */
fc.configureGlobal({ endOnFailure: true, interruptAfterTimeLimit: 5_000, markInterruptAsFailure: false });
