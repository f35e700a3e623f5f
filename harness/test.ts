#!/usr/bin/env node
/**
 * `npm test`: vitest rejects flags it does not know, so this wrapper reads
 * lwt-regress's own flags, checks the selection (toolchain, versions, cases)
 * before anything runs, starts vitest through its Node API, prints the
 * version × case table, and ends with the plain summary line CI reads:
 * `N passed, N failed, N skipped`.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Reporter, TestCase, TestModule } from 'vitest/node';
import { startVitest } from 'vitest/node';
import { EXIT, UserError } from '../src/errors.js';
import type { ProbeResult } from '../src/probe/probe.js';
import { parseShard } from '../src/probe/shard.js';
import { prepareSuite } from '../src/probe/suite.js';
import { findProjectFile } from '../src/project/project-file.js';
import { formatMatrix, styleFor } from '../src/report/matrix-text.js';
import { installInterruptHandlers } from '../src/run/interrupt.js';
import { setHelp } from './args.js';
import { SELECTION_OPTIONS, selectionHelp, toSuiteRequest } from './selection.js';
import { sourcesPass } from './source-checks.js';

const HELP = `usage: npm test [-- options] [FILE-FILTER...]

Without options: the format, lint, type and style checks, the unit tests, the analyzer's real-crash
tests, the harness tests, and the regression suite (every case against the installed Lwt). With
any selection option: the regression suite alone, for that selection, e.g.
npm test -- --lwt 2.3.0 --case mutex-unlock-storm. Ends with "N passed, N failed[, N skipped]".

Selection:
${selectionHelp()}

Passed to vitest:
  FILE-FILTER           only test files whose path contains it (also --filter TEXT)
  -t, --test-name-pattern PATTERN
                        only the tests whose name matches
  --reporter NAME       vitest's reporter (default: default); may be repeated
  --junit FILE          also write vitest's JUnit XML report there
  --help                this text

npm test runs once; for vitest's watch mode or its other options, run npx vitest after npm run build.`;

/** A usage error of npm test's own, pointing at its own help. */
function testUsage(message: string): UserError {
  return new UserError(message, EXIT.usage, 'Run `npm test -- --help` for what npm test takes');
}

function parseTestArgs(args: string[]) {
  return parseArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: {
      ...SELECTION_OPTIONS,
      filter: { type: 'string', multiple: true },
      junit: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      'test-name-pattern': { type: 'string', short: 't' },
      reporter: { type: 'string', multiple: true },
    },
  });
}

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
    this.errors =
      unhandledErrors.length + modules.filter((m) => m.state() === 'failed' && m.errors().length > 0).length;
  }
}

async function main(): Promise<number> {
  installInterruptHandlers();
  setHelp('npm test -- --help');
  const args = process.argv.slice(2);
  const watch = args.find((a) => a === '--watch' || a === '-w' || a === 'watch' || a === '--ui');
  if (watch)
    throw testUsage(`npm test runs the tests once, so ${watch} is not for it: run npx vitest ${watch} instead`);
  let parsed: ReturnType<typeof parseTestArgs>;
  try {
    parsed = parseTestArgs(args);
  } catch (error) {
    throw testUsage(
      `npm test: ${(error as Error).message.split('\n')[0]!.replace(/\. To specify a positional.*$/, '')}`,
    );
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return EXIT.ok;
  }
  const { filter, junit, help: _help, 'test-name-pattern': testNamePattern, reporter, ...selectionValues } = values;
  const filters = [...(filter ?? []), ...positionals];
  if (values.shard !== undefined && !parseShard(values.shard)) {
    throw testUsage(`--shard must be I/N with 1 <= I <= N, not '${values.shard}'`);
  }
  // --shard alone splits the test files (vitest's own sharding); with a selection it splits the probes.
  const selected = Object.entries(selectionValues).some(([k, v]) => k !== 'shard' && v !== undefined);
  const selection = selected ? toSuiteRequest(selectionValues, await findProjectFile(process.cwd())) : undefined;
  if (selection) {
    // Unknown versions or cases, a missing toolchain: one clear line now, not a failing test later.
    const prepared = await prepareSuite(selection);
    const { toolchain, sources, cases } = prepared;
    process.stdout.write(
      `lwt-regress: OCaml ${toolchain.ocamlVersion} (${toolchain.description}); ` +
        `Lwt ${sources.map((s) => s.label).join(', ')}; cases ${cases.map((c) => c.manifest.name).join(', ')}\n`,
    );
    for (const line of prepared.compilers.header(sources)) process.stdout.write(`lwt-regress: ${line}\n`);
    process.env.LWT_REGRESS_SUITE_ONLY = '1';
  }
  if (!selection && filters.length === 0 && !testNamePattern && !(await sourcesPass())) {
    // Counted as one failed test, so the summary line CI reads stays the last line.
    process.stderr.write(
      'npm test: the format, lint or style check failed (above); `npm run format` fixes the format\n',
    );
    process.stdout.write('\n0 passed, 1 failed\n');
    return EXIT.failed;
  }
  const resultsFile = join(process.env.TMPDIR ?? '/tmp', `lwt-regress-results-${process.pid}.jsonl`);
  await rm(resultsFile, { force: true });
  const tally = new Tally();
  const vitest = await startVitest('test', selection ? ['test/regression.test.ts'] : filters, {
    watch: false,
    ...(testNamePattern ? { testNamePattern } : {}),
    reporters: [
      ...(reporter ?? ['default']),
      tally,
      ...(junit ? [['junit', { outputFile: junit }] as ['junit', { outputFile: string }]] : []),
    ],
    provide: { selection, resultsFile },
    ...(values.shard && !selection ? { shard: values.shard } : {}),
  });
  await vitest.close();
  const lines = (await readFile(resultsFile, 'utf8').catch(() => '')).split('\n').filter(Boolean);
  await rm(resultsFile, { force: true });
  if (lines.length > 0)
    process.stdout.write(
      `\n${formatMatrix(
        lines.map((l) => JSON.parse(l) as ProbeResult),
        styleFor(process.stdout),
      )}\n`,
    );
  const failed = tally.failed + tally.errors;
  process.stdout.write(
    `\n${tally.passed} passed, ${failed} failed${tally.skipped ? `, ${tally.skipped} skipped` : ''}\n`,
  );
  return failed > 0 || tally.passed === 0 ? EXIT.failed : EXIT.ok;
}

try {
  process.exitCode = await main();
} catch (error) {
  if (!(error instanceof UserError)) throw error;
  process.stderr.write(`lwt-regress: ${error.describe()}\n`);
  process.exitCode = error.exitCode;
}
