#!/usr/bin/env node
/**
 * `npm test`: vitest rejects flags it does not know, so this wrapper reads
 * lwt-regress's own flags, starts vitest through its Node API, and ends with
 * the plain summary line CI reads: `N passed, N failed, N skipped`.
 */
import { parseArgs } from 'node:util';
import type { Reporter, TestCase, TestModule } from 'vitest/node';
import { startVitest } from 'vitest/node';

const HELP = `usage: npm test [-- options]

Runs the unit tests and the analyzer's real-crash tests (real ocamlopt builds, real cores, gdb as the oracle).

options:
  --filter TEXT   only test files whose path contains TEXT
  --help          this text`;

class Tally implements Reporter {
  passed = 0;
  failed = 0;
  skipped = 0;
  errors = 0;

  onTestCaseResult(test: TestCase): void {
    const state = test.result().state;
    if (state === 'passed') this.passed++;
    else if (state === 'failed') this.failed++;
    else this.skipped++;
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    // A module that failed to load or a hook that threw counts as a failure, even with no test inside.
    this.errors = unhandledErrors.length + modules.filter((m) => m.state() === 'failed' && m.errors().length > 0).length;
  }
}

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: process.argv.slice(2), options: { filter: { type: 'string', multiple: true }, help: { type: 'boolean' } }, strict: true }));
  } catch (error) {
    process.stderr.write(`lwt-regress test: ${(error as Error).message.split('\n')[0]}. Run \`npm test -- --help\` for usage\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const tally = new Tally();
  const vitest = await startVitest('test', values.filter ?? [], { watch: false, reporters: ['default', tally] });
  await vitest.close();
  const failed = tally.failed + tally.errors;
  process.stdout.write(`\n${tally.passed} passed, ${failed} failed${tally.skipped ? `, ${tally.skipped} skipped` : ''}\n`);
  return failed > 0 || tally.passed === 0 ? 1 : 0;
}

process.exitCode = await main();
