/**
 * npm test's own wrapper (harness/test.ts), on test files of this test's
 * own: its summary line counts a file that throws at import as failed, and
 * vitest's -t, --reporter and file filters pass through.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { dir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../src/errors.js';
import { projectRoot } from '../src/paths.js';

let tmp: Awaited<ReturnType<typeof dir>>;

/** Biome's rules for these test directories: the format only (a test file that throws has unreachable code). */
const BIOME = JSON.stringify({ linter: { enabled: false }, assist: { enabled: false } });

/** The test files as that Biome formats them, so that only what a test plants is wrong. */
async function formatted(path: string): Promise<void> {
  await writeFile(join(path, 'biome.json'), BIOME);
  await execa('biome', ['format', '--write', '.'], { cwd: path, preferLocal: true, localDir: projectRoot() });
}

beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true, prefix: 'lwt-regress-npm-test-' });
  await writeFile(
    join(tmp.path, 'throws.test.ts'),
    "import { expect, it } from 'vitest';\n" +
      "throw new Error('this module throws at import');\n" +
      "it('never runs', () => expect(1).toBe(1));\n",
  );
  await writeFile(
    join(tmp.path, 'fine.test.ts'),
    "import { expect, it } from 'vitest';\n" +
      "it('one that passes', () => expect(1).toBe(1));\n" +
      "it('another, named apart', () => expect(2).toBe(2));\n",
  );
  await formatted(tmp.path);
});
afterAll(() => tmp.cleanup());

async function npmTest(args: string[], testDir = tmp.path) {
  const r = await execa(process.execPath, [join(projectRoot(), 'dist', 'harness', 'test.js'), ...args], {
    cwd: projectRoot(),
    reject: false,
    env: { LWT_REGRESS_TEST_DIR: testDir, LWT_REGRESS_SUITE_ONLY: '1' },
  });
  return { ...r, summary: String(r.stdout).trim().split('\n').pop() };
}

describe('npm test', () => {
  it('counts a test file that throws at import as a failure: the run is red', async () => {
    const r = await npmTest([]);
    expect(r.summary).toBe('2 passed, 1 failed');
    expect(r.exitCode).toBe(EXIT.failed);
  });

  it('checks the sources first: a line over 120 characters is one failure, and no test runs', async () => {
    const sloppy = await dir({ unsafeCleanup: true, prefix: 'lwt-regress-npm-test-style-' });
    try {
      const long = `it('${'x'.repeat(120)}', () => expect(1).toBe(1));`;
      await writeFile(join(sloppy.path, 'long.test.ts'), `import { expect, it } from 'vitest';\n${long}\n`);
      await formatted(sloppy.path);
      const r = await npmTest([], sloppy.path);
      expect(r.stderr).toMatch(/long\.test\.ts:\d+: \d+ characters \(at most 120\)/);
      expect(r.summary).toBe('0 passed, 1 failed');
      expect(r.exitCode).toBe(EXIT.failed);
      // A filter or a selection asks one question: the checks are the full run's, and the test runs.
      expect((await npmTest(['long'], sloppy.path)).summary).toBe('1 passed, 0 failed');
    } finally {
      await sloppy.cleanup();
    }
  });

  it('passes a file filter, -t and --reporter to vitest', async () => {
    expect((await npmTest(['fine'])).summary).toBe('2 passed, 0 failed');
    const named = await npmTest(['fine', '-t', 'named apart']);
    expect(named.summary).toBe('1 passed, 0 failed, 1 skipped');
    expect(named.exitCode).toBe(EXIT.ok);
    const dot = await npmTest(['fine', '--reporter', 'dot']);
    expect(dot.summary).toBe('2 passed, 0 failed');
  });

  it('its own help, and one line naming what to run instead for what it does not take', async () => {
    const help = await npmTest(['--help']);
    expect(help.stdout).toMatch(/^usage: npm test \[-- options\]/);
    const watch = await npmTest(['--watch']);
    expect(watch.exitCode).toBe(EXIT.usage);
    expect(String(watch.stderr).trim()).toMatch(/npm test runs the tests once.*npx vitest --watch/);
    const unknown = await npmTest(['--frobnicate']);
    expect(unknown.exitCode).toBe(EXIT.usage);
    expect(String(unknown.stderr).trim()).toMatch(/Unknown option '--frobnicate'.*Run `npm test -- --help`/);
  });
});
