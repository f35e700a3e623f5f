/**
 * A real SIGINT or SIGTERM to a real run: every process it started ends,
 * its temporary directories go, the results so far are printed, and it
 * exits 130 or 143 as a shell would report it.
 */
import { readFileSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { dir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../src/errors.js';
import { makeCommitHistory } from '../src/fixtures/lwt-fixtures.js';
import { taggedProcesses } from '../src/run/process-tags.js';
import { makeCasesDir } from './support/case-dir.js';
import { CLI } from './support/cli.js';

let tmp: Awaited<ReturnType<typeof dir>>;
let cases: string;
const at = (...parts: string[]) => join(tmp.path, ...parts);

beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true, prefix: 'lwt-regress-interrupt-' });
  cases = await makeCasesDir(at('cases'), [
    { name: 'slow', program: 'let () = ignore (Sys.command "sleep 300"); print_endline "clean: slept"\n' },
  ]);
});
afterAll(() => tmp.cleanup());

async function waitFor(condition: () => boolean, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts the CLI with a cache and a TMPDIR of its own, so that what it leaves can be told apart. */
async function start(name: string, args: string[]) {
  const cache = at(name, 'cache');
  const tmpdir = at(name, 'tmp');
  await mkdir(tmpdir, { recursive: true });
  const child = execa(process.execPath, [CLI, ...args], {
    env: { LWT_REGRESS_CACHE: cache, TMPDIR: tmpdir },
    reject: false,
    cwd: tmp.path,
  });
  const mine = () => taggedProcesses('LWT_REGRESS_CACHE', cache);
  // The case is running once a `sleep 300` of this run exists.
  const sleeping = () =>
    mine().some((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8') === 'sleep\u0000300\u0000';
      } catch {
        return false;
      }
    });
  return { child, mine, sleeping, tmpdir };
}

describe('interrupting lwt-regress run', () => {
  it.each([
    ['SIGINT', EXIT.interrupted],
    ['SIGTERM', EXIT.terminated],
  ] as const)(
    '%s: exit %i, no process and no temporary directory left, the partial table printed',
    async (signal, code) => {
      const run = await start(`run-${signal}`, [
        'run',
        '--cases',
        cases,
        '--lwt',
        'installed',
        '--artifacts',
        at('artifacts'),
      ]);
      await waitFor(run.sleeping);
      process.kill(run.child.pid!, signal);
      const r = await run.child;
      expect(r.exitCode).toBe(code);
      expect(r.stdout).toMatch(/^ocaml +lwt +case +verdict/m);
      expect(r.stdout).toMatch(/interrupted after 0 of 1 probes/);
      expect(r.stderr).toMatch(new RegExp(`interrupted \\(${signal}\\)`));
      expect(run.mine()).toEqual([]);
      expect(await readdir(run.tmpdir)).toEqual([]);
    },
    120_000,
  );
});

describe('interrupting lwt-regress bisect --commits', () => {
  it('ends git bisect run and the probe it is running', async () => {
    const repo = await makeCommitHistory(at('lwt-repo'));
    expect(repo.length).toBeGreaterThan(2);
    const run = await start('bisect', [
      'bisect',
      '--commits',
      '--lwt-git',
      at('lwt-repo'),
      '--cases',
      cases,
      '--case',
      'slow',
      '--good',
      'v-good',
      '--bad',
      'v-bad',
    ]);
    await waitFor(run.sleeping);
    // git bisect run, its probe and the case are all running now.
    expect(run.mine().length).toBeGreaterThan(3);
    process.kill(run.child.pid!, 'SIGINT');
    const r = await run.child;
    expect(r.exitCode).toBe(EXIT.interrupted);
    expect(run.mine().map((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8'))).toEqual([]);
    expect(await readdir(run.tmpdir)).toEqual([]);
  }, 180_000);
});
